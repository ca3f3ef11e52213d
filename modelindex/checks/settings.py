"""Validation settings from ``[tool.modelindex]`` in pyproject.toml.

```toml
[tool.modelindex]
ignore = ["U005"]                                   # codes or prefixes never reported
select = ["ALL"]                                     # codes or prefixes reported (default ALL)
shared-weights = ["https://example.org/blip2.pth"]   # URLs several models share on purpose
measurements = "data/measurements.json"              # the cache `modelindex verify` writes

[tool.modelindex.per-file-ignores]
"docs/legacy/*.md" = ["N", "U004"]                  # globs relative to pyproject.toml
```
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelindex.checks.registry import UnknownRuleError, matching_codes

_KNOWN_KEYS = {"select", "ignore", "per-file-ignores", "shared-weights", "measurements"}


class SettingsError(ValueError):
    """The configuration is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    shared_weights: frozenset[str] = frozenset()
    root: Path = field(default_factory=Path.cwd)
    """The folder that per-file-ignores globs are relative to: where pyproject.toml is."""
    source: str | None = None
    """The pyproject.toml these settings came from, if any."""
    measurements: Path | None = None
    """The cache of ``modelindex verify`` (default: the one in data/)."""

    def enabled_codes(self) -> set[str]:
        """The codes to report; a selection that enables nothing is a mistake, not a pass."""
        enabled = matching_codes(self.select) - matching_codes(self.ignore)
        if not enabled:
            raise UnknownRuleError(
                f"select {list(self.select)} minus ignore {list(self.ignore)} leaves no rule"
            )
        return enabled

    def ignored_in(self, path: str) -> set[str]:
        """Codes that per-file-ignores switch off for ``path``."""
        if not self.per_file_ignores:
            return set()
        relative = _relative_posix(path, self.root)
        ignored: set[str] = set()
        for pattern, selectors in self.per_file_ignores.items():
            if _matches(relative, pattern):
                ignored |= matching_codes(selectors)
        return ignored


def _matches(relative: str, pattern: str) -> bool:
    """A glob as ruff's per-file-ignores take it: '*' crosses '/', a folder covers its files."""
    pattern = pattern.removeprefix("./")
    if pattern.endswith("/"):
        pattern += "*"
    return fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(
        os.path.basename(relative), pattern
    )


def _relative_posix(path: str, root: Path) -> str:
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(root.resolve()).as_posix()
    except ValueError:
        return absolute.as_posix()


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.modelindex] table, in ``start`` or above it."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate_folder in [folder, *folder.parents]:
        candidate = candidate_folder / "pyproject.toml"
        if candidate.is_file() and _has_table(candidate):
            return candidate
    return None


def _has_table(pyproject: Path) -> bool:
    text = _read(pyproject)
    if "modelindex" not in text:
        return False  # most pyproject.toml files: no need to parse them
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return True  # ours, perhaps: load_settings reports the error with the file
    return "modelindex" in document.get("tool", {})


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: cannot read: {error}") from None


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise SettingsError(f"{where} must be a list of strings")


def _measurements_path(value: Any, pyproject: Path, where: str) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SettingsError(f"{where} measurements must be a path")
    return pyproject.parent / value


def load_settings(pyproject: Path | None) -> Settings:
    """Settings from ``pyproject`` (defaults when None). Raises SettingsError for a bad table."""
    if pyproject is None:
        return Settings()
    try:
        document = tomllib.loads(_read(pyproject))
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{pyproject}: {error}") from None
    table = document.get("tool", {}).get("modelindex", {})
    where = f"{pyproject}: [tool.modelindex]"
    if not isinstance(table, dict):
        raise SettingsError(f"{where} must be a table")
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise SettingsError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KNOWN_KEYS))})"
        )
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise SettingsError(f"{where} per-file-ignores must be a table of glob = [codes]")
    settings = Settings(
        select=_strings(table.get("select", ["ALL"]), f"{where} select"),
        ignore=_strings(table.get("ignore", []), f"{where} ignore"),
        per_file_ignores={
            str(pattern): _strings(codes, f"{where} per-file-ignores {pattern!r}")
            for pattern, codes in per_file.items()
        },
        shared_weights=frozenset(
            _strings(table.get("shared-weights", []), f"{where} shared-weights")
        ),
        root=pyproject.parent,
        source=str(pyproject),
        measurements=_measurements_path(table.get("measurements"), pyproject, where),
    )
    try:
        settings.enabled_codes()
        for codes in settings.per_file_ignores.values():
            matching_codes(codes)
    except UnknownRuleError as error:
        raise SettingsError(f"{where}: {error}") from None
    return settings
