"""Roles and grants (core.access), checked against issue 10's words, and account rules."""

from __future__ import annotations

import pytest

from oncobasket.core.access import Account, Action, Role, check_account, check_password, parse_role
from oncobasket.core.errors import InputError

#: Issue 10: "admin (trial office)" all; "coordinator" writes patient data; "mtb" records decisions;
#: "investigator" sees and edits only its own site's patients; "monitor" reads everything, writes nothing.
EXPECTED = {
    (Role.ADMIN, Action.READ): True,
    (Role.ADMIN, Action.READ_TRIAL): True,
    (Role.ADMIN, Action.WRITE_PATIENT): True,
    (Role.ADMIN, Action.DECIDE): True,
    (Role.COORDINATOR, Action.READ): True,
    (Role.COORDINATOR, Action.READ_TRIAL): True,
    (Role.COORDINATOR, Action.WRITE_PATIENT): True,
    (Role.COORDINATOR, Action.DECIDE): False,
    (Role.MTB, Action.READ): True,
    (Role.MTB, Action.READ_TRIAL): True,
    (Role.MTB, Action.WRITE_PATIENT): False,
    (Role.MTB, Action.DECIDE): True,
    (Role.INVESTIGATOR, Action.READ): True,
    (Role.INVESTIGATOR, Action.READ_TRIAL): False,
    (Role.INVESTIGATOR, Action.WRITE_PATIENT): True,
    (Role.INVESTIGATOR, Action.DECIDE): False,
    (Role.MONITOR, Action.READ): True,
    (Role.MONITOR, Action.READ_TRIAL): True,
    (Role.MONITOR, Action.WRITE_PATIENT): False,
    (Role.MONITOR, Action.DECIDE): False,
}


def test_every_role_and_action_has_a_case() -> None:
    assert set(EXPECTED) == {(role, action) for role in Role for action in Action}


@pytest.mark.parametrize(("role", "action"), list(EXPECTED))
def test_grants(role: Role, action: Action) -> None:
    site = "OUS" if role is Role.INVESTIGATOR else None
    assert Account("someone", role, site).may(action) is EXPECTED[role, action]


def test_only_an_investigator_is_bound_to_its_site() -> None:
    assert Account("a", Role.INVESTIGATOR, "OUS").sees_site("OUS")
    assert not Account("a", Role.INVESTIGATOR, "OUS").sees_site("HUS")
    assert Account("m", Role.MONITOR).sees_site("HUS")


@pytest.mark.parametrize(
    ("username", "role", "site", "field"),
    [
        ("kari", Role.INVESTIGATOR, None, "--site"),
        ("kari", Role.INVESTIGATOR, "  ", "--site"),
        ("kari", Role.MONITOR, "OUS", "--site"),
        ("Kari", Role.MONITOR, None, "username"),
        ("k", Role.MONITOR, None, "username"),
        ("kari nordmann", Role.MONITOR, None, "username"),
    ],
)
def test_bad_accounts_are_refused(username: str, role: Role, site: str | None, field: str) -> None:
    with pytest.raises(InputError) as raised:
        check_account(username, role, site)
    assert raised.value.field == field


def test_roles_and_passwords_as_typed() -> None:
    assert parse_role(" MTB ") is Role.MTB
    with pytest.raises(InputError, match="not a role"):
        parse_role("doctor")
    with pytest.raises(InputError, match="12-256 characters"):
        check_password("short")
    assert check_password("a long enough passphrase") == "a long enough passphrase"
