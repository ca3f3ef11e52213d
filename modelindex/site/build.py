"""``modelindex build PATH... -o DIR``: a site for any zoo, with no mkdocs.yml of the user's.

The markdown cards are copied into a temporary docs folder (mkdocs renders pages from there);
models read from other files (metafiles, README tables) get a generated page per collection.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml

from modelindex.loading import load
from modelindex.site.data import slug

MARKDOWN_SUFFIXES = {".md", ".markdown"}
# What a previous build leaves in its folder; any other non-empty folder is not replaced.
_SITE_MARKERS = ("sitemap.xml", "404.html", "search")


class BuildError(Exception):
    """The site cannot be built; the message says why."""


def _is_previous_site(folder: Path) -> bool:
    return any((folder / marker).exists() for marker in _SITE_MARKERS)


def build_site(
    paths: list[Path],
    output: Path,
    *,
    site_name: str = "Model zoo",
    templates: Path | None = None,
    measurements: Path | None = None,
    strict: bool = False,
) -> Path:
    """Build the site of the zoo under ``paths`` into ``output``; return ``output``.

    ``output`` must be missing, empty, or a site built before: nothing else is overwritten.
    """
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    output = output.resolve()
    occupied = output.exists() and (
        not output.is_dir() or (any(output.iterdir()) and not _is_previous_site(output))
    )
    if occupied:
        raise BuildError(f"{output} exists and is not a site built before; choose another -o")
    index = load(*paths)
    with tempfile.TemporaryDirectory(prefix="modelindex-site-") as folder:
        docs = Path(folder) / "docs"
        (docs / "models").mkdir(parents=True)
        sources: dict[str, str] = {}
        for source in sorted({model.source.path for model in index.models}):
            path = Path(source)
            if path.suffix.lower() in MARKDOWN_SUFFIXES:
                page = f"models/{slug(path.stem)}.md"
                number = 2
                while page in sources.values():
                    page, number = f"models/{slug(path.stem)}-{number}.md", number + 1
                shutil.copyfile(path, docs / page)
                sources[str(path.resolve())] = page
        plugin: dict[str, object] = {
            "index": [str(Path(path).resolve()) for path in paths],
            "sources": sources,
        }
        if templates:
            plugin["templates"] = str(templates.resolve())
        if measurements:
            plugin["measurements"] = str(measurements.resolve())
        config = {
            "site_name": site_name,
            "docs_dir": str(docs),
            "site_dir": str(output),
            "theme": {"name": "material", "font": False},
            "plugins": ["search", {"modelindex": plugin}],
            "strict": strict,
        }
        config_file = Path(folder) / "mkdocs.yml"
        config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
        try:
            build(load_config(str(config_file)))
        except MkDocsException as error:
            raise BuildError(str(error)) from None
    return output
