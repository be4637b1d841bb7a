"""``python -m oncobasket.cli``: the same entry point as the ``oncobasket`` command."""

from oncobasket.cli import main

main()
