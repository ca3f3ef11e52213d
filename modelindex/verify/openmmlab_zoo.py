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


@dataclass
class OpenMMLabZoo:
    """An installed OpenMMLab library's own zoo: its version, and each model's config."""

    library: str
    version: str
    root: Path
    """The package's ``.mim`` folder; configs are read from here and from nowhere else."""
    known_configs: dict[str, str] | None = None
    """Config (``configs/...py``, relative to the root) by model name, once read: see
    :attr:`configs`."""

    def config_for(self, reference: Reference) -> str | None:
        """The config (relative to the root) that builds ``reference``: the card's own config
        where the library has that file, else the config of the library's model of that
        name (a card may name a config of an older layout)."""
        if reference.config and self._inside(reference.config):
            return reference.config
        by_name = self.configs.get(reference.model_id)
        return by_name if by_name and self._inside(by_name) else None

    @property
    def configs(self) -> dict[str, str]:
        """Config by model name, read from the wheel's model index when first needed (half a
        second, which a card's own config spares)."""
        if self.known_configs is None:
            self.known_configs = {}
            index_file = self.root / "model-index.yml"
            if index_file.is_file():
                for model in load(index_file).models:
                    reference = openmmlab_reference(model)
                    if reference is not None and reference.config:
                        self.known_configs[reference.model_id] = reference.config
        return self.known_configs

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
    return OpenMMLabZoo(
        library, version, Path(next(iter(spec.submodule_search_locations))) / ".mim"
    )
