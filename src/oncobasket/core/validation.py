"""One validation layer for every value a person enters: the CLI, the services and (later) the web API
and imports call these, so the limits are the same everywhere and on every database.

Why each rule:

- **Lengths** are those of the registry's columns (``db/models.py``): SQLite does not enforce a
  ``VARCHAR(n)`` and PostgreSQL refuses it with a traceback that printed the whole row, so the limit is
  checked here, before either database sees the value, with one line that names the field.
- **Characters**: a line end or another control character in a site, a user name or a reason would
  forge a line in ``patient show``, the audit listing and the logs (OWASP Logging Cheat Sheet, "log
  injection"); Unicode format characters (right-to-left overrides) would hide what is printed.
- **National identity numbers** are personal data (GDPR art. 4(1); the Norwegian fødselsnummer,
  Skatteetaten) and never belong in a pseudonymous registry, also when typed with odd separators.
- **Errors never repeat the value**: a refused value may be a name or a national identity number.
- **Dates** are checked against the patient's birth (only the year is kept), the consent, the
  treatment and today (ICH E6(R3) 2.12: records must be attributable, contemporaneous and accurate;
  an event before birth or in the future is a typing error).

Pure: no clock (``today`` is passed in), no files, no database.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from oncobasket.core.errors import InputError

__all__ = [
    "MAX_AGE",
    "MAX_FREE_TEXT",
    "MAX_SITE",
    "MAX_USER",
    "check_age",
    "check_date",
    "check_free_text",
    "check_site",
    "check_user",
    "check_whole_number",
    "has_national_id_shape",
    "study_id_key",
]

#: ``patients.site`` is VARCHAR(64); ``audit_events.actor`` VARCHAR(128); reasons and rationales are TEXT,
#: held to a page so that a pasted document cannot fill the registry or the audit trail.
MAX_SITE = 64
MAX_USER = 128
MAX_FREE_TEXT = 4000

_NOT_REPEATED = "the value is not repeated here because it may be personal data"

# A run of digits and the separators people type inside a number (space, '-', '.', '_', '/', ':'):
# ``010190-12345``, ``010190--12345``, ``01.01.90 12345``. Eleven digits in one such run is the shape
# of a Norwegian national identity number (fødselsnummer or D-number: DDMMYY + five digits).
_DIGIT_RUN = re.compile(r"\d(?:[\s\-._/:]*\d)*")
_NATIONAL_ID_DIGITS = 11
# In free text a run may end a sentence ("... 12 mm. 3 lesions"): there only the plain shapes count,
# eleven digits or six and five digits with up to three separators between them.
_NATIONAL_ID_IN_TEXT = re.compile(r"(?<!\d)\d{6}[\s\-._/:]{0,3}\d{5}(?!\d)")
# User names: login names and e-mail-like names, no spaces (they appear in every audit line).
_USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*")


def has_national_id_shape(text: str, *, free_text: bool = False) -> bool:
    """Whether ``text`` holds something shaped like a national identity number (11 digits, however separated)."""
    if free_text:
        return _NATIONAL_ID_IN_TEXT.search(text) is not None
    runs = (run.group() for run in _DIGIT_RUN.finditer(text))
    return any(sum(character.isdigit() for character in run) == _NATIONAL_ID_DIGITS for run in runs)


def study_id_key(study_id: str) -> str:
    """The form under which study IDs are compared: ``ob-0001`` and ``OB-0001`` are one patient.

    Study IDs are typed by people from paper forms and labels; two patients told apart only by letter
    case would be confused at the next tumour board (issue 13).
    """
    return study_id.casefold()


def _control_character(text: str) -> bool:
    """A line end, tab, other C0/C1 control, a line/paragraph separator or an invisible format character."""
    return any(unicodedata.category(character) in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"} for character in text)


def _check_line(text: str, *, field: str, maximum: int, what: str, fix: str) -> str:
    if not text.strip():
        raise InputError(f"{what} is empty", field=field, fix=fix)
    if len(text) > maximum:
        raise InputError(
            f"{what} is {len(text)} characters long, more than the {maximum} allowed; {_NOT_REPEATED}",
            field=field,
            fix=fix,
        )
    if _control_character(text):
        raise InputError(f"{what} holds a line end or another control character; {_NOT_REPEATED}", field=field, fix=fix)
    return text


def check_site(site: str, *, field: str = "--site") -> str:
    """The treating hospital as entered: 1-64 printable characters on one line, no national-ID shape."""
    fix = "give the treating hospital's code or name on one line, e.g. OUS or Haukeland"
    text = _check_line(site.strip(), field=field, maximum=MAX_SITE, what="the site", fix=fix)
    if has_national_id_shape(text):
        raise InputError(f"the site looks like a national identity number; {_NOT_REPEATED}", field=field, fix=fix)
    return text


def check_user(user: str, *, field: str = "--user") -> str:
    """The acting user recorded with every audit event: checked like a study ID (issue 13).

    1-128 characters: letters, digits and ``. _ @ + -``, starting with a letter or digit; nothing
    shaped like a national identity number (a user name is written into every audit line and log).
    """
    fix = "give your user name (letters, digits, '.', '_', '@', '+', '-') with --user or ONCOBASKET_USER"
    text = _check_line(user, field=field, maximum=MAX_USER, what="the acting user", fix=fix)
    if has_national_id_shape(text):
        raise InputError(
            f"the acting user looks like a national identity number; {_NOT_REPEATED}", field=field, fix=fix
        )
    if not _USER.fullmatch(text):
        raise InputError(f"the acting user holds a character a user name cannot; {_NOT_REPEATED}", field=field, fix=fix)
    return text


def check_free_text(text: str, *, field: str, what: str = "the text", maximum: int = MAX_FREE_TEXT) -> str:
    """A reason or rationale: 1-``maximum`` characters on one line, without a national identity number."""
    fix = "write it on one line, without personal data"
    cleaned = _check_line(text.strip(), field=field, maximum=maximum, what=what, fix=fix)
    if has_national_id_shape(cleaned, free_text=True):
        raise InputError(f"{what} holds a national identity number; {_NOT_REPEATED}", field=field, fix=fix)
    return cleaned


def check_whole_number(value: int, *, field: str, minimum: int, maximum: int, what: str, fix: str) -> int:
    """A whole number in ``minimum..maximum``: the range keeps a typo (or 2**63) out of an INTEGER column."""
    if not minimum <= value <= maximum:
        shown = str(value) if len(str(value)) <= 20 else f"a number of {len(str(value))} digits"
        raise InputError(f"{what} {shown} is outside {minimum}-{maximum}", field=field, fix=fix)
    return value


#: Older than anyone has lived (the longest verified life span is 122 years): a larger age is a typing error.
MAX_AGE = 130


def check_age(age: float, *, field: str = "--age") -> float:
    """An age in years: finite, 0-130."""
    if not 0 <= age <= MAX_AGE:  # also false for NaN
        raise InputError(f"age {age:.6g} is outside 0-{MAX_AGE} years", field=field, fix="give the age in years")
    return age


def check_date(
    value: date,
    *,
    field: str,
    what: str,
    today: date,
    birth_year: int | None = None,
    not_before: tuple[date, str] | None = None,
) -> date:
    """A date of the trial's record: not after ``today``, not in a year before the patient's birth, and
    not before ``not_before`` (a date and what it is, e.g. the consent or the start of treatment)."""
    if value > today:
        raise InputError(
            f"{what} {value.isoformat()} is in the future", field=field, fix=f"give the {what} as it happened"
        )
    if birth_year is not None and value.year < birth_year:
        raise InputError(
            f"{what} {value.isoformat()} is before the patient's birth year",
            field=field,
            fix=f"check the {what}; the registered birth year may be wrong too",
        )
    if not_before is not None and value < not_before[0]:
        raise InputError(
            f"{what} {value.isoformat()} is before the {not_before[1]} ({not_before[0].isoformat()})",
            field=field,
            fix=f"check the {what}",
        )
    return value
