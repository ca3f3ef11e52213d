"""Rules on what the online checks found (``validate --online``, ``check-urls``).

An online run reaches the rules through their context, as measurements do; offline, these
rules find nothing. A fault of the network (unreachable, timeout, a server error) is a warning:
it never says the card is wrong. A 404, a size or hash that differs, or an anchor elsewhere
does. Every URL is looked at once, for all the rules together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from modelindex.checks.context import Context
from modelindex.checks.findings import Applicability, Hit, Severity, value_repair
from modelindex.checks.input_rules import INTERNAL_ERROR
from modelindex.checks.registry import Scope, rule
from modelindex.fields import CODE, FILE_SIZE, PARAMETERS, WEIGHTS
from modelindex.file_size import declared_size_range
from modelindex.links import sha256_prefix_in_name
from modelindex.measurements.compare import parameters_agree
from modelindex.online.anchors import (
    anchor_fault,
    code_anchor,
    defines,
    pointed_at,
)
from modelindex.online.results import CheckKind, Status, UrlResult, reachability
from modelindex.schema import Model

if TYPE_CHECKING:
    from modelindex.online.run import OnlineRun
    from modelindex.online.targets import Declaration

NOT_FOUND, UNREACHABLE, SERVER_ERROR, TOO_MANY_REDIRECTS = "O001", "O002", "O003", "O004"
SIZE_DIFFERS, HASH_DIFFERS, PARAMETERS_DIFFER, ANCHOR_ELSEWHERE = "O005", "O006", "O007", "O008"
CHECKPOINT_INVALID = "O009"


UrlCheck = Callable[["OnlineRun", str, "Declaration"], Iterator[Hit]]
"""(the online run, a URL it looked at, one place declaring that URL) -> the rule's hits there."""

_URL_CHECKS: list[tuple[str, UrlCheck]] = []


def online_rule(code: str, name: str, severity: Severity) -> Callable[[UrlCheck], UrlCheck]:
    """Register the decorated function as rule ``code``, an online check. It is called for
    each place that declares a URL the online run looked at, and its docstring explains the
    rule, as for every rule. Offline, the rule finds nothing."""

    def register(check: UrlCheck) -> UrlCheck:
        def from_context(context: Context) -> Iterator[Hit]:
            yield from context.shared(_online_hits).get(code, ())

        from_context.__doc__ = check.__doc__
        from_context.__name__ = from_context.__qualname__ = check.__name__
        rule(code, name, severity, Scope.INDEX)(from_context)
        _URL_CHECKS.append((code, check))
        return check

    return register


def _online_hits(context: Context) -> dict[str, list[Hit]]:
    """Every problem the context's online run found, by code, at each place declaring the URL.
    A URL whose findings fail, or whose check failed, is an internal error; the other URLs'
    findings still come."""
    run: OnlineRun | None = context.online
    found: dict[str, list[Hit]] = {}
    for url, declarations in run.targets.items() if run is not None else ():
        try:
            # A list: a failure halfway must not leave half a URL's findings reported.
            hits = [
                (code, hit)
                for declaration in declarations
                for code, check in [(INTERNAL_ERROR, _check_failed), *_URL_CHECKS]
                for hit in check(run, url, declaration)  # type: ignore[arg-type]
            ]
        except Exception as error:
            where = declarations[0]
            message = f"checking {where.field} {url} failed: {error!r}"[:300]
            location = where.entry.location(where.field)
            hits = [(INTERNAL_ERROR, Hit(location, message, where.entry.name, where.field))]
        for code, hit in hits:
            if code == INTERNAL_ERROR:
                context.internal_errors.append(hit)
            else:
                found.setdefault(code, []).append(hit)
    return found


def _failure(run: OnlineRun, url: str, declaration: Declaration) -> UrlResult | None:
    """The check of ``url`` that failed, for this declaration: the URL's own answer, else, for
    weights, their download. A URL that did not answer has no other finding."""
    answered = reachability(run.results, url)
    if answered is not None and answered.status is not Status.OK:
        return answered
    download = run.results.get((url, CheckKind.DOWNLOAD))
    if declaration.field == WEIGHTS and download is not None and download.status is not Status.OK:
        return download
    return None


def _answered(run: OnlineRun, url: str) -> bool:
    answered = reachability(run.results, url)
    return answered is None or answered.status is Status.OK


def _failure_hits(
    run: OnlineRun, url: str, declaration: Declaration, status: tuple[Status, ...]
) -> Iterator[Hit]:
    failed = _failure(run, url, declaration)
    if failed is None or failed.status not in status:
        return
    entry, field = declaration.entry, declaration.field
    what = "Download of " if failed.kind is CheckKind.DOWNLOAD else ""
    message = f"{what}{field} {url}: {failed.status.value} ({failed.detail})"
    yield Hit(entry.location(field), message, entry.name, field)


