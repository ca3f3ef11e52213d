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
import os
import stat
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from modelindex.building import build_index
from modelindex.import_patterns import (
    MAX_PATTERN_STEPS,
    PatternError,
    PatternWalker,
    split_pattern,
)
from modelindex.index import Index
from modelindex.problems import LoadProblem, ProblemKind
from modelindex.readers import (
    ImportRequest,
    RawEntry,
    is_walked_file,
    read_text,
    walked_hidden_folders,
)
from modelindex.readers.records import MAX_ENTRIES_PER_FILE, EntryKind
from modelindex.readers.registry import is_secondary, looked_for

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
_SKIPPED_DIRECTORIES = frozenset({"node_modules", "__pycache__", "site-packages", "site"})
_BINARY_PROBE_BYTES = 8192
# A hostile file can hold a problem on every line; the first hundred say what is wrong.
MAX_PROBLEMS_PER_FILE = 100

PathLike = str | os.PathLike[str]


# What is left to do, on a stack rather than in recursion: a zoo's folders may nest a thousand
# deep and its files import each other in long chains.
_Task = tuple[str, object, object]


class _Session:
    def __init__(self, max_file_size: int, roots: list[str]) -> None:
        self.max_file_size = max_file_size
        self.roots = [Path(root) for root in roots]
        """Real paths of the folders that reads may not leave."""
        self.entries: list[RawEntry] = []
        self.problems: list[LoadProblem] = []
        self.files: list[str] = []
        self.read_paths: set[str] = set()
        self.walked_directories: set[tuple[int, int]] = set()
        self.hidden_folders = walked_hidden_folders()
        self.refused_links: set[str] = set()
        self.real_paths: dict[str, str] = {}
        self.importing: dict[str, str] = {}
        """Real path -> shown path of the files whose Imports are being followed, outermost
        first: an Import of one of them is a cycle."""
        self.imported: dict[str, set[str]] = {}
        """Real path of a file -> the real paths its Imports match (files or folders)."""
        self.patterns = PatternWalker(self.may_enter, skipped=_SKIPPED_DIRECTORIES)
        self.pending: list[_Task] = []

    def problem(self, kind: ProblemKind, path: str, message: str, line: int | None = None) -> None:
        self.problems.append(LoadProblem(kind, path, line, message))

    def add(self, path: str) -> None:
        self.pending.append(
            ("walk", path, frozenset()) if os.path.isdir(path) else ("read", path, None)
        )
        while self.pending:
            action, subject, context = self.pending.pop()
            if action == "walk":
                self.walk(subject, context)  # type: ignore[arg-type]
            elif action == "read":
                self.read(subject)  # type: ignore[arg-type]
            elif action == "import":
                self.guarded_import(subject)  # type: ignore[arg-type]
            elif action == "done importing":
                del self.importing[subject]  # type: ignore[arg-type]
            else:
                self.problems.append(subject)  # type: ignore[arg-type]

    def later(self, tasks: list[_Task]) -> None:
        """Do ``tasks`` next, in their order, before what was pending already."""
        self.pending.extend(reversed(tasks))

    def real(self, path: str) -> str:
        """``os.path.realpath``, once per path: Import globs name the same files many times."""
        if path not in self.real_paths:
            self.real_paths[path] = os.path.realpath(path)
        return self.real_paths[path]

    def inside(self, path: str) -> bool:
        real = Path(self.real(path))
        return any(real.is_relative_to(root) for root in self.roots)

    def may_enter(self, link: str) -> bool:
        """Whether the symbolic link ``link`` may be followed; a refusal is reported once."""
        if self.inside(link):
            return True
        if link not in self.refused_links:
            self.refused_links.add(link)
            self.problem(ProblemKind.OUTSIDE_ROOT, link, self.outside_message("symbolic link"))
        return False

    def outside_message(self, what: str) -> str:
        roots = ", ".join(map(str, self.roots))
        return f"{what} leads outside the zoo ({roots}): not read; --repo-root widens it"

    def walk(self, directory: str, ancestors: frozenset[tuple[int, int]]) -> None:
        try:
            info = os.stat(directory)
            with os.scandir(directory) as scan:
                # A folder's own files first, then the hidden folders it may enter
                # (.eval_results): a card comes before its repository's evaluation files.
                children = sorted(scan, key=lambda child: (child.name[:1] == ".", child.name))
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
        tasks: list[_Task] = []
        for child in children:
            hidden = child.name.startswith(".") and child.name not in self.hidden_folders
            if hidden or child.name in _SKIPPED_DIRECTORIES:
                continue
            # 'configs/x.md', not './configs/x.md', when the walk starts at '.'.
            child_path = (
                child.name if directory == os.curdir else os.path.join(directory, child.name)
            )
            try:
                is_directory = child.is_dir()
                is_link = child.is_symlink()
            except OSError as error:
                tasks.append(_reported(_os_error_kind(error), child_path, _os_error_text(error)))
                continue
            walked = not is_directory and is_walked_file(child_path)
            followed = is_directory or walked
            if is_link and followed and not self.inside(child_path):
                message = self.outside_message("symbolic link")
                tasks.append(_reported(ProblemKind.OUTSIDE_ROOT, child_path, message))
            elif is_directory:
                tasks.append(("walk", child_path, inside))
            elif walked:
                tasks.append(("read", child_path, None))
        self.later(tasks)

    def read(self, path: str) -> None:
        real = self.real(path)
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
            self.problem(ProblemKind.INTERNAL, path, _bug("reading failed", error))
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
        if output.imports:
            self.importing[real] = path
            imports: list[_Task] = [("import", request, None) for request in output.imports]
            self.later([*imports, ("done importing", real, None)])

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
        return with_newlines(text)

    def guarded_import(self, request: ImportRequest) -> None:
        try:
            self.follow_import(request)
        except Exception as error:
            message = _bug(f"Import {request.pattern!r:.100} failed", error)
            self.problem(ProblemKind.INTERNAL, request.path, message, request.line)

    def follow_import(self, request: ImportRequest) -> None:
        def refuse(kind: ProblemKind, message: str) -> None:
            self.problem(kind, request.path, message, request.line)

        shown = f"Import {request.pattern!r:.200}"
        try:
            split = split_pattern(request.pattern, os.path.dirname(request.path))
        except PatternError as error:
            refuse(ProblemKind.IMPORT_MISSING, f"{shown} is not a file name: {error}")
            return
        # The literal folder must stay inside before anything is listed: 'Import: /' or
        # '../../**' would otherwise walk the whole filesystem.
        if not self.inside(split.folder):
            refuse(ProblemKind.OUTSIDE_ROOT, self.outside_message(shown))
            return
        if split.wildcards:
            matches = self.patterns.expand(split)
            for path, error in self.patterns.faults:
                self.problem(_os_error_kind(error), path, _os_error_text(error))
            self.patterns.faults.clear()
            if self.patterns.exhausted:
                message = (
                    f"{shown}: Import patterns took more than {MAX_PATTERN_STEPS:,} steps "
                    "through folders; the rest were not searched"
                )
                refuse(ProblemKind.TOO_COMPLEX, message)
                return
        else:
            matches = [split.folder] if os.path.lexists(split.folder) else []
        if not matches:
            refuse(ProblemKind.IMPORT_MISSING, f"{shown} matches no file")
            return
        tasks: list[_Task] = []
        importer = self.imported.setdefault(self.real(request.path), set())
        for match in matches:
            real = self.real(match)
            importer.add(real)
            if split.wildcards and real in self.read_paths:
                # A wildcard that matches a file read already ('**/*.yml' in every metafile)
                # imports nothing new; only a path named outright can close a cycle.
                continue
            if not self.inside(match):
                message = self.outside_message(shown)
                tasks.append(
                    _reported(ProblemKind.OUTSIDE_ROOT, request.path, message, request.line)
                )
            elif real in self.importing:
                importers = list(self.importing)
                files = [self.importing[at] for at in importers[importers.index(real) :]]
                cycle = _cycle([*files, match])
                tasks.append(_reported(ProblemKind.IMPORT_CYCLE, request.path, cycle, request.line))
            elif os.path.isdir(match):
                tasks.append(("walk", match, frozenset()))
            else:
                tasks.append(("read", match, None))
        self.later(tasks)


