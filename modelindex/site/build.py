"""``modelindex build PATH... -o DIR``: a site for any zoo, with no mkdocs.yml of the user's.

The markdown cards are copied into a temporary docs folder (mkdocs renders pages from there),
under ``models/`` in the layout and with the names they have in the zoo, so that links between
cards keep working; the images and other files they link to are copied beside them. Models read
from other files (metafiles, README tables) get a generated page per collection. The site opens
from disk as well as from a server: page links name their .html files, and search runs without
a web worker where the browser refuses one to a file:// page.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from pathlib import Path
from urllib.parse import unquote, urlsplit

import markdown
import yaml
from markdown.treeprocessors import Treeprocessor

from modelindex.index import Index
from modelindex.loading import is_walked_file, load
from modelindex.site.plugin import FRAME_WORKER

MARKDOWN_SUFFIXES = {".md", ".markdown"}
CARDS = "models"
MARKER = ".modelindex-site"
_MARKER_NOTE = (
    "This folder is a site built by `modelindex build`. The next build into it replaces\n"
    "everything in it except dot files; any other non-empty folder is refused.\n"
)
# material's offline plugin inlines the search index, so that search needs no server.
_OFFLINE = "material/offline"


class BuildError(Exception):
    """The site cannot be built; the message says why, in one line."""


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

    ``output`` must be missing, empty, or a site this function built (it holds ``MARKER``); its
    contents are then replaced. An output that is, or holds, one of the inputs is refused.
    """
    output = output.resolve()
    inputs = [*paths, *(path for path in (templates, measurements) if path)]
    _check_output(output, inputs)
    index = load(*paths)
    if not index.models:
        raise BuildError(f"no model found in {', '.join(str(path) for path in paths)}")
    try:
        output.mkdir(parents=True, exist_ok=True)
        (output / MARKER).write_text(_MARKER_NOTE, encoding="utf-8")
    except OSError as error:
        raise BuildError(f"cannot write the site to {output}: {error.strerror}") from None
    with tempfile.TemporaryDirectory(prefix="modelindex-site-") as folder:
        docs = Path(folder) / "docs"
        root = _zoo_root(paths, index)
        sources = _copy_cards(index, root, docs, output)
        plugin: dict[str, object] = {
            "index": [str(Path(path).resolve()) for path in paths],
            "sources": sources,
        }
        if templates:
            plugin["templates"] = str(templates.resolve())
        if measurements:
            plugin["measurements"] = str(measurements.resolve())
        offline = bool(entry_points(group="mkdocs.plugins", name=_OFFLINE))
        config = {
            "site_name": site_name,
            "docs_dir": str(docs),
            "site_dir": str(output),
            # Directory URLs end in a folder, which a browser shows as a listing from disk.
            "use_directory_urls": False,
            "theme": {"name": "material", "font": False},
            "plugins": ["search", *([_OFFLINE] if offline else []), {"modelindex": plugin}],
            # The offline plugin adds a CDN copy of the iframe-worker shim unless a polyfill of
            # that name is listed: this one is modelindex's own and ships in the site.
            "extra": {"polyfills": [FRAME_WORKER] if offline else []},
            "strict": strict,
        }
        config_file = Path(folder) / "mkdocs.yml"
        config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
        with _mkdocs_messages(docs, root) as messages:
            _run_mkdocs(config_file, output, messages)
    return output


def _check_output(output: Path, inputs: Iterable[Path]) -> None:
    for given in inputs:
        path = Path(given).resolve()
        if path.is_relative_to(output):
            raise BuildError(
                f"-o {output} holds the input {given}, and a build replaces the folder's "
                "contents; choose another -o"
            )
    if not output.exists():
        return
    if not output.is_dir():
        raise BuildError(f"-o {output} is a file; choose a folder")
    if any(output.iterdir()) and not (output / MARKER).is_file():
        raise BuildError(
            f"-o {output} is not empty and is not a site built by modelindex (no {MARKER}); "
            "choose another -o"
        )


def _zoo_root(paths: list[Path], index: Index) -> Path:
    """The folder that holds every input and every card: the site keeps the layout under it."""
    folders = [path if path.is_dir() else path.parent for path in map(Path.resolve, paths)]
    folders += [Path(model.source.path).resolve().parent for model in index.models]
    return Path(os.path.commonpath(folders))


