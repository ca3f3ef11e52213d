"""What ships inside the package: the project's own docs/ zoo, templates and data files."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from modelindex.index import Index
from modelindex.loading import load
from modelindex.schema import Model

_PACKAGE = Path(__file__).resolve().parent


def bundled_path(folder: str) -> Path:
    """A top-level folder (docs, templates, data) as installed in the wheel, or the checkout's."""
    installed = _PACKAGE / "_bundled" / folder
    return installed if installed.is_dir() else _PACKAGE.parent / folder


def bundled_docs_path() -> Path:
    return bundled_path("docs")


@lru_cache(maxsize=1)
def bundled_index() -> Index:
    return load(bundled_docs_path())


def get(name: str) -> Model:
    """Look a model up in the bundled zoo: ``modelindex.get('resnet50d').metadata.crop_pct``."""
    return bundled_index()[name]
