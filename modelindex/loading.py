"""Find, read and parse input files into an Index, keeping every failure as a LoadProblem.

Bounds hold for hostile input: files over ``max_file_size`` are refused before they are read,
binary and non-UTF-8 files are reported with the line of the first bad byte, symlink loops in a
walked folder are detected by inode, and Import cycles by the chain of files being read. Nothing
outside the zoo is read: an Import, or a symlink met in a walk, that leads out of the folders
given (or ``repo_root``) is a problem, not a read. One file holds at most
``MAX_ENTRIES_PER_FILE`` models and collections, so that a small file cannot fill memory.
"""

from __future__ import annotations

import errno
import glob
import os
import stat
from pathlib import Path

from modelindex.building import build_index
from modelindex.index import Index
from modelindex.problems import LoadProblem, ProblemKind
from modelindex.readers import MARKDOWN_SUFFIXES, ImportRequest, RawEntry, read_text

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
MODEL_INDEX_FILE_NAMES = frozenset(
    f"{stem}.{suffix}" for stem in ("model-index", "metafile") for suffix in ("yml", "yaml", "json")
)
_SKIPPED_DIRECTORIES = frozenset({"node_modules", "__pycache__", "site-packages", "site"})
_BINARY_PROBE_BYTES = 8192
# Real model-index files declare hundreds of models at most (timm's docs, OpenMMLab's largest
# metafiles); a zoo of 100k models spreads them over many files. Each model costs a few KB.
MAX_ENTRIES_PER_FILE = 20_000

PathLike = str | os.PathLike[str]


def is_walked_file(name: str) -> bool:
    """Files picked up when walking a folder; any file named explicitly is read whatever its name.

    YAML and JSON files count only under the names the format uses, so that a repository's CI
    and tool configuration is not mistaken for model metadata.
    """
    lower = name.lower()
    return lower.endswith(MARKDOWN_SUFFIXES) or lower in MODEL_INDEX_FILE_NAMES


