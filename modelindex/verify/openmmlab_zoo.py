"""Which models the installed mmpretrain can build, read from the model index in its wheel.

mmpretrain's wheel carries its ``model-index.yml``, metafiles and configs under
``mmpretrain/.mim/``. modelindex reads them with its own loader: no torch, no import of
mmpretrain, so that a model mmpretrain does not have is told apart before any worker starts.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from modelindex.loading import load
from modelindex.measurements.references import MMPRETRAIN, Reference, openmmlab_reference


@dataclass(frozen=True)
class OpenMMLabZoo:
    """An installed OpenMMLab library's own zoo: its version, and each model's config."""

    library: str
    version: str
    root: Path
    """The package's ``.mim`` folder; configs are read from here and from nowhere else."""
    configs: dict[str, str]
    """Config (``configs/...py``, relative to the root) by model name."""

    def config_for(self, reference: Reference) -> str | None:
        """The config (relative to the root) that builds ``reference``: the card's own config
        where the library has that file, else the config of the library's model of that
        name (a card may name a config of an older layout)."""
        for relative in (reference.config, self.configs.get(reference.model_id)):
            if relative and self._inside(relative):
                return relative
        return None

    def _inside(self, relative: str) -> bool:
        # Lexically, not through links: an editable install links .mim/configs into its
        # checkout, and that is still the library's own.
        path = Path(os.path.normpath(self.root / relative))
        return path.is_relative_to(self.root) and path.suffix == ".py" and path.is_file()

    def not_found(self, reference: Reference) -> str:
        return (
            f"{self.library} {self.version} has no model named {reference.model_id!r} "
            f"and no config {reference.config}"
        )


@lru_cache(maxsize=1)
def installed_zoo(library: str = MMPRETRAIN) -> OpenMMLabZoo | None:
    """The zoo of the installed ``library``, or None when it is not installed."""
    spec = importlib.util.find_spec(library)
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        version = metadata.version(library)
    except metadata.PackageNotFoundError:
        return None
    root = Path(next(iter(spec.submodule_search_locations))) / ".mim"
    index_file = root / "model-index.yml"
    configs: dict[str, str] = {}
    if index_file.is_file():
        for model in load(index_file).models:
            reference = openmmlab_reference(model)
            if reference is not None and reference.config:
                configs[reference.model_id] = reference.config
    return OpenMMLabZoo(library, version, root, configs)
