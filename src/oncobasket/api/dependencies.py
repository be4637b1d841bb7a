"""Per-request context: the signed-in account and the registry that acts as it (``Annotated`` aliases)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer

from oncobasket.api.security import LoginThrottle, TokenSigner
from oncobasket.api.settings import WebSettings
from oncobasket.core.access import Account, Action
from oncobasket.db.session import Database
from oncobasket.services import Registry
from oncobasket.services.accounts import check_patient_visible, find_account


@dataclass(frozen=True, slots=True)
class WebState:
    """What the app holds for its lifetime: settings, one database (connection pool), signer and throttle."""

    settings: WebSettings
    database: Database
    signer: TokenSigner
    throttle: LoginThrottle

    def registry(self, actor: str) -> Registry:
        """A registry acting as ``actor`` on the shared database: every write is audited with that name."""
        return Registry(database=self.database, actor=actor, clock=self.settings.clock)


def web_state(request: Request) -> WebState:
    """The app's state."""
    state: WebState = request.app.state.oncobasket
    return state


State = Annotated[WebState, Depends(web_state)]

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/token", auto_error=False)


def _unauthorised() -> HTTPException:
    return HTTPException(
        status_code=401, detail="sign in: a valid bearer token is needed", headers={"WWW-Authenticate": "Bearer"}
    )


def api_account(state: State, token: Annotated[str | None, Depends(_bearer)]) -> Account:
    """The account a valid bearer token names, else 401."""
    if token is None:
        raise _unauthorised()
    username = state.signer.username(token)
    account = find_account(state.registry("api"), username=username) if username is not None else None
    if account is None:
        raise _unauthorised()
    return account


ApiAccount = Annotated[Account, Depends(api_account)]


def require(account: Account, action: Action) -> None:
    """403 unless the role is granted the action."""
    if not account.may(action):
        raise HTTPException(status_code=403, detail=f"the role '{account.role}' may not {action.replace('_', ' ')}")


@dataclass(frozen=True, slots=True)
class Acting:
    """The signed-in account and the registry acting as it."""

    account: Account
    registry: Registry

    def patient(self, study_id: str, action: Action = Action.READ) -> None:
        """Check the role may do the action and may see the patient (404 as if absent otherwise)."""
        require(self.account, action)
        check_patient_visible(self.registry, self.account, study_id)


def acting(state: State, account: ApiAccount) -> Acting:
    """The request's account and registry."""
    return Acting(account=account, registry=state.registry(account.username))


ApiActing = Annotated[Acting, Depends(acting)]
