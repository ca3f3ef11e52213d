"""Readers turn the text of one file into raw entries; one module per dialect.

Readers know nothing about rules or typing: they find the data and say where it was written.
"""

from __future__ import annotations

from modelindex.readers.hf_cards import read_hf_card
from modelindex.readers.markdown_cards import read_markdown_card
from modelindex.readers.model_index_files import read_model_index_file
from modelindex.readers.readme_tables import read_readme_tables
from modelindex.readers.records import Dialect, EntryKind, ImportRequest, RawEntry, ReadOutput

MODEL_INDEX_SUFFIXES = (".yml", ".yaml", ".json")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt")


def read_text(path: str, text: str) -> ReadOutput:
    """Read every dialect that a file of this kind may hold."""
    if path.lower().endswith(MODEL_INDEX_SUFFIXES):
        return read_model_index_file(path, text)
    output = read_hf_card(path, text)
    output.extend(read_markdown_card(path, text))
    output.extend(read_readme_tables(path, text))
    return output


__all__ = [
    "MARKDOWN_SUFFIXES",
    "MODEL_INDEX_SUFFIXES",
    "Dialect",
    "EntryKind",
    "ImportRequest",
    "RawEntry",
    "ReadOutput",
    "read_text",
]
