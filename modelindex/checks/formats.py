"""Render a report as text, JSON, GitHub Actions annotations or SARIF 2.1.0.

The JSON shape is stable: ``{"findings": [{"code", "severity", "path", "line", "model",
"field", "message", "fix", "fixable", "related"}], "summary": {...}}``; keys are only ever
added. ``fixable`` is "safe" (``--fix`` repairs it), "unsafe" (``--unsafe-fixes`` does) or null.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import PurePath
from urllib.parse import quote

from modelindex._version import __version__
from modelindex.checks.findings import Applicability, Finding, Severity
from modelindex.checks.fixes import FixRun
from modelindex.checks.registry import RULES, Rule
from modelindex.checks.report import Report
from modelindex.colour import Style, paint
from modelindex.formatting import plural
from modelindex.printable import printable

FORMATS = ("text", "json", "github", "sarif")


_SEVERITY_STYLE = {
    Severity.ERROR: Style.RED,
    Severity.WARNING: Style.YELLOW,
    Severity.INFO: Style.CYAN,
}


def finding_as_text(finding: Finding, colour: bool = False) -> str:
    # One line per finding, whatever a card's names or a file's name contain: the card's text
    # is made printable before any colour code is added.
    where = paint(printable(f"{finding.location}:"), Style.BOLD, colour)
    code = paint(finding.code, _SEVERITY_STYLE[finding.severity], colour)
    fixable = " [*]" if finding.repair is not None else ""
    return f"{where} {code}{fixable} {printable(finding.message)}"


def as_text(report: Report, colour: bool = False) -> str:
    """One ``path:line: CODE message`` line per finding, with a ``help:`` line for a fix;
    ``[*]`` marks a finding that ``--fix`` (or ``--unsafe-fixes``) can repair."""
    lines: list[str] = []
    for finding in report.findings:
        lines.append(finding_as_text(finding, colour))
        if finding.fix:
            lines.append(f"  {paint('help:', Style.CYAN, colour)} {printable(finding.fix)}")
    return "\n".join(lines)


def summary_line(report: Report) -> str:
    counts = [
        plural(report.count(severity), severity.value)
        for severity in Severity
        if report.count(severity) or severity is not Severity.INFO
    ]
    models, files = len(report.index.models), len(report.index.files)
    what = f"{plural(models, 'model')} in {plural(files, 'file')}"
    return f"Found {', '.join(counts)} in {what}."


def fix_summary(run: FixRun, unsafe: bool, planned: bool = False) -> str:
    """What ``--fix`` did (or, ``planned``, what ``--diff`` shows it would do), for the
    terminal: the count, what it could not apply and why, and what ``--unsafe-fixes`` adds."""
    done = "Would fix" if planned else "Fixed"
    lines = [f"{done} {plural(len(run.fixed), 'finding')} in {plural(len(run.files), 'file')}."]
    for fix in run.refused:
        lines.append(printable(f"  {fix.path}: not changed: {fix.refused}"))
    for finding, why in run.unfit:
        lines.append(printable(f"  {finding.location}: {finding.code} not fixed: {why}"))
    if not unsafe:
        more = sum(
            1
            for finding in run.report.findings
            if finding.repair and finding.repair.applicability is Applicability.UNSAFE
        )
        if more:
            fixes = "1 more fix" if more == 1 else f"{more} more fixes"
            lines.append(f"{fixes} with --unsafe-fixes.")
    if planned and run.fixed:
        lines.append("(--fix validates again after these and may find more to fix.)")
    return "\n".join(lines)


def finding_as_data(finding: Finding) -> dict[str, object]:
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "path": finding.path,
        "line": finding.line,
        "model": finding.model,
        "field": finding.field,
        "message": finding.message,
        "fix": finding.fix,
        "fixable": finding.repair.applicability.value if finding.repair else None,
        "related": [
            {"path": r.location.path, "line": r.location.line, "message": r.note}
            for r in finding.related
        ],
    }


def as_json(report: Report) -> str:
    document = {
        "findings": [finding_as_data(finding) for finding in report.findings],
        "summary": report.summary(),
    }
    # ASCII only: a card's control characters and a file name's undecodable bytes come out as
    # escapes, never raw into a terminal or as text that is not UTF-8.
    return json.dumps(document, indent=2)


def _escape_github(text: str, is_property: bool = False) -> str:
    text = printable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if is_property:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def as_github(report: Report) -> str:
    """Workflow commands that GitHub Actions shows as annotations on the pull request."""
    lines = []
    for finding in report.findings:
        properties = [f"file={_escape_github(finding.path, True)}"]
        if finding.line is not None:
            properties.append(f"line={finding.line}")
        title = f"{finding.code} {RULES[finding.code].name}"
        properties.append(f"title={_escape_github(title, True)}")
        message = finding.message + (f" (fix: {finding.fix})" if finding.fix else "")
        command = _GITHUB_COMMAND[finding.severity]
        lines.append(f"::{command} {','.join(properties)}::{_escape_github(message)}")
    return "\n".join(lines)


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _sarif_uri(path: str) -> str:
    """A URI reference: relative paths stay relative (to the run's folder), others are file URIs.

    A file name's bytes are percent-encoded as they are on disk, undecodable ones included."""
    pure = PurePath(path)
    try:
        raw = os.fsencode(pure.as_posix())
    except UnicodeError:
        raw = pure.as_posix().encode("utf-8", "backslashreplace")
    quoted = quote(raw)
    return f"file://{quoted}" if pure.is_absolute() else quoted


def _sarif_location(path: str, line: int | None, message: str | None = None) -> dict[str, object]:
    physical: dict[str, object] = {"artifactLocation": {"uri": _sarif_uri(path)}}
    if line is not None:
        physical["region"] = {"startLine": line}
    location: dict[str, object] = {"physicalLocation": physical}
    if message:
        location["message"] = {"text": message}
    return location


def _sarif_rule(rule: Rule) -> dict[str, object]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.explanation},
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
    }


