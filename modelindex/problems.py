"""Problems found while reading input: a file that could not be read or parsed.

A problem never aborts a load. It is collected with the file and line it concerns, so that the
other files still load and the validator can report it as a finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ProblemKind(StrEnum):
    """What went wrong with an input file; the validator maps each kind to a rule code."""

    UNREADABLE = "unreadable"
    NOT_UTF8 = "not-utf8"
    BINARY = "binary"
    TOO_LARGE = "too-large"
    SYNTAX = "syntax"
    TOO_COMPLEX = "too-complex"
    STRUCTURE = "structure"
    IMPORT_MISSING = "import-missing"
    IMPORT_CYCLE = "import-cycle"
    SYMLINK_LOOP = "symlink-loop"
    DUPLICATE_KEY = "duplicate-key"
    OUTSIDE_ROOT = "outside-root"
    NOT_IMPORTED = "not-imported"
    LEGACY_KEY = "legacy-key"
    HUB_UNREADABLE = "hub-unreadable"
    HUB_REJECTS = "hub-rejects"
    NEAR_MISS_KEY = "near-miss-key"
    INTERNAL = "internal-error"


# Kinds that say nothing was lost: the file was read whole, and what is said of it is about
# its format (a key the Hub would not read), for `validate` to report, not a failed read.
FORMAT_ONLY = frozenset(
    {
        ProblemKind.LEGACY_KEY,
        ProblemKind.HUB_UNREADABLE,
        ProblemKind.HUB_REJECTS,
        ProblemKind.NEAR_MISS_KEY,
    }
)


@dataclass(frozen=True, slots=True)
class LoadProblem:
    kind: ProblemKind
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


class InputError(Exception):
    """Raised inside a reader for a problem that ends the reading of one file or one block."""

    def __init__(self, kind: ProblemKind, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line

    def at(self, path: str) -> LoadProblem:
        return LoadProblem(self.kind, path, self.line, self.message)
