"""``modelindex show NAME`` and ``modelindex list``: look models up."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from modelindex.bundled import get
from modelindex.cli.common import (
    EXIT_INTERNAL_ERROR,
    EXIT_NOT_FOUND,
    Failure,
    add_repo_root,
    load_or_bundled,
    report_problems,
)
from modelindex.formatting import (
    model_as_json_data,
    model_as_text,
    models_as_csv,
    models_as_json,
    models_as_table,
)
from modelindex.index import UnknownModelError
from modelindex.printable import printable
from modelindex.query import FIELDS, QueryError, sort_models


def _add_sources(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="model-index files, markdown cards, README tables or folders to walk "
        "(default: the zoo bundled with modelindex)",
    )
    add_repo_root(parser)


def add_show(commands: Any) -> None:
    show = commands.add_parser(
        "show",
        help="print every field of one model and its preprocessing",
        description="Print every field of one model, where it was declared, and the derived "
        "preprocessing (resize, center crop, interpolation).",
        epilog="example: modelindex show resnet50d docs/",
    )
    show.add_argument("name", metavar="NAME", help="the model's name, e.g. resnet50d")
    _add_sources(show)
    show.add_argument("--json", action="store_true", help="print the model as JSON")
    show.set_defaults(run=show_model)


def show_model(args: argparse.Namespace) -> int:
    index = load_or_bundled(args)
    try:
        # The bundled zoo falls back on timm's pretrained tags, where timm is installed.
        model = index[args.name] if args.paths else get(args.name)
    except UnknownModelError as error:
        reported = report_problems(index)
        print(printable(f"error: {error}"), file=sys.stderr)
        # The model may be missing because a reader failed on its file.
        return EXIT_INTERNAL_ERROR if reported == EXIT_INTERNAL_ERROR else EXIT_NOT_FOUND
    if args.json:
        print(json.dumps(model_as_json_data(model), indent=2))
    else:
        print(model_as_text(model))
    # Hub repositories may share a name ('PPO'), and a repository's evaluation files are
    # models of their own: say that this is one of several.
    others = [other.source for other in index.models if other.name == model.name]
    others = [where for where in dict.fromkeys(others) if where != model.source]
    if others:
        listed = ", ".join(str(where) for where in others[:3])
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        note = f"note: {len(others)} more models are named {model.name!r}: {listed}{more}"
        print(printable(note), file=sys.stderr)
    return report_problems(index)


def add_list(commands: Any) -> None:
    listing = commands.add_parser(
        "list",
        help="list models, filtered and sorted",
        description="List the models of an index, optionally filtered and sorted.",
        epilog="fields: " + ", ".join(FIELDS) + "\n\nexample: modelindex list docs/ "
        "--where 'parameters < 30e6 and top1 > 80' --sort=-top1",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_sources(listing)
    listing.add_argument(
        "--where",
        metavar="EXPR",
        help='filter such as "parameters < 30e6 and top1 > 80" or "\'resnet\' in name" '
        "(default: every model)",
    )
    listing.add_argument(
        "--sort",
        metavar="FIELD",
        help="sort by a field; --sort=-FIELD sorts descending (default: as read)",
    )
    listing.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="output format (default: table)",
    )
    listing.set_defaults(run=list_models)


def list_models(args: argparse.Namespace) -> int:
    index = load_or_bundled(args)
    try:
        models = index.where(args.where) if args.where else list(index)
        if args.sort:
            models = sort_models(models, args.sort)
    except QueryError as error:
        raise Failure(f"--where/--sort: {error}") from None
    if args.format == "json":
        print(models_as_json(models))
    elif args.format == "csv":
        print(models_as_csv(models), end="")
    else:
        print(models_as_table(models))
        print(f"\n{len(models)} of {len(index)} models", file=sys.stderr)
    return report_problems(index)
