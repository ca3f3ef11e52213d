from __future__ import annotations

import pytest

import modelindex
from modelindex.schema import (
    coerce_count,
    coerce_fraction,
    coerce_image_size,
    coerce_percent,
    normalize_key,
)
from tests.conftest import line_of


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (25580000, 25580000),
        ("25,580,000", 25580000),
        ("11.17 M", 11170000),
        ("11.17M", 11170000),
        ("4.12G", 4120000000),
        (11.17e6, 11170000),
        ("1e9", 1000000000),
        (None, None),
    ],
)
def test_counts_are_coerced_to_int(raw: object, expected: int | None) -> None:
    assert coerce_count(raw) == expected


@pytest.mark.parametrize("raw", ["lots", True, "12 apples", float("nan"), [1]])
def test_counts_that_do_not_parse_are_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        coerce_count(raw)


def test_other_coercions() -> None:
    assert coerce_fraction("0.875") == 0.875
    assert coerce_fraction("87.5%") == 0.875
    assert coerce_image_size("224") == 224
    assert coerce_image_size("448x448") == 448
    assert coerce_image_size([3, 224, 224]) == 224
    assert coerce_percent("82.31%") == 82.31
    assert coerce_percent(82) == 82.0
    with pytest.raises(ValueError):
        coerce_image_size("256x192")
    assert normalize_key("In_Collection") == normalize_key("in  collection") == "in collection"


CARD_WITH_BAD_VALUES = """<!--
Type: model-index
Collections:
- Name: Fam
  Metadata:
    Training Data: ImageNet
    Crop Pct: '0.9'
  Paper: https://arxiv.org/abs/1512.03385
Models:
- Name: good
  In Collection: Fam
  Metadata:
    Interpolation: BICUBIC
    Special Sauce: yes please
  Owner: somebody
- Name: bad
  In Collection: Fam
  Metadata:
    Parameters: eleven million
    Image Size: '256x192'
    Crop Pct: 0.95
  Results:
  - Task: Image Classification
    Dataset: ImageNet
    Metrics:
      Top 1 Accuracy: high
      Top 5 Accuracy: 95.1%
-->
"""


def test_values_that_fail_are_kept_with_their_location_and_the_rest_loads(write) -> None:
    path = write("card.md", CARD_WITH_BAD_VALUES)
    zoo = modelindex.load(path)
    assert zoo.problems == []
    bad = zoo["bad"]
    assert bad.metadata.parameters is None
    assert bad.metadata.crop_pct == 0.95
    assert bad.results[0].metrics == {"Top 5 Accuracy": 95.1}
    invalid = {item.field: item for item in bad.invalid}
    assert set(invalid) == {"Parameters", "Image Size", "Results[0].Top 1 Accuracy"}
    assert invalid["Parameters"].value == "eleven million"
    assert invalid["Parameters"].location.line == line_of(path, "Parameters: eleven million")
    assert "not square" in invalid["Image Size"].reason
    assert invalid["Results[0].Top 1 Accuracy"].location.line == line_of(path, "Top 1 Accuracy")


def test_unknown_keys_are_kept_and_interpolation_is_lower_case(write) -> None:
    good = modelindex.load(write("card.md", CARD_WITH_BAD_VALUES))["good"]
    assert good.metadata.interpolation == "bicubic"
    assert good.metadata.extra == {"Special Sauce": "yes please"}
    assert good.extra == {"Owner": "somebody"}


def test_models_inherit_what_their_collection_declares(write) -> None:
    path = write("card.md", CARD_WITH_BAD_VALUES)
    zoo = modelindex.load(path)
    good, bad = zoo["good"], zoo["bad"]
    assert good.metadata.training_data == ["ImageNet"]
    assert good.metadata.crop_pct == 0.9
    assert bad.metadata.crop_pct == 0.95  # the model's own value wins
    assert good.paper.url == "https://arxiv.org/abs/1512.03385"
    assert good.location("Crop Pct").line == line_of(path, "Crop Pct: '0.9'")
    assert bad.location("Crop Pct").line == line_of(path, "Crop Pct: 0.95")
