"""Check an index's URLs: from the cache where it is fresh, else over the network, with a
bounded thread pool and a per-host limit."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from modelindex.fields import CODE, WEIGHTS
from modelindex.index import Index
from modelindex.online.anchors import CodeAnchor, code_anchor
from modelindex.online.options import OnlineOptions
from modelindex.online.results import CheckKind, Status, UrlResult
from modelindex.online.targets import Declaration, url_targets
from modelindex.online.url_cache import DEFAULT_TTL_S, UrlCache, default_url_cache_path
from modelindex.schema import Model

if TYPE_CHECKING:
    from modelindex.online.http_client import Sessions


@dataclass
class OnlineRun:
    targets: dict[str, list[Declaration]]
    results: dict[tuple[str, CheckKind], UrlResult]
    requested: int
    """Checks that went to the network (a retry or a redirect counts once)."""


Progress = Callable[[str, str], None]


@dataclass(frozen=True)
class _Task:
    host: str
    keys: tuple[tuple[str, CheckKind], ...]
    run: Callable[[], list[UrlResult]]


def check_zoo(
    index: Index,
    options: OnlineOptions | None = None,
    url_cache: Path | None = None,
    ttl_s: float = DEFAULT_TTL_S,
    progress: Progress | None = None,
) -> OnlineRun:
    """:func:`check_urls` with the URL cache in place: ``url_cache``, else the user's cache
    folder (see :func:`default_url_cache_path`); results older than ``ttl_s`` are asked again.
    On Ctrl-C, what was checked is in the cache already."""
    with UrlCache(url_cache or default_url_cache_path(), ttl_s=ttl_s) as cache:
        return check_urls(index, cache, options, progress)


def planned_count(index: Index, options: OnlineOptions | None = None) -> int:
    """How many checks :func:`check_zoo` makes (cached or not): a progress bar's total."""
    return len(planned_checks(url_targets(index), options or OnlineOptions()))


def check_urls(
    index: Index,
    cache: UrlCache | None = None,
    options: OnlineOptions | None = None,
    progress: Progress | None = None,
) -> OnlineRun:
    """Check every Weights, Config, Code and Paper URL of ``index``. Network faults become
    results (unreachable, timeout, ...), never exceptions."""
    options = options or OnlineOptions()
    targets = url_targets(index)
    results: dict[tuple[str, CheckKind], UrlResult] = {}
    wanted = planned_checks(targets, options)
    for key, anchor in wanted.items():
        cached = None if cache is None or options.refresh else cache.fresh(*key)
        if cached is not None and _answers(cached, anchor):
            results[key] = cached
            if progress:
                progress(key[0], cached.status.value)
    missing = [key for key in wanted if key not in results]
    if not missing:
        return OnlineRun(targets, results, 0)

    # requests is imported only now: a rerun served from the cache does without it.
    from modelindex.online.http_client import Sessions

    if options.download:
        from modelindex.online.download import remove_abandoned_downloads

        remove_abandoned_downloads()
    sessions = Sessions(options.http, pool_size=options.per_host)
    tasks = _tasks(missing, wanted, targets, cache, options, sessions)
    try:
        for done in _run_tasks(tasks, options):
            for result in done:
                results[(result.url, result.kind)] = result
                if progress:
                    progress(result.url, result.status.value)
            if cache is not None:
                cache.store(done)
    except BaseException:
        # Interrupted: the downloads still running are not waited for (a caller may leave
        # with os._exit at once), so what they were writing goes now.
        if options.download:
            from modelindex.online.download import remove_partial_downloads

            remove_partial_downloads()
        raise
    finally:
        sessions.close()
        if cache is not None:
            cache.flush()
    return OnlineRun(targets, results, sum(len(task.keys) for task in tasks))


def _answers(cached: UrlResult, anchor: CodeAnchor | None) -> bool:
    """Whether a cached result answers the check: a file read for its anchors kept the lines
    of the models it was searched for, and a model renamed since needs it searched again."""
    if anchor is None or cached.status is not Status.OK:
        return True
    return set(anchor.names) <= set(cached.anchor_names)


