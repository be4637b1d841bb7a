"""One root exception with specific subclasses, in the manner of biocommons/hgvs.

Library code raises these; only the command line and the web API turn them into messages and exit
codes. Every message names where the problem is (file, line, field), the rule that was broken and how
to fix it, on one line, and never carries personal data.
"""

from __future__ import annotations


class OncoBasketError(Exception):
    """Root of every error OncoBasket raises on purpose."""


class InputError(OncoBasketError):
    """Bad input from a file, a form or a command-line option.

    The message is built from its parts so that every reader reports problems the same way:
    ``FILE:LINE: field 'FIELD': RULE; FIX``.
    """

    def __init__(
        self,
        rule: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.rule = rule
        self.source = source
        self.line = line
        self.field = field
        self.fix = fix
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = ""
        if self.source is not None:
            where = self.source if self.line is None else f"{self.source}:{self.line}"
        elif self.line is not None:
            where = f"line {self.line}"
        parts = []
        if where:
            parts.append(where)
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        text = ": ".join([*parts, self.rule]) if parts else self.rule
        if self.fix:
            text = f"{text}; {self.fix}"
        # One line, always: a value copied from a file must not break the message in two.
        return " ".join(text.split())


class FormatError(InputError):
    """A file is not of the format it was given as, or breaks that format's rules."""


class ProtocolError(InputError):
    """A trial protocol file breaks the protocol schema."""


class NotFoundError(OncoBasketError):
    """A named record (patient, cohort, decision) does not exist."""


class ConflictError(OncoBasketError):
    """The request contradicts the current state (a closed cohort, a duplicate study ID, no slot left)."""
