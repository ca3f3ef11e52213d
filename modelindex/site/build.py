"""``modelindex build PATH... -o DIR``: a site for any zoo, with no mkdocs.yml of the user's.

The markdown cards are copied into a temporary docs folder (mkdocs renders pages from there),
under ``models/`` in the layout and with the names they have in the zoo, so that links between
cards keep working; the images and other files they link to are copied beside them. Models read
from other files (metafiles, README tables) get a generated page per collection. The site opens
from disk as well as from a server: page links name their .html files, and search runs without
a web worker where the browser refuses one to a file:// page.

A card may publish the files it links to only from inside an input folder: a folder given as
input, or, for a card given as a file, the card's own folder (so that the images beside it keep
working). A link that leaves those folders, by ``..`` or by a symlink, stays a link to nothing.
Only passive files are published (``PUBLISHED_SUFFIXES``: raster images, PDF, CSV/TSV, JSON and
YAML data), which a browser shows or downloads but never runs: not HTML, SVG, XML, JavaScript or
CSS, which would run script from the site's own origin, and never a file that mkdocs renders as
a page (``.mdown``, ``.mkd``, ...), which would be rendered with raw HTML as no card may be.

The site is built in a fresh work folder beside the output (inside it, where the output is a
mount point), which holds the temporary docs folder too, and swapped in only once mkdocs has
finished without error: a failed build leaves the previous site as it was, and nothing in the
output (a symlink included) is followed or written through; an output that is itself a symlink
is refused. A build holds a lock on the output folder from start to end: a second build into it
meanwhile fails at once. The next build removes the work folders that a killed build left.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from importlib.metadata import entry_points
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
import markdown
import yaml
from markdown.treeprocessors import Treeprocessor
from mkdocs.utils import markdown_extensions

from modelindex.checks import SettingsError
from modelindex.index import Index
from modelindex.loading import nothing_read
from modelindex.readers import is_walked_file
from modelindex.readers.registry import renders_as_page
from modelindex.site.plugin import FRAME_WORKER, ModelIndexPlugin
from modelindex.site.render import template_error
from modelindex.site.zoo import Zoo, read_zoo

try:
    import fcntl
except ImportError:  # not on Windows: builds into one output are not serialised there
    fcntl = None  # type: ignore[assignment]

CARDS = "models"
MARKER = ".modelindex-site"
# What readers of a docs site expect of material: a copy button on code, a light and a dark
# scheme (the reader's own first), contents that follow the reading, and no font from a CDN.
THEME: dict[str, object] = {
    "name": "material",
    "font": False,
    "features": [
        "content.code.copy",
        "navigation.top",
        "navigation.tracking",
        "search.highlight",
        "toc.follow",
    ],
    "palette": [
        {
            "media": "(prefers-color-scheme: light)",
            "scheme": "default",
            "toggle": {"icon": "material/weather-night", "name": "Switch to dark mode"},
        },
        {
            "media": "(prefers-color-scheme: dark)",
            "scheme": "slate",
            "toggle": {"icon": "material/weather-sunny", "name": "Switch to light mode"},
        },
    ],
}
_MARKER_NOTE = (
    "This folder is a site built by `modelindex build`. The next build into it replaces\n"
    "everything in it except dot files, once it has succeeded; any other non-empty folder is\n"
    "refused.\n"
)
# material's offline plugin inlines the search index, so that search needs no server.
_OFFLINE = "material/offline"
# The linked files a card may publish (see above), less mkdocs' own list of the files that it
# renders as pages: none of those is published, whatever this list holds.
PUBLISHED_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".bmp", ".ico", ".pdf", ".csv", ".tsv",
     ".json", ".yaml", ".yml"}
) - frozenset(markdown_extensions)  # fmt: skip
# A work folder's name after its output's prefix; "-kept" ones, which hold a previous site, are
# not work folders.
_WORK_FOLDER = re.compile(r"(new|old)-[a-z0-9_]+")


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
    output = _output_folder(output)
    _check_output(output, [*paths, *(path for path in (templates, measurements) if path)])
    if measurements is not None and not measurements.is_file():
        raise BuildError(f"--measurements {measurements}: no such file")
    inputs = [Path(path).resolve() for path in paths]
    try:
        zoo = read_zoo(inputs, measurements.resolve() if measurements else None)
    except SettingsError as error:
        raise BuildError(f"modelindex: {error}") from None
    index = zoo.index
    empty = nothing_read(index, paths)
    if empty:
        raise BuildError(empty)
    if not index.models:
        raise BuildError(f"no model found in {', '.join(str(path) for path in paths)}")
    root = _zoo_root(paths, index)
    with _locked(output):
        _remove_leftovers(output)
        with _work_folder(output, "new") as work:
            staged, docs = work / "site", work / "docs"
            card_pages = _copy_cards(index, root, inputs, docs, output)
            plugin: dict[str, object] = {}
            if templates:
                plugin["templates"] = str(templates.resolve())
            offline = bool(entry_points(group="mkdocs.plugins", name=_OFFLINE))
            config = {
                "site_name": site_name,
                "docs_dir": str(docs),
                "site_dir": str(staged),
                # Directory URLs end in a folder, which a browser shows as a listing from disk.
                "use_directory_urls": False,
                "theme": THEME,
                "plugins": ["search", *([_OFFLINE] if offline else []), {"modelindex": plugin}],
                # The offline plugin adds a CDN copy of the iframe-worker shim unless a polyfill
                # of that name is listed: this one is modelindex's own and ships in the site.
                "extra": {"polyfills": [FRAME_WORKER] if offline else []},
                "strict": strict,
            }
            config_file = work / "mkdocs.yml"
            config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
            with _mkdocs_messages(docs, root) as messages:
                _run_mkdocs(config_file, output, messages, zoo, card_pages)
            try:
                (staged / MARKER).write_text(_MARKER_NOTE, encoding="utf-8")
            except OSError as error:
                raise BuildError(f"cannot write the site to {output}: {error.strerror}") from None
            _swap_in(staged, output)
    return output


def _output_folder(output: Path) -> Path:
    """``output`` resolved. A symlink is refused: the build would write where it leads (and make
    the folders a dangling one names)."""
    if output.is_symlink():
        raise BuildError(f"-o {output} is a symlink; give the folder it leads to, or another -o")
    return output.resolve()


def _check_output(output: Path, inputs: Iterable[Path]) -> None:
    for given in inputs:
        path = Path(given).resolve()
        if path.is_relative_to(output):
            raise BuildError(
                f"-o {output} holds the input {given}, and a build replaces the folder's "
                "contents; choose another -o"
            )
        if path.is_dir() and output.is_relative_to(path):
            # The next build, or mkdocs, of that folder would read the site as part of it.
            raise BuildError(
                f"-o {output} lies inside the input folder {given}; choose an -o outside it"
            )
    if not output.exists():
        return
    if not output.is_dir():
        raise BuildError(f"-o {output} is a file; choose a folder")
    marker = output / MARKER
    # A marker that is a symlink was not written by a build: it proves nothing. The work
    # folders that a killed build left in a mount point are not content: this build removes them.
    holds_work_folders = _work_folders_place(output) == output
    content = [
        entry
        for entry in os.scandir(output)
        if not (holds_work_folders and _is_work_folder(entry, output))
    ]
    if content and (marker.is_symlink() or not marker.is_file()):
        raise BuildError(
            f"-o {output} is not empty and is not a site built by modelindex (no {MARKER}); "
            "choose another -o"
        )


@contextmanager
def _locked(output: Path) -> Iterator[None]:
    """Hold ``output`` for this build alone until the end. The lock is on the folder itself, so
    that no lock file is left in it; a folder made here for it goes again if the build fails."""
    try:
        output.mkdir(parents=True)
        made = True
    except FileExistsError:
        made = False
    except OSError as error:
        raise BuildError(f"cannot write the site to {output}: {error.strerror}") from None
    try:
        with _lock(output):
            yield
    except BaseException:
        if made:
            with suppress(OSError):
                output.rmdir()  # only while it is empty
        raise


@contextmanager
def _lock(folder: Path) -> Iterator[None]:
    if fcntl is None:
        yield
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as error:
        raise BuildError(f"cannot write the site to {folder}: {error.strerror}") from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(
                f"another build is writing -o {folder}; run this one once it has finished"
            ) from None
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _work_folders_place(output: Path) -> Path:
    """Where the work folders of a build go: beside the output, or inside it where the output is
    a mount point (a container's volume). Their entries move into the output by rename, which
    is atomic but cannot cross filesystems."""
    return output if os.path.ismount(output) else output.parent


def _work_prefix(output: Path) -> str:
    return f".{output.name}.modelindex-"


@contextmanager
def _work_folder(output: Path, purpose: str) -> Iterator[Path]:
    """A fresh hidden folder on the output's filesystem, removed on the way out."""
    try:
        folder = tempfile.TemporaryDirectory(
            prefix=f"{_work_prefix(output)}{purpose}-",
            dir=_work_folders_place(output),
            ignore_cleanup_errors=True,
        )
    except OSError as error:
        raise BuildError(f"cannot write the site to {output}: {error.strerror}") from None
    with folder as name:
        yield Path(name)


def _remove_leftovers(output: Path) -> None:
    """Remove the work folders that an earlier build of ``output``, killed, left behind: the
    lock says that no build is using them."""
    try:
        entries = list(os.scandir(_work_folders_place(output)))
    except OSError:
        return  # the build itself reports a folder it cannot use
    for entry in entries:
        if _is_work_folder(entry, output):
            shutil.rmtree(entry.path, ignore_errors=True)


def _is_work_folder(entry: os.DirEntry[str], output: Path) -> bool:
    """Whether ``entry``, in the place of ``output``'s work folders, is one of them."""
    prefix = _work_prefix(output)
    return (
        entry.name.startswith(prefix)
        and _WORK_FOLDER.fullmatch(entry.name.removeprefix(prefix)) is not None
        and entry.is_dir(follow_symlinks=False)
    )


def _swap_in(staged: Path, output: Path) -> None:
    """Put the site built in ``staged`` in place of ``output``'s contents, dot files apart.

    Each old entry moves aside just before the new one of its name moves in, so that the site
    is whole but for one entry at a time; the old entries are deleted only once every new one
    is in. A failure on the way, Ctrl-C included, moves everything back. Renames never follow a
    symlink.
    """
    with _work_folder(output, "old") as retired:
        done: list[tuple[Path, Path]] = []

        def move(source: Path, target: Path) -> None:
            os.rename(source, target)
            done.append((source, target))

        try:
            output.mkdir(exist_ok=True)
            old = {name for name in os.listdir(output) if not name.startswith(".")}
            new = sorted(name for name in os.listdir(staged) if name != MARKER)
            for name in new:
                if name in old:
                    move(output / name, retired / name)
                move(staged / name, output / name)
            for name in sorted(old - set(new)):
                move(output / name, retired / name)
            # Last, as nothing can undo it: the marker replaces the old one, never a file it
            # might point to.
            os.replace(staged / MARKER, output / MARKER)
        except BaseException as error:
            _undo(done, retired)
            if isinstance(error, OSError):
                raise BuildError(f"cannot write the site to {output}: {error.strerror}") from None
            raise


def _undo(moves: list[tuple[Path, Path]], retired: Path) -> None:
    try:
        for source, target in reversed(moves):
            os.rename(target, source)
    except OSError as error:
        # The old site must not be deleted with the folder that holds it: it is moved out of
        # that folder's way, and the user is told where it is.
        kept = retired.with_name(retired.name + "-kept")
        os.rename(retired, kept)
        raise BuildError(
            f"the build failed while replacing the site ({error.strerror}); the previous site's "
            f"files are in {kept}"
        ) from None


def _zoo_root(paths: list[Path], index: Index) -> Path:
    """The folder that holds every input and every card: the site keeps the layout under it."""
    folders = [path if path.is_dir() else path.parent for path in map(Path.resolve, paths)]
    folders += [Path(model.source.path).resolve().parent for model in index.models]
    return Path(os.path.commonpath(folders))


def _copy_cards(
    index: Index, root: Path, inputs: list[Path], docs: Path, output: Path
) -> dict[str, str]:
    """Copy the markdown cards, and the files they link to, under ``docs/models``; return the
    docs page of each card (by its resolved path). ``inputs`` are the resolved input paths."""
    docs.mkdir()
    sources: dict[str, str] = {}
    for source in sorted({model.source.path for model in index.models}):
        path = Path(source).resolve()
        if not renders_as_page(source):
            continue
        relative = path.relative_to(root).as_posix()
        (docs / CARDS / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, docs / CARDS / relative)
        sources[str(path)] = f"{CARDS}/{relative}"
        for linked, content in _linked_files(path, _link_folders(path, inputs), output):
            target = docs / CARDS / linked.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(content, target)
    return sources


def _link_folders(card: Path, inputs: list[Path]) -> list[Path]:
    """The folders whose files ``card`` may publish by linking to them: the input folders, and
    the card's own folder where the card itself is an input file."""
    folders = [path for path in inputs if path.is_dir()]
    return [*folders, card.parent] if card in inputs else folders


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


def _linked_files(card: Path, folders: list[Path], output: Path) -> Iterator[tuple[Path, Path]]:
    """(the path a link names, the file it resolves to) for each file ``card`` links to by a
    relative URL that the site may publish: inside one of ``folders`` both as written and once
    its symlinks are resolved, outside the output folder, with no hidden part, and none that
    ``load`` would read (a site inside the zoo must not feed models back into the next build)."""
    for link in _links_of(card):
        try:
            parts = urlsplit(link)
        except ValueError:
            continue
        if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
            continue
        named = Path(os.path.normpath(card.parent / unquote(parts.path)))
        target = named.resolve()
        if (
            target.is_file()
            and not named.is_relative_to(output)
            and not target.is_relative_to(output)
            and any(
                _is_published(named, folder) and _is_published(target, folder) for folder in folders
            )
        ):
            yield named, target


def _is_published(path: Path, folder: Path) -> bool:
    return (
        path.is_relative_to(folder)
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        and path.suffix.lower() in PUBLISHED_SUFFIXES
        and not is_walked_file(path.name)
    )


def _run_mkdocs(
    config_file: Path, output: Path, messages: _Messages, zoo: Zoo, card_pages: dict[str, str]
) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException, PluginError

    try:
        config = load_config(str(config_file))
        plugin = config.plugins.get("modelindex")
        if not isinstance(plugin, ModelIndexPlugin):
            raise BuildError("the mkdocs plugin 'modelindex' is not modelindex's own")
        plugin.use_zoo(zoo, card_pages)
        build(config)
    except MkDocsException as error:
        # mkdocs ends with "Aborted with a BuildError!" or "... configuration errors!"; the
        # plugin's exception, or the errors mkdocs logged before, say what went wrong.
        cause = error.__context__
        detail = str(cause) if isinstance(cause, PluginError) else "; ".join(messages.errors)
        raise BuildError(detail or str(error)) from None
    except jinja2.TemplateError as error:
        # TemplateNotFound is an OSError too: the theme, not the disk, is at fault.
        missing = isinstance(error, jinja2.TemplateNotFound)
        detail = f"{error.name} not found" if missing else template_error(error)
        raise BuildError(f"the theme's template failed: {detail}") from None
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
