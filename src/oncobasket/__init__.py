"""OncoBasket: run a national precision-cancer-medicine basket trial.

Layers (see docs/architecture.md): ``core`` is the pure domain, ``io`` reads and writes file
formats, ``db`` holds the registry, ``services`` owns the use cases and their transactions, and
``cli`` is the only entry point that talks to people.
"""

__version__ = "0.1.0"