def planned_checks(
    targets: dict[str, list[Declaration]], options: OnlineOptions
) -> dict[tuple[str, CheckKind], CodeAnchor | None]:
    """Every check to make: a probe per URL, or for a GitHub Code URL with a line anchor that
    a model declares, a read of the anchored lines; and a download per weights URL (with
    ``download``)."""
    wanted: dict[tuple[str, CheckKind], CodeAnchor | None] = {}
    for url, declarations in targets.items():
        # A collection's Code is shared by its models: no one name to find at its anchor.
        models = [d.entry for d in declarations if d.field == CODE and isinstance(d.entry, Model)]
        anchor = code_anchor(url, options.raw_base) if models else None
        if anchor is not None:
            names = dict.fromkeys(model.name for model in models if model.name)
            anchor = replace(anchor, names=tuple(names))
            wanted[(url, CheckKind.ANCHOR)] = anchor
        # The file read at the linked commit stands for the page: one request, not two, unless
        # the URL is also declared as something else (a Weights URL wants its size).
        if anchor is None or any(d.field != CODE for d in declarations):
            wanted[(url, CheckKind.PROBE)] = None
        if options.download and any(d.field == WEIGHTS for d in declarations):
            wanted[(url, CheckKind.DOWNLOAD)] = None
    return wanted


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _tasks(
    missing: list[tuple[str, CheckKind]],
    wanted: dict[tuple[str, CheckKind], CodeAnchor | None],
    targets: dict[str, list[Declaration]],
    cache: UrlCache | None,
    options: OnlineOptions,
    sessions: Sessions,
) -> list[_Task]:
    from modelindex.online.anchor_fetch import fetch_anchors
    from modelindex.online.http_client import probe

    tasks: list[_Task] = []
    anchors_by_file: dict[str, list[CodeAnchor]] = {}
    for key in missing:
        url, kind = key
        previous = None if cache is None or options.refresh else cache.stale(url, kind)
        anchor = wanted[key]
        if anchor is not None:
            anchors_by_file.setdefault(anchor.raw_url, []).append(anchor)
        else:
            check = probe if kind is CheckKind.PROBE else _bounded_download(targets[url], options)
            tasks.append(
                _Task(_host(url), (key,), partial(_listed, check, sessions, url, previous))
            )
    # One read of a source file serves every anchor into it.
    for raw_url, anchors in anchors_by_file.items():
        keys = tuple((anchor.code_url, CheckKind.ANCHOR) for anchor in anchors)
        tasks.append(
            _Task(_host(raw_url), keys, partial(fetch_anchors, sessions, raw_url, anchors))
        )
    return _interleaved(tasks)


def _bounded_download(
    declarations: list[Declaration], options: OnlineOptions
) -> Callable[[Sessions, str, UrlResult | None], UrlResult]:
    """A download that stops past the File Size its declarations give (and a margin), and is
    timed by it where the server announces no size."""
    from modelindex.online.download import download, download_limit

    sizes = [d.entry.metadata.file_size for d in declarations if d.field == WEIGHTS]
    limit = download_limit(sizes, options.max_download_bytes)
    declared = any(size is not None and size > 0 for size in sizes)
    return partial(download, max_bytes=limit, unsized_bytes=limit if declared else None)


def _listed(
    check: Callable[[Sessions, str, UrlResult | None], UrlResult],
    sessions: Sessions,
    url: str,
    previous: UrlResult | None,
) -> list[UrlResult]:
    return [check(sessions, url, previous)]


def _interleaved(tasks: list[_Task]) -> list[_Task]:
    """Round-robin over hosts, so that workers waiting for one busy host's turn are few."""
    by_host: dict[str, list[_Task]] = {}
    for task in tasks:
        by_host.setdefault(task.host, []).append(task)
    rounds = itertools.zip_longest(*by_host.values())
    return [task for round_ in rounds for task in round_ if task is not None]


def _run_tasks(tasks: list[_Task], options: OnlineOptions) -> Iterator[list[UrlResult]]:
    """Each task's results, as tasks finish; at most ``per_host`` at a time on one host."""
    limits = {task.host: threading.BoundedSemaphore(options.per_host) for task in tasks}

    def run(task: _Task) -> list[UrlResult]:
        with limits[task.host]:
            try:
                return task.run()
            except Exception as error:  # a bug in a check must not lose the others' results
                detail = f"{error!r}"[:300]
                return [UrlResult(url, kind, Status.FAILED, detail) for url, kind in task.keys]

    executor = ThreadPoolExecutor(max_workers=options.jobs, thread_name_prefix="modelindex-url")
    try:
        futures = [executor.submit(run, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()
    finally:
        # All done, or interrupted: checks not yet started are dropped, running ones not waited
        # for (they end within their timeouts, their results unused).
        executor.shutdown(wait=False, cancel_futures=True)
