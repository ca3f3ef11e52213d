"""``modelindex rules``: every validation rule, with its code and severity."""

from __future__ import annotations

import argparse
from typing import Any

from modelindex.checks import RULES
from modelindex.checks.formats import rules_as_markdown
from modelindex.cli.common import EXIT_OK


def add_rules(commands: Any) -> None:
    rules = commands.add_parser(
        "rules",
        help="list every validation rule",
        description="List every rule of 'modelindex validate' with its code and severity.",
    )
    rules.add_argument(
        "--format",
        choices=("text", "markdown"),
        default="text",
        help="output format (default: text)",
    )
    rules.set_defaults(run=list_rules)


def list_rules(args: argparse.Namespace) -> int:
    if args.format == "markdown":
        print(rules_as_markdown(), end="")
        return EXIT_OK
    for code in sorted(RULES):
        found = RULES[code]
        print(f"{code:5s} {found.severity.value:8s} {found.name:28s} {found.summary}")
    return EXIT_OK
