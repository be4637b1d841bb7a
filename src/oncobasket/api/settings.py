"""What the entry point (``oncobasket serve``, a test) decides for the web application; nothing is read from the
environment here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from oncobasket.services import utc_now


@dataclass(frozen=True, slots=True)
class WebSettings:
    """The database, the key that signs tokens and session cookies, and the limits of the web shell.

    ``secret_key`` must be the same in every worker process (``oncobasket serve`` makes one when none is
    given and hands it to its workers). ``secure_cookies`` sets the cookies' Secure flag: true behind HTTPS,
    which a deployment must have; a test client on plain HTTP turns it off.
    """

    database_url: str
    secret_key: str
    token_lifetime: timedelta = timedelta(hours=8)
    session_lifetime: timedelta = timedelta(hours=8)
    secure_cookies: bool = True
    max_upload_bytes: int = 20 * 1024 * 1024
    #: OWASP Authentication Cheat Sheet ("Login throttling"): this many failed sign-ins per user name and
    #: client address within the window, then refusals until the window has passed.
    login_attempts: int = 5
    login_window: timedelta = timedelta(minutes=15)
    clock: Callable[[], datetime] = field(default=utc_now)
