"""Consistency rules over an index; see :func:`validate` and the registry in ``RULES``.

Importing this package registers every rule: one module per family of rules.
"""

from modelindex.checks import (  # noqa: F401 - imported to register their rules
    file_rules,
    hub_rules,
    input_rules,
    measured_rules,
    naming_rules,
    number_rules,
    online_rules,
    path_rules,
    preprocessing_rules,
    result_rules,
    source_rules,
    structure_rules,
    text_rules,
)
from modelindex.checks.engine import validate
from modelindex.checks.findings import Finding, Related, Severity
from modelindex.checks.registry import RULES, Rule, UnknownRuleError, matching_codes
from modelindex.checks.report import Report
from modelindex.checks.settings import Settings, SettingsError, find_pyproject, load_settings

__all__ = [
    "RULES",
    "Finding",
    "Related",
    "Report",
    "Rule",
    "Settings",
    "SettingsError",
    "Severity",
    "UnknownRuleError",
    "find_pyproject",
    "load_settings",
    "matching_codes",
    "validate",
]