def with_newlines(text: str) -> str:
    """The text with its line breaks as the readers take them: '\\n' for CRLF and a lone CR.

    Old Mac line endings (a lone CR) count as line breaks for YAML; they count for the markdown
    readers too, so that both agree on line numbers."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _reported(kind: ProblemKind, path: str, message: str, line: int | None = None) -> _Task:
    """A task that reports a problem in its turn, so that problems keep the order of the walk."""
    return ("problem", LoadProblem(kind, path, line, message), None)


def _cycle(files: list[str]) -> str:
    """'Import cycle: a -> b -> a', with a long chain's middle left out."""
    if len(files) > 6:
        files = [*files[:3], f"... ({len(files) - 5} more)", *files[-2:]]
    return "Import cycle: " + " -> ".join(files)


def _bug(what: str, error: Exception) -> str:
    return f"{what}: {type(error).__name__}: {error}"[:300] + " (a bug in modelindex)"


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
    Without it, a folder given that holds a ``model-index.yml`` (or that file, given itself) is
    taken as the root, as OpenMMLab keeps that file at the top of its repositories.
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
    root = os.fspath(Path(repo_root)) if repo_root is not None else _index_root(given)
    if root is not None and not os.path.isdir(root):
        raise NotADirectoryError(errno.ENOTDIR, "repo root is not a folder", root)
    folders = [path if os.path.isdir(path) else os.path.dirname(path) or "." for path in given]
    roots = [os.path.realpath(folder) for folder in [*folders, *([root] if root else [])]]
    session = _Session(max_file_size, roots)
    for path in given:
        session.add(path)
    built = build_index(session.entries, repo_root=root)
    not_imported = _not_imported(session, root)
    problems = _at_most_per_file(
        session.problems + built.problems + not_imported, MAX_PROBLEMS_PER_FILE
    )
    return Index(built.models, built.collections, problems, session.files, repo_root=root)


