"""Whether a file holds a report that ``validate`` wrote, in any of its formats.

``--output-file`` replaces a file only where it holds such a report (or nothing): anything
else, a card, a README, a pyproject.toml, is somebody's work. A report that a run wrote into
the zoo is not read back as a card either. The test is strict: every line of a text report is
``path:line: CODE message`` with a code that a rule has, or its ``help:`` line; a JSON or SARIF
report parses as one. A patch (``--diff``) cannot be told from one a user made, so it is
never replaced.
"""

from __future__ import annotations

import json
import os
import re

from modelindex.checks.registry import RULES

# A report larger than this is no longer told from other files: it is not replaced.
LARGEST_REPORT = 64 << 20
_FINDING_LINE = re.compile(r"\S.*?: (?P<code>[A-Z]\d{3})(?: \[\*\])? \S.*")
_HELP_LINE = re.compile(r"  help: \S.*")
_STATISTICS_LINE = re.compile(r" *\d+  (?P<code>[A-Z]\d{3}) +(?:error|warning|info) +\S+")
_GITHUB_LINE = re.compile(r"::(?:error|warning|notice) file=[^\n]*::.*")
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _is_text_report(text: str) -> bool:
    for line in text.split("\n"):
        if not line or _HELP_LINE.fullmatch(line) or _GITHUB_LINE.fullmatch(line):
            continue
        found = _FINDING_LINE.fullmatch(line) or _STATISTICS_LINE.fullmatch(line)
        if found is None or found["code"] not in RULES:
            return False
    return True


def _is_json_report(text: str) -> bool:
    try:
        document = json.loads(text)
    except ValueError:
        return False
    if not isinstance(document, dict):
        return False
    if set(document) in ({"findings", "summary"}, {"statistics", "summary"}):
        return True
    runs = document.get("runs")
    return (
        document.get("$schema") == _SARIF_SCHEMA
        and isinstance(runs, list)
        and all(
            isinstance(run, dict)
            and run.get("tool", {}).get("driver", {}).get("name") == "modelindex"
            for run in runs
        )
    )


def _is_our_run(run: object) -> bool:
    if not isinstance(run, dict):
        return False
    driver = run.get("tool", {}).get("driver", {}) if isinstance(run.get("tool"), dict) else {}
    return isinstance(driver, dict) and driver.get("name") == "modelindex"


def is_report(path: str) -> bool:
    """Whether ``path`` is a regular file that holds a report of validate's, or nothing."""
    try:
        if os.path.islink(path) or not os.path.isfile(path):
            return False
        if os.path.getsize(path) > LARGEST_REPORT:
            return False
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return False
    if not text.strip():
        return True
    if text.startswith("{"):
        return _is_json_report(text)
    return _is_text_report(text)
