"""Measure every model of an index, from the cache where possible, in worker processes.

Each model is measured by each of its references (its zoo's own library, then timm), each
under a timeout; a model that fails to build, or whose worker dies, is reported and the run
goes on. What a reference cannot measure is remembered in the cache too, so that a rerun
starts no torch for it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import fnmatch
import io
import os
import signal
import warnings
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelindex.index import Index
from modelindex.measurements.cache import (
    UNMEASURABLE_STATUSES,
    MeasurementCache,
    cache_key,
    cache_path,
    is_packaged,
)
from modelindex.measurements.record import Measurement
from modelindex.measurements.references import MMPRETRAIN, TIMM, Reference, references_for
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
    others: tuple[Outcome, ...] = ()
    """What the model's other references gave (timm's, where mmpretrain measured it)."""
    retry: bool = dataclasses.field(default=False, compare=False)
    """Not remembered in the cache: a timeout, a library that is not installed."""

    @property
    def measurements(self) -> list[Measurement]:
        """Every measurement of the model, this outcome's first."""
        return [o.measurement for o in (self, *self.others) if o.measurement is not None]


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException, so that no ``except Exception`` in the library
    under measurement swallows it."""


def _on_alarm(signum: int, frame: object) -> None:
    raise _Timeout


_WORKER: dict[str, Any] = {}


class _Discard(io.TextIOBase):
    """Where a reference library's prints go: they must not reach verify's output (its
    JSON, say)."""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)


_QUIET = _Discard()


def _start_worker() -> None:
    """A pool worker's start."""
    # A worker forked from the command inherits its SIGTERM-as-Ctrl-C handler; it must simply
    # end on SIGTERM, and leave Ctrl-C to the command, which stops the workers itself.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _prepare()


def _prepare() -> None:
    """Import torch, and what it imports on first use, before any alarm can interrupt it."""
    from modelindex.verify.torch_env import import_torch

    # Libraries that reach the Hugging Face Hub retry a refused connection for half a minute
    # before they fail; offline, they fail at once. Nothing verify builds needs the Hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch = import_torch()
    from torch.utils.flop_counter import FlopCounterMode

    # The first counted forward pass imports sympy; an alarm in the middle of that import
    # would leave a half-imported module that fails every later model of the process.
    with torch.device("meta"):
        layer = torch.nn.Linear(2, 2)
        with FlopCounterMode(display=False):
            layer(torch.empty(1, 2))
    _WORKER["torch"] = torch
    signal.signal(signal.SIGALRM, _on_alarm)


def library_versions() -> dict[str, str]:
    """The installed reference libraries' versions, read without importing torch (a cached
    rerun needs none): timm's, and mmpretrain's where it is installed.

    Raises VerifyUnavailable when torch is missing, or both libraries are, before any worker
    starts.
    """
    from importlib import metadata, util

    from modelindex.verify.openmmlab_zoo import installed_zoo
    from modelindex.verify.torch_env import INSTALL_HINT, VerifyUnavailable

    if util.find_spec("torch") is None:
        raise VerifyUnavailable(INSTALL_HINT)
    versions = {}
    with contextlib.suppress(metadata.PackageNotFoundError):
        versions[TIMM] = metadata.version(TIMM)
    zoo = installed_zoo(MMPRETRAIN)
    if zoo is not None:
        versions[MMPRETRAIN] = zoo.version
    if not versions:
        raise VerifyUnavailable(INSTALL_HINT)
    return versions


class NetworkRefused(OSError):
    """A reference library tried to reach the network while a model was built."""


@contextlib.contextmanager
def _offline() -> Iterator[None]:
    """Refuse every connection while a model is built and measured: verify needs no weights,
    and some of mmpretrain's self-supervised configs download a teacher's checkpoint (hundreds
    of megabytes) when the model is built."""
    import socket

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise NetworkRefused("modelindex verify builds models without the network")

    # A name lookup too: offline, it can take the whole timeout to fail.
    lookups = ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr")
    blocked = [(socket, name) for name in (*lookups, "create_connection")] + [
        (socket.socket, name) for name in ("connect", "connect_ex", "sendto")
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name in blocked]
    for owner, name in blocked:
        setattr(owner, name, refuse)
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def _library(name: str) -> Any:
    """The reference library ``name``, imported once per process, before any alarm is set."""
    from modelindex.verify import torch_env

    if name not in _WORKER:
        with contextlib.redirect_stdout(_QUIET):
            if name == MMPRETRAIN:
                _WORKER[name] = torch_env.import_mmpretrain_models()
            else:
                _WORKER[name] = torch_env.import_torch_and_timm()[1]
    return _WORKER[name]


