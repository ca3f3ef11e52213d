"""The model zoo that ships inside the package: the project's own docs/ folder."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from modelindex.index import Index
from modelindex.loading import load
from modelindex.schema import Model

_PACKAGE = Path(__file__).resolve().parent


def bundled_docs_path() -> Path:
    """docs/ as installed in the wheel, or the checkout's docs/ for a source install."""
    installed = _PACKAGE / "_bundled" / "docs"
    return installed if installed.is_dir() else _PACKAGE.parent / "docs"


@lru_cache(maxsize=1)
def bundled_index() -> Index:
    return load(bundled_docs_path())


def get(name: str) -> Model:
    """Look a model up in the bundled zoo: ``modelindex.get('resnet50d').metadata.crop_pct``."""
    return bundled_index()[name]
