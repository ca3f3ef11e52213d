"""Readers turn the text of one file into raw entries; one module per dialect.

Readers know nothing about rules or typing: they find the data and say where it was written.
Each dialect registers itself with :mod:`modelindex.readers.registry`; importing this package
registers them all, in the order a file goes through them.
"""

from __future__ import annotations

# Imported for their registration, in this order.
from modelindex.readers import (
    eval_results,
    hf_cards,
    markdown_cards,
    model_index_files,
    readme_tables,
)
from modelindex.readers.records import EntryKind, ImportRequest, RawEntry, ReadOutput
from modelindex.readers.registry import is_walked_file, read_text, walked_hidden_folders

__all__ = [
    "EntryKind",
    "ImportRequest",
    "RawEntry",
    "ReadOutput",
    "eval_results",
    "hf_cards",
    "is_walked_file",
    "markdown_cards",
    "model_index_files",
    "read_text",
    "readme_tables",
    "walked_hidden_folders",
]
