"""Resolve an ``Import:`` pattern into paths, without leaving the zoo and in bounded time.

A pattern is split into a literal folder (everything before the first segment with a wildcard)
and the segments after it. The literal folder is checked by the caller before anything is
listed; the wildcard segments are then matched by one walk of that folder, one path part at a
time. The walk enters a symbolic link to a folder only where it stays inside the zoo and only
for a segment that names it (a '**' does not follow links, as pathlib's does not), never enters
the folders a zoo walk skips (``node_modules``, hidden ones), and stops after a budget of steps
shared by every pattern of the load. Listings are kept for the whole load. As with the shell's
globs, a wildcard does not match a name that starts with a dot, and a pattern that ends in
'**' or '/' matches folders only (which the caller then walks).
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import PurePath

# Far more steps than a zoo's Import globs take (a '**' over mmpretrain's whole configs/ tree is
# a few thousand), few enough that hostile patterns end within a few seconds.
MAX_PATTERN_STEPS = 1_000_000


class PatternError(ValueError):
    """The pattern cannot name a file: a NUL byte, text that is not a file name, or '..' after
    a wildcard."""


@dataclass(frozen=True)
class SplitPattern:
    folder: str
    """The literal part, joined to the importing file's folder and normalised."""
    wildcards: tuple[str, ...]
    """The segments from the first one with a wildcard on; empty for a plain path."""
    folders_only: bool = False
    """The pattern ends in '**' or '/': it names folders."""


def split_pattern(pattern: str, importer_folder: str) -> SplitPattern:
    """Split ``pattern`` (relative to ``importer_folder`` unless absolute)."""
    if "\0" in pattern:
        raise PatternError("a file name cannot hold a NUL byte")
    try:
        os.fsencode(pattern)
    except UnicodeError:
        raise PatternError("not a file name (text that cannot be encoded)") from None
    parts = PurePath(pattern).parts
    first_wildcard = next((i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts))
    # The importing file's folder is taken as it is: a folder named 'zoo[v2]' is not a pattern.
    literal = os.path.join(importer_folder, *parts[:first_wildcard])
    wildcards: list[str] = []
    for segment in parts[first_wildcard:]:
        if segment == "..":
            raise PatternError("'..' after a wildcard is not supported")
        if segment == "**" and wildcards[-1:] == ["**"]:
            continue  # '**/**' means what '**' means
        wildcards.append(segment)
    folders_only = bool(wildcards) and (wildcards[-1] == "**" or pattern.endswith(("/", os.sep)))
    return SplitPattern(os.path.normpath(literal), tuple(wildcards), folders_only)


class _Segments:
    """The wildcard segments, matched one path part at a time.

    A state is the number of segments matched so far; '**' matches any number of parts. Moving
    every state along one part costs one test per segment, so a path is matched in time linear
    in its depth whatever the pattern: a regular expression with several '**' or '*' would
    backtrack polynomially on a deep or long path.
    """

    def __init__(self, wildcards: tuple[str, ...]) -> None:
        self.wildcards = wildcards
        self.start = self._closure({0})

    def _closure(self, states: set[int]) -> frozenset[int]:
        # Runs of '**' are merged when the pattern is split, so each state adds one at most.
        closed = set(states)
        for state in states:
            if state < len(self.wildcards) and self.wildcards[state] == "**":
                closed.add(state + 1)
        return frozenset(closed)

    def step(self, states: frozenset[int], name: str, through_link: bool) -> frozenset[int]:
        """The states after matching one more part, ``name``."""
        moved: set[int] = set()
        for state in states:
            if state == len(self.wildcards):
                continue
            segment = self.wildcards[state]
            # As in the shell, a wildcard does not match a name that starts with a dot.
            if name.startswith(".") and not segment.startswith("."):
                continue
            if segment == "**":
                if not through_link:
                    moved.add(state)
            elif fnmatch.fnmatchcase(name, segment):
                moved.add(state + 1)
        return self._closure(moved)

    def complete(self, states: frozenset[int]) -> bool:
        return len(self.wildcards) in states


@dataclass
class _Entry:
    name: str
    is_dir: bool
    is_link: bool


@dataclass
class PatternWalker:
    """Lists folders for Import patterns, once per load, within one budget of steps."""

    may_enter: Callable[[str], bool]
    """Whether a symbolic link to a folder may be followed (it stays inside the zoo)."""
    skipped: Collection[str] = ()
    """Folder names never entered by a wildcard (those a zoo walk skips)."""
    steps_left: int = MAX_PATTERN_STEPS
    faults: list[tuple[str, OSError]] = field(default_factory=list)
    """Entries that could not be examined, for the caller to report."""
    _listings: dict[str, list[_Entry] | None] = field(default_factory=dict)
    _expanded: dict[SplitPattern, list[str]] = field(default_factory=dict)

    @property
    def exhausted(self) -> bool:
        return self.steps_left <= 0

    def listing(self, folder: str) -> list[_Entry] | None:
        if folder in self._listings:
            return self._listings[folder]
        found: list[_Entry] | None = []
        try:
            with os.scandir(folder) as scan:
                for child in scan:
                    self.steps_left -= 1
                    if self.exhausted:
                        break
                    try:
                        found.append(_Entry(child.name, child.is_dir(), child.is_symlink()))
                    except OSError as error:
                        self.faults.append((_joined(folder, child.name), error))
        except OSError as error:
            self.faults.append((folder, error))
            found = None
        if found is not None:
            found.sort(key=lambda entry: entry.name)
        self._listings[folder] = found
        return found

    def expand(self, split: SplitPattern) -> list[str]:
        """The files and folders under ``split.folder`` that the wildcards match, sorted."""
        if split in self._expanded:
            return self._expanded[split]
        segments = _Segments(split.wildcards)
        matches: list[str] = []
        # A folder reached again in the same state (through a link to a folder above) adds
        # nothing; in another state it may, up to the number of segments.
        seen: set[tuple[int, int, frozenset[int]]] = set()
        # (folder, the segment states reached there): a stack, not recursion.
        pending: list[tuple[str, frozenset[int]]] = [(split.folder, segments.start)]
        while pending and not self.exhausted:
            folder, states = pending.pop()
            try:
                info = os.stat(folder)
            except OSError:
                continue
            key = (info.st_dev, info.st_ino, states)
            if key in seen:
                continue
            seen.add(key)
            children: list[tuple[str, frozenset[int]]] = []
            for entry in self.listing(folder) or []:
                self.steps_left -= 1
                if self.exhausted:
                    break
                path = _joined(folder, entry.name)
                reached = segments.step(states, entry.name, entry.is_link)
                if segments.complete(reached) and (entry.is_dir or not split.folders_only):
                    matches.append(path)
                # A folder is entered only where the pattern can still match below it.
                below = reached - {len(split.wildcards)}
                if not (entry.is_dir and below) or entry.name in self.skipped:
                    continue
                if not entry.is_link or self.may_enter(path):
                    children.append((path, below))
            pending.extend(reversed(children))
        self._expanded[split] = sorted(matches)
        return self._expanded[split]


def _joined(folder: str, name: str) -> str:
    # 'model-index.yml' in the current folder imports 'configs/...', not './configs/...'.
    return name if folder == os.curdir else os.path.join(folder, name)
