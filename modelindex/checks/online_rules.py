"""Rules on what the online checks found (``validate --online``, ``check-urls``).

An online run reaches the rules through their context, as measurements do; offline, these
rules find nothing. A fault of the network (unreachable, timeout, a server error) is a warning:
it never says the card is wrong. A 404, a size or hash that differs, or an anchor elsewhere
does. Every URL is looked at once, for all the rules together.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from modelindex.checks.context import Context
from modelindex.checks.findings import Hit, Severity
from modelindex.checks.input_rules import INTERNAL_ERROR
from modelindex.checks.registry import Scope, rule
from modelindex.fields import CODE, FILE_SIZE, PARAMETERS, WEIGHTS
from modelindex.links import sha256_prefix_in_name
from modelindex.measurements.compare import parameters_agree
from modelindex.online.anchors import (
    MAX_ANCHOR_SPAN,
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


def online_rule(code: str, name: str, severity: Severity, explanation: str) -> None:
    """Register rule ``code``: the findings of that code from the context's online run."""

    def check(context: Context) -> Iterator[Hit]:
        yield from context.shared(_online_hits).get(code, ())

    check.__doc__ = explanation
    check.__name__ = check.__qualname__ = name.replace("-", "_")
    rule(code, name, severity, Scope.INDEX)(check)


online_rule(
    NOT_FOUND,
    "url-not-found",
    Severity.ERROR,
    """A Weights, Config, Code or Paper URL answers 404 or 410.

    The link is dead: the file was moved, renamed or never uploaded. Found by
    `--online` only; the request is HEAD, or a one-byte GET where HEAD is refused.""",
)
online_rule(
    UNREACHABLE,
    "url-unreachable",
    Severity.WARNING,
    """A URL could not be reached: refused, reset, no such host, or no answer in time.

    A network fault says nothing about the card, so this is a warning, and the result is not
    cached: the next run asks again. Retries with backoff came first.""",
)
online_rule(
    SERVER_ERROR,
    "url-server-error",
    Severity.WARNING,
    """A URL answers with an error that is not 'not found': 5xx, 429, 401 or 403.

    The server failed, rate-limited or refused the request (a login wall, a bot filter) after
    the retries; the card may well be right. Not cached.""",
)
online_rule(
    TOO_MANY_REDIRECTS,
    "url-redirect-loop",
    Severity.WARNING,
    """A URL redirects more than 10 times, usually in a loop.""",
)
online_rule(
    SIZE_DIFFERS,
    "weights-size-differs",
    Severity.ERROR,
    """The weights file's Content-Length differs from the card's File Size.

    The file behind the URL is not the one the card describes: another model's checkpoint,
    a re-upload, or a size copied from a sibling. A compressed transfer is not compared. A
    download stops a tenth (and a MiB) past the File Size: the file is larger than that.""",
)
online_rule(
    HASH_DIFFERS,
    "weights-hash-differs",
    Severity.ERROR,
    """A downloaded weights file's sha256 does not start with the hash in its name.

    torch.hub names files `name-<first 8 hex digits of the sha256>.pth` and checks the prefix
    on download (`check_hash=True`); a mismatch means a corrupt or replaced file. Needs
    `--download`.""",
)
online_rule(
    PARAMETERS_DIFFER,
    "checkpoint-parameters-differ",
    Severity.ERROR,
    """The downloaded checkpoint holds another number of parameters than the card declares.

    The floating-point tensors of its state dict are counted, leaving out batch-norm running
    statistics, within the declared rounding or 0.5%. torch files need torch (the [verify]
    extra) and are memory-mapped, not loaded (legacy pre-zip files are read whole, up to
    256 MiB); safetensors files need nothing. A file that would take more memory to count than
    a real checkpoint (compressed records, a pickle or header over 8 MiB) is not counted; the
    summary says why. Needs `--download`.""",
)
online_rule(
    ANCHOR_ELSEWHERE,
    "code-anchor-elsewhere",
    Severity.WARNING,
    f"""A GitHub Code URL's line anchor does not point at the model's definition.

    The anchored line, or the three lines on each side, must hold `def NAME(`, `class NAME`
    or a registry entry 'NAME'. The finding names what the anchor points at instead. The file
    is read at the linked commit from the raw host (`--github-raw` changes it). A range of more
    than {MAX_ANCHOR_SPAN} lines, or a line past any source file, is reported, not read.""",
)
online_rule(
    CHECKPOINT_INVALID,
    "checkpoint-invalid",
    Severity.ERROR,
    """A downloaded weights file is not a valid checkpoint: its header contradicts the file.

    A safetensors header whose shapes do not fit their byte offsets, offsets past the end of
    the file, no JSON at all (an HTML page served as weights); a torch file claiming more
    parameters than its bytes can hold, or whose zip records claim more bytes than the file.
    Needs `--download`.""",
)

_CODE_BY_STATUS = {
    Status.NOT_FOUND: NOT_FOUND,
    Status.UNREACHABLE: UNREACHABLE,
    Status.TIMEOUT: UNREACHABLE,
    Status.SERVER_ERROR: SERVER_ERROR,
    Status.TOO_MANY_REDIRECTS: TOO_MANY_REDIRECTS,
    # A check that failed is a bug of ours, not a fault of the network: it must be seen.
    Status.FAILED: INTERNAL_ERROR,
}