# What a model's build depends on besides the reference library itself; another version of
# any of them may build what failed before (transformers for mmpretrain's multimodal models).
ENVIRONMENT = ("torch", "torchvision", "timm", "mmengine", "mmcv", "mmcv-lite", "mmpretrain")
# mmpretrain loads its multimodal models only with both of these installed.
ENVIRONMENT_OPTIONAL = ("transformers", "pycocotools")


def installed_environment() -> str:
    """The versions of the libraries a build depends on, as one string; read without
    importing them."""
    from importlib import metadata

    found = []
    for name in (*ENVIRONMENT, *ENVIRONMENT_OPTIONAL):
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            if name in ENVIRONMENT_OPTIONAL:
                found.append(f"no {name}")
    return ", ".join(found)


def _measure(reference: Reference, config: str | None, library: Any) -> Measurement:
    """Build and measure ``reference`` with its library."""
    torch = _WORKER["torch"]
    if reference.library == MMPRETRAIN:
        from modelindex.verify.openmmlab_harness import measure_openmmlab
        from modelindex.verify.openmmlab_zoo import installed_zoo

        zoo = installed_zoo(MMPRETRAIN)
        assert zoo is not None and config is not None  # verify() resolved the config
        return measure_openmmlab(reference, zoo.root, config, torch, library, zoo.version)
    from modelindex.verify.harness import measure

    return measure(reference, torch, library)


# Failures that say more of the machine than of the model: a later run may well measure it.
_PASSING_FAILURES = (MemoryError, OSError)


def _measure_one(model: str, reference: Reference, config: str | None, timeout_s: float) -> Outcome:
    """Runs in a worker: build and measure, under an alarm that bounds the time."""
    from modelindex.verify.harness import NotVerifiable
    from modelindex.verify.torch_env import VerifyUnavailable

    if "torch" not in _WORKER:
        _prepare()
    try:
        library = _library(reference.library)
    except Exception as error:  # not installed, or installed but broken: nothing to remember
        reason = str(error) if isinstance(error, VerifyUnavailable) else _reason(error)
        return Outcome(model, "not verifiable", reference, reason=reason, retry=True)
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
        try:
            with contextlib.redirect_stdout(_QUIET), _offline():
                measured = _measure(reference, config, library)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Timeout:
        # The alarm may have cut a library's code anywhere: what this process fails from now
        # on, in this run, is not remembered as the model's failure.
        _WORKER["interrupted"] = True
        reason = f"no result within {timeout_s:g} s"
        return Outcome(model, "timeout", reference, reason=reason, retry=True)
    except NotVerifiable as error:
        return Outcome(model, "not verifiable", reference, reason=str(error))
    except Exception as error:  # a model that fails to build must not stop the run
        passing = (
            (isinstance(error, _PASSING_FAILURES) or _out_of_memory(error))
            and not _refused_the_network(error)
        ) or "interrupted" in _WORKER
        return Outcome(model, "failed", reference, reason=_reason(error), retry=passing)
    return Outcome(model, "measured", reference, dataclasses.replace(measured, measured_at=_now()))


def _out_of_memory(error: BaseException) -> bool:
    """torch reports an allocation it could not make as a RuntimeError of its own."""
    text = str(error)
    return type(error).__name__ == "OutOfMemoryError" or (
        isinstance(error, RuntimeError)
        and ("can't allocate memory" in text or "out of memory" in text)
    )


def _refused_the_network(error: BaseException) -> bool:
    """Whether ``error`` comes of :func:`_offline`'s refusal, which every later run repeats
    (urllib wraps it in a URLError, as its ``reason``)."""
    seen: list[BaseException] = []
    found: object = error
    while isinstance(found, BaseException) and found not in seen and len(seen) < 16:
        if isinstance(found, NetworkRefused):
            return True
        seen.append(found)
        found = getattr(found, "reason", None) or found.__cause__ or found.__context__
    return False


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


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
    """Measure the models of ``index`` (those matching the glob ``only``) with each of their
    references and update ``cache`` as each result comes in. Outcomes are in the index's
    order, one per selected model: the first reference that measured it, the others in
    :attr:`Outcome.others`."""
    versions = library_versions()
    environment = installed_environment()
    models = selected(index, only)
    slots: dict[int, list[Outcome | None]] = {}
    pending: list[Job] = []
    for position, model in enumerate(models):
        assert model.name  # selected() keeps named models only
        references = references_for(model)
        slots[position] = [None] * len(references)
        for slot, reference in enumerate(references):
            known = _known_outcome(model.name, reference, versions, environment, cache, refresh)
            config = None
            if known is None:
                known, config = _mmpretrain_config(model.name, reference)
            if known is not None:
                slots[position][slot] = known
            else:
                pending.append(((position, slot), model.name, reference, config))
    outcomes: dict[int, Outcome] = {}

    def settle(position: int) -> None:
        found = slots[position]
        if all(found) and position not in outcomes:
            outcomes[position] = _combined(models[position], [o for o in found if o])
            if progress:
                progress(outcomes[position])

    for position in slots:
        settle(position)
    for (position, slot), outcome in _measure_all(pending, jobs, timeout_s):
        reference = outcome.reference
        assert reference is not None
        key = cache_key(outcome.model, reference, versions[reference.library])
        if outcome.measurement is not None:
            cache.put(key, outcome.measurement.as_data())
        elif not outcome.retry and outcome.status in UNMEASURABLE_STATUSES:
            cache.put_unmeasurable(key, outcome.status, outcome.reason or "", _now(), environment)
        slots[position][slot] = outcome
        settle(position)
    return [outcomes[position] for position in sorted(outcomes)]


