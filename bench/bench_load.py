"""Time ``modelindex.load`` on a model-zoo corpus against a parsing floor and the PwC library.

Usage: ``python bench/bench_load.py [CORPUS_DIR] [--repeat N] [--pwc-venv DIR] [--json]``

Three loaders read the same markdown files:

* modelindex: this repository's ``modelindex.load(CORPUS_DIR)``.
* floor: find the ``<!-- ... model-index ... -->`` comments and parse them with libyaml, nothing
  else; no loader that reads these files can do less work.
* pwc: Papers-with-Code's ``model-index`` library, run in its own virtualenv because it is also
  imported as ``modelindex``.

Each time is the median of N runs after one warm-up run. The exit status is 0 whatever the ratios
are (this is a report), and 1 when modelindex does not find the 272 models of the default corpus.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "timm-docs"
DEFAULT_PWC_VENV = Path("/tmp/modelindex-bench-pwc-venv")
EXPECTED_MODELS_IN_DEFAULT_CORPUS = 272
PWC_VERSION = "0.1.11"
TARGET_MODELINDEX_OVER_FLOOR = 1.5
TARGET_PWC_OVER_MODELINDEX = 7.0
# A cold pip install resolves and downloads several packages; give it room on a slow mirror.
PIP_INSTALL_TIMEOUT_S = 600
PWC_RUN_TIMEOUT_S = 600

T = TypeVar("T")

# Runs under the PwC venv's interpreter, whose Python version we do not control: keep it to
# syntax every Python 3 that model-index supports understands. It reads {"files", "repeat"} as
# JSON on stdin and answers with one JSON object on stdout.
PWC_TIMING_SCRIPT = r"""
import json, os, statistics, sys, tempfile, time
from importlib import metadata

import yaml
import modelindex

request = json.load(sys.stdin)
with tempfile.TemporaryDirectory() as folder:
    # PwC load() reads one file; a root model-index.yml whose Import lists every markdown file
    # is how that library loads a whole zoo, and it also applies collection inheritance.
    root = os.path.join(folder, "model-index.yml")
    with open(root, "w") as handle:
        yaml.safe_dump({"Import": request["files"]}, handle)
    loaded = modelindex.load(root)
    timings = []
    for _ in range(request["repeat"]):
        start = time.perf_counter()
        modelindex.load(root)
        timings.append(time.perf_counter() - start)
