"""The app as uvicorn's worker processes import it: built from the settings ``oncobasket serve`` put in the
environment (the one place the web shell reads it)."""

from __future__ import annotations

import os

from oncobasket.api.app import create_app
from oncobasket.api.settings import WebSettings

app = create_app(
    WebSettings(
        database_url=os.environ["ONCOBASKET_DATABASE_URL"],
        secret_key=os.environ["ONCOBASKET_SECRET_KEY"],
        secure_cookies=os.environ.get("ONCOBASKET_SECURE_COOKIES", "1") != "0",
    )
)