def _known_outcome(
    model: str,
    reference: Reference,
    versions: dict[str, str],
    environment: str,
    cache: MeasurementCache,
    refresh: bool,
) -> Outcome | None:
    """What is known of ``reference`` without measuring: its library is missing, the cache
    has its measurement or knows it cannot be measured."""
    from modelindex.verify.torch_env import OPENMMLAB_INSTALL_HINT

    version = versions.get(reference.library)
    if version is None:
        hint = OPENMMLAB_INSTALL_HINT if reference.library == MMPRETRAIN else "pip install timm"
        reason = f"{reference.library} is not installed: {hint}"
        return Outcome(model, "not verifiable", reference, reason=reason, retry=True)
    key = cache_key(model, reference, version)
    cached = None if refresh else Measurement.from_data(cache.get(key))
    if cached is not None and reference.library == TIMM and cached.pretrained is None:
        cached = None  # measured before timm's pretrained configurations were recorded
    if cached is not None:
        return Outcome(model, "cached", reference, cached)
    record = None if refresh else cache.unmeasurable_record(key, environment)
    if record is not None:
        return Outcome(model, record["status"], reference, reason=record["reason"])
    return None


def _mmpretrain_config(model: str, reference: Reference) -> tuple[Outcome | None, str | None]:
    """The config an mmpretrain reference is built from, or why it cannot be; (None, None)
    for a timm reference."""
    from modelindex.verify.openmmlab_zoo import installed_zoo

    zoo = installed_zoo(MMPRETRAIN) if reference.library == MMPRETRAIN else None
    if zoo is None:
        return None, None
    config = zoo.config_for(reference)
    if config is None:
        return Outcome(model, "not verifiable", reference, reason=zoo.not_found(reference)), None
    return None, config


def _combined(model: Model, found: list[Outcome]) -> Outcome:
    """One outcome of a model from those of its references: the first that measured it, else
    the first that failed, else the first; its reason says why none measured it."""
    measured = [o for o in found if o.measurement is not None]
    failed = [o for o in found if o.status in {"failed", "timeout"}]
    first = (measured or failed or found)[0]
    reason = first.reason
    if not measured and len(found) > 1:
        reason = "; ".join(o.reason for o in found if o.reason) or None
    others = tuple(o for o in found if o is not first)
    return dataclasses.replace(first, card=model, others=others, reason=reason)


# A job: where its outcome goes, the model's name, the reference and its config (mmpretrain).
Job = tuple[Hashable, str, Reference, str | None]


def _measure_all(pending: list[Job], jobs: int, timeout_s: float) -> Iterator[tuple[Any, Outcome]]:
    if jobs <= 1 or len(pending) < 2:
        # A timeout of an earlier run in this process cut nothing this run depends on.
        _WORKER.pop("interrupted", None)
        for place, name, reference, config in pending:
            yield place, _measure_one(name, reference, config, timeout_s)
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker) as pool:
        futures = [
            (job, pool.submit(_measure_one, job[1], job[2], job[3], timeout_s)) for job in pending
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


def _results(futures: list[tuple[Job, Future[Outcome]]]) -> Iterator[tuple[Any, Outcome]]:
    for (place, name, reference, _config), future in futures:
        try:
            yield place, future.result()
        except BrokenProcessPool:
            # A worker was killed (out of memory, a crash in native code): the pool cannot run
            # anything more. What was measured is cached; a rerun measures the rest.
            reason = (
                "not measured: a worker process died (out of memory, or a crash in native "
                "code); run again to measure what is left"
            )
            yield place, Outcome(name, "failed", reference, reason=reason, retry=True)
