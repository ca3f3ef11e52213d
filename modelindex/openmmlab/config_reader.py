"""Read an OpenMMLab config (a Python file) as data, without running it.

mmengine runs a config to read it; a config from a zoo is hostile input, so here it is parsed
with ``ast`` and only data is evaluated: literals, ``dict(...)``, lists, tuples, names bound
earlier in the file, subscripts, ``+ - * / //`` of numbers, strings joined or formatted, and
the few mutations configs make (``x['key'] = v``, ``d.update(...)``, ``l.append(...)``). A
statement of any other kind (a loop, an import, a comprehension) is not run: every name it
mentions becomes unknown from there on, and reading an unknown name says where it was lost.

``_base_`` files are read first and merged as mmengine merges them: a child's mapping merges
into its base's key by key, ``_delete_=True`` replaces the base's instead, lists replace.
``{{_base_.a.b}}`` and ``_base_`` itself read the merged bases. Every mapping remembers the
file and line of each of its keys, so that a value can be shown with where it was set.
"""

from __future__ import annotations

import ast
import copy
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Bounds on hostile input: no real config comes near them.
MAX_CONFIG_BYTES = 1_000_000
MAX_FILES = 64
MAX_DEPTH = 16
MAX_NODES = 500_000
MAX_ITEMS = 100_000
MAX_STRING = 1_000_000
# Items and characters built over a whole read, all files together: values may be small each
# and many (a string appended a thousand times).
MAX_TOTAL = 5_000_000
# How deep values nest and merge; expressions deeper than this are not evaluated.
MAX_NESTING = 64
# The most items a ``for`` loop of a config is run over (a config loops over its few test
# sets); each statement run still spends the config's budget.
MAX_LOOP = 64


class ConfigError(Exception):
    """A config that cannot be read as data; ``path`` and ``line`` say where."""

    def __init__(self, message: str, path: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.path, self.line = message, path, line

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Unknown:
    """A value the reader did not evaluate, and why (with the file and line)."""

    why: str

    def __repr__(self) -> str:
        return f"<unknown: {self.why}>"


class Located(dict[str, Any]):
    """A config mapping that knows the file and line that set each of its keys."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines: dict[str, tuple[str, int]] = {}

    def where(self, key: str) -> tuple[str, int] | None:
        return self.lines.get(key)

    def copy(self) -> Located:
        duplicate = Located(self)
        duplicate.lines = dict(self.lines)
        return duplicate


@dataclass
class _Budget:
    nodes: int = 0
    built: int = 0
    files: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Each file read, with its modification time and size: what a cached result depends on."""

    def spend(self, path: str, line: int | None) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ConfigError(f"more than {MAX_NODES} expressions", path, line)

    def charge(self, size: int, path: str, line: int | None) -> None:
        self.built += size
        if self.built > MAX_TOTAL:
            raise ConfigError(f"builds more than {MAX_TOTAL} items and characters", path, line)


def read_config(path: Path, root: Path) -> Located:
    """The config at ``path`` with its ``_base_`` files merged in; every file read must be
    inside ``root``. Raises ConfigError (with the file and line) for what cannot be read."""
    return read_config_with_files(path, root)[0]


def read_config_with_files(path: Path, root: Path) -> tuple[Located, dict[str, tuple[int, int]]]:
    """:func:`read_config`, and each file it read with its modification time and size."""
    budget = _Budget()
    top = str(path)
    try:
        config = _read(Path(os.path.normpath(path)), _resolved(root), budget, ())
    except ConfigError:
        raise
    except (RecursionError, MemoryError, OverflowError, TypeError, ValueError) as error:
        # Hostile nesting or sizes that slipped past the bounds: a finding, not a crash.
        raise ConfigError(f"cannot be read as data ({type(error).__name__})", top) from None
    return config, budget.files


def _resolved(path: Path) -> Path:
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):
        return Path(os.path.normpath(path))