def _not_imported(session: _Session, root: str | None) -> list[LoadProblem]:
    """The metafiles read by walking that the root ``model-index.yml`` does not reach through
    its Imports (or theirs), each reported on that file; none where it imports nothing."""
    if root is None:
        return []
    index_files = [
        path
        for path in session.files
        if os.path.basename(path).lower() in _ROOT_INDEX_NAMES
        and session.real(os.path.dirname(path) or ".") == session.real(root)
    ]
    if not index_files or not session.imported.get(session.real(index_files[0])):
        return []
    index_file = index_files[0]
    reached: set[str] = set()
    folders: list[str] = []
    stack = [session.real(index_file)]
    while stack:
        current = stack.pop()
        if current in reached:
            continue
        reached.add(current)
        for target in session.imported.get(current, ()):
            if os.path.isdir(target):
                folders.append(target + os.sep)
            stack.append(target)
    declaring = Counter(
        entry.path
        for entry in session.entries
        if entry.kind is EntryKind.MODEL and not is_secondary(entry.dialect)
    )

    # The index's scope is the top folders it imports from ('configs/'): a metafile it misses
    # there is an omission; one under a folder it imports nothing from ('projects/') is not.
    def top_folder(path: str) -> str:
        return os.path.relpath(path, root).replace(os.sep, "/").partition("/")[0]

    scope = {top_folder(path) for path in declaring if session.real(path) in reached}
    problems = []
    for path, count in declaring.items():
        real = session.real(path)
        if real in reached or any(real.startswith(folder) for folder in folders):
            continue
        if top_folder(path) not in scope:
            continue
        if not path.lower().endswith((".yml", ".yaml", ".json")):
            continue  # a card, not a metafile an index would import
        shown = os.path.relpath(path, root)
        problems.append(
            LoadProblem(
                ProblemKind.NOT_IMPORTED,
                index_file,
                1,
                f"{shown} ({count} model{'s' if count > 1 else ''}) is not imported by "
                f"{os.path.basename(index_file)}: tools that read the index do not see its models",
            )
        )
    return problems


def nothing_read(index: Index, paths: Iterable[PathLike]) -> str | None:
    """Why a load of ``paths`` is no check at all, in one line: it found no file of any
    dialect (a wrong path, or cards in a format not read); None where it read something."""
    if index.files or index.problems:
        return None
    walked = ", ".join(os.fspath(path) for path in paths)
    return f"no file to read in {walked}; looked for {looked_for()}"


_ROOT_INDEX_NAMES = ("model-index.yml", "model-index.yaml")


def _index_root(given: list[str]) -> str | None:
    """The first folder given that holds a root ``model-index.yml``, or that holds one given."""
    for path in given:
        if os.path.isdir(path):
            if any(os.path.isfile(os.path.join(path, name)) for name in _ROOT_INDEX_NAMES):
                return path
        elif os.path.basename(path).lower() in _ROOT_INDEX_NAMES:
            return os.path.dirname(path) or "."
    return None


def _at_most_per_file(problems: list[LoadProblem], most: int) -> list[LoadProblem]:
    """The first ``most`` problems of each file, and one that says how many more it has."""
    per_file = Counter(problem.path for problem in problems)
    if max(per_file.values(), default=0) <= most:
        return problems
    kept: list[LoadProblem] = []
    shown: Counter[str] = Counter()
    for problem in problems:
        shown[problem.path] += 1
        if shown[problem.path] <= most:
            kept.append(problem)
        elif shown[problem.path] == most + 1:
            more = per_file[problem.path] - most
            message = f"{more:,} more problems in this file are not shown"
            kept.append(LoadProblem(problem.kind, problem.path, problem.line, message))
    return kept
