"""The zoo that a site shows: read, validated and matched with its measurements, once per build.

``modelindex build`` reads it before mkdocs starts (it needs the cards to copy them) and hands
it to the plugin; with a user's own mkdocs.yml the plugin reads it itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from modelindex.checks import Report, find_pyproject, load_settings, validate
from modelindex.index import Index
from modelindex.loading import load
from modelindex.measurements.cache import MeasurementCache, cache_at, cache_path


@dataclass(frozen=True)
class Zoo:
    paths: tuple[Path, ...]
    """The files and folders it was read from."""
    index: Index
    report: Report
    measurements: MeasurementCache | None


def read_zoo(paths: list[Path], measurements: Path | None = None) -> Zoo:
    """Load and validate the zoo under ``paths`` with the settings of the pyproject.toml above
    the first path. The measurement cache is ``measurements``, else [tool.modelindex]
    measurements, else the bundled one, as validate reads. Raises SettingsError for a bad
    settings table."""
    settings = load_settings(find_pyproject(paths[0]))
    where = cache_path(measurements, settings.measurements)
    index = load(*paths)
    report = validate(index, replace(settings, measurements=where))
    return Zoo(tuple(paths), index, report, cache_at(where))
