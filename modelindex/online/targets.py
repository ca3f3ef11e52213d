"""The URLs an index declares that the online checks ask about, each with who declares it."""

from __future__ import annotations

from dataclasses import dataclass

from modelindex.fields import CODE, CONFIG, PAPER, WEIGHTS
from modelindex.index import Index
from modelindex.links import entry_links, url_fault
from modelindex.schema import Collection, Model

CHECKED_FIELDS = (WEIGHTS, CONFIG, CODE, PAPER)


@dataclass(frozen=True)
class Declaration:
    """One place that declares a URL: the entry and its field ('Weights', 'Code', ...)."""

    entry: Model | Collection
    field: str


def url_targets(index: Index) -> dict[str, list[Declaration]]:
    """Each well-formed http(s) URL of the checked fields, with every entry declaring it, in
    the order they appear. U001 reports the malformed ones; they are not requested."""
    targets: dict[str, list[Declaration]] = {}
    for entry in [*index.collections, *index.models]:
        for field, value, _ in entry_links(entry):
            if field in CHECKED_FIELDS and url_fault(value) is None:
                targets.setdefault(value, []).append(Declaration(entry, field))
    return targets
