from __future__ import annotations

import json
from pathlib import Path

import modelindex
from modelindex import ProblemKind
from tests.conftest import MMPRETRAIN, line_of


def test_import_as_list_string_and_glob_relative_to_the_importing_file(write) -> None:
    root = write("zoo/model-index.yml", "Import:\n- a/metafile.yml\n- b/*.yml\n")
    write("zoo/a/metafile.yml", "Import: ../c/more.yaml\nModels:\n- Name: a1\n")
    write("zoo/b/one.yml", "Models:\n- Name: b1\n")
    write("zoo/b/two.yml", "Models:\n- Name: b2\n")
    write("zoo/c/more.yaml", "Models:\n- Name: c1\n")
    zoo = modelindex.load(root)
    assert zoo.problems == []
    assert sorted(zoo.names) == ["a1", "b1", "b2", "c1"]


def test_keys_are_case_insensitive_and_underscore_means_space(write) -> None:
    path = write(
        "model-index.yml",
        "COLLECTIONS:\n- name: Fam\nmodels:\n- NAME: m\n  in_collection: Fam\n"
        "  METADATA:\n    file_size: 400\n    crop_PCT: '0.9'\n    Image_Size: '256'\n",
    )
    model = modelindex.load(path)["m"]
    assert model.in_collection == "Fam"
    assert model.metadata.file_size == 400
    assert model.metadata.crop_pct == 0.9
    assert model.metadata.image_size == 256


def test_import_cycle_is_reported_at_the_import_line(write) -> None:
    first = write("first.yml", "Models:\n- Name: one\nImport:\n- second.yml\n")
    write("second.yml", "Models:\n- Name: two\nImport: first.yml\n")
    zoo = modelindex.load(first)
    assert sorted(zoo.names) == ["one", "two"]
    [problem] = zoo.problems
    assert problem.kind is ProblemKind.IMPORT_CYCLE
    assert problem.path.endswith("second.yml")
    assert problem.line == 3
    assert "first.yml -> " in problem.message and problem.message.endswith("first.yml")


def test_import_that_matches_nothing_is_reported(write) -> None:
    path = write("model-index.yml", "Models:\n- Name: kept\nImport:\n- missing/*.yml\n")
    zoo = modelindex.load(path)
    assert zoo.names == ["kept"]
    [problem] = zoo.problems
    assert (problem.kind, problem.line) == (ProblemKind.IMPORT_MISSING, 3)


def test_json_model_index_file(write) -> None:
    document = {
        "Collections": [{"Name": "J", "Metadata": {"Training Data": "ImageNet"}}],
        "Models": [{"Name": "j1", "In Collection": "J", "Metadata": {"FLOPs": "1.5G"}}],
    }
    path = write("model-index.json", json.dumps(document, indent=2))
    model = modelindex.load(path)["j1"]
    assert model.metadata.flops == 1_500_000_000
    assert model.metadata.training_data == ["ImageNet"]
    assert model.location("FLOPs").line == line_of(path, '"FLOPs"')


def test_a_file_may_hold_a_single_model(write) -> None:
    path = write("model.yml", "Name: solo\nWeights: https://example.org/solo.pth\n")
    assert modelindex.load(path)["solo"].weights == "https://example.org/solo.pth"


def test_openmmlab_paths_resolve_against_the_repo_root_when_asked_or_evident() -> None:
    root_file = MMPRETRAIN / "model-index.yml"
    metafile = MMPRETRAIN / "configs/resnet/metafile.yml"
    with_root = modelindex.load(metafile, repo_root=MMPRETRAIN)["resnet18_8xb16_cifar10"]
    assert with_root.config == "configs/resnet/resnet18_8xb16_cifar10.py"
    expected = MMPRETRAIN / "configs/resnet/resnet18_8xb16_cifar10.py"
    assert Path(with_root.config_path) == expected
    assert Path(with_root.readme_path) == MMPRETRAIN / "configs/resnet/README.md"
    # The folder that holds model-index.yml is the root, whether the file or the folder is given.
    for given in (root_file, MMPRETRAIN):
        index = modelindex.load(given)
        assert index.repo_root == str(MMPRETRAIN)
        assert Path(index["resnet18_8xb16_cifar10"].config_path) == expected
    # A metafile alone, without the option: relative to the metafile, visibly and not guessed.
    without_root = modelindex.load(metafile)
    assert without_root.repo_root is None
    model = without_root["resnet18_8xb16_cifar10"]
    assert Path(model.config_path) == MMPRETRAIN / "configs/resnet" / with_root.config


def test_openmmlab_metafile_models_inherit_their_collection() -> None:
    zoo = modelindex.load(MMPRETRAIN / "model-index.yml")
    assert len(zoo) == 24
    model = zoo["resnet18_8xb16_cifar10"]
    assert model.metadata.parameters == 11170000
    assert model.paper.title == "Deep Residual Learning for Image Recognition"
    assert model.code.startswith("https://github.com/open-mmlab/")
    metafile = MMPRETRAIN / "configs/resnet/metafile.yml"
    assert model.location("Paper") == (str(metafile), line_of(metafile, "Paper:"))


def test_a_readme_table_repeating_a_metafile_is_kept_aside_for_comparison() -> None:
    zoo = modelindex.load(MMPRETRAIN)
    assert len(zoo) == 24
    assert len(zoo.shadowed) == 22
    declared, table_row = zoo.sources("resnet34_8xb32_in1k")
    assert declared.dialect == "model-index-file"
    assert table_row.dialect == "readme-table"
    assert zoo["resnet34_8xb32_in1k"] is declared
