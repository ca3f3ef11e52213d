"""What every rule may look at: the index, the settings, and groupings computed once."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from modelindex.checks.findings import Hit
from modelindex.checks.settings import Settings
from modelindex.index import Index
from modelindex.measurements.cache import MeasurementCache, cache_at, cache_path
from modelindex.measurements.conventions import MeasuredZoo

if TYPE_CHECKING:
    from modelindex.online.run import OnlineRun

T = TypeVar("T")


class Context:
    """What the rules look at: the index, the settings, outside evidence (the measurement cache,
    an online run), and groupings that several rules share."""

    def __init__(self, index: Index, settings: Settings, online: OnlineRun | None = None) -> None:
        self.index = index
        self.settings = settings
        self.online = online
        """What ``--online`` found; None offline, where the online rules find nothing."""
        self.internal_errors: list[Hit] = []
        """Failures of modelindex's own met while gathering evidence, reported as M001."""
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
    def measured(self) -> MeasuredZoo:
        """The index's models that the cache measured, and each collection's convention."""
        return MeasuredZoo.of(self.index.models, self.measurements)

    @cached_property
    def measurements(self) -> MeasurementCache | None:
        """The cache of ``modelindex verify``; None when there is none."""
        return cache_at(cache_path(configured=self.settings.measurements))
