"""``modelindex validate`` and ``modelindex check-urls``: check a zoo and report findings."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import stat
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelindex.atomic_write import replace_atomically
from modelindex.checks import RULES, SettingsError, UnknownRuleError, matching_codes, validate
from modelindex.checks.fixes import fix_zoo, planned_fixes
from modelindex.checks.formats import (
    FORMATS,
    RENDERERS,
    as_text,
    explain,
    finding_as_text,
    fix_summary,
    statistics,
    summary_line,
)
from modelindex.checks.input_rules import INTERNAL_ERROR
from modelindex.checks.report import EXIT_FINDINGS, EXIT_INTERNAL_ERROR, Report
from modelindex.checks.report_files import is_report
from modelindex.checks.settings import Settings
from modelindex.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    Failure,
    add_config,
    add_repo_root,
    load_paths,
    project_settings,
    selectors,
)
from modelindex.cli.watching import watch
from modelindex.colour import colour_wanted
from modelindex.index import Index
from modelindex.links import url_fault
from modelindex.online.anchors import DEFAULT_RAW_BASE
from modelindex.online.options import DEFAULT_JOBS, DEFAULT_PER_HOST, HttpSettings, OnlineOptions
from modelindex.online.results import Status
from modelindex.online.url_cache import DEFAULT_TTL_S, default_url_cache_path
from modelindex.progress import progress_bar

if TYPE_CHECKING:
    from modelindex.online.run import OnlineRun


def _add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """What validate and check-urls share: the paths, the output and the codes to report."""
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or folders to check (default: the current folder)",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--select",
        action="append",
        metavar="CODES",
        help="report only these codes or prefixes, comma-separated, e.g. N,U003 (default: "
        "'select' in the settings, else every rule)",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        metavar="CODES",
        help="do not report these codes or prefixes, comma-separated; added to 'ignore' in "
        "the settings (default: none)",
    )
    parser.add_argument("--strict", action="store_true", help="warnings fail the run too")
    parser.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when findings fail the run; bad usage (2) and a bug of modelindex's "
        "own (3) still fail it",
    )
    parser.add_argument(
        "--output-file",
        metavar="FILE",
        help="write the report (or --diff's patch) to FILE, replaced at once, instead of to "
        "stdout (default: stdout)",
    )
    add_config(parser)
    add_repo_root(parser)


def _add_online_arguments(parser: argparse.ArgumentParser, with_switch: bool) -> None:
    group = parser.add_argument_group("online checks" + (" (with --online)" if with_switch else ""))
    if with_switch:
        group.add_argument(
            "--online",
            action="store_true",
            help="also check the URLs over the network (as 'modelindex check-urls' does)",
        )
    group.add_argument(
        "--download",
        action="store_true",
        help="download each weights file: check the sha256 prefix in its name and count its "
        "parameters (torch files need the [verify] extra)",
    )
    numbers: list[tuple[str, type, float, str, str]] = [
        ("--jobs", int, DEFAULT_JOBS, "N", "requests at once"),
        ("--per-host", int, DEFAULT_PER_HOST, "N", "requests at once to one host"),
        ("--timeout", float, HttpSettings.timeout_s, "S", "connect and read timeout in seconds"),
        ("--retries", int, HttpSettings.retries, "N", "retries on 429, 5xx and lost connections"),
        ("--ttl", float, DEFAULT_TTL_S / 3600, "HOURS", "hours a cached result holds"),
    ]
    for flag, kind, default, metavar, what in numbers:
        group.add_argument(
            flag, type=kind, default=kind(default), metavar=metavar, help=f"{what} ({default:g})"
        )
    group.add_argument(
        "--url-cache",
        metavar="FILE",
        help=f"the sqlite cache of URL checks (default: {default_url_cache_path()}; "
        "or set MODELINDEX_CACHE_DIR)",
    )
    group.add_argument(
        "--refresh", action="store_true", help="ask the network even where the cache answers"
    )
    group.add_argument(
        "--github-raw",
        default=DEFAULT_RAW_BASE,
        metavar="URL",
        help=f"where GitHub files are read to check Code anchors ({DEFAULT_RAW_BASE})",
    )


def add_validate(commands: Any) -> None:
    checking = commands.add_parser(
        "validate",
        help="check the metadata with consistency rules (for CI and pre-commit)",
        description="Check model metadata with consistency rules and report each finding as\n"
        "'path:line: CODE message'.\n\n"
        "exit code: 0 no errors (warnings allowed), 1 errors found (or warnings with\n"
        "--strict), 2 bad usage, 3 an internal error (a bug in modelindex).\n"
        "Settings come from [tool.modelindex] in the pyproject.toml nearest to the first PATH.",
        epilog="examples:\n  modelindex validate docs/\n"
        "  modelindex validate docs/ --format github --ignore U006,U007\n"
        "  modelindex validate --explain N001\n\nlist the rules with 'modelindex rules'.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_report_arguments(checking)
    checking.add_argument(
        "--statistics", action="store_true", help="print the number of findings per rule"
    )
    checking.add_argument(
        "--explain", metavar="CODE", help="print what a rule checks and why, then exit"
    )
    fixing = checking.add_argument_group(
        "fixes", "edit only the values the fixes name, keep the rest of each file byte for byte"
    )
    fixing.add_argument(
        "--fix",
        action="store_true",
        help="apply the safe fixes (damaged encoding, a misspelt key or interpolation, a "
        "unit written out in words), then report what remains",
    )
    fixing.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="with --fix or --diff, also apply the fixes that change a number or a link (a "
        "unit slip, the measured parameter count, the File Size the URL serves, the own "
        "checkpoint a README row gives for a copied one)",
    )
    fixing.add_argument(
        "--diff",
        action="store_true",
        help="print the changes --fix would make as a unified diff and write nothing "
        "(exit 1 when there are any)",
    )
    checking.add_argument(
        "--watch",
        action="store_true",
        help="check again whenever a file under PATH is saved, until Ctrl-C (offline only)",
    )
    _add_online_arguments(checking, with_switch=True)
    checking.set_defaults(run=validate_zoo)


def add_check_urls(commands: Any) -> None:
    url_checking = commands.add_parser(
        "check-urls",
        help="check that the zoo's URLs answer, weights sizes and hashes, Code anchors",
        description="Check every Weights, Config, Code and Paper URL over the network: the\n"
        "same engine as 'validate --online', reporting the online codes (O001-O009), and\n"
        "files it cannot read (L) and URLs it cannot ask (U001).\n"
        "Results are cached (sqlite, in the user's cache folder) for --ttl hours; a network\n"
        "fault is a warning, never an error, and is asked again next time.\n\n"
        "exit code: 0 no errors, 1 errors (a dead link, a size or hash that differs),\n"
        "2 bad usage, 3 an internal error (a bug in modelindex).",
        epilog="examples:\n  modelindex check-urls docs/\n"
        "  modelindex check-urls docs/ --download --format github\n"
        "  modelindex check-urls docs/ --refresh --jobs 8 --per-host 4",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_report_arguments(url_checking)
    _add_online_arguments(url_checking, with_switch=False)
    url_checking.set_defaults(
        run=check_zoo_urls,
        statistics=False,
        explain=None,
        fix=False,
        unsafe_fixes=False,
        diff=False,
        watch=False,
    )


def validate_zoo(args: argparse.Namespace) -> int:
    if args.explain is not None:
        try:
            codes = sorted(matching_codes([args.explain]))
        except UnknownRuleError:
            codes = []
        if not codes:
            raise Failure(f"--explain: no rule {args.explain!r}; see 'modelindex rules'")
        print("\n\n".join(explain(RULES[code]) for code in codes))
        return EXIT_OK
    try:
        settings = project_settings(args)
        if args.select is not None:
            settings = replace(settings, select=tuple(selectors(args.select)))
        if args.ignore:
            settings = replace(settings, ignore=(*settings.ignore, *selectors(args.ignore)))
        settings.enabled_codes()
    except (SettingsError, UnknownRuleError) as error:
        raise Failure(str(error)) from None
    if args.statistics and args.format not in {"text", "json"}:
        raise Failure(f"--statistics prints text or json, not {args.format}")
    if args.download and not args.online:
        raise Failure("--download checks weights files online: add --online")
    if args.unsafe_fixes and not (args.fix or args.diff):
        raise Failure("--unsafe-fixes says which fixes --fix applies: add --fix or --diff")
    if args.fix and args.diff:
        raise Failure("--diff shows what --fix would write: use one of them")
    if args.watch and (args.online or args.diff):
        raise Failure("--watch checks again on every save, offline: drop --online and --diff")
    if args.output_file == "":
        raise Failure("--output-file needs a file name")
    paths = args.paths or ["."]
    if args.output_file:
        _check_output_file(args.output_file)
    if not args.watch:
        return _validate_once(args, settings, paths)
    ignored = {os.path.realpath(args.output_file)} if args.output_file else set()
    return watch(paths, lambda: _validate_once(args, settings, paths), ignored)


def _check_output_file(name: str) -> None:
    """Refuse a report target that holds anything but a report of validate's: a card, a
    README, a config. A rename would also destroy a link, a device, a pipe or a folder."""
    try:
        status = os.lstat(name)
    except FileNotFoundError:
        folder = os.path.dirname(name) or "."
        if not os.path.isdir(folder):
            raise Failure(f"--output-file {name}: no folder {folder}") from None
        return
    except OSError as error:
        raise Failure(f"--output-file {name}: {error.strerror or error}") from None
    if not stat.S_ISREG(status.st_mode):
        what = "a folder" if stat.S_ISDIR(status.st_mode) else "not a regular file"
        raise Failure(f"--output-file {name}: is {what}; give a file name")
    if not is_report(name):
        raise Failure(
            f"--output-file {name}: holds something other than a report of validate's; "
            "name another file, or remove it first"
        )


def _without_report(index: Index, named: list[str]) -> Index:
    """The index without the reports of validate's that it read as cards (a report.txt
    written into the zoo); a file named as a PATH, or that declares models, stays."""
    named_real = {os.path.realpath(path) for path in named}
    declares = {entry.source.path for entry in [*index.models, *index.collections]}
    for path in list(index.files):
        if path in declares or os.path.realpath(path) in named_real:
            continue
        with contextlib.suppress(OSError):
            if os.path.getsize(path) > 0 and is_report(path):
                index.files.remove(path)
                index.problems = [problem for problem in index.problems if problem.path != path]
    return index


def _validate_once(args: argparse.Namespace, settings: Settings, paths: list[str]) -> int:
    index = _without_report(load_paths(paths, args), paths)
    online = _check_online(args, index) if args.online else None
    if args.diff:
        return _show_diff(args, paths, validate(index, settings, online))
    if args.fix:
        run = fix_zoo(
            lambda: _without_report(load_paths(paths, args), paths),
            settings,
            args.unsafe_fixes,
            online,
            loaded=index,
            within=paths,
        )
        report = run.report
    else:
        report = validate(index, settings, online)
    if args.statistics:
        output = statistics(report, as_json=args.format == "json")
    else:
        colour = args.format == "text" and not args.output_file and colour_wanted(sys.stdout)
        output = (
            as_text(report, colour) if args.format == "text" else RENDERERS[args.format](report)
        )
    _emit(args, output)
    if online is not None:
        from modelindex.online.summary import summary_table

        print(f"\n{summary_table(online)}", file=sys.stderr)
    if args.fix:
        print(fix_summary(run, args.unsafe_fixes), file=sys.stderr)
    if args.format == "text" or args.statistics:
        print(summary_line(report), file=sys.stderr)
    code = report.exit_code(strict=args.strict)
    # --exit-zero passes findings, never a bug of modelindex's own.
    return EXIT_OK if args.exit_zero and code == EXIT_FINDINGS else code


def _emit(args: argparse.Namespace, output: str) -> None:
    """The report to stdout, or with --output-file to that file, replaced at once."""
    if not args.output_file:
        if output:
            print(output)
        return
    try:
        # Checked again: the file may have changed since the run began.
        _check_output_file(args.output_file)
        data = (output + "\n" if output else "").encode("utf-8")
        replace_atomically(Path(args.output_file), data)
    except OSError as error:
        raise Failure(f"--output-file {args.output_file}: {error.strerror or error}") from None


def _show_diff(args: argparse.Namespace, paths: list[str], report: Report) -> int:
    """--diff: the changes as one unified diff; exit 1 when there are any, as ruff does."""
    run = planned_fixes(report, args.unsafe_fixes, within=paths)
    changed = [fix for fix in run.plans if fix.changed]
    # Exact for a file or a pipe (git apply takes it); made safe for a terminal.
    for_terminal = not args.output_file and sys.stdout.isatty()
    _emit(args, "".join(fix.diff(for_terminal) for fix in changed).removesuffix("\n"))
    print(fix_summary(run, args.unsafe_fixes, planned=True), file=sys.stderr)
    # A rule that failed may have had a fix to offer: a bug is never a clean diff.
    bugs = [finding for finding in report.findings if finding.code == INTERNAL_ERROR]
    for finding in bugs:
        print(finding_as_text(finding), file=sys.stderr)
    if bugs:
        return EXIT_INTERNAL_ERROR
    code = EXIT_FINDINGS if changed else EXIT_OK
    return EXIT_OK if args.exit_zero else code


def check_zoo_urls(args: argparse.Namespace) -> int:
    """check-urls: validate --online, reporting the online codes only."""
    # Besides its own codes: files it could not read (L) and URLs it could not ask (U001).
    reported = {code for code in RULES if code[0] in "OL"} | {"U001", "M001"}
    wanted = selectors(args.select) or sorted(reported)
    try:
        chosen = [code for code in matching_codes(wanted) if code in reported]
    except UnknownRuleError as error:
        raise Failure(str(error)) from None
    if not chosen:
        raise Failure(f"--select {','.join(wanted)} names no code check-urls reports")
    args.select, args.online = [",".join(sorted(chosen))], True
    return validate_zoo(args)


def _online_options(args: argparse.Namespace) -> OnlineOptions:
    if args.jobs < 1 or args.per_host < 1:
        raise Failure("--jobs and --per-host must be at least 1")
    if not (0 < args.timeout <= 3600):
        raise Failure("--timeout must be a positive number of seconds, at most 3600")
    if args.retries < 0:
        raise Failure("--retries must be 0 or more")
    if url_fault(args.github_raw):
        raise Failure(f"--github-raw {args.github_raw!r} {url_fault(args.github_raw)}")
    if not (0 <= args.ttl < math.inf):
        raise Failure("--ttl must be 0 or more hours")
    if args.url_cache == "":
        raise Failure("--url-cache needs a file name")
    return OnlineOptions(
        download=args.download,
        jobs=args.jobs,
        per_host=args.per_host,
        http=HttpSettings(timeout_s=args.timeout, retries=args.retries),
        raw_base=args.github_raw,
        refresh=args.refresh,
    )


def _check_online(args: argparse.Namespace, index: Index) -> OnlineRun:
    # requests is imported here, not by offline commands.
    from modelindex.online.run import check_zoo, planned_count

    options = _online_options(args)
    try:
        total = planned_count(index, options)
        with progress_bar(total, "checking URLs", quiet_status=Status.OK.value) as advance:
            return check_zoo(
                index,
                options,
                Path(args.url_cache) if args.url_cache else None,
                ttl_s=args.ttl * 3600,
                progress=advance,
            )
    except KeyboardInterrupt:
        # What was checked is in the cache by now. Requests still running would hold the exit
        # until their timeouts: leave without waiting for them.
        print("\ninterrupted; the URLs checked so far are cached", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)
