"""``modelindex convert``: a Hub card's model-index to ``.eval_results`` form, and back."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from modelindex.cli.common import Failure, load_paths, report_problems
from modelindex.hub_convert import Conversion, plain, to_eval_results, to_model_index
from modelindex.printable import printable
from modelindex.readers.eval_results import DIALECT as EVAL_RESULTS
from modelindex.readers.hf_cards import DIALECT as HUB_CARD

EVAL_RESULTS_FORM = "eval-results"
MODEL_INDEX_FORM = "model-index"


def add_convert(commands: Any) -> None:
    convert = commands.add_parser(
        "convert",
        help="turn a Hub card's model-index into a .eval_results file, or back",
        description="Turn the model-index of a Hugging Face Hub card (README.md) into the "
        "entries of a .eval_results/*.yaml file, or such a file into a model-index to paste "
        "into a card's YAML header. What has no place in the other format is listed on "
        "stderr; nothing is guessed.",
        epilog="examples:\n"
        "  modelindex convert README.md --to eval-results --output .eval_results/mmlu.yaml\n"
        "  modelindex convert .eval_results/gpqa.yaml --to model-index "
        "--task-type text-generation --metric-type accuracy",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    convert.add_argument("path", metavar="PATH", help="a card (README.md) or a .eval_results file")
    convert.add_argument(
        "--to",
        choices=(EVAL_RESULTS_FORM, MODEL_INDEX_FORM),
        required=True,
        help="the form to write (required)",
    )
    convert.add_argument(
        "--output",
        metavar="FILE",
        help="write here instead of to stdout; an existing file is never overwritten "
        "(default: stdout)",
    )
    convert.add_argument(
        "--task-type",
        metavar="ID",
        help="the task id a model-index requires, such as text-generation (default: none, "
        "which the note names as missing)",
    )
    convert.add_argument(
        "--metric-type",
        metavar="ID",
        help="the metric id a model-index requires, such as accuracy (default: none, which "
        "the note names as missing)",
    )
    convert.set_defaults(run=convert_card)


def _print_notes(conversion: Conversion) -> None:
    for line in conversion.report():
        print(printable(f"note: {line}"), file=sys.stderr)


def _convert(args: argparse.Namespace) -> tuple[Conversion, int]:
    if not Path(args.path).is_file():
        raise Failure(f"{args.path}: not a file; convert reads one card or one evaluation file")
    index = load_paths([args.path], args)
    wanted = HUB_CARD if args.to == EVAL_RESULTS_FORM else EVAL_RESULTS
    models = [model for model in index.models if model.dialect == wanted]
    status = report_problems(index)  # a YAML error says why no model was read
    if not models:
        kind = "a Hub card's model-index" if wanted == HUB_CARD else "a .eval_results file"
        raise Failure(f"{args.path}: no models read as {kind}; --to {args.to} converts from that")
    if args.to == EVAL_RESULTS_FORM:
        conversion = to_eval_results(models)
        if not conversion.data:
            _print_notes(conversion)
            raise Failure(
                f"{args.path}: no evaluation to convert: no result with a dataset type "
                "and a metric with a number"
            )
        return conversion, status
    [model] = models
    return to_model_index(model, args.task_type, args.metric_type), status


def convert_card(args: argparse.Namespace) -> int:
    conversion, status = _convert(args)
    text = yaml.safe_dump(plain(conversion.data), sort_keys=False, allow_unicode=True)
    if args.output:
        try:
            Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            folder = Path(args.output).parent
            raise Failure(f"{folder}: cannot make the folder: {error.strerror}") from None
        try:
            # 'x': a file already there is the user's, not ours to replace.
            with open(args.output, "x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            raise Failure(f"{args.output}: already exists; not overwritten") from None
        except OSError as error:
            raise Failure(f"{args.output}: {error.strerror}") from None
        print(f"wrote {os.path.normpath(args.output)}", file=sys.stderr)
    else:
        print(text, end="")
    _print_notes(conversion)
    return status
