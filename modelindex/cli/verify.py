"""``modelindex verify``: re-measure a zoo's models with their reference implementations."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from modelindex.checks import SettingsError
from modelindex.cli.common import Failure, add_config, add_repo_root, load_paths, project_settings
from modelindex.progress import progress_bar
from modelindex.verify.report import print_outcomes
from modelindex.verify.run import DEFAULT_TIMEOUT_S, selected, verify_zoo
from modelindex.verify.torch_env import VerifyUnavailable


def add_verify(commands: Any) -> None:
    measuring = commands.add_parser(
        "verify",
        help="re-measure parameters and FLOPs with the reference implementations (torch)",
        description="Build each model's reference implementation on PyTorch's meta device and "
        "measure its parameters, buffers, state-dict bytes and FLOPs: timm's, and for a model "
        "with an OpenMMLab config, mmpretrain's first (at its test pipeline's input size). "
        "Results go to the measurement cache that 'modelindex validate' reads. Needs the "
        "[verify] extra; mmpretrain needs [verify-openmmlab] and 'pip install --no-deps "
        "mmpretrain'.",
        epilog="example: modelindex verify docs/ --jobs 2",
    )
    measuring.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to verify")
    measuring.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="worker processes (default: 1)"
    )
    measuring.add_argument(
        "--only", metavar="PATTERN", help="only models matching this glob (default: all)"
    )
    measuring.add_argument(
        "--refresh",
        action="store_true",
        help="measure again even when the cache has a result, or knows the model cannot be "
        "measured",
    )
    measuring.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    measuring.add_argument(
        "--cache",
        metavar="FILE",
        help="measurement cache to read and update (default: 'measurements' in "
        "[tool.modelindex], else the data/measurements.json that validate reads)",
    )
    add_config(measuring)
    measuring.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="S",
        help=f"seconds allowed per model (default {DEFAULT_TIMEOUT_S:g})",
    )
    add_repo_root(measuring)
    measuring.set_defaults(run=verify_models)


def verify_models(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise Failure("--jobs must be at least 1")
    if not (0 < args.timeout < math.inf):
        raise Failure("--timeout must be a positive number of seconds")
    configured = None
    if not args.cache:
        try:
            configured = project_settings(args).measurements
        except SettingsError as error:
            raise Failure(f"{error} (or pass --cache FILE)") from None
    index = load_paths(args.paths or ["."], args)
    chosen = selected(index, args.only)
    if not chosen:
        what = f"matches --only {args.only!r}" if args.only else "has a name"
        raise Failure(f"no model {what} in {', '.join(args.paths or ['.'])}")
    try:
        with progress_bar(len(chosen), "verifying") as advance:
            outcomes, cache = verify_zoo(
                index,
                Path(args.cache) if args.cache else None,
                configured,
                jobs=args.jobs,
                only=args.only,
                refresh=args.refresh,
                timeout_s=args.timeout,
                progress=lambda outcome: advance(outcome.model, outcome.status),
            )
    except VerifyUnavailable as error:
        raise Failure(str(error)) from None
    return print_outcomes(index, outcomes, cache, as_json=args.format == "json")
