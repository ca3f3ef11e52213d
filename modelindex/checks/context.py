"""What every rule may look at: the index, the settings, and groupings computed once."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

from modelindex.checks.settings import Settings
from modelindex.index import Index
from modelindex.verify.cache import MeasurementCache, default_cache_path

T = TypeVar("T")


class Context:
    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._shared: dict[Callable[[Context], Any], Any] = {}

    @cached_property
    def collection_names(self) -> set[str]:
        return {c.name for c in self.index.collections if c.name is not None}

    def shared(self, compute: Callable[[Context], T]) -> T:
        """``compute(self)``, once per run: a grouping that several rules look at."""
        if compute not in self._shared:
            self._shared[compute] = compute(self)
        return self._shared[compute]  # type: ignore[no-any-return]

    @cached_property
    def model_names(self) -> set[str]:
        return {m.name for m in self.index.models if m.name is not None}

    @cached_property
    def measurements(self) -> MeasurementCache | None:
        """The cache of ``modelindex verify``; None when there is none."""
        path = self.settings.measurements or default_cache_path()
        return MeasurementCache(path) if path.is_file() else None