def _check_failed(run: OnlineRun, url: str, declaration: Declaration) -> Iterator[Hit]:
    # A check that failed is a bug of ours, not a fault of the network: it must be seen.
    yield from _failure_hits(run, url, declaration, (Status.FAILED,))


@online_rule(NOT_FOUND, "url-not-found", Severity.ERROR)
def url_not_found(run: OnlineRun, url: str, declaration: Declaration) -> Iterator[Hit]:
    """A Weights, Config, Code or Paper URL answers 404 or 410.

    The link is dead: the file was moved, renamed or never uploaded. Found by
    `--online` only; the request is HEAD, or a one-byte GET where HEAD is refused."""
    yield from _failure_hits(run, url, declaration, (Status.NOT_FOUND,))


@online_rule(UNREACHABLE, "url-unreachable", Severity.WARNING)
def url_unreachable(run: OnlineRun, url: str, declaration: Declaration) -> Iterator[Hit]:
    """A URL could not be reached: refused, reset, no such host, or no answer in time.

    A network fault says nothing about the card, so this is a warning, and the result is not
    cached: the next run asks again. Retries with backoff came first."""
    yield from _failure_hits(run, url, declaration, (Status.UNREACHABLE, Status.TIMEOUT))


@online_rule(SERVER_ERROR, "url-server-error", Severity.WARNING)
def url_server_error(run: OnlineRun, url: str, declaration: Declaration) -> Iterator[Hit]:
    """A URL answers with an error that is not 'not found': 5xx, 429, 401 or 403.

    The server failed, rate-limited or refused the request (a login wall, a bot filter) after
    the retries; the card may well be right. Not cached."""
    yield from _failure_hits(run, url, declaration, (Status.SERVER_ERROR,))


@online_rule(TOO_MANY_REDIRECTS, "url-redirect-loop", Severity.WARNING)
def url_redirect_loop(run: OnlineRun, url: str, declaration: Declaration) -> Iterator[Hit]:
    """A URL redirects more than 10 times, usually in a loop."""
    yield from _failure_hits(run, url, declaration, (Status.TOO_MANY_REDIRECTS,))


@online_rule(SIZE_DIFFERS, "weights-size-differs", Severity.ERROR)
def weights_size_differs(run: OnlineRun, url: str, declaration: Declaration) -> Iterator[Hit]:
    """The weights file's Content-Length differs from the card's File Size.

    The file behind the URL is not the one the card describes: another model's checkpoint,
    a re-upload, or a size copied from a sibling. A compressed transfer is not compared. A
    download stops a tenth (and a MiB) past the File Size: the file is larger than that."""
    entry = declaration.entry
    declared_size = entry.metadata.file_size
    if declaration.field != WEIGHTS or declared_size is None or not _answered(run, url):
        return
    if entry.more_weights:
        return  # which of its files the File Size describes is not known
    served = _served_size(
        run.results.get((url, CheckKind.PROBE)), run.results.get((url, CheckKind.DOWNLOAD))
    )
    if served is None:
        return
    size, at_least = served
    # A collection's weights are checked against the collection's own numbers.
    low, high = declared_size_range(entry) or (declared_size, declared_size)
    if size > high or (not at_least and size < low):
        yield Hit(
            entry.location(FILE_SIZE),
            f"File Size {declared_size} differs from the "
            f"{'more than ' if at_least else ''}{size} bytes that {url} serves",
            entry.name,
            FILE_SIZE,
            fix=None if at_least else f"File Size: {size}",
            repair=None
            if at_least
            else value_repair(entry, FILE_SIZE, declared_size, size, Applicability.UNSAFE),
        )


def _served_size(probe: UrlResult | None, download: UrlResult | None) -> tuple[int, bool] | None:
    """The size a URL serves, and whether it is only a lower bound (a download stopped at its
    limit). The downloaded byte count, when there is one, is the surer measure."""
    if download is not None and download.status is Status.OK:
        if download.content_length is not None:
            return download.content_length, False
        if download.larger_than is not None:
            return download.larger_than, True
    if probe is not None and probe.status is Status.OK and probe.content_length is not None:
        return probe.content_length, False
    return None


def _downloaded(run: OnlineRun, url: str, declaration: Declaration) -> UrlResult | None:
    """The weights file of this declaration as downloaded, where it was and the URL answered."""
    download = run.results.get((url, CheckKind.DOWNLOAD))
    if declaration.field != WEIGHTS or download is None or download.status is not Status.OK:
        return None
    return download if _answered(run, url) else None


