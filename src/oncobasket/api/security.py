"""Signed bearer tokens, CSRF tokens for the pages, and login throttling.

Tokens are signed with the settings' key (itsdangerous, HMAC-SHA1 over a timestamped payload) and expire
after ``token_lifetime``; nothing secret is in them, only the user name. Login throttling follows the OWASP
Authentication Cheat Sheet: failed attempts are counted per user name and client address within a window.
The count is per process, which bounds guessing per worker; several workers multiply the bound.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_TOKEN_SALT = "oncobasket.api.token"  # noqa: S105 - a namespace for signatures, not a secret


class TokenSigner:
    """Issues and checks bearer tokens that expire."""

    def __init__(self, secret_key: str, lifetime: timedelta) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_TOKEN_SALT)
        self._lifetime = lifetime

    def issue(self, username: str) -> str:
        """A token naming the user."""
        return str(self._serializer.dumps({"sub": username}))

    def username(self, token: str) -> str | None:
        """The user a valid, unexpired token names, else None."""
        try:
            payload = self._serializer.loads(token, max_age=int(self._lifetime.total_seconds()))
        except (SignatureExpired, BadSignature):
            return None
        subject = payload.get("sub") if isinstance(payload, dict) else None
        return subject if isinstance(subject, str) else None


def new_csrf_token() -> str:
    """A fresh synchroniser token for a session (OWASP CSRF Prevention Cheat Sheet)."""
    return secrets.token_urlsafe(32)


def same_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token with the form's."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


class LoginThrottle:
    """Counts failed sign-ins per (user name, client address) within a sliding window."""

    def __init__(self, attempts: int, window: timedelta, clock: Callable[[], datetime]) -> None:
        self._attempts = attempts
        self._window = window
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> deque[datetime]:
        failures = self._failures.setdefault(key, deque())
        oldest = self._clock() - self._window
        while failures and failures[0] < oldest:
            failures.popleft()
        return failures

    def blocked(self, username: str, client: str) -> bool:
        """Whether this user name from this client has used up its attempts."""
        with self._lock:
            return len(self._recent((username, client))) >= self._attempts

    def failed(self, username: str, client: str) -> None:
        """Count a failed attempt."""
        with self._lock:
            self._recent((username, client)).append(self._clock())

    def succeeded(self, username: str, client: str) -> None:
        """Forget the failures of a user who signed in."""
        with self._lock:
            self._failures.pop((username, client), None)
