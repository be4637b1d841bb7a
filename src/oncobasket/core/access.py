"""Who may do what in the registry: roles, the actions they are granted, and an investigator's site.

The roles are those of issue 10 (the trial office, site coordinators, the national tumour board, a site's
investigators and the trial's monitors); the separation follows ICH E6(R3) GCP section 3.16 (data handling:
access limited to authorised persons, each change attributable) and the GDPR's data minimisation
(Article 5(1)(c)): an investigator sees only the patients of its own site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from oncobasket.core.errors import InputError


class Role(StrEnum):
    """An account's role."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    MTB = "mtb"
    INVESTIGATOR = "investigator"
    MONITOR = "monitor"


class Action(StrEnum):
    """What a request does, as the authorisation rule sees it."""

    READ = "read"  # patients, screenings, decisions, cohorts, outcomes
    READ_TRIAL = "read_trial"  # the whole trial across sites: endpoints, the analysis dataset, the full audit trail
    WRITE_PATIENT = "write_patient"  # register, update, consent, screen, enrol, treatment, AEs, assessments
    DECIDE = "decide"  # tumour-board decisions


#: The grants of each role (issue 10: admin all; coordinator writes patient data; mtb records decisions;
#: investigator sees and edits its own site's patients; monitor reads all, writes nothing).
GRANTS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.COORDINATOR: frozenset({Action.READ, Action.READ_TRIAL, Action.WRITE_PATIENT}),
    Role.MTB: frozenset({Action.READ, Action.READ_TRIAL, Action.DECIDE}),
    Role.INVESTIGATOR: frozenset({Action.READ, Action.WRITE_PATIENT}),
    Role.MONITOR: frozenset({Action.READ, Action.READ_TRIAL}),
}

_USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,63}")
#: NIST SP 800-63B section 5.1.1.2: at least 8 characters; a ceiling keeps hashing cheap to refuse.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


@dataclass(frozen=True, slots=True)
class Account:
    """A signed-in person: name, role and (an investigator's) site."""

    username: str
    role: Role
    site: str | None = None

    def may(self, action: Action) -> bool:
        """Whether the role is granted the action."""
        return action in GRANTS[self.role]

    def sees_site(self, site: str) -> bool:
        """Whether the account may see a patient of ``site``: an investigator only its own."""
        return self.role is not Role.INVESTIGATOR or site == self.site


def parse_role(text: str) -> Role:
    """A role as typed."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise InputError(
            f"'{text}' is not a role", field="--role", fix="use admin, coordinator, mtb, investigator or monitor"
        ) from None


def check_account(username: str, role: Role, site: str | None) -> Account:
    """An account as it may be created: a lower-case user name, and a site exactly for an investigator."""
    if not _USERNAME.fullmatch(username):
        raise InputError(
            "a user name is 2-64 characters: a lower-case letter, then letters, digits, '.', '_' or '-'",
            field="username",
            fix="choose a user name such as 'kari.nordmann'",
        )
    cleaned = site.strip() if site is not None else None
    if role is Role.INVESTIGATOR and not cleaned:
        raise InputError("an investigator sees only its own site's patients", field="--site", fix="give --site")
    if role is not Role.INVESTIGATOR and cleaned:
        raise InputError(
            "only an investigator is bound to a site", field="--site", fix="leave --site out for this role"
        )
    return Account(username=username, role=role, site=cleaned or None)


def check_password(password: str) -> str:
    """A new password: long enough to resist guessing (NIST SP 800-63B section 5.1.1.2), bounded in length."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InputError(
            f"a password has {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters",
            field="password",
            fix="choose a longer passphrase",
        )
    return password
