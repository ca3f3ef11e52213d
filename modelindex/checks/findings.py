"""What a rule reports: a finding with its code, severity, place, evidence and suggested fix."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule function yields; the engine adds the rule's code and severity."""

    location: Location
    message: str
    model: str | None = None
    field: str | None = None
    related: tuple[Related, ...] = ()
    fix: str | None = None


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
