"""The one place that turns OncoBasket's errors into HTTP answers (ARCHITECTURE.md, "Web API").

InputError -> 422 with the field, the rule broken and the fix (never the file path of an upload, never a
value of personal data); NotFoundError -> 404; ConflictError -> 409; a request that does not fit the schema
-> 422 with pydantic's field locations. No domain error becomes a 500.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

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


async def _domain_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, OncoBasketError)
    return JSONResponse(error_body(error), status_code=error_status(error))


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    # pydantic's messages name the field and the rule; the input itself is left out (it may be personal data).
    details = [
        {"field": ".".join(str(part) for part in item["loc"]), "rule": item["msg"], "fix": None}
        for item in error.errors()
    ]
    return JSONResponse({"detail": details}, status_code=422)


def register_error_handlers(app: FastAPI) -> None:
    """Install the mapping on the app."""
    app.add_exception_handler(OncoBasketError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
