"""The one place that turns OncoBasket's errors into HTTP answers (ARCHITECTURE.md, "Web API").

InputError -> 422 with the field, the rule broken and the fix (never the file path of an upload, never a
value of personal data); NotFoundError -> 404; ConflictError -> 409; a request that does not fit the schema
-> 422 with pydantic's field locations. No domain error becomes a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from oncobasket.core.errors import ConflictError, InputError, NotFoundError, OncoBasketError

#: The services name fields as the command line's options; the API's body fields are named otherwise here.
_FIELD_NAMES = {"lab": "labs", "prior_therapy": "prior_therapies", "dose": "doses", "patient": "study_id"}


def api_field(field: str | None) -> str | None:
    """The request field behind a service's field name (``--tumour-type`` -> ``tumour_type``)."""
    if field is None:
        return None
    if field.isupper():  # a command-line argument's metavar, e.g. STUDY_ID
        return field.lower()
    if not field.startswith("--"):
        return field
    name = field.removeprefix("--").replace("-", "_")
    return _FIELD_NAMES.get(name, name)


def error_body(error: OncoBasketError) -> dict[str, Any]:
    """The JSON body of a domain error."""
    if isinstance(error, InputError):
        return {"detail": {"field": api_field(error.field), "line": error.line, "rule": error.rule, "fix": error.fix}}
    return {"detail": str(error)}


def error_status(error: OncoBasketError) -> int:
    """The HTTP status of a domain error."""
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError):
        return 409
    return 422


#: Renders an error on a web page (status, message); the API's paths answer JSON instead.
PageError = Callable[[Request, int, str], Response]


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    # pydantic's messages name the field and the rule; the input itself is left out (it may be personal data).
    details = [
        {"field": ".".join(str(part) for part in item["loc"]), "rule": item["msg"], "fix": None}
        for item in error.errors()
    ]
    return JSONResponse({"detail": details}, status_code=422)


def register_error_handlers(app: FastAPI, page_error: PageError) -> None:
    """Install the mapping on the app: JSON under /api, an error page elsewhere."""

    async def domain_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, OncoBasketError)
        if _is_api(request):
            return JSONResponse(error_body(error), status_code=error_status(error))
        return page_error(request, error_status(error), str(error))

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if _is_api(request) or error.status_code < 400:
            return await http_exception_handler(request, error)
        return page_error(request, error.status_code, str(error.detail))

    app.add_exception_handler(OncoBasketError, domain_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
