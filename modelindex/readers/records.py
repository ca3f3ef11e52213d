"""What readers produce: raw entries that carry their file and line, before any typing."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from modelindex.located_yaml import LocatedDict
from modelindex.problems import LoadProblem

# Real model-index files declare hundreds of models at most (timm's docs, OpenMMLab's largest
# metafiles); a zoo of 100k models spreads them over many files. Each model costs a few KB.
MAX_ENTRIES_PER_FILE = 20_000
# The files the markdown dialects (cards, Hub cards, README tables) read; .mdx is what timm's
# current docs are written in.
MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt", ".mdx")


class EntryKind(StrEnum):
    MODEL = "model"
    COLLECTION = "collection"


@dataclass(slots=True)
class RawEntry:
    kind: EntryKind
    data: LocatedDict
    path: str
    dialect: str
    """The reader's name for its dialect (see modelindex.readers.registry)."""
    paths_relative_to_file: bool = False
    """True where Config/README links are relative to the file (tables), not to a repo root."""
    rounding: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class ImportRequest:
    pattern: str
    path: str
    line: int | None


@dataclass(slots=True)
class ReadOutput:
    entries: list[RawEntry] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    imports: list[ImportRequest] = field(default_factory=list)

    def extend(self, other: ReadOutput) -> None:
        self.entries.extend(other.entries)
        self.problems.extend(other.problems)
        self.imports.extend(other.imports)
