from __future__ import annotations

from pathlib import Path

import modelindex
from modelindex import ProblemKind
from tests.conftest import SEEDS, TIMM_DOCS, line_of

CARD = """# Tiny

Prose with a Jinja line that is not data:

{% include 'code_snippets.md' %}

<!-- a plain comment -->

Cards keep their data in a `<!-- Type: model-index -->` comment, as this prose says.

```markdown
<!--
Type: model-index
Models:
- Name: example_in_a_fence
-->
```

<!--
type: Model-Index
Collections:
- Name: Tiny
Models:
- Name: tiny_a
  In Collection: Tiny
  Metadata:
    Parameters: 1000
-->

More prose.

<!-- Type: model-index
Models:
- Name: tiny_b
  In Collection: Tiny
-->
"""


def test_seed_cards_load_with_their_values() -> None:
    zoo = modelindex.load(SEEDS / "resnet-d.md", SEEDS / "tresnet.md", SEEDS / "resnest.md")
    assert zoo.problems == []
    assert zoo["tresnet_xl_448"].metadata.image_size == 448
    resnet50d = zoo["resnet50d"]
    assert resnet50d.metadata.crop_pct == 0.875
    assert resnet50d.metadata.interpolation == "bicubic"
    assert resnet50d.metadata.image_size == 224
    assert resnet50d.metadata.parameters == 25580000
    assert resnet50d.in_collection == "ResNet-D"
    assert resnet50d.results[0].metrics == {"Top 1 Accuracy": 80.55, "Top 5 Accuracy": 95.16}
    assert resnet50d.weights.endswith("resnet50d_ra2-464e36ba.pth")


def test_every_field_knows_its_file_and_line() -> None:
    path = SEEDS / "tresnet.md"
    zoo = modelindex.load(path)
    model = zoo["tresnet_m_448"]
    assert model.source == (str(path), line_of(path, "- Name: tresnet_m_448"))
    where = model.location("Parameters")
    assert where.path == str(path)
    assert where.line == line_of(path, "Parameters: 29278464")
    assert model.location("Weights").line == line_of(path, "tresnet_m_448-bc359d10.pth")
    assert model.location("Crop Pct").line == line_of(path, "Crop Pct", after="ID: tresnet_m_448")


def test_several_comments_are_read_and_fenced_ones_are_not(write) -> None:
    zoo = modelindex.load(write("tiny.md", CARD))
    assert zoo.problems == []
    assert zoo.names == ["tiny_a", "tiny_b"]
    assert "example_in_a_fence" not in zoo
    assert zoo["tiny_a"].metadata.parameters == 1000
    assert [collection.name for collection in zoo.collections] == ["Tiny"]


def test_yaml_starting_on_the_comment_line_keeps_its_line_numbers(write) -> None:
    path = write("tiny.md", CARD)
    model = modelindex.load(path)["tiny_b"]
    assert model.source.line == line_of(path, "- Name: tiny_b")
    assert model.location("In Collection").line == model.source.line + 1


def test_whole_timm_corpus_loads_272_models() -> None:
    zoo = modelindex.load(TIMM_DOCS)
    assert len(zoo) == 272
    assert len(zoo.collections) == 65
    assert zoo.problems == []
    assert sum(len(model.invalid) for model in zoo) == 0


def test_unclosed_model_index_comment_is_a_problem_with_its_line(write) -> None:
    path = write("open.md", "# Title\n\n<!--\nType: model-index\nModels:\n- Name: x\n")
    zoo = modelindex.load(path)
    assert len(zoo) == 0
    [problem] = zoo.problems
    assert problem.kind is ProblemKind.SYNTAX
    assert (problem.path, problem.line) == (str(path), 3)
    assert "never closed" in problem.message


def test_empty_model_index_comment_is_a_problem(write) -> None:
    path = write("empty.md", "# Title\n\n<!-- Type: model-index -->\n")
    [problem] = modelindex.load(path).problems
    assert problem.kind is ProblemKind.STRUCTURE
    assert problem.line == 3
    assert "no Collections, Models or Import" in problem.message


def test_other_comments_and_prose_are_not_errors(tmp_path: Path) -> None:
    path = tmp_path / "prose.md"
    path.write_text("# A\n<!-- [ALGORITHM] -->\n{% include 'x.md' %}\n| a | b |\n", "utf-8")
    zoo = modelindex.load(path)
    assert len(zoo) == 0
    assert zoo.problems == []