def _copy_cards(index: Index, root: Path, docs: Path, output: Path) -> dict[str, str]:
    """Copy the markdown cards, and the files they link to, under ``docs/models``; return the
    docs page of each card (by its resolved path)."""
    docs.mkdir()
    sources: dict[str, str] = {}
    for source in sorted({model.source.path for model in index.models}):
        path = Path(source).resolve()
        if path.suffix.lower() not in MARKDOWN_SUFFIXES:
            continue
        relative = path.relative_to(root).as_posix()
        (docs / CARDS / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, docs / CARDS / relative)
        sources[str(path)] = f"{CARDS}/{relative}"
        for linked in _linked_files(path, root, output):
            target = docs / CARDS / linked.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(linked, target)
    return sources


class _Links(Treeprocessor):
    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.links: list[str] = []

    def run(self, root: ElementTree.Element) -> None:
        self.links += [
            value for element in root.iter() if (value := element.get("href") or element.get("src"))
        ]


def _links_of(card: Path) -> list[str]:
    # The markdown extensions that mkdocs enables by default: a link in a code block is text.
    parser = markdown.Markdown(extensions=["fenced_code", "tables"])
    collector = _Links(parser)
    parser.treeprocessors.register(collector, "modelindex_links", 0)
    parser.convert(card.read_text(encoding="utf-8"))
    return collector.links


def _linked_files(card: Path, root: Path, output: Path) -> Iterator[Path]:
    """The files ``card`` links to by a relative URL, that the site may publish: under the zoo's
    root, outside the output folder, with no hidden part, and none that ``load`` would read (a
    site inside the zoo must not feed models back into the next build)."""
    for link in _links_of(card):
        try:
            parts = urlsplit(link)
        except ValueError:
            continue
        if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
            continue
        target = (card.parent / unquote(parts.path)).resolve()
        if (
            target.is_file()
            and target.is_relative_to(root)
            and not target.is_relative_to(output)
            and not any(part.startswith(".") for part in target.relative_to(root).parts)
            and not is_walked_file(target.name)
        ):
            yield target


def _run_mkdocs(config_file: Path, output: Path, messages: _Messages) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException, PluginError

    try:
        build(load_config(str(config_file)))
    except MkDocsException as error:
        # mkdocs ends with "Aborted with a BuildError!" or "... configuration errors!"; the
        # plugin's exception, or the errors mkdocs logged before, say what went wrong.
        cause = error.__context__
        detail = str(cause) if isinstance(cause, PluginError) else "; ".join(messages.errors)
        raise BuildError(detail or str(error)) from None
    except OSError as error:
        raise BuildError(f"cannot write the site to {output}: {error.strerror}") from None


class _Messages(logging.Filter):
    """mkdocs' messages as the user should read them: a temporary docs page is named by the
    user's file, and errors are kept for the one-line BuildError instead of printed."""

    def __init__(self, docs: Path, root: Path) -> None:
        super().__init__()
        self._page = re.compile(rf"'(?:{re.escape(str(docs))}/)?{CARDS}/([^']*)'")
        self._root = root
        self.errors: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        message = self._page.sub(
            lambda match: f"'{_shown(self._root / match.group(1))}'", record.getMessage()
        )
        record.msg, record.args = message, ()
        if record.levelno < logging.ERROR:
            return True
        # "Error reading page 'x':" only introduces the plugin's error that follows.
        if not message.endswith(":") and message not in self.errors:
            self.errors.append(message)
        return False


def _shown(path: Path) -> str:
    return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)


@contextmanager
def _mkdocs_messages(docs: Path, root: Path) -> Iterator[_Messages]:
    # A logger's filters see only the records logged under its own name, and mkdocs logs under
    # one child name per module: the rewrite goes on the handlers that print them instead.
    handlers = list(_handlers(logging.getLogger("mkdocs")))
    if not handlers and logging.lastResort is not None:
        handlers = [logging.lastResort]
    rewrite = _Messages(docs, root)
    for handler in handlers:
        handler.addFilter(rewrite)
    try:
        yield rewrite
    finally:
        for handler in handlers:
            handler.removeFilter(rewrite)


def _handlers(logger: logging.Logger) -> Iterator[logging.Handler]:
    current: logging.Logger | None = logger
    while current is not None:
        yield from current.handlers
        current = current.parent if current.propagate else None
