"""One root exception with specific subclasses, in the manner of biocommons/hgvs.

Library code raises these; only the command line and the web API turn them into messages and exit
codes. Every message names where the problem is (file, line, field), the rule that was broken and how
to fix it, on one line, and never carries personal data.
"""

from __future__ import annotations

#: The longest stretch of one value an error message repeats, and the longest message. A value copied
#: from a damaged file can be a megabyte long: an error is one line a person reads, not a dump.
MAX_SHOWN_VALUE = 120
MAX_MESSAGE = 1000


def shown(value: object, limit: int = MAX_SHOWN_VALUE) -> str:
    """``value`` as text for a message: one line, clipped to ``limit`` characters with the length said."""
    text = " ".join(str(value).split())
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def clip_message(text: str) -> str:
    """One line; every word longer than :data:`MAX_SHOWN_VALUE` clipped, the whole to :data:`MAX_MESSAGE`."""
    # The slack lets a value already clipped by shown() keep its quotes and ellipsis unclipped.
    words = [word if len(word) <= MAX_SHOWN_VALUE + 8 else shown(word) for word in text.split()]
    line = " ".join(words)
    return line if len(line) <= MAX_MESSAGE else f"{line[:MAX_MESSAGE]}... (message clipped)"


class OncoBasketError(Exception):
    """Root of every error OncoBasket raises on purpose. Its text is always one clipped line."""

    def __str__(self) -> str:
        return clip_message(super().__str__())


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

    def __str__(self) -> str:
        # Composed and clipped part by part already: the source path is kept whole, however long.
        return str(self.args[0])

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
            parts.append(f"field '{shown(self.field)}'")
        # One line, always: a value copied from a file must not break the message in two, nor make it
        # a megabyte long (clip_message).
        rule = clip_message(self.rule)
        text = ": ".join([*parts, rule]) if parts else rule
        if self.fix:
            text = f"{text}; {clip_message(self.fix)}"
        return " ".join(text.split())


class FormatError(InputError):
    """A file is not of the format it was given as, or breaks that format's rules."""


class ProtocolError(InputError):
    """A trial protocol file breaks the protocol schema."""


class NotFoundError(OncoBasketError):
    """A named record (patient, cohort, decision) does not exist."""


class ConflictError(OncoBasketError):
    """The request contradicts the current state (a closed cohort, a duplicate study ID, no slot left)."""