def _read(path: Path, root: Path, budget: _Budget, chain: tuple[str, ...]) -> Located:
    name = str(path)
    referrer = chain[-1] if chain else name
    # Through links too: a link inside the root may lead out of it.
    real = _resolved(path)
    if not real.is_relative_to(root):
        raise ConfigError(f"{name} is outside the folder given ({root})", referrer)
    if str(real) in chain:
        raise ConfigError("inherits itself through _base_", name)
    if len(chain) >= MAX_DEPTH or len(budget.files) >= MAX_FILES:
        raise ConfigError(f"more than {MAX_DEPTH} levels or {MAX_FILES} files of _base_", name)
    try:
        status = real.stat()
        if not stat.S_ISREG(status.st_mode):
            what = "no such config file" if not real.exists() else "not a regular file"
            raise ConfigError(f"{name}: {what}", referrer)
        if status.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"larger than {MAX_CONFIG_BYTES} bytes", name)
        budget.files[str(real)] = (status.st_mtime_ns, status.st_size)
        text = real.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=name)
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such config file", referrer) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot be read: {error}", name) from None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        line = getattr(error, "lineno", None)
        raise ConfigError(f"is not valid Python: {error}", name, line) from None
    reader = _FileReader(path, root, budget, (*chain, str(real)))
    return reader.run(tree)


def merge(base: Any, child: Any, depth: int = 0) -> Any:
    """``child`` merged into ``base`` as mmengine merges configs."""
    if not (isinstance(base, dict) and isinstance(child, dict)):
        return child
    if depth > MAX_NESTING:
        raise RecursionError("mappings nested too deep to merge")
    delete = child.get("_delete_")
    if isinstance(delete, bool | int) and delete:
        replaced = _located(child)
        replaced.pop("_delete_", None)
        replaced.lines.pop("_delete_", None)
        return replaced
    merged = _located(base)
    for key, value in child.items():
        merged[key] = merge(merged.get(key), value, depth + 1) if key in merged else value
        if isinstance(child, Located) and key in child.lines:
            merged.lines[key] = child.lines[key]
    return merged


def _separate_keys(config: Located) -> Located:
    """``config`` with no value shared between two of its keys: mmengine copies each key of a
    base config, so that a child's ``_base_.val_dataloader.dataset.pipeline += [...]`` does
    not reach ``_base_.test_dataloader`` through the list the base file gave both."""
    separate = _located(config)
    for key in separate:
        separate[key] = copy.deepcopy(separate[key])
    return separate


def _located(mapping: dict[str, Any]) -> Located:
    if isinstance(mapping, Located):
        return mapping.copy()
    return Located(mapping)


