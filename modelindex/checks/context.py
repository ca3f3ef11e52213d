"""What every rule may look at: the index, the settings, and groupings computed once."""

from __future__ import annotations

from functools import cached_property

from modelindex.checks.settings import Settings
from modelindex.index import Index
from modelindex.schema import Collection, Model
from modelindex.verify.cache import MeasurementCache, default_cache_path


class Context:
    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings

    @cached_property
    def collection_names(self) -> set[str]:
        return {c.name for c in self.index.collections if c.name is not None}

    @cached_property
    def collections_by_name(self) -> dict[str, Collection]:
        found: dict[str, Collection] = {}
        for collection in self.index.collections:
            if collection.name is not None:
                found.setdefault(collection.name, collection)
        return found

    @cached_property
    def by_collection(self) -> dict[str | None, list[Model]]:
        return self.index.by_collection()

    @cached_property
    def model_names(self) -> set[str]:
        return {m.name for m in self.index.models if m.name is not None}

    @cached_property
    def measurements(self) -> MeasurementCache | None:
        """The cache of ``modelindex verify``; None when there is none."""
        path = self.settings.measurements or default_cache_path()
        return MeasurementCache(path) if path.is_file() else None
