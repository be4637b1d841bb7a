"""Use cases: accounts (create, sign in) and what a signed-in account may see of the registry.

Passwords are stored only as argon2id hashes (RFC 9106; OWASP Password Storage Cheat Sheet), by argon2-cffi.
An investigator sees only its own site's patients; another site's patient is answered exactly as a study ID
that does not exist (ARCHITECTURE.md, "Web API"), so the registry never reveals that it exists.
"""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from oncobasket.core.access import Account, Role, check_account, check_password
from oncobasket.core.errors import ConflictError, NotFoundError
from oncobasket.core.registry import check_study_id
from oncobasket.db import account_records, repository
from oncobasket.services.registry import Registry

_HASHER = PasswordHasher()
#: Verified when the user name is unknown, so that a wrong name costs as long as a wrong password.
_UNKNOWN_USER_HASH = _HASHER.hash("no account has this password")


def hash_password(password: str) -> str:
    """The argon2id hash of a password, in PHC string format (salt and parameters inside)."""
    return _HASHER.hash(password)


def add_user(registry: Registry, *, username: str, role: Role, site: str | None, password: str) -> dict[str, Any]:
    """Create an account (audited; the password is kept only as its argon2id hash)."""
    account = check_account(username, role, site)
    check_password(password)
    registry.database.check_schema()
    now = registry.now()
    with registry.database.transaction() as session:
        if account_records.get_user(session, username=account.username) is not None:
            raise ConflictError(f"the user name '{account.username}' is taken; choose another")
        row = account_records.add_user(
            session,
            username=account.username,
            password_hash=hash_password(password),
            role=str(account.role),
            site=account.site,
            created_at=now,
        )
        view = {"username": row.username, "role": row.role, "site": row.site, "created_at": now.isoformat()}
        registry.audit(
            session, at=now, action="user.add", entity="user", entity_id=row.id, study_id=None, before=None, after=view
        )
    return view


def authenticate(registry: Registry, *, username: str, password: str) -> Account | None:
    """The account whose password this is, or None (the same answer for an unknown name and a wrong password)."""
    with registry.database.transaction(write=False) as session:
        row = account_records.get_user(session, username=username)
        stored = row.password_hash if row is not None else _UNKNOWN_USER_HASH
        try:
            _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        return Account(username=row.username, role=Role(row.role), site=row.site)


def find_account(registry: Registry, *, username: str) -> Account | None:
    """The account of a user name (a signed token names it), or None when it was removed."""
    with registry.database.transaction(write=False) as session:
        row = account_records.get_user(session, username=username)
        return None if row is None else Account(username=row.username, role=Role(row.role), site=row.site)


def check_patient_visible(registry: Registry, account: Account, study_id: str) -> None:
    """Raise the not-found error of a missing study ID when the account may not see the patient."""
    check_study_id(study_id)
    with registry.database.transaction(write=False) as session:
        patient = repository.get_patient(session, study_id=study_id)
        if patient is None or not account.sees_site(patient.site):
            # The very error a missing study ID gets (the repository's words): nothing tells the two apart.
            raise NotFoundError(
                f"no patient with study ID '{study_id}'; check the ID or register the patient with "
                "`oncobasket patient add`"
            )


def list_patients(registry: Registry, account: Account) -> list[dict[str, Any]]:
    """The patients the account may see, in study-ID order, with their site and tumour type."""
    registry.database.check_schema()
    site = account.site if account.role is Role.INVESTIGATOR else None
    with registry.database.transaction(write=False) as session:
        return [
            {
                "study_id": row.study_id,
                "site": row.site,
                "oncotree_code": row.oncotree_code,
                "registered_at": row.registered_at.isoformat(),
            }
            for row in account_records.list_patients(session, site=site)
        ]
