"""Codes for input that could not be read or parsed: each load problem becomes a finding."""

from __future__ import annotations

from modelindex.checks.findings import Severity
from modelindex.checks.registry import declare
from modelindex.problems import ProblemKind

CODE_BY_PROBLEM: dict[ProblemKind, str] = {
    ProblemKind.UNREADABLE: "L001",
    ProblemKind.NOT_UTF8: "L002",
    ProblemKind.BINARY: "L003",
    ProblemKind.TOO_LARGE: "L004",
    ProblemKind.SYNTAX: "L005",
    ProblemKind.TOO_COMPLEX: "L006",
    ProblemKind.STRUCTURE: "L007",
    ProblemKind.IMPORT_MISSING: "L008",
    ProblemKind.IMPORT_CYCLE: "L009",
    ProblemKind.SYMLINK_LOOP: "L010",
    ProblemKind.DUPLICATE_KEY: "L011",
    ProblemKind.OUTSIDE_ROOT: "L012",
    ProblemKind.NOT_IMPORTED: "L013",
    ProblemKind.LEGACY_KEY: "L014",
    ProblemKind.HUB_UNREADABLE: "H001",
    ProblemKind.HUB_REJECTS: "H002",
    ProblemKind.NEAR_MISS_KEY: "H003",
}
# Read all the same, so worth a look rather than a failed run.
_WARNINGS = frozenset({ProblemKind.LEGACY_KEY, ProblemKind.NEAR_MISS_KEY})
INTERNAL_ERROR = "M001"
CODE_BY_PROBLEM[ProblemKind.INTERNAL] = INTERNAL_ERROR

_EXPLANATIONS: dict[ProblemKind, str] = {
    ProblemKind.UNREADABLE: """A file could not be read: permissions, a FIFO or a vanished file.

        Nothing in it was checked; the other files were.""",
    ProblemKind.NOT_UTF8: """A file is not UTF-8 text; the line of the first bad byte is given.

        Cards must be UTF-8. Re-save the file as UTF-8 (check for mojibake afterwards, T001).""",
    ProblemKind.BINARY: """A walked file contains NUL bytes: it is binary, not a card.""",
    ProblemKind.TOO_LARGE: """A file is larger than the size limit (10 MiB) and was not read.

        No model card is that large; the limit bounds memory on hostile input.""",
    ProblemKind.SYNTAX: """The YAML or JSON of a model-index block does not parse.

        The line is where the parser stopped; no model of that block was read.""",
    ProblemKind.TOO_COMPLEX: """A YAML document nests too deeply or expands too many aliases.

        Such documents (billion laughs) exhaust memory; they are refused, not expanded.""",
    ProblemKind.STRUCTURE: """A model-index block has the wrong shape.

        Example: `Models:` holds a mapping instead of a list, or an entry is a plain string.""",
    ProblemKind.IMPORT_MISSING: """An `Import:` names a file or glob that matches nothing.""",
    ProblemKind.IMPORT_CYCLE: """Files `Import:` each other in a cycle; the cycle is cut.""",
    ProblemKind.SYMLINK_LOOP: """A symbolic link in a walked folder leads back into the walk.""",
    ProblemKind.DUPLICATE_KEY: """A key is written twice in one YAML or JSON mapping.

        YAML keeps only the last value, so the first is lost without a word: two `Models:` keys
        load only the second list, two `Parameters:` only the second number. Both lines are
        named; merge the two or delete one.""",
    ProblemKind.OUTSIDE_ROOT: """An `Import:` or a symlink in a walked folder leads out of the zoo.

        modelindex reads only inside the folders it was given (a file's own folder, for a file)
        and `--repo-root`: `Import: /` or `Import: /etc/passwd` in a hostile metafile is
        refused, not read. Pass `--repo-root` when a zoo's files import each other from
        sibling folders.""",
    ProblemKind.NOT_IMPORTED: """A metafile in the zoo that its `model-index.yml` does not import.

        Tools built on the index (mim, the Papers-with-Code importer) read `model-index.yml`
        and what it imports, so the models of a metafile it leaves out are invisible to them;
        modelindex finds them only by walking the folder. Reported on `model-index.yml`, once
        per metafile, where that file imports at least one other, and only in the top folders it
        imports from (`configs/`, not a `projects/` folder it imports nothing from).""",
    ProblemKind.LEGACY_KEY: """A Hub card writes its results under the legacy key `model_index`.

        modelindex reads it as `model-index`, but the Hub and `huggingface_hub` read only
        `model-index`: the card shows no results there. Rename the key.""",
    ProblemKind.HUB_UNREADABLE: """`huggingface_hub` cannot read a Hub card's model-index.

        The Hub's format requires `name` and `results` for a model; `task` (with its `type`),
        `dataset` (with `type` and `name`) and a list of `metrics` for a result; `type` and
        `value` for a metric; a `url` for a `source` that has a name. Its keys are exact
        (`Task:` is not `task:`), and lists must be lists. `ModelCard.load` raises on such a
        card, and the Hub refuses it on push; modelindex reads what it can all the same.""",
    ProblemKind.HUB_REJECTS: """A value in a Hub card's model-index has a type the Hub refuses.

        Names, types, `config`, `split`, `revision` and `verifyToken` must be text, `verified`
        true or false, a metric's `value` a number or text. YAML reads `config: 2017` as a
        number and an empty `name:` as null: quote them. The Hub rejects such a push
        ('"model-index[0].results[0].dataset.config" must be a string').""",
    ProblemKind.NEAR_MISS_KEY: """A key of a Hub card's model-index that the format does not have,
        spelt like one it has.

        `veriefied` for `verified`, `types` for `type`, `Value` for `value`: the Hub ignores
        the key, so the value it holds is lost there. The message names the key meant.""",
    ProblemKind.INTERNAL: """modelindex failed on this input: a bug, reported instead of a crash.

        A reader or a rule raised an unexpected error. Everything else was still read and
        checked, and the run exits with code 3 (not 1) so that CI can tell a bug in the tool
        from errors in the zoo. Please report the message with the input that caused it.""",
}

for _kind, _code in CODE_BY_PROBLEM.items():
    severity = Severity.WARNING if _kind in _WARNINGS else Severity.ERROR
    declare(_code, _kind.value, severity, _EXPLANATIONS[_kind])
