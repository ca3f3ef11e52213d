"""Rules on the repository paths a model names: Config and README files that must exist.

They run only where the repository is known (``--repo-root``, or the folder that holds a
``model-index.yml``): without the tree, a path can be neither confirmed nor denied. The tree
is listed once, bounded, and nothing outside the root is looked at.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote

from modelindex.checks.context import Context
from modelindex.checks.findings import Hit, Severity
from modelindex.checks.registry import Scope, rule
from modelindex.fields import CONFIG, README, FieldName
from modelindex.schema import Model

# A repository bigger than this is listed in part: near misses are then looked for in what was
# listed, and a missing file is still reported.
MAX_LISTED_FILES = 200_000
_DIGITS = re.compile(r"\d")
_TOKEN = re.compile(r"[-_.]")


@dataclass
class _Tree:
    """The files under the repository root, by folder and by name (paths relative to the root,
    with '/')."""

    by_folder: dict[str, list[str]] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=dict)


def _tree(context: Context) -> _Tree:
    tree = _Tree()
    root = context.index.repo_root
    if root is None:
        return tree
    listed = 0
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        relative = os.path.relpath(folder, root).replace(os.sep, "/")
        relative = "" if relative == "." else relative
        for name in files:
            path = f"{relative}/{name}" if relative else name
            tree.by_folder.setdefault(relative, []).append(name)
            tree.by_name.setdefault(name, []).append(path)
            listed += 1
        if listed >= MAX_LISTED_FILES:
            break
    return tree


def _inside(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root + os.sep)


def _exists(tree: _Tree, relative: str) -> bool:
    folder, _, name = relative.rpartition("/")
    return name in tree.by_folder.get(folder, ())


def near_miss(tree: _Tree, relative: str) -> str | None:
    """The file a missing repository path most likely meant: the same path with a typo undone
    (``.py.py``, no ``.py``, ``%2B`` for ``+``, ``--``, a doubled letter), the same file name in
    one other folder (an old layout), or a close name in the same folder that differs in more
    in no part with a number (``_v1`` for ``_v2``, or a ``_v1`` more, names another file)."""
    folder, _, name = relative.rpartition("/")
    prefix = f"{folder}/" if folder else ""
    candidates = [
        name.replace(".py.py", ".py"),
        f"{name}.py" if "." not in name else name,
        unquote(name),
        name.replace("--", "-"),
    ]
    candidates += [name[:i] + name[i + 1 :] for i in range(1, len(name)) if name[i] == name[i - 1]]
    for candidate in candidates:
        if candidate != name and _exists(tree, prefix + candidate):
            return prefix + candidate
    elsewhere = tree.by_name.get(name, [])
    if len(elsewhere) == 1:
        return elsewhere[0]
    siblings = tree.by_folder.get(folder, [])
    for close in difflib.get_close_matches(name, siblings, n=3, cutoff=0.9):
        differing = set(_TOKEN.split(close)) ^ set(_TOKEN.split(name))
        if not any(_DIGITS.search(token) for token in differing):
            return prefix + close
    return None


def _declared_paths(model: Model) -> Iterator[tuple[FieldName, str, str]]:
    """(field, value as written, resolved path) for the model's own repository paths."""
    for field_name, value, resolved in (
        (CONFIG, model.config, model.config_path),
        (README, model.readme, model.readme_path),
    ):
        if value and resolved and "://" not in value and not model.is_inherited(field_name):
            yield field_name, value, resolved


@rule("P001", "path-not-found", Severity.ERROR, Scope.INDEX)
def path_not_found(context: Context) -> Iterator[Hit]:
    """A Config or README path names no file in the repository.

    OpenMMLab metafiles write these paths relative to the repository root, and tools such as
    mim open them: a path that is not there fails for every user. The fix names the near miss
    where there is one: `.py.py`, a missing `.py`, `%2B` for `+`, a doubled letter or dash, the
    same file in another folder (a layout that has since moved), or a close name in the same
    folder. Runs only where the repository root is known (`--repo-root`, or the folder that
    holds `model-index.yml`); paths that leave the root are not looked at.
    """
    root = context.index.repo_root
    if root is None:
        return
    real_root = os.path.realpath(root)
    reported: set[tuple[str, str]] = set()
    for model in context.index.models:
        for field_name, value, resolved in _declared_paths(model):
            real = os.path.realpath(resolved)
            if not _inside(real, real_root) or os.path.isfile(real):
                continue
            where = model.location(field_name)
            if (where.path, value) in reported:
                continue  # one entry repeated (S004) names the same path once
            reported.add((where.path, value))
            # The tree is listed only once a path is missing: a sound zoo costs no walk.
            tree = context.shared(_tree)
            guess = near_miss(tree, os.path.relpath(real, real_root).replace(os.sep, "/"))
            yield Hit(
                where,
                f"{field_name} {value} is not in the repository"
                + (f"; {guess} is" if guess else ""),
                model=model.name,
                field=field_name,
                fix=f"{field_name}: {guess}" if guess else None,
            )
