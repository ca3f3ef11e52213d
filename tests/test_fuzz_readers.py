"""Mutated real cards, README tables and Hugging Face front matter: whatever the mutation, no
exception escapes ``load`` or ``validate``, no rule fails (M001), and every output renders (the
report's formats, ``list`` and ``show``, the site's comparison rows).

CI runs a bounded number of examples per dialect (``MODELINDEX_FUZZ_EXAMPLES``, default 150);
a longer run is the same test with a larger number:

    MODELINDEX_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz_readers.py -q
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import modelindex
from modelindex.checks import validate
from modelindex.checks.formats import RENDERERS
from modelindex.checks.input_rules import INTERNAL_ERROR
from modelindex.formatting import model_as_json_data, model_as_text, models_as_table
from modelindex.site.data import comparison_rows, site_data
from modelindex.site.render import json_for_script
from tests.conftest import FIXTURES, MMPRETRAIN, SEED_README_TABLE, SEEDS, TIMM_DOCS

EXAMPLES = int(os.environ.get("MODELINDEX_FUZZ_EXAMPLES", "150"))

_SEEDS: dict[str, list[tuple[str, str]]] = {
    "markdown card": [
        ("card.md", path.read_text(encoding="utf-8"))
        for path in [SEEDS / "resnet-d.md", TIMM_DOCS / "big-transfer.md", TIMM_DOCS / "dpn.md"]
    ],
    "model-index file": [
        ("metafile.yml", path.read_text(encoding="utf-8"))
        for path in [
            MMPRETRAIN / "configs" / "resnet" / "metafile.yml",
            *sorted((FIXTURES / "openmmlab-metafiles").glob("*.yml")),
        ]
    ],
    "readme table": [
        ("README.md", path.read_text(encoding="utf-8"))
        for path in [SEED_README_TABLE, MMPRETRAIN / "configs" / "resnet" / "README.md"]
    ],
    "hf card": [
        ("README.md", path.read_text(encoding="utf-8"))
        for path in sorted((FIXTURES / "hf-cards").glob("*/README.md"))
    ],
}

# Pieces that mean something to YAML, markdown tables or the schema, and values that once broke a
# reader: huge or odd numbers, explicit tags, anchors, aliases, merge keys, control characters.
_TOKENS = [
    ": ", "- ", "? ", "[", "]", "{", "}", ",", "|", "-|-", "\n", "\n  ", "\t", "#", "&a ", "*a",
    "<<: *a", "!!bool maybe", '!!int ""', '!!float ""', "!!binary x", "!!python/object:os.system",
    "!!str", "~", ".nan", ".inf", "-.inf", "1" + "0" * 400, "1:" * 50 + "1", "0x", "9" * 5000,
    "1e400", "82.31%", "11.17M", "'", '"', "\\", "\x00", "\x01", "\x1b[2J", "\u2028", "\ufeff",
    "\r", "<!--", "-->", "---", "...", "`", "[x](../../etc/passwd)", "Type: model-index",
    "Models:", "Collections:", "Import: /", "In Collection: ", "Results:", "Metrics:",
    "Metadata:", "model-index:", "name: ", "value: ", "Parameters: ", "FLOPs: ", "Crop Pct: ",
    "Image Size: ", "Interpolation: ", "Weights: ", "Top 1 Accuracy: ", "| Model |",
    "| Params (M) |", "| Top-1 (%) |", "### Image Classification on ImageNet-1k", "é", "Ã©",
]  # fmt: skip


# Values that keep the document's shape but not its sense: they go where a value was.
_VALUES = [
    HUGE := "1" + "0" * 400, "-" + HUGE, "!!bool maybe", '!!bool ""', '!!int ""', '!!float ""',
    "!!int +", "!!float _", "1e400", "-1e400", ".nan", ".inf", "~", "null", "true", "[]", "{}",
    "[1, [2, [3]]]", "{a: 1}", "*a", "&a x", "'82.31%'", "'1:2:3'", "1:2:3", "0b", "0x",
    "9" * 5000, "'\x1b[31mred'", "-1", "0", "2.4 GFLOPs", "11.7 M", "'224x224'", "[3, 224, 224]",
    "[224, 256]", "0.875", "87.5", "bicubicc", "https://x/../../etc/passwd", "../../../etc/passwd",
    "/etc/passwd", "!!binary AAAA", "!!timestamp 2001-12-14", "2001-12-14", "!!set {a, b}",
    "!!omap [a: 1]", "!!python/name:os.system", "'253.91 +/- 68.63'", "'1,5'", "[x](y)",
]  # fmt: skip
_VALUE_AT = re.compile(r"(?<=:[ \t])[^\n]*|(?<=\|)[^|\n]*(?=\|)")


@st.composite
def _mutated(draw: st.DrawFn, dialect: str) -> tuple[str, str]:
    name, text = draw(st.sampled_from(_SEEDS[dialect]))
    values = [(match.start(), match.end()) for match in _VALUE_AT.finditer(text)]
    for _ in range(draw(st.integers(1, 6))):
        if values and draw(st.booleans()):
            # Most mutations replace one value, so that the document still parses and the
            # hostile value reaches the schema, the rules and the outputs.
            start, end = draw(st.sampled_from(values))
            if end <= len(text):
                text = text[:start] + draw(st.sampled_from(_VALUES)) + text[end:]
            continue
        at = draw(st.integers(0, len(text)))
        end = draw(st.integers(at, min(len(text), at + 200)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "repeat", "text"]))
        if action == "insert":
            text = text[:at] + draw(st.sampled_from(_TOKENS)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[end:]
        elif action == "replace":
            text = text[:at] + draw(st.sampled_from(_TOKENS)) + text[end:]
        elif action == "repeat":
            text = text[:end] + text[at:end] * draw(st.integers(2, 50)) + text[end:]
        else:
            text = text[:at] + draw(st.text(max_size=30)) + text[end:]
    return name, text


def _check(name: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        zoo = modelindex.load(folder)
        report = validate(zoo)
        internal = [finding for finding in report.findings if finding.code == INTERNAL_ERROR]
        assert not internal, internal[0].message
        assert report.exit_code() in {0, 1}
        for render in RENDERERS.values():
            render(report)
        models_as_table(zoo.models)
        json_for_script(comparison_rows(site_data(zoo, report, None, {}).models))
        for model in zoo.models[:20]:
            model_as_text(model)
            model_as_json_data(model)
            model.preprocessing.describe()


_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 1000,  # CI: the same examples every run; long runs explore
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


@pytest.mark.parametrize("dialect", list(_SEEDS))
def test_mutated_cards_never_crash_load_or_validate(dialect: str) -> None:
    @_SETTINGS
    @given(_mutated(dialect))
    def property_(case: tuple[str, str]) -> None:
        _check(*case)

    property_()


@pytest.mark.parametrize("dialect", list(_SEEDS))
def test_each_dialect_has_at_least_two_seeds_with_models(dialect: str) -> None:
    with_models = 0
    for name, text in _SEEDS[dialect]:
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / name).write_text(text, encoding="utf-8")
            with_models += bool(modelindex.load(folder).models)
    assert with_models >= 2