class _Session:
    def __init__(self, max_file_size: int, roots: list[str]) -> None:
        self.max_file_size = max_file_size
        self.roots = roots
        """Real paths of the folders that reads may not leave."""
        self.entries: list[RawEntry] = []
        self.problems: list[LoadProblem] = []
        self.files: list[str] = []
        self.read_paths: set[str] = set()
        self.walked_directories: set[tuple[int, int]] = set()

    def problem(self, kind: ProblemKind, path: str, message: str, line: int | None = None) -> None:
        self.problems.append(LoadProblem(kind, path, line, message))

    def add(self, path: str) -> None:
        if os.path.isdir(path):
            self.walk(path, frozenset())
        else:
            self.read(path, ())

    def inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return any(
            real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in self.roots
        )

    def outside_message(self, what: str) -> str:
        roots = ", ".join(self.roots)
        return f"{what} leads outside the zoo ({roots}): not read; --repo-root widens it"

    def walk(self, directory: str, ancestors: frozenset[tuple[int, int]]) -> None:
        try:
            info = os.stat(directory)
            with os.scandir(directory) as scan:
                children = sorted(scan, key=lambda child: child.name)
        except OSError as error:
            self.problem(_os_error_kind(error), directory, _os_error_text(error))
            return
        key = (info.st_dev, info.st_ino)
        if key in ancestors:
            self.problem(
                ProblemKind.SYMLINK_LOOP, directory, "symlink loop: leads back to a parent folder"
            )
            return
        if key in self.walked_directories:
            return  # the same folder reached twice through links: read once
        self.walked_directories.add(key)
        inside = ancestors | {key}
        for child in children:
            if child.name.startswith(".") or child.name in _SKIPPED_DIRECTORIES:
                continue
            child_path = os.path.join(directory, child.name)
            try:
                is_directory = child.is_dir()
                is_link = child.is_symlink()
            except OSError as error:
                self.problem(_os_error_kind(error), child_path, _os_error_text(error))
                continue
            followed = is_directory or is_walked_file(child.name)
            if is_link and followed and not self.inside(child_path):
                message = self.outside_message("symbolic link")
                self.problem(ProblemKind.OUTSIDE_ROOT, child_path, message)
                continue
            if is_directory:
                self.walk(child_path, inside)
            elif is_walked_file(child.name):
                self.read(child_path, ())

    def read(self, path: str, chain: tuple[tuple[str, str], ...]) -> None:
        """Read one file; ``chain`` holds (real path, shown path) of the files importing it."""
        real = os.path.realpath(path)
        if real in self.read_paths:
            return
        self.read_paths.add(real)
        text = self.read_text(path)
        if text is None:
            return
        self.files.append(path)
        try:
            output = read_text(path, text)
        except Exception as error:
            # A bug in a reader costs this file, not the run: the rest is still read.
            message = f"reading failed: {type(error).__name__}: {error}"[:300]
            self.problem(ProblemKind.INTERNAL, path, f"{message} (a bug in modelindex)")
            return
        if len(output.entries) > MAX_ENTRIES_PER_FILE:
            dropped = output.entries[MAX_ENTRIES_PER_FILE]
            message = (
                f"more than {MAX_ENTRIES_PER_FILE:,} models and collections in one file: "
                f"the {len(output.entries) - MAX_ENTRIES_PER_FILE:,} from here on are not read"
            )
            self.problem(ProblemKind.TOO_COMPLEX, path, message, dropped.data.line)
            del output.entries[MAX_ENTRIES_PER_FILE:]
        self.entries.extend(output.entries)
        self.problems.extend(output.problems)
        for request in output.imports:
            self.follow_import(request, (*chain, (real, path)))

    def read_text(self, path: str) -> str | None:
        try:
            info = os.stat(path)
            if not stat.S_ISREG(info.st_mode):
                self.problem(ProblemKind.UNREADABLE, path, "not a regular file")
                return None
            if info.st_size > self.max_file_size:
                self.problem(ProblemKind.TOO_LARGE, path, _too_large(info.st_size, self))
                return None
            with open(path, "rb") as handle:
                # read(n) allocates n bytes up front: ask for what stat promised, plus one byte
                # to notice a file that grew past the limit since.
                data = handle.read(info.st_size + 1)
                if len(data) > info.st_size:
                    data += handle.read(max(self.max_file_size + 1 - len(data), 0))
        except OSError as error:
            self.problem(_os_error_kind(error), path, _os_error_text(error))
            return None
        if len(data) > self.max_file_size:
            self.problem(ProblemKind.TOO_LARGE, path, _too_large(len(data), self))
            return None
        nul = data.find(b"\0", 0, _BINARY_PROBE_BYTES)
        if nul != -1:
            line = data.count(b"\n", 0, nul) + 1
            self.problem(ProblemKind.BINARY, path, "binary file (NUL byte), not text", line)
            return None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            message = f"not UTF-8: byte 0x{data[error.start]:02x} cannot be decoded"
            self.problem(ProblemKind.NOT_UTF8, path, message, line)
            return None
        # Old Mac line endings (a lone CR) count as line breaks for YAML; make them count for
        # the markdown readers too, so that both agree on line numbers.
        return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text

    def follow_import(self, request: ImportRequest, chain: tuple[tuple[str, str], ...]) -> None:
        pattern = request.pattern
        if not os.path.isabs(pattern):
            pattern = os.path.normpath(os.path.join(os.path.dirname(request.path), pattern))
        # The part before the first wildcard must stay inside: 'Import: /' or '../../**' would
        # otherwise walk the whole filesystem before any match could be refused.
        fixed_part = _fixed_prefix(pattern)
        if not self.inside(fixed_part):
            message = self.outside_message(f"Import {request.pattern!r}")
            self.problem(ProblemKind.OUTSIDE_ROOT, request.path, message, request.line)
            return
        if glob.has_magic(pattern):
            # A glob such as '**/*.yml' may match the importing file itself: not a cycle.
            importer = chain[-1][0]
            matches = [m for m in _glob(pattern) if os.path.realpath(m) != importer]
        else:
            matches = [pattern] if os.path.lexists(pattern) else []
        if not matches:
            message = f"Import {request.pattern!r} matches no file"
            self.problem(ProblemKind.IMPORT_MISSING, request.path, message, request.line)
            return
        outside = [match for match in matches if not self.inside(match)]
        if outside:
            what = f"Import {request.pattern!r} (through a symbolic link: {outside[0]})"
            message = self.outside_message(what)
            self.problem(ProblemKind.OUTSIDE_ROOT, request.path, message, request.line)
            matches = [match for match in matches if match not in outside]
        for match in matches:
            real = os.path.realpath(match)
            cycle_start = next((i for i, (seen, _) in enumerate(chain) if seen == real), None)
            if cycle_start is not None:
                shown = [shown for _, shown in chain[cycle_start:]] + [match]
                message = "Import cycle: " + " -> ".join(shown)
                self.problem(ProblemKind.IMPORT_CYCLE, request.path, message, request.line)
            elif os.path.isdir(match):
                self.walk(match, frozenset())
            else:
                self.read(match, chain)