class _FileReader:
    def __init__(self, path: Path, root: Path, budget: _Budget, chain: tuple[str, ...]) -> None:
        self.path, self.root, self.budget, self.chain = path, root, budget, chain
        self.name = str(path)
        self.names: dict[str, Any] = {}
        self.lines: dict[str, tuple[str, int]] = {}
        self.base = Located()
        self.depth = 0
        self.poisoned: dict[int, tuple[Any, Unknown]] = {}
        """Containers that a statement not run may have changed, by id, with why. Each is
        held here, so that its id is not reused by a later object."""

    def run(self, tree: ast.Module) -> Located:
        body = list(tree.body)
        for position, statement in enumerate(body):
            if _assigns(statement, "_base_"):
                self._inherit(statement)
                body = body[:position] + body[position + 1 :]
                break
        for statement in body:
            self._statement(statement)
        own = Located()
        for key, value in self.names.items():
            if not key.startswith("__") and key != "_base_":
                own[key] = value
                own.lines[key] = self.lines.get(key, (self.name, 0))
        if self.poisoned:
            seen: set[int] = set()
            self.base = self._sanitized(self.base, 0, seen)
            own = self._sanitized(own, 0, seen)
        return merge(self.base, own)

    def _sanitized(self, value: Any, depth: int, seen: set[int]) -> Any:
        """``value`` with every container a lost statement may have changed made Unknown.
        Each container is visited once: shared ones (``a = [a, a]``) would be exponential."""
        if id(value) in self.poisoned:
            return self.poisoned[id(value)][1]
        if depth > MAX_NESTING:
            return Unknown(f"values nested too deep in {self.name}")
        if not isinstance(value, dict | list) or id(value) in seen:
            return value
        seen.add(id(value))
        if isinstance(value, dict):
            for key in list(value):
                value[key] = self._sanitized(value[key], depth + 1, seen)
        else:
            value[:] = [self._sanitized(item, depth + 1, seen) for item in value]
        return value

    def _inherit(self, statement: ast.stmt) -> None:
        assert isinstance(statement, ast.Assign)
        value = self._value(statement.value)
        bases = [value] if isinstance(value, str) else value
        if not isinstance(bases, list | tuple) or not all(isinstance(b, str) for b in bases):
            raise ConfigError(
                "_base_ must be a file name or a list of them", self.name, statement.lineno
            )
        for base in bases:
            if base.startswith(("mmpretrain::", "mmdet::", "mmpose::", "mmcls::", "mmaction::")):
                raise ConfigError(
                    f"_base_ {base!r} is in another package", self.name, statement.lineno
                )
            # Lexically normalised, so that "../" cannot climb out of the root unseen.
            path = Path(os.path.normpath(self.path.parent / base))
            located = _separate_keys(_read(path, self.root, self.budget, self.chain))
            self.base = merge(self.base, located)
        self.names["_base_"] = self.base

    def _statement(self, statement: ast.stmt) -> None:
        self.budget.spend(self.name, statement.lineno)
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            value = self._value(statement.value)
            if isinstance(target, ast.Name):
                self.names[target.id] = value
                self.lines[target.id] = (self.name, statement.lineno)
                return
            if isinstance(target, ast.Subscript) and self._assign_item(target, value):
                return
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            if statement.value is not None:
                self.names[statement.target.id] = self._value(statement.value)
                self.lines[statement.target.id] = (self.name, statement.lineno)
            return
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            return  # a docstring
        if isinstance(statement, ast.Expr) and self._mutation(statement.value):
            return
        if isinstance(statement, ast.AugAssign) and self._extend_in_place(statement):
            return
        if isinstance(statement, ast.For) and self._loop(statement):
            return
        self._lose(statement, f"{type(statement).__name__.lower()} statement not run")

    def _lose(self, statement: ast.stmt, why: str) -> None:
        """Every name ``statement`` mentions is unknown from here on, and so is every
        container reachable from them: other names may share it."""
        reason = Unknown(f"{why} at {self.name}:{statement.lineno}")
        nodes = list(ast.walk(statement))
        # Walking a statement is work too: a loop may lose the same long one many times.
        self.budget.charge(len(nodes), self.name, statement.lineno)
        lost = {node.id for node in nodes if isinstance(node, ast.Name)}
        lost |= {
            (node.asname or node.name).split(".")[0]
            for node in ast.walk(statement)
            if isinstance(node, ast.alias)
        }
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            lost.add(statement.name)
        for name in lost:
            if name.startswith("__"):
                continue
            self._poison(self.names.get(name), reason, 0)
            self.names[name] = reason

    def _poison(self, value: Any, reason: Unknown, depth: int) -> None:
        if not isinstance(value, dict | list) or id(value) in self.poisoned:
            return
        if depth > MAX_NESTING or len(self.poisoned) > MAX_ITEMS:
            raise ConfigError("values nested too deep or too many", self.name)
        self.poisoned[id(value)] = (value, reason)
        for item in value.values() if isinstance(value, dict) else value:
            self._poison(item, reason, depth + 1)

    def _assign_item(self, target: ast.Subscript, value: Any) -> bool:
        container = self._value(target.value)
        key = self._value(target.slice)
        if isinstance(container, dict) and isinstance(key, str):
            container[key] = value
            if isinstance(container, Located):
                container.lines[key] = (self.name, target.lineno)
            return True
        if (
            isinstance(container, list)
            and isinstance(key, int)
            and -len(container) <= key < len(container)
        ):
            container[key] = value
            return True
        return False

    def _mutation(self, call: ast.expr) -> bool:
        """``d.update(...)``, ``l.append(x)``, ``l.extend(xs)`` on a value read here."""
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
            return False
        owner = self._value(call.func.value)
        method = call.func.attr
        arguments = [self._value(argument) for argument in call.args]
        if isinstance(owner, dict) and method == "update":
            if len(arguments) > 1 or (arguments and not isinstance(arguments[0], dict)):
                return False
            updates = dict(arguments[0]) if arguments else {}
            for keyword in call.keywords:
                value = self._value(keyword.value)
                if keyword.arg is not None:
                    updates[keyword.arg] = value
                elif isinstance(value, dict):
                    updates.update(value)
                else:
                    return False
            owner.update(updates)
            if isinstance(owner, Located):
                owner.lines.update({key: (self.name, call.lineno) for key in updates})
            return True
        if isinstance(owner, list) and method in {"append", "extend"} and len(arguments) == 1:
            items = [arguments[0]] if method == "append" else arguments[0]
            return self._extend(owner, items, call.lineno)
        return False

    def _loop(self, statement: ast.For) -> bool:
        """``for item in items:`` over a list read here, each statement of the body in turn
        (what the reader cannot do is lost, as outside a loop). A loop that can leave early
        (break, continue, return) or has an ``else`` is not run."""
        if statement.orelse or not isinstance(statement.target, ast.Name):
            return False
        nodes = list(ast.walk(statement))
        self.budget.charge(len(nodes), self.name, statement.lineno)
        jumps = (ast.Break, ast.Continue, ast.Return, ast.Try, ast.While, ast.With)
        if any(isinstance(node, jumps) for node in nodes):
            return False
        items = self._value(statement.iter)
        if not isinstance(items, list | tuple) or len(items) > MAX_LOOP:
            return False
        if id(items) in self.poisoned:
            return False  # a statement not run may have changed it
        for item in list(items):
            self.names[statement.target.id] = item
            for inner in statement.body:
                self._statement(inner)
            if id(items) in self.poisoned:
                # The body changed the list in a way not followed (pop, del): Python would
                # iterate the changed list. Whatever the loop touches is unknown.
                self._lose(statement, "for statement over a list it changes not run")
                return True
        return True

    def _extend_in_place(self, statement: ast.AugAssign) -> bool:
        """``pipeline += [...]`` on a list: extended in place, as Python does, so that other
        names of the same list see it too."""
        if not (isinstance(statement.target, ast.Name) and isinstance(statement.op, ast.Add)):
            return False
        owner = self._value(ast.copy_location(ast.Name(statement.target.id, ast.Load()), statement))
        return isinstance(owner, list) and self._extend(
            owner, self._value(statement.value), statement.lineno
        )

    def _extend(self, owner: list[Any], items: Any, line: int) -> bool:
        if isinstance(items, list | tuple) and len(owner) + len(items) <= MAX_ITEMS:
            self.budget.charge(len(items) + _size(items), self.name, line)
            owner.extend(items)
            return True
        return False

    def _value(self, node: ast.expr) -> Any:
        line = getattr(node, "lineno", None)
        self.budget.spend(self.name, line)
        if self.depth > MAX_NESTING:
            return Unknown(f"an expression nested too deep at {self.name}:{line}")
        self.depth += 1
        try:
            found = self._evaluate(node)
        except OverflowError:
            return Unknown(f"a number too large at {self.name}:{line}")
        finally:
            self.depth -= 1
        if isinstance(found, list | tuple | str | dict):
            self.budget.charge(len(found), self.name, line)
        return found

    def _evaluate(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Dict):
            return self._dict(node)
        if isinstance(node, ast.List | ast.Tuple):
            items = [self._value(item) for item in node.elts if not isinstance(item, ast.Starred)]
            if any(isinstance(item, ast.Starred) for item in node.elts):
                return Unknown(f"a starred item at {self.name}:{node.lineno}")
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Set):
            return self._template(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self._value(node.operand)
            if _is_number(operand):
                return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return self._binary(node)
        if isinstance(node, ast.JoinedStr):
            return self._formatted(node)
        return Unknown(f"{type(node).__name__} expression at {self.name}:{node.lineno}")

    def _name(self, node: ast.Name) -> Any:
        if node.id in self.names:
            return self.names[node.id]
        if node.id in {"True", "False", "None"}:
            return {"True": True, "False": False, "None": None}[node.id]
        return Unknown(f"name {node.id!r} is not defined at {self.name}:{node.lineno}")

    def _dict(self, node: ast.Dict) -> Any:
        mapping = Located()
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:
                lost = self._spread(mapping, self._value(value_node), node.lineno)
                if lost:
                    return lost
                continue
            key = self._value(key_node)
            if not isinstance(key, str | int | float | bool) or key is None:
                return Unknown(f"a key that is not a literal at {self.name}:{key_node.lineno}")
            mapping[key] = self._value(value_node)
            mapping.lines[key] = (self.name, key_node.lineno)
        return mapping

    def _spread(self, mapping: Located, value: Any, line: int) -> Unknown | None:
        """``**value`` into ``mapping``, with its keys' lines; why not, where it cannot be."""
        if not isinstance(value, dict):
            return Unknown(f"**{type(value).__name__} at {self.name}:{line}")
        mapping.update(value)
        if isinstance(value, Located):
            mapping.lines.update(value.lines)
        return None

    def _call(self, node: ast.Call) -> Any:
        function = node.func.id if isinstance(node.func, ast.Name) else None
        if function == "dict" and not node.args:
            mapping = Located()
            for keyword in node.keywords:
                value = self._value(keyword.value)
                if keyword.arg is None:
                    lost = self._spread(mapping, value, node.lineno)
                    if lost:
                        return lost
                    continue
                mapping[keyword.arg] = value
                mapping.lines[keyword.arg] = (self.name, keyword.value.lineno)
            return mapping
        if function in {"list", "tuple"} and len(node.args) == 1 and not node.keywords:
            items = self._value(node.args[0])
            if isinstance(items, list | tuple):
                return list(items) if function == "list" else tuple(items)
        if (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "copy"
            and not node.args
            and not node.keywords
        ):
            owner = self._value(node.func.value)
            if isinstance(owner, dict | list):
                return owner.copy()
        return Unknown(f"call of {ast.unparse(node.func)[:40]} at {self.name}:{node.lineno}")

    def _subscript(self, node: ast.Subscript) -> Any:
        container = self._value(node.value)
        key = self._value(node.slice)
        if isinstance(container, Unknown):
            return container
        if id(container) in self.poisoned:
            return self.poisoned[id(container)][1]  # its items may have changed unseen
        try:
            if isinstance(container, dict) and not isinstance(key, Unknown):
                return container[key]
            if isinstance(container, list | tuple | str) and isinstance(key, int):
                return container[key]
        except (KeyError, IndexError, TypeError):
            pass
        shown = repr(key) if isinstance(key, str | int) and len(str(key)) < 80 else "of that key"
        return Unknown(f"no item {shown} at {self.name}:{node.lineno}")

    def _attribute(self, node: ast.Attribute) -> Any:
        owner = self._value(node.value)
        if isinstance(owner, dict) and node.attr in owner:
            return owner[node.attr]
        if isinstance(owner, Unknown):
            return owner
        return Unknown(f"attribute .{node.attr} at {self.name}:{node.lineno}")

    def _template(self, node: ast.Set) -> Any:
        """``{{_base_.a.b}}``: parsed as a set within a set."""
        if (
            len(node.elts) == 1
            and isinstance(node.elts[0], ast.Set)
            and len(node.elts[0].elts) == 1
        ):
            inner = node.elts[0].elts[0]
            path: list[str] = []
            while isinstance(inner, ast.Attribute):
                path.insert(0, inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id == "_base_":
                value: Any = self.base
                for part in path:
                    if not isinstance(value, dict) or part not in value:
                        return Unknown(f"no _base_.{'.'.join(path)} at {self.name}:{node.lineno}")
                    value = value[part]
                return value
        return Unknown(f"a set at {self.name}:{node.lineno}")

    def _binary(self, node: ast.BinOp) -> Any:
        left, right = self._value(node.left), self._value(node.right)
        for side in (left, right):
            if isinstance(side, Unknown):
                return side
        operator = node.op
        if _is_number(left) and _is_number(right):
            if isinstance(operator, ast.Add):
                return left + right
            if isinstance(operator, ast.Sub):
                return left - right
            if isinstance(operator, ast.Mult) and abs(left) * abs(right) < 1e18:
                return left * right
            if isinstance(operator, ast.Div | ast.FloorDiv) and right != 0:
                return left / right if isinstance(operator, ast.Div) else left // right
        if isinstance(operator, ast.Add) and type(left) is type(right):
            if isinstance(left, str) and len(left) + len(right) <= MAX_STRING:
                return left + right
            if isinstance(left, list | tuple) and len(left) + len(right) <= MAX_ITEMS:
                return left + right
        if (
            isinstance(operator, ast.Mult)
            and isinstance(left, list | tuple | str)
            and isinstance(right, int)
            and not isinstance(right, bool)
            and right >= 0
            and len(left) * right <= MAX_ITEMS
        ):
            return left * right
        return Unknown(f"{type(operator).__name__} at {self.name}:{node.lineno}")

    def _formatted(self, node: ast.JoinedStr) -> Any:
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif (
                isinstance(value, ast.FormattedValue)
                and value.format_spec is None
                and value.conversion == -1
            ):
                found = self._value(value.value)
                if not isinstance(found, str | int | float):
                    return Unknown(f"an f-string at {self.name}:{node.lineno}")
                parts.append(str(found))
            else:
                return Unknown(f"an f-string at {self.name}:{node.lineno}")
            if sum(map(len, parts)) > MAX_STRING:
                return Unknown(f"a string too long at {self.name}:{node.lineno}")
        return "".join(parts)


def _size(items: list[Any] | tuple[Any, ...]) -> int:
    """The characters of the strings among ``items``."""
    return sum(len(item) for item in items if isinstance(item, str))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _assigns(statement: ast.stmt, name: str) -> bool:
    return (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and statement.targets[0].id == name
    )
