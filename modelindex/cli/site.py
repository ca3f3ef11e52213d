"""``modelindex build``: the zoo's website, with no mkdocs.yml of the user's."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from modelindex.cli.common import EXIT_OK, Failure

# Not mkdocs' own default (site/): each refuses the other's output.
DEFAULT_OUTPUT = "modelindex-site"


def add_build(commands: Any) -> None:
    building = commands.add_parser(
        "build",
        help="build the zoo's website (mkdocs-material) with no mkdocs.yml needed",
        description="Build a static website of the zoo: a page per collection with each "
        "model's numbers, preprocessing, links and verification status, a sortable "
        "comparison table with accuracy-against-cost plots, and validate's findings. It works "
        "offline. With an mkdocs.yml of your own, add 'modelindex' to its plugins instead.",
        epilog=f"example: modelindex build docs/ -o {DEFAULT_OUTPUT}/",
    )
    building.add_argument(
        "paths", nargs="+", metavar="PATH", help="files or folders of the zoo (required)"
    )
    building.add_argument(
        "-o",
        "--output",
        default=DEFAULT_OUTPUT,
        metavar="DIR",
        help=f"where the site goes (default: {DEFAULT_OUTPUT}, beside mkdocs' own site/); its "
        "contents are replaced once the build has succeeded, so an existing folder must be "
        "empty or a site modelindex built before (it holds .modelindex-site); it may not lie "
        "inside an input folder, nor hold an input",
    )
    building.add_argument(
        "--site-name", default="Model zoo", help="the site's title (default: Model zoo)"
    )
    building.add_argument(
        "--templates",
        metavar="DIR",
        help="templates that override the bundled ones by name (default: none)",
    )
    building.add_argument(
        "--measurements", metavar="FILE", help="measurement cache (default: as validate reads)"
    )
    building.add_argument(
        "--strict", action="store_true", help="fail on any mkdocs warning, as mkdocs --strict"
    )
    building.set_defaults(run=build_website)


def build_website(args: argparse.Namespace) -> int:
    from modelindex.site.build import BuildError, build_site

    paths = [Path(path) for path in args.paths]
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise Failure(f"{missing[0]}: no such file or folder")
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
        raise Failure(str(error)) from None
    print(f"site built in {output}; open {output / 'index.html'}")
    return EXIT_OK