def as_sarif(report: Report) -> str:
    """SARIF 2.1.0, for GitHub code scanning and other static-analysis dashboards."""
    codes = sorted(RULES)
    rule_index = {code: position for position, code in enumerate(codes)}
    results = []
    for finding in report.findings:
        result: dict[str, object] = {
            "ruleId": finding.code,
            "ruleIndex": rule_index[finding.code],
            "level": _SARIF_LEVEL[finding.severity],
            "message": {"text": finding.message},
            "locations": [_sarif_location(finding.path, finding.line)],
        }
        if finding.related:
            result["relatedLocations"] = [
                {"id": position, **_sarif_location(r.location.path, r.location.line, r.note)}
                for position, r in enumerate(finding.related)
            ]
        if finding.model or finding.field or finding.fix:
            result["properties"] = {
                key: value
                for key, value in (
                    ("model", finding.model),
                    ("field", finding.field),
                    ("fix", finding.fix),
                )
                if value
            }
        results.append(result)
    document = {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "modelindex",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/modelindex-toolkit/",
                        "rules": [_sarif_rule(RULES[code]) for code in codes],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2)


RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": as_text,
    "json": as_json,
    "github": as_github,
    "sarif": as_sarif,
}


def statistics(report: Report, as_json: bool = False) -> str:
    """Counts per rule, most frequent first, as ruff's ``--statistics`` prints them."""
    rows = sorted(report.by_code().items(), key=lambda row: (-row[1], row[0]))
    if as_json:
        counts = [
            {
                "code": code,
                "name": RULES[code].name,
                "severity": RULES[code].severity.value,
                "count": count,
            }
            for code, count in rows
        ]
        return json.dumps({"statistics": counts, "summary": report.summary()}, indent=2)
    return "\n".join(
        f"{count:5d}  {code:5s}  {RULES[code].severity.value:8s} {RULES[code].name}"
        for code, count in rows
    )


def explain(rule: Rule) -> str:
    return (
        f"{rule.code} {rule.name} ({rule.severity.value})\n\n{rule.explanation}\n\n"
        f'Switch it off with `ignore = ["{rule.code}"]` in [tool.modelindex] or '
        f"`--ignore {rule.code}`."
    )


def rules_as_markdown() -> str:
    """The rule list for the docs: one table row per rule, then each explanation."""
    lines = [
        "| code | name | severity | what it reports |",
        "|---|---|---|---|",
    ]
    for code in sorted(RULES):
        rule = RULES[code]
        lines.append(f"| {code} | {rule.name} | {rule.severity.value} | {rule.summary} |")
    for code in sorted(RULES):
        rule = RULES[code]
        body = rule.explanation.split("\n", 1)[1].strip() if "\n" in rule.explanation else ""
        lines += ["", f"### {code} {rule.name}", "", f"*{rule.severity.value}*: {rule.summary}"]
        if body:
            lines += ["", body]
    return "\n".join(lines) + "\n"
