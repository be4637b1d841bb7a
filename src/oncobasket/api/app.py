"""The app factory: the API, the pages, security headers and the error mapping, on one database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from oncobasket.api import pages
from oncobasket.api.dependencies import WebState
from oncobasket.api.errors import register_error_handlers
from oncobasket.api.pages import page_error
from oncobasket.api.routes import router
from oncobasket.api.security import LoginThrottle, TokenSigner
from oncobasket.api.settings import WebSettings
from oncobasket.db.session import Database

#: OWASP Secure Headers Project: no framing, no sniffing, no referrer leaks, scripts only from this server.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def create_app(settings: WebSettings) -> FastAPI:
    """The web application on the settings' database (which must be initialised: ``oncobasket trial init``)."""
    app = FastAPI(title="OncoBasket", version="1", docs_url="/api/docs", redoc_url=None)
    app.state.oncobasket = WebState(
        settings=settings,
        database=Database(settings.database_url),
        signer=TokenSigner(settings.secret_key, settings.token_lifetime),
        throttle=LoginThrottle(settings.login_attempts, settings.login_window, settings.clock),
    )
    register_error_handlers(app, page_error)
    app.include_router(router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.WEB_DATA / "static"), name="static")

    async def sign_in(_request: Request, _error: Exception) -> Response:
        return RedirectResponse("/login", status_code=303)

    app.add_exception_handler(pages.NotSignedInError, sign_in)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if (
            request.headers.get("content-length", "0").isdigit()
            and int(request.headers.get("content-length", "0")) > settings.max_upload_bytes + 65536
        ):
            return Response("request too large", status_code=413)
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="oncobasket_session",
        max_age=int(settings.session_lifetime.total_seconds()),
        same_site="strict",
        https_only=settings.secure_cookies,
    )
    return app
