from __future__ import annotations

import pytest

import modelindex
from modelindex.bundled import bundled_docs_path
from modelindex.query import QueryError, sort_models
from tests.conftest import SEEDS, TIMM_DOCS


@pytest.fixture(scope="module")
def timm():
    return modelindex.load(TIMM_DOCS)


def test_lookup_and_preprocessing(timm) -> None:
    model = timm["resnet50d"]
    assert model.metadata.parameters == 25580000
    preprocessing = model.preprocessing
    assert preprocessing.resize_size == 256
    assert preprocessing.crop_size == 224
    assert preprocessing.interpolation == "bicubic"
    assert str(preprocessing) == "resize 256 (= floor(224 / 0.875)), center crop 224, bicubic"
    assert timm["resnet101d"].preprocessing.resize_size == 272  # floor(256 / 0.94)


def test_unknown_name_raises_key_error_with_suggestions(timm) -> None:
    with pytest.raises(KeyError) as caught:
        timm["resnet50dd"]
    assert caught.value.suggestions[0] == "resnet50d"
    assert "did you mean resnet50d" in str(caught.value)
    assert timm.get("nope") is None


def test_papers_with_code_names_keep_working(timm) -> None:
    model = timm.models[0]
    assert model.metadata.flops is not None
    assert isinstance(model.results[0].metrics, dict)
    assert model.in_collection in {c.name for c in timm.collections}
    assert model.weights.startswith("https://")


def test_filter_and_sort(timm) -> None:
    small_and_good = timm.where("parameters < 30e6 and top1 > 80")
    assert small_and_good
    assert all(
        m.metadata.parameters < 30e6 and m.metric("Top 1 Accuracy") > 80 for m in small_and_good
    )
    ranked = sort_models(small_and_good, "-top1")
    tops = [m.metric("Top 1 Accuracy") for m in ranked]
    assert tops == sorted(tops, reverse=True)
    assert {m.name for m in timm.where("collection == 'tresnet'")} == {
        "tresnet_l",
        "tresnet_l_448",
        "tresnet_m",
        "tresnet_m_448",
        "tresnet_xl",
        "tresnet_xl_448",
    }
    assert len(timm.where("'resnest' in name and image_size >= 320")) == 2


@pytest.mark.parametrize(
    "expression", ["__import__('os').system('true')", "parameters.real > 1", "sizes > 1", "a +"]
)
def test_filters_run_no_code_and_explain_bad_fields(timm, expression: str) -> None:
    with pytest.raises(QueryError):
        timm.where(expression)


def test_by_collection_groups_every_model(timm) -> None:
    groups = timm.by_collection()
    assert len(groups) == 65
    assert sum(len(models) for models in groups.values()) == 272
    assert [m.name for m in timm.models_in("ResNet-D")] == [m.name for m in groups["ResNet-D"]]


def test_several_paths_load_together() -> None:
    zoo = modelindex.load(SEEDS / "tresnet.md", SEEDS / "resnest.md")
    assert len(zoo) == 14


def test_missing_path_raises_file_not_found(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        modelindex.load(tmp_path / "nope")


def test_bundled_zoo_is_the_projects_docs() -> None:
    assert bundled_docs_path().name == "docs"
    assert modelindex.get("resnet50d").metadata.crop_pct == 0.875
    assert modelindex.get("tresnet_m_448").metadata.image_size == 448
    assert len(modelindex.bundled_index()) == 43
