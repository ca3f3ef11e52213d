"""The schema's field vocabulary: one spelling per field, and no silent fallback for a typo."""

from __future__ import annotations

import pytest

import modelindex
from modelindex import fields
from modelindex.fields import (
    FILE_SIZE,
    PARAMETERS,
    UnknownFieldError,
    field_named,
    parse_result_field,
    result_field,
)
from tests.conftest import SEEDS

CARD = SEEDS / "resnet-d.md"


def test_each_field_has_one_card_spelling_and_knows_its_value() -> None:
    model = modelindex.load(CARD)["resnet50d"]
    assert FILE_SIZE == "File Size" and FILE_SIZE.value_of(model) == model.metadata.file_size
    assert field_named("file_size") is FILE_SIZE and field_named("Params") is PARAMETERS
    assert fields.WEIGHTS.value_of(model) == model.weights
    assert len({str(name) for name in fields.DECLARED}) == len(fields.DECLARED)


def test_a_misspelt_field_is_an_error_not_the_entrys_line() -> None:
    model = modelindex.load(CARD)["resnet50d"]
    assert model.location(FILE_SIZE) == model.location("file size") != model.source
    with pytest.raises(UnknownFieldError, match="Fiel Size"):
        model.location("Fiel Size")
    with pytest.raises(UnknownFieldError):
        field_named("Paramters")


def test_an_absent_declared_field_or_result_falls_back_to_the_entry() -> None:
    model = modelindex.load(CARD)["resnet50d"]
    assert model.location(fields.CROP_PCT) != model.source
    assert model.location(fields.MEAN) == model.source  # declared, but not written here
    assert model.location(result_field(7, "Top 1 Accuracy")) == model.source


def test_result_fields_are_written_and_read_in_one_place() -> None:
    assert result_field(0) == "Results[0]"
    assert result_field(2, "Top 1 Accuracy") == "Results[2].Top 1 Accuracy"
    assert parse_result_field("Results[2].Top 1 Accuracy") == (2, "Top 1 Accuracy")
    assert parse_result_field("Results[0]") == (0, None)
    assert parse_result_field("File Size") is None
    model = modelindex.load(CARD)["resnet50d"]
    assert model.location(result_field(0, "Top 1 Accuracy")).line is not None


def test_rules_name_fields_only_by_the_vocabulary() -> None:
    # Every finding's field on the seeds is a declared field or a result field.
    from modelindex.checks import validate

    report = validate(modelindex.load(SEEDS))
    for finding in report.findings:
        if finding.field is None or parse_result_field(finding.field):
            continue
        assert field_named(finding.field) == finding.field, finding
