"""The ``modelindex`` command: a thin layer over the Python API.

Exit codes: 0 success; 1 the asked-for model does not exist, or validate found errors;
2 bad usage or unreadable input (for validate, unreadable input is a finding instead);
3 an internal error: a bug in modelindex, never to be read as the zoo's errors.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from modelindex._version import __version__
from modelindex.bundled import bundled_docs_path, bundled_index
from modelindex.checks import (
    RULES,
    Settings,
    SettingsError,
    UnknownRuleError,
    find_pyproject,
    load_settings,
    matching_codes,
    validate,
)
from modelindex.checks.formats import (
    FORMATS,
    RENDERERS,
    explain,
    rules_as_markdown,
    statistics,
    summary_line,
)
from modelindex.checks.report import EXIT_INTERNAL_ERROR
from modelindex.formatting import (
    model_as_json_data,
    model_as_text,
    models_as_csv,
    models_as_json,
    models_as_table,
)
from modelindex.index import Index, UnknownModelError
from modelindex.links import url_fault
from modelindex.loading import load
from modelindex.measurements.cache import MeasurementCache, is_packaged
from modelindex.measurements.cache import cache_path as measurements_path
from modelindex.online.anchors import DEFAULT_RAW_BASE
from modelindex.online.options import DEFAULT_JOBS, DEFAULT_PER_HOST, HttpSettings, OnlineOptions
from modelindex.online.results import Status
from modelindex.online.targets import url_targets
from modelindex.online.url_cache import DEFAULT_TTL_S, UrlCache, default_url_cache_path
from modelindex.printable import printable
from modelindex.problems import ProblemKind
from modelindex.progress import progress_bar
from modelindex.query import FIELDS, QueryError, sort_models
from modelindex.readers.registry import looked_for
from modelindex.verify.report import print_outcomes
from modelindex.verify.run import DEFAULT_TIMEOUT_S, selected, verify
from modelindex.verify.torch_env import VerifyUnavailable

if TYPE_CHECKING:
    from modelindex.online.run import OnlineRun

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Failure(Exception):
    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def _add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PYPROJECT",
        help="read [tool.modelindex] from this file instead of the nearest pyproject.toml",
    )


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
        help="report only these codes or prefixes, comma-separated (e.g. N,U003)",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        metavar="CODES",
        help="do not report these codes or prefixes, comma-separated",
    )
    parser.add_argument("--strict", action="store_true", help="warnings fail the run too")


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


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="model-index files, markdown cards, README tables or folders to walk "
        "(default: the zoo bundled with modelindex)",
    )
    parser.add_argument(
        "--repo-root",
        metavar="DIR",
        help="resolve Config and README paths of model-index files against DIR, "
        "as OpenMMLab metafiles expect",
    )


def _load(args: argparse.Namespace) -> Index:
    """The PATHs given, or the bundled zoo when there are none."""
    return _load_paths(args.paths, args) if args.paths else bundled_index()


def _load_paths(paths: list[str], args: argparse.Namespace) -> Index:
    try:
        index = load(*paths, repo_root=args.repo_root)
    except (FileNotFoundError, NotADirectoryError) as error:
        raise _Failure(f"{error.filename}: {error.strerror}") from None
    if not index.files and not index.problems:
        # A job that checks nothing must not pass: a wrong path, or cards in a format not read.
        walked = ", ".join(paths)
        raise _Failure(f"no file to read in {walked}; looked for {looked_for()}")
    return index


def _report_problems(index: Index) -> int:
    for problem in index.problems:
        print(printable(f"{problem} [{problem.kind.value}]"), file=sys.stderr)
    if any(problem.kind is ProblemKind.INTERNAL for problem in index.problems):
        return EXIT_INTERNAL_ERROR
    return EXIT_USAGE if index.problems else EXIT_OK


def _show(args: argparse.Namespace) -> int:
    index = _load(args)
    try:
        model = index[args.name]
    except UnknownModelError as error:
        reported = _report_problems(index)
        print(printable(f"error: {error}"), file=sys.stderr)
        # The model may be missing because a reader failed on its file.
        return EXIT_INTERNAL_ERROR if reported == EXIT_INTERNAL_ERROR else EXIT_NOT_FOUND
    if args.json:
        print(json.dumps(model_as_json_data(model), indent=2))
    else:
        print(model_as_text(model))
    return _report_problems(index)


def _list(args: argparse.Namespace) -> int:
    index = _load(args)
    try:
        models = index.where(args.where) if args.where else list(index)
        if args.sort:
            models = sort_models(models, args.sort)
    except QueryError as error:
        raise _Failure(f"--where/--sort: {error}") from None
    if args.format == "json":
        print(models_as_json(models))
    elif args.format == "csv":
        print(models_as_csv(models), end="")
    else:
        print(models_as_table(models))
        print(f"\n{len(models)} of {len(index)} models", file=sys.stderr)
    return _report_problems(index)


def _selectors(values: list[str] | None) -> list[str]:
    """--select N001,U --select S -> ['N001', 'U', 'S']"""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _project_settings(args: argparse.Namespace) -> Settings:
    """[tool.modelindex] from --config, or like ruff from the pyproject.toml nearest to the
    first PATH, wherever the command runs from. Raises SettingsError."""
    start = Path(args.paths[0]) if args.paths and Path(args.paths[0]).exists() else Path()
    return load_settings(Path(args.config) if args.config else find_pyproject(start))


def _validate(args: argparse.Namespace) -> int:
    if args.explain is not None:
        try:
            codes = sorted(matching_codes([args.explain]))
        except UnknownRuleError:
            codes = []
        if not codes:
            raise _Failure(f"--explain: no rule {args.explain!r}; see 'modelindex rules'")
        print("\n\n".join(explain(RULES[code]) for code in codes))
        return EXIT_OK
    try:
        settings = _project_settings(args)
        if args.select is not None:
            settings = replace(settings, select=tuple(_selectors(args.select)))
        if args.ignore:
            settings = replace(settings, ignore=(*settings.ignore, *_selectors(args.ignore)))
        settings.enabled_codes()
    except (SettingsError, UnknownRuleError) as error:
        raise _Failure(str(error)) from None
    if args.statistics and args.format not in {"text", "json"}:
        raise _Failure(f"--statistics prints text or json, not {args.format}")
    if args.download and not args.online:
        raise _Failure("--download checks weights files online: add --online")
    index = _load_paths(args.paths or ["."], args)
    online = _check_urls(args, index) if args.online else None
    report = validate(index, settings, online)
    if args.statistics:
        output = statistics(report, as_json=args.format == "json")
        if output:
            print(output)
    else:
        output = RENDERERS[args.format](report)
        if output:
            print(output)
    if online is not None:
        from modelindex.online.summary import summary_table

        print(f"\n{summary_table(online)}", file=sys.stderr)
    if args.format == "text" or args.statistics:
        print(summary_line(report), file=sys.stderr)
    return report.exit_code(strict=args.strict)


def _check_urls_command(args: argparse.Namespace) -> int:
    """check-urls: validate --online, reporting the online codes only."""
    # Besides its own codes: files it could not read (L) and URLs it could not ask (U001).
    reported = {code for code in RULES if code[0] in "OL"} | {"U001", "M001"}
    selected = _selectors(args.select) or sorted(reported)
    try:
        chosen = [code for code in matching_codes(selected) if code in reported]
    except UnknownRuleError as error:
        raise _Failure(str(error)) from None
    if not chosen:
        raise _Failure(f"--select {','.join(selected)} names no code check-urls reports")
    args.select, args.online = [",".join(sorted(chosen))], True
    return _validate(args)


def _online_options(args: argparse.Namespace) -> OnlineOptions:
    if args.jobs < 1 or args.per_host < 1:
        raise _Failure("--jobs and --per-host must be at least 1")
    if not (0 < args.timeout <= 3600):
        raise _Failure("--timeout must be a positive number of seconds, at most 3600")
    if args.retries < 0:
        raise _Failure("--retries must be 0 or more")
    if url_fault(args.github_raw):
        raise _Failure(f"--github-raw {args.github_raw!r} {url_fault(args.github_raw)}")
    return OnlineOptions(
        download=args.download,
        jobs=args.jobs,
        per_host=args.per_host,
        http=HttpSettings(timeout_s=args.timeout, retries=args.retries),
        raw_base=args.github_raw,
        refresh=args.refresh,
    )


def _check_urls(args: argparse.Namespace, index: Index) -> OnlineRun:
    # requests is imported here, not by offline commands.
    from modelindex.online.run import check_urls, planned_checks

    options = _online_options(args)
    if not (0 <= args.ttl < math.inf):
        raise _Failure("--ttl must be 0 or more hours")
    if args.url_cache == "":
        raise _Failure("--url-cache needs a file name")
    path = Path(args.url_cache) if args.url_cache else default_url_cache_path()
    total = len(planned_checks(url_targets(index), options))
    try:
        with (
            UrlCache(path, ttl_s=args.ttl * 3600) as cache,
            progress_bar(total, "checking URLs", quiet_status=Status.OK.value) as advance,
        ):
            return check_urls(index, cache, options, progress=advance)
    except KeyboardInterrupt:
        # What was checked is in the cache by now. Requests still running would hold the exit
        # until their timeouts: leave without waiting for them.
        print("\ninterrupted; the URLs checked so far are cached", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)


def _verify(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise _Failure("--jobs must be at least 1")
    if not (0 < args.timeout < math.inf):
        raise _Failure("--timeout must be a positive number of seconds")
    cache_path = Path(args.cache) if args.cache else None
    if cache_path is None:
        try:
            cache_path = _project_settings(args).measurements
        except SettingsError as error:
            raise _Failure(f"{error} (or pass --cache FILE)") from None
    index = _load_paths(args.paths or ["."], args)
    chosen = selected(index, args.only)
    if not chosen:
        what = f"matches --only {args.only!r}" if args.only else "has a name"
        raise _Failure(f"no model {what} in {', '.join(args.paths or ['.'])}")
    # Where validate reads: --cache, else [tool.modelindex] measurements, else the bundled one.
    cache = MeasurementCache(measurements_path(cache_path))
    try:
        with progress_bar(len(chosen), "verifying") as advance:
            outcomes = verify(
                index,
                cache,
                jobs=args.jobs,
                only=args.only,
                refresh=args.refresh,
                timeout_s=args.timeout,
                progress=lambda outcome: advance(outcome.model, outcome.status),
            )
    except VerifyUnavailable as error:
        raise _Failure(str(error)) from None
    finally:
        # Also on Ctrl-C: what was measured so far is kept.
        _save_measurements(cache, packaged=cache_path is None and is_packaged(cache.path))
    return print_outcomes(index, outcomes, cache, as_json=args.format == "json")


def _save_measurements(cache: MeasurementCache, packaged: bool) -> None:
    if not cache.changed:
        return
    if packaged:
        print(
            f"warning: measurements not saved: {cache.path} belongs to the installed package; "
            "pass --cache FILE, or set measurements in [tool.modelindex]",
            file=sys.stderr,
        )
        return
    try:
        cache.save()
    except OSError as error:
        print(
            f"warning: measurements not saved to {cache.path}: {error}; pass --cache FILE",
            file=sys.stderr,
        )


def _build(args: argparse.Namespace) -> int:
    from modelindex.site.build import BuildError, build_site

    paths = [Path(path) for path in args.paths or ["."]]
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise _Failure(f"{missing[0]}: no such file or folder")
    try:
        output = build_site(
            paths,
            Path(args.output),
            site_name=args.site_name,
            templates=Path(args.templates) if args.templates else None,
            measurements=Path(args.measurements) if args.measurements else None,
            strict=args.strict,
        )
    except BuildError as error:
        raise _Failure(str(error)) from None
    print(f"site built in {output}; open {output / 'index.html'}")
    return EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    if args.format == "markdown":
        print(rules_as_markdown(), end="")
        return EXIT_OK
    for code in sorted(RULES):
        found = RULES[code]
        print(f"{code:5s} {found.severity.value:8s} {found.name:28s} {found.summary}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelindex",
        description="Read, check and look up model-zoo metadata in the model-index format.",
        epilog="Run 'modelindex COMMAND --help' for a command's options. "
        f"The bundled zoo is read from {bundled_docs_path()}.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    show = commands.add_parser(
        "show",
        help="print every field of one model and its preprocessing",
        description="Print every field of one model, where it was declared, and the derived "
        "preprocessing (resize, center crop, interpolation).",
        epilog="example: modelindex show resnet50d docs/",
    )
    show.add_argument("name", metavar="NAME", help="the model's name, e.g. resnet50d")
    _add_source_arguments(show)
    show.add_argument("--json", action="store_true", help="print the model as JSON")
    show.set_defaults(run=_show)

    listing = commands.add_parser(
        "list",
        help="list models, filtered and sorted",
        description="List the models of an index, optionally filtered and sorted.",
        epilog="fields: " + ", ".join(FIELDS) + "\n\nexample: modelindex list docs/ "
        "--where 'parameters < 30e6 and top1 > 80' --sort=-top1",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_source_arguments(listing)
    listing.add_argument(
        "--where",
        metavar="EXPR",
        help='filter such as "parameters < 30e6 and top1 > 80" or "\'resnet\' in name"',
    )
    listing.add_argument(
        "--sort", metavar="FIELD", help="sort by a field; --sort=-FIELD sorts descending"
    )
    listing.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="output format"
    )
    listing.set_defaults(run=_list)

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
    _add_config_argument(checking)
    checking.add_argument(
        "--repo-root",
        metavar="DIR",
        help="resolve Config and README paths of model-index files against DIR",
    )
    _add_online_arguments(checking, with_switch=True)
    checking.set_defaults(run=_validate)

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
    _add_config_argument(url_checking)
    url_checking.add_argument("--repo-root", metavar="DIR", help=argparse.SUPPRESS)
    _add_online_arguments(url_checking, with_switch=False)
    url_checking.set_defaults(run=_check_urls_command, statistics=False, explain=None)

    measuring = commands.add_parser(
        "verify",
        help="re-measure parameters and FLOPs with the reference implementations (torch)",
        description="Build each model's reference implementation (timm) on PyTorch's meta "
        "device and measure its parameters, buffers, state-dict bytes and FLOPs. Results go "
        "to the measurement cache that 'modelindex validate' reads. Needs the [verify] extra.",
        epilog="example: modelindex verify docs/ --jobs 2",
    )
    measuring.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to verify")
    measuring.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes")
    measuring.add_argument("--only", metavar="PATTERN", help="only models matching this glob")
    measuring.add_argument(
        "--refresh", action="store_true", help="measure again even when the cache has a result"
    )
    measuring.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format"
    )
    measuring.add_argument(
        "--cache",
        metavar="FILE",
        help="measurement cache to read and update (default: 'measurements' in "
        "[tool.modelindex], else the data/measurements.json that validate reads)",
    )
    _add_config_argument(measuring)
    measuring.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="S",
        help=f"seconds allowed per model (default {DEFAULT_TIMEOUT_S:g})",
    )
    measuring.add_argument("--repo-root", metavar="DIR", help=argparse.SUPPRESS)
    measuring.set_defaults(run=_verify)

    building = commands.add_parser(
        "build",
        help="build the zoo's website (mkdocs-material) with no mkdocs.yml needed",
        description="Build a static website of the zoo: a page per collection with each "
        "model's numbers, preprocessing, links and verification status, a sortable "
        "comparison table with accuracy-against-cost plots, and validate's findings. It works "
        "offline. With an mkdocs.yml of your own, add 'modelindex' to its plugins instead.",
        epilog="example: modelindex build docs/ -o site/",
    )
    building.add_argument("paths", nargs="*", metavar="PATH", help="files or folders of the zoo")
    building.add_argument(
        "-o",
        "--output",
        default="site",
        metavar="DIR",
        help="where the site goes (default: site); its contents are replaced, so an existing "
        "folder must be empty or a site modelindex built before (it holds .modelindex-site), "
        "and must not hold any input",
    )
    building.add_argument("--site-name", default="Model zoo", help="the site's title")
    building.add_argument(
        "--templates", metavar="DIR", help="templates that override the bundled ones by name"
    )
    building.add_argument(
        "--measurements", metavar="FILE", help="measurement cache (default: as validate reads)"
    )
    building.add_argument(
        "--strict", action="store_true", help="fail on any mkdocs warning, as mkdocs --strict"
    )
    building.set_defaults(run=_build)

    rules = commands.add_parser(
        "rules",
        help="list every validation rule",
        description="List every rule of 'modelindex validate' with its code and severity.",
    )
    rules.add_argument(
        "--format", choices=("text", "markdown"), default="text", help="output format"
    )
    rules.set_defaults(run=_rules)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # A warning (an unreadable cache, say) is one line for the user, not Python's source echo.
    warnings.formatwarning = lambda message, *_rest, **_kw: f"warning: {message}\n"
    with _terminate_as_interrupt():
        return _run(args)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, a container stopped) ends a command as Ctrl-C does, so that
    it cleans up after itself: a half-built site, a partial download, a cache being saved."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals to whoever runs us
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.run(args))
    except _Failure as failure:
        print(printable(f"error: {failure}"), file=sys.stderr)
        return failure.code
    except BrokenPipeError:
        # Output piped into `head` and closed early is not an error of ours.
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:
        print(printable(_internal_error(error)), file=sys.stderr)
        return EXIT_INTERNAL_ERROR


def _internal_error(error: Exception) -> str:
    """One line that a bug report can start from: the error and where in modelindex it rose."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if f"{os.sep}modelindex{os.sep}" in frame.filename]
    where = ""
    if ours or frames:
        frame = (ours or frames)[-1]
        where = f" at {Path(frame.filename).name}:{frame.lineno}"
    detail = str(error)
    detail = detail if len(detail) <= 300 else f"{detail[:297]}..."
    return (
        f"internal error: {type(error).__name__}: {detail}{where}. This is a bug in modelindex "
        f"{__version__}; please report it with the input that caused it."
    )


if __name__ == "__main__":
    raise SystemExit(main())
