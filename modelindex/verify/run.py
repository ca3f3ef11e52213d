"""Measure every model of an index, from the cache where possible, in worker processes.

Each model runs under a timeout; a model that fails to build, or whose worker dies, is reported
and the run goes on.
"""

from __future__ import annotations

import dataclasses
import datetime
import fnmatch
import signal
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelindex.index import Index
from modelindex.measurements.cache import MeasurementCache, cache_key, cache_path, is_packaged
from modelindex.measurements.record import Measurement
from modelindex.measurements.references import Reference, reference_for
from modelindex.schema import Model

DEFAULT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Outcome:
    model: str
    status: str
    """measured, cached, not verifiable, failed or timeout"""
    reference: Reference | None = None
    measurement: Measurement | None = None
    reason: str | None = None
    card: Model | None = dataclasses.field(default=None, compare=False, repr=False)
    """The model as the index has it (names may repeat across datasets); set by verify()."""


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException, so that no ``except Exception`` in the library
    under measurement swallows it."""


def _on_alarm(signum: int, frame: object) -> None:
    raise _Timeout


_WORKER: dict[str, Any] = {}


def _start_worker() -> None:
    from modelindex.verify.torch_env import import_torch_and_timm

    # A worker forked from the command inherits its SIGTERM-as-Ctrl-C handler; it must simply
    # end on SIGTERM, and leave Ctrl-C to the command, which stops the workers itself.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER["torch"], _WORKER["timm"] = import_torch_and_timm()
    signal.signal(signal.SIGALRM, _on_alarm)


def library_version() -> str:
    """The installed timm's version, read without importing torch (a cached rerun needs none).

    Raises VerifyUnavailable when torch or timm is missing, before any worker starts.
    """
    from importlib import metadata, util

    from modelindex.verify.torch_env import INSTALL_HINT, VerifyUnavailable

    if util.find_spec("torch") is None:
        raise VerifyUnavailable(INSTALL_HINT)
    try:
        return metadata.version("timm")
    except metadata.PackageNotFoundError:
        raise VerifyUnavailable(INSTALL_HINT) from None


def _measure_one(model: str, reference: Reference, timeout_s: float) -> Outcome:
    """Runs in a worker: build and measure, under an alarm that bounds the time."""
    from modelindex.verify.harness import NotVerifiable, measure

    if "timm" not in _WORKER:
        _start_worker()
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
        try:
            measured = measure(reference, _WORKER["torch"], _WORKER["timm"])
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Timeout:
        return Outcome(model, "timeout", reference, reason=f"no result within {timeout_s:g} s")
    except NotVerifiable as error:
        return Outcome(model, "not verifiable", reference, reason=str(error))
    except Exception as error:  # a model that fails to build must not stop the run
        return Outcome(model, "failed", reference, reason=f"{type(error).__name__}: {error}")
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return Outcome(model, "measured", reference, dataclasses.replace(measured, measured_at=now))


def verify_zoo(
    index: Index,
    cache: Path | None = None,
    configured: Path | None = None,
    jobs: int = 1,
    only: str | None = None,
    refresh: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    progress: Callable[[Outcome], None] | None = None,
) -> tuple[list[Outcome], MeasurementCache]:
    """:func:`verify` with the measurement cache in place, saved when the run ends, also when
    it is interrupted. The cache is ``cache``, else ``configured`` ([tool.modelindex]
    measurements), else the one shipped with modelindex, where validate reads; that one is
    read but never written (a warning says so)."""
    measurements = MeasurementCache(cache_path(cache, configured))
    try:
        outcomes = verify(
            index,
            measurements,
            jobs=jobs,
            only=only,
            refresh=refresh,
            timeout_s=timeout_s,
            progress=progress,
        )
    finally:
        shipped = cache is None and configured is None and is_packaged(measurements.path)
        _save(measurements, shipped)
    return outcomes, measurements


def _save(cache: MeasurementCache, shipped: bool) -> None:
    if not cache.changed:
        return
    if shipped:
        warnings.warn(
            f"measurements not saved: {cache.path} belongs to the installed package; "
            "pass --cache FILE, or set measurements in [tool.modelindex]",
            stacklevel=3,
        )
        return
    try:
        cache.save()
    except OSError as error:
        warnings.warn(
            f"measurements not saved to {cache.path}: {error}; pass --cache FILE", stacklevel=3
        )


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
    """Measure the models of ``index`` (those matching the glob ``only``) and update ``cache``
    as each result comes in. Outcomes are in the index's order, one per selected model."""
    version = library_version()
    models = selected(index, only)
    outcomes: dict[int, Outcome] = {}
    pending: list[tuple[int, str, Reference]] = []
    for position, model in enumerate(models):
        reference = reference_for(model)
        assert reference is not None and model.name  # selected() keeps named models only
        entry = None if refresh else cache.get(cache_key(model.name, reference, version))
        cached = Measurement.from_data(entry)
        if cached is not None:
            outcomes[position] = Outcome(model.name, "cached", reference, cached, card=model)
            if progress:
                progress(outcomes[position])
        else:
            pending.append((position, model.name, reference))
    for position, outcome in _measure_all(pending, jobs, timeout_s):
        outcome = dataclasses.replace(outcome, card=models[position])
        if outcome.measurement is not None and outcome.reference is not None:
            key = cache_key(outcome.model, outcome.reference, version)
            cache.put(key, outcome.measurement.as_data())
        outcomes[position] = outcome
        if progress:
            progress(outcome)
    return [outcomes[position] for position in sorted(outcomes)]


def _measure_all(
    pending: list[tuple[int, str, Reference]], jobs: int, timeout_s: float
) -> Iterator[tuple[int, Outcome]]:
    if jobs <= 1 or len(pending) < 2:
        for position, name, reference in pending:
            yield position, _measure_one(name, reference, timeout_s)
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker) as pool:
        futures: list[tuple[int, str, Reference, Future[Outcome]]] = [
            (position, name, reference, pool.submit(_measure_one, name, reference, timeout_s))
            for position, name, reference in pending
        ]
        try:
            yield from _results(futures)
        except BaseException:
            _stop(pool)
            raise


def _stop(pool: ProcessPoolExecutor) -> None:
    """Drop what is queued and end the workers now: leaving the pool's block would otherwise
    wait for every queued model, hours for a large zoo, before Ctrl-C or SIGTERM takes effect."""
    # The executor has no public way to end running workers; its process table is the way in,
    # read before shutdown() lets go of it.
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.terminate()


def _results(
    futures: list[tuple[int, str, Reference, Future[Outcome]]],
) -> Iterator[tuple[int, Outcome]]:
    for position, name, reference, future in futures:
        try:
            yield position, future.result()
        except BrokenProcessPool:
            # A worker was killed (out of memory, a crash in native code): the pool cannot run
            # anything more. What was measured is cached; a rerun measures the rest.
            reason = (
                "not measured: a worker process died (out of memory, or a crash in native "
                "code); run again to measure what is left"
            )
            yield position, Outcome(name, "failed", reference, reason=reason)
