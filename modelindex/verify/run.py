"""Measure every model of an index, from the cache where possible, in worker processes.

Each model runs under a timeout; a model that fails to build is reported and the run goes on.
"""

from __future__ import annotations

import datetime
import fnmatch
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from modelindex.index import Index
from modelindex.schema import Model
from modelindex.verify.cache import MeasurementCache, cache_key
from modelindex.verify.references import Reference, reference_for

DEFAULT_TIMEOUT_S = 120


@dataclass(frozen=True)
class Outcome:
    model: str
    status: str
    """measured, cached, not verifiable, failed or timeout"""
    reference: Reference | None = None
    measurement: dict[str, Any] | None = None
    reason: str | None = None


class _Timeout(Exception):
    pass


def _on_alarm(signum: int, frame: object) -> None:
    raise _Timeout


_WORKER: dict[str, Any] = {}


def _start_worker() -> None:
    from modelindex.verify.torch_env import import_torch_and_timm

    _WORKER["torch"], _WORKER["timm"] = import_torch_and_timm()
    signal.signal(signal.SIGALRM, _on_alarm)


def library_version() -> str:
    """The installed timm's version, read without importing torch (a cached rerun needs none)."""
    from importlib import metadata

    from modelindex.verify.torch_env import VerifyUnavailable

    try:
        return metadata.version("timm")
    except metadata.PackageNotFoundError:
        raise VerifyUnavailable(
            "modelindex verify needs torch and timm: pip install 'modelindex-toolkit[verify]'"
        ) from None


def _measure_one(model: str, reference: Reference, timeout_s: float) -> Outcome:
    """Runs in a worker: build and measure, under an alarm that bounds the time."""
    from modelindex.verify.harness import NotVerifiable, measure

    if "timm" not in _WORKER:
        _start_worker()
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        measured = measure(reference, _WORKER["torch"], _WORKER["timm"]).as_data()
    except NotVerifiable as error:
        return Outcome(model, "not verifiable", reference, reason=str(error))
    except _Timeout:
        return Outcome(model, "timeout", reference, reason=f"no result within {timeout_s:g} s")
    except Exception as error:  # a model that fails to build must not stop the run
        return Outcome(model, "failed", reference, reason=f"{type(error).__name__}: {error}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    measured["measured_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return Outcome(model, "measured", reference, measured)


def selected(index: Index, only: str | None) -> list[Model]:
    """The named models of ``index``, those matching the glob ``only`` when one is given."""
    return [
        model
        for model in index.models
        if model.name and (not only or fnmatch.fnmatchcase(model.name, only))
    ]


def verify(
    index: Index,
    cache: MeasurementCache,
    jobs: int = 1,
    only: str | None = None,
    refresh: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    progress: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Measure the models of ``index`` (those matching the glob ``only``); update ``cache``."""
    version = library_version()
    outcomes: list[Outcome] = []
    pending: list[tuple[str, Reference]] = []
    for model in selected(index, only):
        reference = reference_for(model)
        if reference is None:
            outcomes.append(Outcome(model.name, "not verifiable", reason="no reference"))
            continue
        cached = None if refresh else cache.get(cache_key(model.name, reference, version))
        if cached is not None:
            outcomes.append(Outcome(model.name, "cached", reference, cached))
        else:
            pending.append((model.name, reference))
    for outcome in outcomes:
        if progress:
            progress(outcome)
    for outcome in _measure_all(pending, jobs, timeout_s):
        if outcome.measurement is not None and outcome.reference is not None:
            cache.put(cache_key(outcome.model, outcome.reference, version), outcome.measurement)
        outcomes.append(outcome)
        if progress:
            progress(outcome)
    return outcomes


def _measure_all(
    pending: list[tuple[str, Reference]], jobs: int, timeout_s: float
) -> Iterator[Outcome]:
    if jobs <= 1 or len(pending) < 2:
        for name, reference in pending:
            yield _measure_one(name, reference, timeout_s)
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker) as pool:
        futures = [pool.submit(_measure_one, name, ref, timeout_s) for name, ref in pending]
        for future in futures:
            yield future.result()
