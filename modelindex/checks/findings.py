"""What a rule reports: a finding with its code, severity, place, evidence and suggested fix."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from modelindex.fields import parse_result_field
from modelindex.readers.registry import is_secondary
from modelindex.schema import Collection, Location, Model


class Severity(StrEnum):
    """Errors fail a run; warnings fail it only with ``--strict``; infos never do."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Related:
    """A second place that takes part in a finding, such as the model whose weights are copied."""

    location: Location
    note: str


class Applicability(StrEnum):
    """Whether ``validate --fix`` applies a repair: a safe one keeps every number the card
    states; an unsafe one changes a number, so it waits for ``--unsafe-fixes``."""

    SAFE = "safe"
    UNSAFE = "unsafe"


class EditPart(StrEnum):
    """What of a line an edit replaces."""

    VALUE = "value"
    """The value of the mapping key ``Edit.key`` written on the line (YAML or JSON), inside its
    quotes where it has them; ``old`` is what it must read as now (a number as a number)."""
    KEY = "key"
    """The mapping key written on the line, which must be ``old`` as written."""
    TEXT = "text"
    """``old`` where it occurs on the line: at ``column`` (0-based) where given, else only
    where it occurs once."""


@dataclass(frozen=True, slots=True)
class Edit:
    """One replacement on one line of a file, checked against the text before it is made."""

    location: Location
    old: str | int | float
    new: str
    part: EditPart = EditPart.TEXT
    key: str | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class Repair:
    """The edits that resolve a finding, all or none of them applied."""

    edits: tuple[Edit, ...]
    applicability: Applicability


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule function yields; the engine adds the rule's code and severity."""

    location: Location
    message: str
    model: str | None = None
    field: str | None = None
    related: tuple[Related, ...] = ()
    fix: str | None = None
    repair: Repair | None = None


def value_repair(
    entry: Model | Collection,
    field: str,
    old: str | int | float,
    new: str | int,
    applicability: Applicability,
) -> Repair | None:
    """A repair that sets the value of ``field`` where ``entry`` writes it, if it does."""
    where = entry.location(field)
    # A collection's value is every one of its models': one model's finding does not change it.
    # A README table's cell is no 'key: value' line a fix could edit.
    if where.line is None or entry.is_inherited(field) or is_secondary(entry.dialect):
        return None
    in_result = parse_result_field(field)
    key = in_result[1] if in_result else field
    return Repair((Edit(where, old, str(new), EditPart.VALUE, key),), applicability)


def hit_on(entry: Model | Collection, field: str, message: str, **extra: object) -> Hit:
    """A hit on one field of a model or collection, at the line that field is written on."""
    return Hit(entry.location(field), message, model=entry.name, field=field, **extra)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding(Hit):
    """A hit with the code and severity of the rule that found it."""

    code: str
    severity: Severity

    @property
    def path(self) -> str:
        return self.location.path

    @property
    def line(self) -> int | None:
        return self.location.line

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.path, self.line or 0, self.code, self.model or "")
