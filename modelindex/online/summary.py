"""The table printed at the end of an online run: statuses by field, downloads, anchors."""

from __future__ import annotations

from collections import Counter

from modelindex.formatting import plural
from modelindex.online.results import CheckKind, Status, reachability
from modelindex.online.run import OnlineRun
from modelindex.online.targets import CHECKED_FIELDS


def summary_table(run: OnlineRun) -> str:
    """Unique URLs by status and by the field that declares them, then what the downloads and
    the Code anchors found, and where the answers came from."""
    by_field: Counter[tuple[str, str]] = Counter()
    for url, declarations in run.targets.items():
        answered = reachability(run.results, url)
        if answered is not None:
            by_field[(answered.status.value, declarations[0].field)] += 1
    statuses = [s.value for s in Status if s is Status.OK or any(k[0] == s for k in by_field)]
    fields = [f for f in CHECKED_FIELDS if any(k[1] == f for k in by_field)] or ["URLs"]
    width = max(len(status) for status in statuses)
    lines = [f"{'status':<{width}}  " + "  ".join(f"{field:>7}" for field in fields)]
    for status in statuses:
        counts = "  ".join(f"{by_field[(status, field)]:>7}" for field in fields)
        lines.append(f"{status:<{width}}  {counts}")
    lines += _download_lines(run) + _anchor_lines(run)
    checks = len(run.results)
    cached = sum(1 for result in run.results.values() if result.from_cache)
    lines.append(
        f"{plural(len(run.targets), 'URL')}, {plural(checks, 'check')}: "
        f"{run.requested} asked over the network, {cached} from the cache"
    )
    return "\n".join(lines)


def _download_lines(run: OnlineRun) -> list[str]:
    downloads = [r for (_, kind), r in run.results.items() if kind is CheckKind.DOWNLOAD]
    if not downloads:
        return []
    answered = [r for r in downloads if r.status is Status.OK]
    # A download stopped at its limit, or sent compressed, answered but has no hash.
    complete = [r for r in answered if r.sha256]
    counted = sum(1 for r in complete if r.checkpoint_parameters is not None)
    notes = Counter(r.checkpoint_note for r in answered if r.checkpoint_note)
    notes.update("no valid checkpoint (O009)" for r in complete if r.checkpoint_fault)
    lines = [
        f"downloads: {len(complete)} of {len(downloads)} complete, sha256 of each; "
        f"parameters counted in {counted}"
    ]
    lines += [f"  not counted in {count}: {note}" for note, count in notes.most_common()]
    return lines


def _anchor_lines(run: OnlineRun) -> list[str]:
    anchors = [r for (_, kind), r in run.results.items() if kind is CheckKind.ANCHOR]
    if not anchors:
        return []
    read = sum(1 for r in anchors if r.status is Status.OK)
    return [f"code anchors: {read} of {len(anchors)} read"]
