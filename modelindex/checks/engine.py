"""Run the enabled rules over an index and collect their findings."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from modelindex.checks.context import Context
from modelindex.checks.findings import Finding, Hit, Severity
from modelindex.checks.input_rules import CODE_BY_PROBLEM, INTERNAL_ERROR
from modelindex.checks.registry import RULES, Rule, Scope
from modelindex.checks.report import Report
from modelindex.checks.settings import Settings
from modelindex.checks.suppressions import apply_suppressions
from modelindex.index import Index
from modelindex.schema import Location

if TYPE_CHECKING:
    from modelindex.online.run import OnlineRun


def _problem_findings(index: Index) -> Iterable[Finding]:
    for problem in index.problems:
        code = CODE_BY_PROBLEM[problem.kind]
        hit = Hit(Location(problem.path, problem.line), problem.message)
        yield _as_finding(code, hit)


def _as_finding(code: str, hit: Hit) -> Finding:
    fields = {name: getattr(hit, name) for name in Hit.__dataclass_fields__}
    return Finding(**fields, code=code, severity=RULES[code].severity)


def _findings_of(found: Rule, context: Context) -> Iterator[Finding]:
    """Every finding of one rule. A rule that raises is one M001 finding where it failed, not a
    crash: an entry's rule fails for that entry alone, and the rule still checks the others."""
    assert found.check is not None
    if found.scope is Scope.INDEX:
        where = Location(context.index.files[0] if context.index.files else "<input>", None)
        yield from _guarded(found, where, context)
        return
    for entry in [*context.index.collections, *context.index.models]:
        yield from _guarded(found, entry.source, entry, context)


def _guarded(found: Rule, where: Location, *arguments: object) -> Iterator[Finding]:
    check: Callable[..., Iterable[Hit]] = found.check  # type: ignore[assignment]
    try:
        # Drawn in full first, so that a rule failing half-way reports nothing half-checked.
        drawn = list(check(*arguments))
    except Exception as error:
        message = f"rule {found.code} ({found.name}) failed: {type(error).__name__}: {error}"
        yield _as_finding(INTERNAL_ERROR, Hit(where, message[:300]))
        return
    for hit in drawn:
        yield _as_finding(found.code, hit)


def validate(
    index: Index, settings: Settings | None = None, online: OnlineRun | None = None
) -> Report:
    """Check ``index`` with every rule the settings enable; return the findings, sorted.

    ``online``: what ``--online`` found (see :func:`modelindex.online.run.check_urls`); the
    online rules (O001-O009) report from it, and find nothing without it.
    """
    settings = settings or Settings()
    # A bug in modelindex is never a finding the settings may select away.
    enabled = settings.enabled_codes() | {INTERNAL_ERROR}
    context = Context(index, settings, online)
    ignored_in = lru_cache(maxsize=None)(settings.ignored_in)

    findings: list[Finding] = [f for f in _problem_findings(index) if f.code in enabled]
    # The rules allocate many short-lived, acyclic objects next to a large index; the cyclic
    # collector would rescan the whole index again and again, making time grow faster than
    # the number of models.
    collecting = gc.isenabled()
    gc.disable()
    crashed: set[str] = set()
    try:
        for code, found in RULES.items():
            if found.check is not None and code in enabled:
                found_now = list(_findings_of(found, context))
                if any(finding.code == INTERNAL_ERROR for finding in found_now):
                    crashed.add(code)
                findings.extend(found_now)
    finally:
        if collecting:
            gc.enable()
    findings += [_as_finding(INTERNAL_ERROR, hit) for hit in context.internal_errors]

    kept: dict[tuple[str, Location, str | None, str], Finding] = {}
    for finding in findings:
        if finding.code in ignored_in(finding.path) and finding.code != INTERNAL_ERROR:
            continue
        # A collection's faulty value, inherited by each of its models, is one finding.
        kept.setdefault((finding.code, finding.location, finding.field, finding.message), finding)

    def checked(code: str, path: str) -> bool:
        # The online codes (O) find nothing without --online: their suppressions are not idle;
        # nor are those of a rule that failed (M001 says so).
        reported = code in enabled and code not in ignored_in(path) and code not in crashed
        return reported and (online is not None or not code.startswith("O"))

    unsuppressed = apply_suppressions(list(kept.values()), index, checked, _as_finding)
    ordered = sorted(unsuppressed, key=Finding.sort_key)
    return Report(ordered, index=index, settings=settings)


__all__ = ["Severity", "validate"]
