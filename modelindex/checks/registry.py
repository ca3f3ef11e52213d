"""The rule registry: every rule's stable code, name, severity and explanation.

A rule is one small function registered with :func:`rule`. Its docstring is the explanation
that ``modelindex validate --explain CODE`` prints and that the docs list; the first line is
its one-line summary. The scope says what the function is called with:

- ``entry``: one model or collection at a time, ``(entry, context)``;
- ``index``: the whole index once, ``(context)``. Rules that compare models group or hash;
  they never compare all pairs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from modelindex.checks.findings import Hit, Severity


class Scope(StrEnum):
    ENTRY = "entry"
    INDEX = "index"


RuleFunction = Callable[..., Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    scope: Scope
    check: RuleFunction | None
    explanation: str
    local: bool = True
    """Whether its findings in a file depend on that file alone (and on the caches), not on
    the other files checked with it: only then can a run of some files tell that a
    suppression of it is unused."""

    @property
    def summary(self) -> str:
        return self.explanation.split("\n", 1)[0].strip()


RULES: dict[str, Rule] = {}


def _register(found: Rule) -> None:
    if found.code in RULES:
        raise ValueError(f"rule code {found.code} registered twice")
    RULES[found.code] = found


def rule(
    code: str, name: str, severity: Severity, scope: Scope, local: bool | None = None
) -> Callable[[Any], Any]:
    """Register the decorated function as rule ``code``. ``local``: see :attr:`Rule.local`;
    by default a rule of one entry is, and a rule of the whole index is not."""

    def register(function: RuleFunction) -> RuleFunction:
        explanation = inspect.getdoc(function) or name
        is_local = scope is Scope.ENTRY if local is None else local
        _register(Rule(code, name, severity, scope, function, explanation, is_local))
        return function

    return register


def declare(code: str, name: str, severity: Severity, explanation: str) -> None:
    """Register a code that the engine reports itself, such as an unreadable file."""
    _register(Rule(code, name, severity, Scope.INDEX, None, inspect.cleandoc(explanation)))


class UnknownRuleError(ValueError):
    pass


def matching_codes(selectors: Iterable[str]) -> set[str]:
    """The codes named by selectors: a whole code ('N003'), a prefix ('N', 'N0') or 'ALL'."""
    codes: set[str] = set()
    for selector in selectors:
        wanted = selector.strip().upper()
        if not wanted:
            continue
        found = {code for code in RULES if wanted == "ALL" or code.startswith(wanted)}
        if not found:
            raise UnknownRuleError(f"no rule code matches {selector!r}")
        codes |= found
    return codes
