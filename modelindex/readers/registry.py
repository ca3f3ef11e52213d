"""The one place that knows the dialects: which files each reader claims, and what its data is.

A dialect is one reader module that ends with one :func:`register` call. Everything else that
depends on the kind of a file asks here: the folder walk (which files to read), the reading
itself (which readers a file goes through), the index (README tables are a secondary source,
joined to the model-index files that declare the same models), the rules (what a model of
that dialect is expected to carry), and the site (which cards it renders as pages).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePath

from modelindex.fields import RESULTS, WEIGHTS, FieldName, field_named
from modelindex.readers.records import ReadOutput

# What a model carries where its dialect says nothing else.
_EXPECTED: tuple[FieldName, ...] = (WEIGHTS, RESULTS)


class Source(StrEnum):
    PRIMARY = "primary"
    """Declares models: a model-index file, a card."""
    SECONDARY = "secondary"
    """Repeats models that a primary source may declare (a README's results table): a repeat
    is joined to the declaration for comparison, and its collection, a README's title, yields
    to a declared one."""


@dataclass(frozen=True)
class Reader:
    dialect: str
    """The ``dialect`` of the records it reads, as ``Model.dialect`` gives it."""
    read: Callable[[str, str], ReadOutput]
    """(path, text) -> what the file holds in this dialect."""
    suffixes: tuple[str, ...] = ()
    """Files it reads when a folder is walked or a file is named (lower case, with the dot)."""
    names: tuple[str, ...] = ()
    """Files it reads when a folder is walked, by whole name (lower case)."""
    named_suffixes: tuple[str, ...] = ()
    """Further suffixes it reads only in files named on the command line or by an Import."""
    source: Source = Source.PRIMARY
    expected: tuple[str, ...] = _EXPECTED
    """The fields a model of this dialect should carry, as cards write them; S002 reports
    what it lacks. A name the schema does not declare is an error at registration."""
    page_suffixes: tuple[str, ...] = ()
    """Files of this dialect that the site copies and renders as pages (markdown mkdocs reads);
    the models of any other file get a generated page."""
    fallback: bool = False
    """Also read files that no reader claims, when they are named outright."""
    names_per_file: bool = False
    """A model's name need only be unique within its file: each file is a repository of its
    own (a Hub card), and 'PPO' in two repositories is two models."""
    folder: str | None = None
    """It reads only the files (of its suffixes) in a folder of this name, such as the Hub's
    ``.eval_results``, which a walk enters although its name starts with a dot."""

    def __post_init__(self) -> None:
        # Frozen: the checked names replace the given ones once, here.
        object.__setattr__(self, "expected", tuple(field_named(name) for name in self.expected))

    def claims_walked(self, path: str) -> bool:
        written = PurePath(path)
        name = written.name.lower()
        if self.folder is None:
            return name in self.names or name.endswith(self.suffixes)
        if not name.endswith(self.suffixes):
            return False
        # 'gpqa.yaml' or '../.eval_results/gpqa.yaml', named from inside the folder, is in it
        # too: only a bare parent asks the file system.
        folder = written.parent.name
        if folder in {"", ".", ".."}:
            folder = PurePath(os.path.abspath(path)).parent.name
        return folder == self.folder

    def claims_named(self, path: str) -> bool:
        return self.claims_walked(path) or PurePath(path).name.lower().endswith(self.named_suffixes)


@dataclass
class _Registry:
    readers: list[Reader] = field(default_factory=list)
    by_dialect: dict[str, Reader] = field(default_factory=dict)


_REGISTRY = _Registry()


def register(reader: Reader) -> Reader:
    """Add a dialect; its module calls this once, at import."""
    if reader.dialect in _REGISTRY.by_dialect:
        raise ValueError(f"dialect {reader.dialect!r} registered twice")
    _REGISTRY.readers.append(reader)
    _REGISTRY.by_dialect[reader.dialect] = reader
    return reader


def readers() -> list[Reader]:
    return list(_REGISTRY.readers)


def reader_of(dialect: str) -> Reader:
    """The reader of ``dialect`` (a ``Model.dialect`` value)."""
    return _REGISTRY.by_dialect[dialect]


def is_walked_file(path: str) -> bool:
    """Files picked up when walking a folder; any file named outright is read whatever its name.

    YAML and JSON files count only under the names the format uses, or in the folders a reader
    owns, so that a repository's CI and tool configuration is not mistaken for model metadata.
    """
    return any(reader.claims_walked(path) for reader in _REGISTRY.readers)


def walked_hidden_folders() -> frozenset[str]:
    """Folders a walk enters although their names start with a dot: those readers own."""
    return frozenset(reader.folder for reader in _REGISTRY.readers if reader.folder)


def readers_for(path: str) -> list[Reader]:
    """The readers a file named ``path`` goes through, in the order they were registered; a
    file in a folder a reader owns is that reader's alone."""
    owned = [reader for reader in _REGISTRY.readers if reader.folder and reader.claims_walked(path)]
    if owned:
        return owned
    claiming = [reader for reader in _REGISTRY.readers if reader.claims_named(path)]
    return claiming or [reader for reader in _REGISTRY.readers if reader.fallback]


def read_text(path: str, text: str) -> ReadOutput:
    """Read every dialect that a file of this kind may hold."""
    output = ReadOutput()
    for reader in readers_for(path):
        output.extend(reader.read(path, text))
    return output


def is_secondary(dialect: str) -> bool:
    reader = _REGISTRY.by_dialect.get(dialect)
    return reader is not None and reader.source is Source.SECONDARY


def names_per_file(dialect: str) -> bool:
    reader = _REGISTRY.by_dialect.get(dialect)
    return reader is not None and reader.names_per_file


def expected_fields(dialect: str) -> tuple[FieldName, ...]:
    reader = _REGISTRY.by_dialect.get(dialect)
    return reader.expected if reader is not None else _EXPECTED  # type: ignore[return-value]


def renders_as_page(path: str) -> bool:
    """Whether the site renders the file ``path`` itself as a page (a markdown card)."""
    name = PurePath(path).name.lower()
    return any(
        name.endswith(reader.page_suffixes) for reader in _REGISTRY.readers if reader.page_suffixes
    )


def looked_for() -> str:
    """The file kinds a walk reads, for a message: '*.md, ..., model-index.yml, ...'."""
    kinds = dict.fromkeys(
        [
            f"{reader.folder}/*{suffix}" if reader.folder else f"*{suffix}"
            for reader in sorted(_REGISTRY.readers, key=lambda reader: reader.folder is not None)
            for suffix in reader.suffixes
        ]
        + [name for reader in _REGISTRY.readers for name in reader.names]
    )
    return ", ".join(kinds)
