from __future__ import annotations

import dataclasses
import tempfile
import tracemalloc
from pathlib import Path

import pytest

import modelindex

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "seeds"
TIMM_DOCS = FIXTURES / "timm-docs"
MMPRETRAIN = FIXTURES / "mmpretrain"
SEED_README_TABLE = SEEDS / "002_65ff69e71f905464.txt"


def line_of(path: Path, text: str, after: str | None = None) -> int:
    """1-based line of the first line containing ``text`` (after the line containing ``after``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = 0
    if after is not None:
        start = next(i for i, line in enumerate(lines) if after in line) + 1
    return next(i for i in range(start, len(lines)) if text in lines[i]) + 1


def write_file(path: Path, text: str) -> Path:
    """Write ``text`` to ``path``, making its folders; return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_with_peak(*paths: Path) -> tuple[modelindex.Index, int]:
    """Load ``paths``; return the index and the peak of memory traced while loading."""
    tracemalloc.start()
    try:
        zoo = modelindex.load(*paths)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return zoo, peak


@pytest.fixture
def write(tmp_path: Path):
    """Write a file under tmp_path and return its path."""

    def write_file(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write_file


@pytest.fixture
def download_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where this test's downloads go (Python's temporary folder), to measure what they keep."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def failing_rule(monkeypatch: pytest.MonkeyPatch):
    """Make rule ``code`` raise, as a bug in modelindex would, for the rest of the test."""
    from modelindex.checks import registry

    def fail(code: str) -> None:
        def broken(*_: object) -> list[object]:
            raise RuntimeError("a bug")

        rule = dataclasses.replace(registry.RULES[code], check=broken)
        monkeypatch.setitem(registry.RULES, code, rule)

    return fail
