"""The web shell: the REST API under ``/api/v1`` and the server-rendered pages, built by :func:`create_app`."""

from __future__ import annotations

from oncobasket.api.app import create_app
from oncobasket.api.settings import WebSettings

__all__ = ["WebSettings", "create_app"]
