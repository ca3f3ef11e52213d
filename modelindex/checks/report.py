"""A validation report: the findings of one run, their counts and the exit code they imply."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from modelindex.checks.findings import Finding, Severity
from modelindex.checks.input_rules import INTERNAL_ERROR
from modelindex.checks.settings import Settings
from modelindex.index import Index

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
# 2 is bad usage; a bug of modelindex's own must not read as the zoo's errors.
EXIT_INTERNAL_ERROR = 3


@dataclass
class Report:
    findings: list[Finding]
    index: Index
    settings: Settings

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.findings if finding.severity is severity)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    def failed(self, strict: bool = False) -> bool:
        """Errors fail a run; with ``strict`` warnings do too. Infos never do."""
        failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
        return any(finding.severity in failing for finding in self.findings)

    def exit_code(self, strict: bool = False) -> int:
        if any(finding.code == INTERNAL_ERROR for finding in self.findings):
            return EXIT_INTERNAL_ERROR
        return EXIT_FINDINGS if self.failed(strict) else EXIT_CLEAN

    def by_code(self) -> Counter[str]:
        return Counter(finding.code for finding in self.findings)

    def summary(self) -> dict[str, object]:
        """The counts that the JSON output's ``summary`` holds."""
        return {
            "errors": self.count(Severity.ERROR),
            "warnings": self.count(Severity.WARNING),
            "infos": self.count(Severity.INFO),
            "models": len(self.index.models),
            "collections": len(self.index.collections),
            "files": len(self.index.files),
            "by_code": dict(sorted(self.by_code().items())),
        }