json.dump(
    {
        "seconds": statistics.median(timings),
        "models": len(loaded.models),
        "collections": len(loaded.collections),
        "import_errors": [str(error) for error in loaded.check_errors],
        "version": metadata.version("model-index"),
        "module": modelindex.__file__,
    },
    sys.stdout,
)
"""


class PwcUnavailable(Exception):
    """The PwC library could not be installed or run; the reason goes into the report."""


@dataclass
class Measurement:
    loader: str
    seconds: float | None = None
    models: int | None = None
    unavailable: str | None = None


def import_repo_modelindex() -> ModuleType:
    # An installed modelindex-toolkit, or PwC's package of the same name, must not be the one
    # we time: put the checkout first and verify where the module came from.
    sys.path.insert(0, str(REPO_ROOT))
    module = importlib.import_module("modelindex")
    module_file = Path(module.__file__ or "").resolve()
    if not module_file.is_relative_to(REPO_ROOT):
        sys.exit(f"imported modelindex from {module_file}, not from the checkout {REPO_ROOT}")
    return module


def time_median(action: Callable[[], T], repeat: int) -> tuple[T, float]:
    # The warm-up run pays for first-use costs (lazy imports, regex compilation, cold page
    # cache) that a long-lived process pays once; its result is the one we report counts from.
    result = action()
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return result, statistics.median(timings)


def markdown_files(corpus: Path) -> list[Path]:
    return sorted(corpus.rglob("*.md"))


def model_index_comments(text: str) -> list[str]:
    comments = []
    start = text.find("<!--")
    while start != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break
        body = text[start + 4 : end]
        if "model-index" in body:
            comments.append(body)
        start = text.find("<!--", end + 3)
    return comments


def count_models(document: object) -> int:
    if not isinstance(document, dict):
        return 0
    models = document.get("Models")
    return len(models) if isinstance(models, list) else 0


def parse_comment(comment: str, loader: type[yaml.SafeLoader | yaml.CSafeLoader]) -> object:
    # modelindex carries on past a malformed file, so the floor skips one rather than crash.
    try:
        return yaml.load(comment, Loader=loader)
    except yaml.YAMLError:
        return None


def describes_a_zoo(document: object) -> bool:
    if not isinstance(document, dict):
        return False
    keys = {str(key).lower() for key in document}
    return bool(keys & {"models", "collections"})


def files_with_model_index(corpus: Path) -> list[Path]:
    # A file that only quotes "<!-- Type: model-index ... -->" in prose (the corpus's SOURCE.md
    # does, in backticks) holds no zoo: count a file only when a comment lists models or
    # collections.
    return [
        path
        for path in markdown_files(corpus)
        if any(
            describes_a_zoo(parse_comment(comment, yaml.SafeLoader))
            for comment in model_index_comments(path.read_text(encoding="utf-8"))
        )
    ]


def parse_comments_with_libyaml(corpus: Path) -> int:
    # Listing the files is inside the timed work because modelindex.load walks the folder too.
    models = 0
    for path in markdown_files(corpus):
        for comment in model_index_comments(path.read_text(encoding="utf-8")):
            models += count_models(parse_comment(comment, yaml.CSafeLoader))
    return models


def measure_modelindex(module: ModuleType, corpus: Path, repeat: int) -> Measurement:
    index, seconds = time_median(lambda: module.load(corpus), repeat)
    return Measurement("modelindex", seconds=seconds, models=len(index))


def measure_floor(corpus: Path, repeat: int) -> Measurement:
    if not getattr(yaml, "__with_libyaml__", False):
        return Measurement("floor", unavailable="PyYAML was built without libyaml (no CSafeLoader)")
    models, seconds = time_median(lambda: parse_comments_with_libyaml(corpus), repeat)
    return Measurement("floor", seconds=seconds, models=models)


def run_checked(command: list[str], timeout: float, stdin: str | None = None) -> str:
    try:
        completed = subprocess.run(
            command, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PwcUnavailable(f"{Path(command[0]).name}: {error}") from error
    if completed.returncode != 0:
        lines = (completed.stderr or completed.stdout).strip().splitlines()
        last = lines[-1] if lines else f"exit status {completed.returncode}"
        raise PwcUnavailable(f"{' '.join(command[1:4])} failed: {last}")
    return completed.stdout


def venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def installed_pwc_version(python: Path) -> str | None:
    # -I keeps PYTHONPATH and the working folder (this checkout) out of the venv's sys.path.
    probe = "from importlib import metadata; print(metadata.version('model-index'))"
    try:
        return run_checked([str(python), "-I", "-c", probe], timeout=60).strip()
    except PwcUnavailable:
        return None


def ensure_pwc_venv(venv: Path) -> Path:
    python = venv_python(venv)
    if not python.exists():
        log(f"creating virtualenv {venv}")
        run_checked([sys.executable, "-m", "venv", str(venv)], timeout=PIP_INSTALL_TIMEOUT_S)
    if installed_pwc_version(python) != PWC_VERSION:
        log(f"installing model-index=={PWC_VERSION} into {venv}")
        install = [str(python), "-m", "pip", "install", "--quiet", f"model-index=={PWC_VERSION}"]
        run_checked(install, timeout=PIP_INSTALL_TIMEOUT_S)
    return python


def measure_pwc(corpus: Path, repeat: int, venv: Path) -> Measurement:
    try:
        python = ensure_pwc_venv(venv)
        # Absolute paths: the library resolves imports relative to the temporary root file.
        files = [str(path.resolve()) for path in files_with_model_index(corpus)]
        request = json.dumps({"files": files, "repeat": repeat})
        timing_command = [str(python), "-I", "-c", PWC_TIMING_SCRIPT]
        output = run_checked(timing_command, PWC_RUN_TIMEOUT_S, stdin=request)
        answer = json.loads(output)
    except (PwcUnavailable, json.JSONDecodeError) as error:
        return Measurement("pwc", unavailable=str(error))
    if answer["version"] != PWC_VERSION:
        return Measurement("pwc", unavailable=f"venv has model-index {answer['version']}")
    for problem in answer["import_errors"]:
        log(f"pwc import problem: {problem}")
    return Measurement("pwc", seconds=answer["seconds"], models=answer["models"])


def ratio(numerator: Measurement, denominator: Measurement) -> float | None:
    if numerator.seconds is None or not denominator.seconds:
        return None
    return numerator.seconds / denominator.seconds


def log(message: str) -> None:
    # Progress goes to stderr so that --json leaves stdout parseable.
    print(message, file=sys.stderr, flush=True)


def verdict(value: float | None, target: float, at_most: bool) -> str:
    if value is None:
        return "n/a"
    met = value <= target if at_most else value >= target
    sign = "<=" if at_most else ">="
    return f"{value:.2f}  (target {sign} {target:g}: {'met' if met else 'missed'})"


def print_table(report: dict[str, Any], measurements: list[Measurement]) -> None:
    print(f"corpus: {report['corpus']}")
    print(f"{report['files']} files with model-index comments; median of {report['repeat']} runs")
    print()
    print(f"{'loader':<12} {'seconds':>10} {'models':>7}")
    for measurement in measurements:
        if measurement.unavailable is not None:
            print(f"{measurement.loader:<12} unavailable: {measurement.unavailable}")
        else:
            print(f"{measurement.loader:<12} {measurement.seconds:>10.4f} {measurement.models:>7}")
    print()
    ratios = report["ratios"]
    modelindex_over_floor = ratios["modelindex_over_floor"]
    pwc_over_modelindex = ratios["pwc_over_modelindex"]
    print(
        "modelindex / floor: "
        + verdict(modelindex_over_floor, TARGET_MODELINDEX_OVER_FLOOR, at_most=True)
    )
    print(
        "pwc / modelindex:   "
        + verdict(pwc_over_modelindex, TARGET_PWC_OVER_MODELINDEX, at_most=False)
    )


def build_report(
    corpus: Path, repeat: int, files: int, measurements: list[Measurement]
) -> dict[str, Any]:
    by_loader = {measurement.loader: measurement for measurement in measurements}
    return {
        "corpus": str(corpus),
        "repeat": repeat,
        "files": files,
        "results": {measurement.loader: asdict(measurement) for measurement in measurements},
        "ratios": {
            "modelindex_over_floor": ratio(by_loader["modelindex"], by_loader["floor"]),
            "pwc_over_modelindex": ratio(by_loader["pwc"], by_loader["modelindex"]),
        },
        "targets": {
            "modelindex_over_floor_at_most": TARGET_MODELINDEX_OVER_FLOOR,
            "pwc_over_modelindex_at_least": TARGET_PWC_OVER_MODELINDEX,
        },
    }


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per loader (default 7)")
    parser.add_argument(
        "--pwc-venv",
        type=Path,
        default=DEFAULT_PWC_VENV,
        help=f"virtualenv for model-index=={PWC_VERSION}, created if missing "
        f"(default {DEFAULT_PWC_VENV})",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args(argv)
    if arguments.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not arguments.corpus.is_dir():
        parser.error(f"corpus folder not found: {arguments.corpus}")
    arguments.corpus = arguments.corpus.resolve()
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    corpus: Path = arguments.corpus
    modelindex = import_repo_modelindex()

    log("timing modelindex.load")
    ours = measure_modelindex(modelindex, corpus, arguments.repeat)
    log("timing the floor (comment extraction + CSafeLoader)")
    floor = measure_floor(corpus, arguments.repeat)
    log(f"timing PwC model-index {PWC_VERSION}")
    pwc = measure_pwc(corpus, arguments.repeat, arguments.pwc_venv)

    measurements = [ours, floor, pwc]
    files = len(files_with_model_index(corpus))
    report = build_report(corpus, arguments.repeat, files, measurements)
    if arguments.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report, measurements)

    # Only the default corpus has a known model count; any other corpus is reported as found.
    if corpus == DEFAULT_CORPUS.resolve() and ours.models != EXPECTED_MODELS_IN_DEFAULT_CORPUS:
        log(f"modelindex found {ours.models} models, expected {EXPECTED_MODELS_IN_DEFAULT_CORPUS}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
