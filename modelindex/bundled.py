"""What ships inside the package: the project's own docs/ zoo, templates and data files."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from modelindex.index import Index, UnknownModelError
from modelindex.loading import load
from modelindex.schema import Location, Model

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
    """Look a model up in the bundled zoo: ``modelindex.get('resnet50d').metadata.crop_pct``.

    A name the bundled zoo does not have, but timm does (a pretrained tag such as
    ``resnet50.a1_in1k``), gives a model with timm's preprocessing, when timm is installed.
    """
    index = bundled_index()
    try:
        return index[name]
    except UnknownModelError as error:
        from modelindex.timm_pretrained import timm_is_installed, timm_preprocessing

        found = timm_preprocessing(name)
        if found is not None:
            source = Location(next(iter(found.sources.values()), "timm"), None)
            return Model(name=name, source=source, dialect="timm", reference_preprocessing=found)
        further = (
            "timm has no pretrained tag of that name either"
            if timm_is_installed()
            else "install timm to look up its pretrained tags"
        )
        raise UnknownModelError(
            name,
            error.suggestions,
            where=f"in modelindex's bundled zoo ({further}; or load your own zoo: "
            "modelindex.load(PATH))",
        ) from None