def _fixed_prefix(pattern: str) -> str:
    """The folders of a glob pattern before its first wildcard ('a/b/*/c' -> 'a/b')."""
    if not glob.has_magic(pattern):
        return pattern
    parts = Path(pattern).parts
    fixed = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    return str(Path(*parts[:fixed])) if fixed else "."


def _glob(pattern: str) -> list[str]:
    """Expand an Import glob. pathlib's '**' does not descend into symlinked folders, where
    glob.glob(recursive=True) would follow a symlink loop into exponentially many paths."""
    path = Path(pattern)
    anchor = Path(path.anchor) if path.is_absolute() else Path()
    relative = str(path.relative_to(anchor)) if path.is_absolute() else pattern
    return sorted(str(match) for match in anchor.glob(relative))


def _os_error_kind(error: OSError) -> ProblemKind:
    return ProblemKind.SYMLINK_LOOP if error.errno == errno.ELOOP else ProblemKind.UNREADABLE


def _os_error_text(error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "symlink loop: too many levels of symbolic links"
    return f"cannot read: {error.strerror or error}"


def _too_large(size: int, session: _Session) -> str:
    return (
        f"file is {size / 2**20:.1f} MiB, over the {session.max_file_size / 2**20:.0f} MiB limit "
        "for model metadata"
    )


def load(
    *paths: PathLike,
    repo_root: PathLike | None = None,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
) -> Index:
    """Load every model-index source under ``paths`` (files, or folders walked recursively).

    ``repo_root``: OpenMMLab metafiles write ``Config`` and ``README`` relative to the
    repository root rather than to the file; pass the root to resolve them (``Model.config_path``).
    Reads stay inside the folders given (a file's own folder, for a file) and ``repo_root``.

    Files that cannot be read or parsed do not stop the load: they are listed in
    ``Index.problems`` with file and line. A path that does not exist raises FileNotFoundError,
    a ``repo_root`` that is not a folder NotADirectoryError.
    """
    if not paths:
        raise TypeError("load() needs at least one path")
    given = [os.fspath(path) for path in paths]
    for path in given:
        if not os.path.lexists(path):
            raise FileNotFoundError(errno.ENOENT, "no such file or directory", path)
    root = os.fspath(Path(repo_root)) if repo_root is not None else None
    if root is not None and not os.path.isdir(root):
        raise NotADirectoryError(errno.ENOTDIR, "repo root is not a folder", root)
    folders = [path if os.path.isdir(path) else os.path.dirname(path) or "." for path in given]
    roots = [os.path.realpath(folder) for folder in [*folders, *([root] if root else [])]]
    session = _Session(max_file_size, roots)
    for path in given:
        session.add(path)
    built = build_index(session.entries, repo_root=root)
    return Index(built.models, built.collections, session.problems, session.files)