def _online_hits(context: Context) -> dict[str, list[Hit]]:
    """Every problem the context's online run found, by code, at each place declaring the URL.
    A URL whose findings fail, or whose check failed, is an internal error; the other URLs'
    findings still come."""
    run: OnlineRun | None = context.online
    found: dict[str, list[Hit]] = {}
    for url, declarations in run.targets.items() if run is not None else ():
        try:
            # A list: a failure halfway must not leave half a URL's findings reported.
            hits = list(_url_hits(run, url, declarations))  # type: ignore[arg-type]
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


def _url_hits(
    run: OnlineRun, url: str, declarations: list[Declaration]
) -> Iterator[tuple[str, Hit]]:
    answered = reachability(run.results, url)
    probe = run.results.get((url, CheckKind.PROBE))
    download = run.results.get((url, CheckKind.DOWNLOAD))
    anchor = run.results.get((url, CheckKind.ANCHOR))
    for declaration in declarations:
        if answered is not None and answered.status is not Status.OK:
            yield _status_hit(declaration, url, answered)
            continue
        if declaration.field == WEIGHTS:
            yield from _weights_hits(declaration, url, probe, download)
        if declaration.field == CODE:
            yield from _anchor_fault_hits(declaration, url)
            if anchor is not None:
                yield from _anchor_hits(declaration, url, anchor)


def _status_hit(declaration: Declaration, url: str, result: UrlResult) -> tuple[str, Hit]:
    entry, field = declaration.entry, declaration.field
    what = "Download of " if result.kind is CheckKind.DOWNLOAD else ""
    message = f"{what}{field} {url}: {result.status.value} ({result.detail})"
    hit = Hit(entry.location(field), message, entry.name, field)
    return _CODE_BY_STATUS[result.status], hit


def _weights_hits(
    declaration: Declaration, url: str, probe: UrlResult | None, download: UrlResult | None
) -> Iterator[tuple[str, Hit]]:
    """Size, hash and parameters of a weights file, against the entry that declares it (a
    collection's weights are checked against the collection's own numbers)."""
    entry = declaration.entry
    declared_size = entry.metadata.file_size
    served = _served_size(probe, download)
    if declared_size is not None and served is not None:
        size, at_least = served
        tolerance = entry.rounding.get(FILE_SIZE, 0.0) if isinstance(entry, Model) else 0.0
        if size - declared_size > tolerance or (not at_least and declared_size - size > tolerance):
            yield (
                SIZE_DIFFERS,
                Hit(
                    entry.location(FILE_SIZE),
                    f"File Size {declared_size} differs from the "
                    f"{'more than ' if at_least else ''}{size} bytes that {url} serves",
                    entry.name,
                    FILE_SIZE,
                    fix=None if at_least else f"File Size: {size}",
                ),
            )
    if download is None:
        return
    if download.status is not Status.OK:
        yield _status_hit(declaration, url, download)
        return
    expected = sha256_prefix_in_name(url)
    if expected and download.sha256 and not download.sha256.startswith(expected):
        yield (
            HASH_DIFFERS,
            Hit(
                entry.location(WEIGHTS),
                f"Weights file's sha256 {download.sha256[: max(12, len(expected))]}... does not "
                f"start with the {expected} its name carries",
                entry.name,
                WEIGHTS,
            ),
        )
    if download.checkpoint_fault:
        yield (
            CHECKPOINT_INVALID,
            Hit(
                entry.location(WEIGHTS),
                f"Weights file {url} is no valid checkpoint: {download.checkpoint_fault}",
                entry.name,
                WEIGHTS,
            ),
        )
    counted = download.checkpoint_parameters
    if counted and isinstance(entry, Model) and parameters_agree(entry, counted) is False:
        yield (
            PARAMETERS_DIFFER,
            Hit(
                entry.location(PARAMETERS),
                f"Parameters {entry.metadata.parameters} differ from the {counted} the "
                f"checkpoint at {url} holds",
                entry.name,
                PARAMETERS,
            ),
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


def _anchor_fault_hits(declaration: Declaration, url: str) -> Iterator[tuple[str, Hit]]:
    entry = declaration.entry
    fault = anchor_fault(url)
    if fault is None or not isinstance(entry, Model):
        return
    yield (
        ANCHOR_ELSEWHERE,
        Hit(
            entry.location(CODE),
            f"Code anchor #{url.rsplit('#', 1)[-1][:60]} {fault}: not read",
            entry.name,
            CODE,
        ),
    )


def _anchor_hits(
    declaration: Declaration, url: str, result: UrlResult
) -> Iterator[tuple[str, Hit]]:
    entry = declaration.entry
    anchor = code_anchor(url)
    if not isinstance(entry, Model) or not entry.name or anchor is None:
        return
    if defines(result.anchor_lines, entry.name):
        return
    target = url.rsplit("#", 1)[-1]
    yield (
        ANCHOR_ELSEWHERE,
        Hit(
            entry.location(CODE),
            f"Code anchor #{target} points at {pointed_at(result, anchor.first)}, not at a "
            f"definition of {entry.name}",
            entry.name,
            CODE,
        ),
    )
