"""The Hub's `.eval_results/*.yaml` files, and `modelindex convert` between them and a card."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from huggingface_hub import parse_eval_result_entries

import modelindex
from modelindex.checks import validate
from modelindex.cli import main
from modelindex.problems import ProblemKind

REPOSITORY = Path(__file__).parent / "fixtures" / "hf-hub-format" / "llm-eval"
ASR_CARD = Path(__file__).parent / "fixtures" / "hf-hub-format" / "asr-verified" / "README.md"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_walk_reads_the_card_and_its_evaluation_files_the_card_first() -> None:
    zoo = modelindex.load(str(REPOSITORY))
    assert [(model.dialect, Path(model.source.path).name) for model in zoo.models] == [
        ("hf-card", "README.md"),
        ("hf-eval-results", "gpqa.yaml"),
        ("hf-eval-results", "hle.yaml"),
    ]
    assert zoo["llm-eval"].dialect == "hf-card"


def test_an_evaluation_file_reads_as_the_repositorys_results() -> None:
    [model] = modelindex.load(str(REPOSITORY / ".eval_results" / "gpqa.yaml")).models
    assert model.name == "llm-eval"
    [result] = model.results
    dataset = result.dataset_info
    assert (dataset.type, dataset.config, dataset.revision) == (
        "Idavidrein/gpqa",
        "gpqa_diamond",
        "5503434ddd753f426f4b38109466949a1217c2bb",
    )
    [metric] = result.metric_entries
    assert (metric.name, metric.value) == ("gpqa_diamond", 0.412)
    assert metric.extra == {"date": "2025-01-15T10:30:00Z", "notes": "no-tools"}
    assert (result.source.name, result.source.extra) == ("Eval Logs", {"user": "celinah"})


def test_evaluation_files_read_as_huggingface_hub_reads_them() -> None:
    path = REPOSITORY / ".eval_results" / "gpqa.yaml"
    [theirs] = parse_eval_result_entries(yaml.safe_load(path.read_text()))
    [model] = modelindex.load(str(path)).models
    [metric] = model.results[0].metric_entries
    dataset, source = model.results[0].dataset_info, model.results[0].source
    assert (theirs.dataset_id, theirs.task_id, theirs.dataset_revision) == (
        dataset.type,
        dataset.config,
        dataset.revision,
    )
    assert (theirs.value, theirs.verify_token, theirs.date, theirs.notes) == (
        metric.value,
        metric.verify_token,
        metric.extra["date"],
        metric.extra["notes"],
    )
    assert (theirs.source_url, theirs.source_name, theirs.source_user) == (
        source.url,
        source.name,
        source.extra["user"],
    )


def test_what_the_hub_requires_of_an_evaluation_file_is_checked() -> None:
    zoo = modelindex.load(str(REPOSITORY / ".eval_results" / "hle.yaml"))
    found = {(problem.kind, problem.line, problem.message) for problem in zoo.problems}
    assert found == {
        (ProblemKind.HUB_UNREADABLE, 7, "[1].dataset has no 'task_id', which the Hub requires"),
        (ProblemKind.HUB_UNREADABLE, 10, "[1].source has no 'url', which the Hub requires"),
    }
    # The entry without a task is still read, as a score.
    assert zoo.models[0].results[1].metrics == {"score": 21.3}
    assert {finding.code for finding in validate(zoo).findings} == {"H001"}


def test_convert_a_card_to_an_evaluation_file_and_back_keeps_what_both_hold(
    tmp_path, capsys
) -> None:
    repository = tmp_path / "asr"
    repository.mkdir()
    shutil.copy(ASR_CARD, repository / "README.md")
    evaluations = repository / ".eval_results" / "common_voice.yaml"
    code, out, err = _run(
        capsys,
        "convert",
        str(repository / "README.md"),
        "--to",
        "eval-results",
        "--output",
        str(evaluations),
    )
    assert (code, out) == (0, "")
    assert "note: dropped dataset split (2)" in err and "note: dropped metric verified (2)" in err
    written = yaml.safe_load(evaluations.read_text())
    assert [entry["value"] for entry in written] == [18.1, 4.9, 17.2]
    entries = parse_eval_result_entries(written)
    assert [(e.dataset_id, e.task_id) for e in entries] == [
        ("mozilla-foundation/common_voice_8_0", "ar")
    ] * 3
    assert (
        entries[0].verify_token.startswith("eyJ")
        and entries[0].source_name == "Robust Speech Event"
    )

    code, out, err = _run(
        capsys,
        "convert",
        str(evaluations),
        "--to",
        "model-index",
        "--task-type",
        "automatic-speech-recognition",
        "--metric-type",
        "wer",
    )
    assert (code, err) == (0, "")
    [model] = yaml.safe_load(out)["model-index"]
    card = modelindex.load(str(ASR_CARD)).models[0]
    assert model["name"] == "asr"
    for converted, original in zip(
        model["results"], [(r, m) for r in card.results for m in r.metric_entries], strict=True
    ):
        result, metric = original
        assert converted["dataset"]["type"] == result.dataset_info.type
        assert converted["dataset"]["config"] == result.dataset_info.config
        assert converted["dataset"].get("revision") == result.dataset_info.revision
        assert converted["metrics"] == [
            {
                "type": "wer",
                "value": metric.value,
                **({"verifyToken": metric.verify_token} if metric.verify_token else {}),
            }
        ]
        assert converted.get("source", {}).get("url") == (result.source and result.source.url)
    # The round trip is a card the Hub accepts.
    card_text = "---\n" + yaml.safe_dump({"model-index": [model]}) + "---\n"
    (tmp_path / "back").mkdir()
    (tmp_path / "back" / "README.md").write_text(card_text)
    assert modelindex.load(str(tmp_path / "back")).problems == []


def test_convert_says_what_a_model_index_needs_and_never_overwrites(tmp_path, capsys) -> None:
    code, _, err = _run(
        capsys, "convert", str(REPOSITORY / ".eval_results" / "gpqa.yaml"), "--to", "model-index"
    )
    assert code == 0 and "missing task.type, which the Hub requires: pass --task-type" in err
    assert "note: dropped date (1)" in err and "note: dropped source user (1)" in err
    existing = tmp_path / "mine.yaml"
    existing.write_text("keep me\n")
    code, _, err = _run(
        capsys, "convert", str(ASR_CARD), "--to", "eval-results", "--output", str(existing)
    )
    assert code == 2 and "already exists; not overwritten" in err
    assert existing.read_text() == "keep me\n"
    code, _, err = _run(capsys, "convert", str(ASR_CARD), "--to", "model-index")
    assert code == 2 and "no models read as a .eval_results file" in err


def test_an_evaluation_file_named_from_inside_its_folder(capsys, monkeypatch) -> None:
    monkeypatch.chdir(REPOSITORY / ".eval_results")
    [model] = modelindex.load("gpqa.yaml").models
    assert model.dialect == "hf-eval-results" and model.name == "llm-eval"
    assert len(modelindex.load(".").models) == 2


def test_convert_reports_every_value_it_drops(write, capsys) -> None:
    card = write(
        "m/README.md",
        "---\nmodel-index:\n- name: m\n  results:\n"
        "  - task: {type: text-classification, name: TC, extra_t: 1}\n"
        "    dataset: {type: glue, name: GLUE, config: sst2, foo: bar}\n"
        "    metrics:\n    - {type: accuracy, value: 0.9}\n    - {type: f1}\n"
        "    source: {name: S, url: 'http://x', extra_s: 2}\n    notes: here\n"
        "  - task: {type: text-classification}\n    dataset: {type: imdb, name: IMDB}\n"
        "    metrics: {accuracy: 0.8, f1: 0.7}\n---\n",
    )
    code, out, err = _run(capsys, "convert", str(card), "--to", "eval-results")
    assert code == 0
    assert [(entry["dataset"]["id"], entry["value"]) for entry in yaml.safe_load(out)] == [
        ("glue", 0.9),
        ("imdb", 0.8),
        ("imdb", 0.7),
    ]
    for note in (
        "dataset foo (1)",
        "task extra_t (1)",
        "source extra_s (1)",
        "result notes (1)",
        "metrics whose value is no number (empty, 'NA', '0,93') (1)",
    ):
        assert f"note: dropped {note}" in err


def test_convert_assumes_aloud_and_leaves_out_what_is_no_score(capsys) -> None:
    card = Path(__file__).parent / "fixtures" / "hf-hub-format" / "rl-mteb" / "README.md"
    code, out, err = _run(capsys, "convert", str(card), "--to", "eval-results")
    assert code == 0
    # 500.00 +/- 0.00 is written as its mean; the MTEB threshold is left out.
    assert [entry["value"] for entry in yaml.safe_load(out)] == [500.0, 99.71, 91.43]
    assert "note: dropped the ± spread of a value (1)" in err
    assert "note: dropped thresholds, which are not scores (1)" in err
    assert "note: assumed task_id 'default', where the card names no config (1)" in err


def test_convert_of_nothing_to_convert_and_of_broken_yaml_says_why(write, capsys) -> None:
    empty = write("e/README.md", "---\nmodel-index:\n- name: PPO\n  results: []\n---\n")
    code, out, err = _run(capsys, "convert", str(empty), "--to", "eval-results")
    assert (code, out) == (2, "") and "no evaluation to convert" in err
    broken = write("b/README.md", "---\nmodel-index:\n- name: a\n  results: [\n---\n")
    code, _, err = _run(capsys, "convert", str(broken), "--to", "eval-results")
    assert code == 2 and ":5: invalid YAML" in err


def test_an_evaluation_file_named_outside_its_folder_is_still_one(tmp_path) -> None:
    copy = tmp_path / "hle.yaml"
    shutil.copy(REPOSITORY / ".eval_results" / "hle.yaml", copy)
    zoo = modelindex.load(str(copy))
    [model] = zoo.models
    assert (model.dialect, model.name) == ("hf-eval-results", "hle")
    assert {finding.code for finding in validate(zoo).findings} == {"H001"}