@online_rule(HASH_DIFFERS, "weights-hash-differs", Severity.ERROR)
def weights_hash_differs(run: OnlineRun, url: str, declaration: Declaration) -> Iterator[Hit]:
    """A downloaded weights file's sha256 does not start with the hash in its name.

    torch.hub names files `name-<first 8 hex digits of the sha256>.pth` and checks the prefix
    on download (`check_hash=True`); a mismatch means a corrupt or replaced file. Needs
    `--download`."""
    download = _downloaded(run, url, declaration)
    expected = sha256_prefix_in_name(url)
    if download is None or not expected or not download.sha256:
        return
    if not download.sha256.startswith(expected):
        yield Hit(
            declaration.entry.location(WEIGHTS),
            f"Weights file's sha256 {download.sha256[: max(12, len(expected))]}... does not "
            f"start with the {expected} its name carries",
            declaration.entry.name,
            WEIGHTS,
        )


@online_rule(PARAMETERS_DIFFER, "checkpoint-parameters-differ", Severity.ERROR)
def checkpoint_parameters_differ(
    run: OnlineRun, url: str, declaration: Declaration
) -> Iterator[Hit]:
    """The downloaded checkpoint holds another number of parameters than the card declares.

    The floating-point tensors of its state dict are counted, leaving out batch-norm running
    statistics, within the declared rounding or 0.5%. torch files need torch (the [verify]
    extra) and are memory-mapped, not loaded (legacy pre-zip files are read whole, up to
    256 MiB); safetensors files need nothing. A file that would take more memory to count than
    a real checkpoint (compressed records, a pickle or header over 8 MiB) is not counted; the
    summary says why. Needs `--download`."""
    download, entry = _downloaded(run, url, declaration), declaration.entry
    if entry.more_weights:
        return  # each file holds a part of the parameters
    counted = download.checkpoint_parameters if download is not None else None
    if counted and isinstance(entry, Model) and parameters_agree(entry, counted) is False:
        yield Hit(
            entry.location(PARAMETERS),
            f"Parameters {entry.metadata.parameters} differ from the {counted} the "
            f"checkpoint at {url} holds",
            entry.name,
            PARAMETERS,
        )


@online_rule(ANCHOR_ELSEWHERE, "code-anchor-elsewhere", Severity.WARNING)
def code_anchor_elsewhere(run: OnlineRun, url: str, declaration: Declaration) -> Iterator[Hit]:
    """A GitHub Code URL's line anchor does not point at the model's definition.

    The anchored line, or the three lines on each side, must hold `def NAME(`, `class NAME`
    or a registry entry 'NAME'. The finding names what the anchor points at instead. The file
    is read at the linked commit from the raw host (`--github-raw` changes it). A range of more
    than 1000 lines, or a line past any source file, is reported, not read."""
    entry = declaration.entry
    if declaration.field != CODE or not isinstance(entry, Model) or not _answered(run, url):
        return
    fault = anchor_fault(url)
    if fault is not None:
        yield Hit(
            entry.location(CODE),
            f"Code anchor #{url.rsplit('#', 1)[-1][:60]} {fault}: not read",
            entry.name,
            CODE,
        )
    result = run.results.get((url, CheckKind.ANCHOR))
    anchor = code_anchor(url)
    if result is None or anchor is None or not entry.name:
        return
    if not defines(result.anchor_lines, entry.name):
        yield Hit(
            entry.location(CODE),
            f"Code anchor #{url.rsplit('#', 1)[-1]} points at "
            f"{pointed_at(result, anchor.first)}, not at a definition of {entry.name}",
            entry.name,
            CODE,
        )


@online_rule(CHECKPOINT_INVALID, "checkpoint-invalid", Severity.ERROR)
def checkpoint_invalid(run: OnlineRun, url: str, declaration: Declaration) -> Iterator[Hit]:
    """A downloaded weights file is not a valid checkpoint: its header contradicts the file.

    A safetensors header whose shapes do not fit their byte offsets, offsets past the end of
    the file, no JSON at all (an HTML page served as weights); a torch file claiming more
    parameters than its bytes can hold, or whose zip records claim more bytes than the file.
    Needs `--download`."""
    download = _downloaded(run, url, declaration)
    if download is not None and download.checkpoint_fault:
        yield Hit(
            declaration.entry.location(WEIGHTS),
            f"Weights file {url} is no valid checkpoint: {download.checkpoint_fault}",
            declaration.entry.name,
            WEIGHTS,
        )
