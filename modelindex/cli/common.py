"""What the commands share: exit codes, the failure they report, and reading the paths given."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from modelindex.bundled import bundled_index
from modelindex.checks import Settings, find_pyproject, load_settings
from modelindex.checks.report import EXIT_INTERNAL_ERROR
from modelindex.index import Index
from modelindex.loading import load, nothing_read
from modelindex.printable import printable
from modelindex.problems import FORMAT_ONLY, ProblemKind

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
__all__ = ["EXIT_INTERNAL_ERROR"]


class Failure(Exception):
    """A command cannot do what it was asked: one line for the user, and an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def add_repo_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repo-root",
        metavar="DIR",
        help="resolve Config and README paths of model-index files against DIR, as OpenMMLab "
        "metafiles expect; Imports may read anywhere under it (default: each file's folder)",
    )


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PYPROJECT",
        help="read [tool.modelindex] from this file (default: the pyproject.toml nearest to "
        "the first PATH)",
    )


def load_paths(paths: list[str], args: argparse.Namespace) -> Index:
    try:
        index = load(*paths, repo_root=getattr(args, "repo_root", None))
    except (FileNotFoundError, NotADirectoryError) as error:
        raise Failure(f"{error.filename}: {error.strerror}") from None
    # A job that checks nothing must not pass.
    empty = nothing_read(index, paths)
    if empty:
        raise Failure(empty)
    return index


def load_or_bundled(args: argparse.Namespace) -> Index:
    """The PATHs given, or the bundled zoo when there are none."""
    return load_paths(args.paths, args) if args.paths else bundled_index()


def report_problems(index: Index) -> int:
    """Print the files that could not be read, whole or in part; the exit code they imply.
    What is said only of a file's format is `validate`'s to report."""
    problems = [problem for problem in index.problems if problem.kind not in FORMAT_ONLY]
    for problem in problems:
        print(printable(f"{problem} [{problem.kind.value}]"), file=sys.stderr)
    if any(problem.kind is ProblemKind.INTERNAL for problem in problems):
        return EXIT_INTERNAL_ERROR
    return EXIT_USAGE if problems else EXIT_OK


def project_settings(args: argparse.Namespace) -> Settings:
    """[tool.modelindex] from --config, or like ruff from the pyproject.toml nearest to the
    first PATH, wherever the command runs from. Raises SettingsError."""
    start = Path(args.paths[0]) if args.paths and Path(args.paths[0]).exists() else Path()
    return load_settings(Path(args.config) if args.config else find_pyproject(start))


def selectors(values: list[str] | None) -> list[str]:
    """--select N001,U --select S -> ['N001', 'U', 'S']"""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]
