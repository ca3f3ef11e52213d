"""Each rule on a small zoo written for it: what it reports, where, and what it leaves alone."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import modelindex
from modelindex.checks import RULES, Finding, Report, Settings, Severity, validate
from modelindex.checks.registry import Scope, rule

GOOD = "https://example.org/w/{name}-0123abcd.pth"


def _model(name: str, **fields: object) -> str:
    """A model entry in YAML; metadata keys are given with spaces as underscores."""
    metadata = {
        key.replace("_", " ").title().replace("Flops", "FLOPs").replace("Pct", "Pct"): value
        for key, value in fields.items()
        if key not in {"weights", "results", "collection", "extra"}
    }
    lines = [f"  - Name: {name}", f"    In Collection: {fields.get('collection', 'Net')}"]
    if metadata:
        lines.append("    Metadata:")
        lines += [f"      {key}: {value}" for key, value in metadata.items()]
    lines.append(f"    Weights: {fields.get('weights', GOOD.format(name=name))}")
    results = fields.get("results", {"Top 1 Accuracy": 80.0, "Top 5 Accuracy": 95.0})
    lines += ["    Results:", "      - Task: Image Classification", "        Dataset: ImageNet"]
    lines.append("        Metrics:")
    lines += [f"          {key}: {value}" for key, value in results.items()]  # type: ignore[union-attr]
    if "extra" in fields:
        lines += [f"    {line}" for line in str(fields["extra"]).splitlines()]
    return "\n".join(lines)


def _zoo(write, *models: str, collections: str = "  - Name: Net") -> Path:
    text = "Collections:\n" + collections + "\nModels:\n" + "\n".join(models) + "\n"
    return write("model-index.yml", text)


def _check(path: Path, **settings: object) -> Report:
    # No measurement cache: these zoos are about the offline rules.
    settings.setdefault("measurements", path.parent / "no-measurements.json")
    return validate(modelindex.load(path), Settings(**settings))  # type: ignore[arg-type]


def _codes(report: Report) -> list[tuple[str, str | None, str | None]]:
    return [(f.code, f.model, f.field) for f in report.findings]


def test_a_consistent_zoo_has_no_findings(write) -> None:
    path = _zoo(
        write,
        _model("net18", parameters=11_690_000, flops=1_820_000_000, file_size=46_830_000),
        _model("net50", parameters=25_560_000, flops=4_120_000_000, file_size=102_500_000),
    )
    assert _check(path).findings == []


def test_missing_name_and_missing_weights_and_results(write) -> None:
    path = write(
        "model-index.yml",
        "Models:\n  - In Collection: Net\n    Weights: https://example.org/a.pth\n  - Name: bare\n",
    )
    report = _check(path, ignore=("S003",))
    assert ("S001", None, "Name") in _codes(report)
    missing = next(f for f in report.findings if f.code == "S002" and f.model == "bare")
    assert (missing.model, missing.message) == ("bare", "model has no Weights and no Results")
    assert missing.line == 4


def test_unknown_collection_suggests_the_close_one(write) -> None:
    path = _zoo(write, _model("a", collection="Nett"))
    [finding] = _check(path).findings
    assert (finding.code, finding.field, finding.line) == ("S003", "In Collection", 5)
    assert finding.fix == "did you mean 'Net'?"


def test_duplicate_model_name_points_at_the_first(write) -> None:
    path = _zoo(write, _model("a"), _model("a"))
    [finding] = [f for f in _check(path).findings if f.code == "S004"]
    assert finding.line == 13
    assert finding.related[0].location.line == 4


def test_id_differs_from_name(write) -> None:
    path = _zoo(write, _model("a", id="b"))
    assert _codes(_check(path)) == [("S005", "a", "ID")]


@pytest.mark.parametrize(
    ("value", "fix"), [("87.5", "Crop Pct: 0.875"), ("0", None), ("-0.5", None), ("'x'", None)]
)
def test_crop_pct_outside_zero_one(write, value: str, fix: str | None) -> None:
    path = _zoo(write, _model("a", crop_pct=value))
    [finding] = _check(path).findings
    assert (finding.code, finding.field, finding.line) == ("S006", "Crop Pct", 7)
    assert finding.fix == fix


def test_crop_pct_of_one_and_a_percent_string_are_fine(write) -> None:
    path = _zoo(write, _model("a", crop_pct=1.0), _model("b", crop_pct="'87.5%'"))
    assert _check(path).findings == []


@pytest.mark.parametrize("value", ["0", "-224", "224.5", "'224x192'"])
def test_image_size_must_be_a_positive_whole_number(write, value: str) -> None:
    path = _zoo(write, _model("a", image_size=value))
    assert _codes(_check(path)) == [("S007", "a", "Image Size")]


def test_unknown_interpolation_suggests_a_known_one(write) -> None:
    path = _zoo(write, _model("a", interpolation="bicubik"), _model("b", interpolation="Bilinear"))
    [finding] = _check(path).findings
    assert (finding.code, finding.model, finding.fix) == ("S008", "a", "Interpolation: bicubic")


def test_metric_outside_0_100_and_top1_above_top5(write) -> None:
    path = _zoo(
        write,
        _model("a", results={"Top 1 Accuracy": 180.2, "Top 5 Accuracy": 95.0, "FID": 310.5}),
        _model("b", results={"Top 1 Accuracy": 96.0, "Top 5 Accuracy": 93.0}),
    )
    codes = _codes(_check(path))
    assert ("S009", "a", "Results[0].Top 1 Accuracy") in codes
    assert ("S010", "a", "Results[0].Top 1 Accuracy") in codes
    assert ("S010", "b", "Results[0].Top 1 Accuracy") in codes
    assert not [c for c in codes if c[2] == "Results[0].FID"]


def test_a_number_that_does_not_parse(write) -> None:
    path = _zoo(write, _model("a", parameters="about 25.6M"))
    [finding] = _check(path).findings
    assert (finding.code, finding.field, finding.line) == ("S011", "Parameters", 7)
    assert "about 25.6M" in finding.message


def test_invalid_collection_value_is_reported_once_not_per_model(write) -> None:
    collections = "  - Name: Net\n    Metadata:\n      Crop Pct: 2.5"
    path = _zoo(write, _model("a"), _model("b"), collections=collections)
    assert _codes(_check(path)) == [("S006", "Net", "Crop Pct")]


@pytest.mark.parametrize(
    ("weights", "code"),
    [
        ("ftp://example.org/a.pth", "U001"),
        ("example.org/a.pth", "U001"),
        ("'https://example.org/a b.pth'", "U001"),
        ("https://example.org//a.pth", "U002"),
        ("https://example.org/v1//a.pth", "U002"),
    ],
)
def test_malformed_weights_urls(write, weights: str, code: str) -> None:
    path = _zoo(write, _model("a", weights=weights))
    [finding] = _check(path).findings
    assert (finding.code, finding.field) == (code, "Weights")


def test_relative_config_paths_are_not_urls(write) -> None:
    path = _zoo(write, _model("a", extra="Config: configs/a.py"))
    write("configs/a.py", "")
    assert _check(path).findings == []


def test_file_size_far_from_fp32_and_fp16_is_an_error_and_fp16_is_fine(write) -> None:
    path = _zoo(
        write,
        _model("a", parameters=10_000_000, file_size=30_000_000),
        _model("b", parameters=10_000_000, file_size=20_100_000),
        _model("c", parameters=10_000_000, file_size=44_000_000),
        _model("d", parameters=10_000_000, file_size=40_500_000),
    )
    report = _check(path)
    assert _codes(report) == [("N001", "a", "File Size"), ("N002", "c", "File Size")]
    assert report.findings[0].severity is Severity.ERROR
    assert report.findings[1].severity is Severity.WARNING
    assert report.findings[0].related[0].location.line == 7  # the Parameters line


def test_resolution_variants_must_share_parameters_and_scale_flops(write) -> None:
    path = _zoo(
        write,
        _model("m", parameters=31_390_000, flops=5_730_000_000, image_size=224),
        _model("m_448", parameters=29_280_000, flops=22_930_000_000, image_size=448),
        _model("v", parameters=86_570_000, flops=17_600_000_000, image_size=224),
        _model("v_384", parameters=86_860_000, flops=17_600_000_000, image_size=384),
    )
    assert sorted(_codes(_check(path, ignore=("N006",)))) == [
        ("N003", "m", "Parameters"),
        ("N003", "m_448", "Parameters"),
        ("N004", "v_384", "FLOPs"),
    ]


def test_a_size_suffix_that_is_not_the_image_size_is_part_of_the_name(write) -> None:
    path = _zoo(
        write,
        _model("regnet", parameters=5_000_000, flops=1e9, image_size=224),
        _model("regnet_120", parameters=50_000_000, flops=10e9, image_size=224),
    )
    assert _check(path).findings == []


def _family(*rows: tuple[str, int, int]) -> list[str]:
    return [_model(name, parameters=p, flops=f, image_size=224) for name, p, f in rows]


def test_unit_slip_blames_the_value_outside_the_family_range(write) -> None:
    path = _zoo(
        write,
        *_family(
            ("r18", 11_690_000, 1_820_000_000),
            ("r34", 2_180_000, 3_680_000_000),
            ("r50", 25_560_000, 4_120_000_000),
            ("r101", 44_550_000, 7_850_000_000),
            ("r152", 60_190_000, 115_800_000_000),
        ),
    )
    findings = {f.model: f for f in _check(path).findings}
    assert (findings["r34"].code, findings["r34"].field) == ("N005", "Parameters")
    assert findings["r34"].fix == "Parameters: 21800000"
    assert (findings["r152"].code, findings["r152"].field) == ("N005", "FLOPs")
    assert findings["r152"].fix == "FLOPs: 11580000000"
    assert set(findings) == {"r34", "r152"}


def test_collection_outlier_is_a_warning(write) -> None:
    path = _zoo(
        write,
        *_family(
            ("a", 10_000_000, 2_000_000_000),
            ("b", 20_000_000, 4_000_000_000),
            ("c", 30_000_000, 6_000_000_000),
            ("d", 40_000_000, 7_000_000_000),
            ("e", 10_000_000, 13_000_000_000),
        ),
    )
    assert _codes(_check(path)) == [("N006", "e", "FLOPs")]


def test_implausible_accuracy(write) -> None:
    models = [_model(f"m{i}", results={"Top 1 Accuracy": 75 + i}) for i in range(5)]
    models.append(_model("bad", results={"Top 1 Accuracy": 0.95}))
    [finding] = _check(_zoo(write, *models)).findings
    assert (finding.code, finding.model, finding.field) == (
        "N007",
        "bad",
        "Results[0].Top 1 Accuracy",
    )


def test_shared_weights_owner_is_the_model_the_file_is_named_after(write) -> None:
    url = "https://example.org/w/net_l-940d0cd1.pth"
    path = _zoo(
        write,
        _model("net_l", parameters=50_000_000, weights=url),
        _model("net_xl", parameters=75_000_000, weights=url),
    )
    report = _check(path)
    assert sorted(_codes(report)) == [("U003", "net_xl", "Weights"), ("U004", "net_xl", "Weights")]
    allowed = _check(path, shared_weights=frozenset({url}))
    assert _codes(allowed) == [("U004", "net_xl", "Weights")]


def test_one_checkpoint_at_two_evaluation_sizes_is_not_shared_weights(write) -> None:
    url = "https://example.org/w/net_b3_ra2-cf984f9c.pth"
    path = _zoo(
        write,
        _model("net_b3", parameters=12_230_000, image_size=300, weights=url),
        _model("net_b3a", parameters=12_230_000, image_size=320, crop_pct=1.0, weights=url),
    )
    assert _check(path).findings == []


def test_repeated_file_size_with_different_parameters(write) -> None:
    path = _zoo(
        write,
        _model("l", parameters=56_000_000, file_size=224_440_219),
        _model("l_448", parameters=56_000_000, file_size=224_440_219, image_size=448),
        _model("xl", parameters=78_000_000, file_size=224_440_219),
    )
    report = _check(path, select=("U005",))
    assert _codes(report) == [("U005", "xl", "File Size")]
    assert "l (56000000 parameters)" in report.findings[0].message
    assert len(report.findings[0].related) == 1


CODE = "https://github.com/org/repo/blob/{ref}/models/net.py{anchor}"


def test_code_urls_pinned_anchored_and_on_one_commit(write) -> None:
    commit, other = "a" * 40, "b" * 40
    models = [
        _model("a", extra=f"Code: {CODE.format(ref=commit, anchor='#L10')}"),
        _model("b", extra=f"Code: {CODE.format(ref=commit, anchor='#L20')}"),
        _model("c", extra=f"Code: {CODE.format(ref=other, anchor='#L30')}"),
        _model("d", extra=f"Code: {CODE.format(ref='main', anchor='')}"),
        # A release tag names one revision, as a commit does.
        _model("e", extra=f"Code: {CODE.format(ref='v1.0.0rc7', anchor='#L40')}"),
    ]
    assert sorted(_codes(_check(_zoo(write, *models)))) == [
        ("U006", "d", "Code"),
        ("U007", "d", "Code"),
        ("U008", "c", "Code"),
    ]


def test_an_inherited_code_url_is_reported_once_on_the_collection(write) -> None:
    collections = f"  - Name: Net\n    Code: {CODE.format(ref='dev', anchor='#L3')}"
    path = _zoo(write, _model("a"), _model("b"), collections=collections)
    assert _codes(_check(path)) == [("U006", "Net", "Code")]


def test_readme_table_disagreeing_with_the_metafile(write) -> None:
    write(
        "metafile.yml",
        "Collections:\n  - Name: ResNet\nModels:\n"
        "  - Name: resnet18_8xb32_in1k\n    In Collection: ResNet\n"
        "    Metadata:\n      Parameters: 11690000\n      FLOPs: 1820000000\n"
        "    Results:\n      - Task: Image Classification\n        Dataset: ImageNet-1k\n"
        "        Metrics:\n          Top 1 Accuracy: 69.90\n"
        "    Weights: https://example.org/resnet18_8xb32_in1k_20210831-fbbb1da6.pth\n",
    )
    readme = write(
        "README.md",
        textwrap.dedent(
            """\
            # ResNet

            ### Image Classification on ImageNet-1k

            | Model | Params (M) | Flops (G) | Top-1 (%) | Download |
            |---|---|---|---|---|
            | `resnet18_8xb32_in1k` | 11.69 | 1.82 | 69.90 | [model](https://example.org/resnet18_8xb32_in1k_20210831-fbbb1da6.pth) |
            | `resnet18_8xb32_in1k` | 11.70 | 1.82 | 70.90 | [model](https://example.org/other.pth) |
            """
        ),
    )
    report = _check(readme.parent)
    findings = [f for f in report.findings if f.code == "X001"]
    assert [(f.line, f.field) for f in findings] == [
        (8, "Parameters"),
        (8, "Results[0].Top 1 Accuracy"),
        (8, "Weights"),
    ]
    assert findings[0].related[0].location.line == 7
    assert "11700000 here, but 11690000" in findings[0].message


def test_mojibake_in_prose_is_a_warning_with_its_line(write) -> None:
    path = write(
        "card.md", "# Net\n\nFine text.\nA 3\u00c3\u2014 3 conv and it\u00e2\u20ac\u2122s\n"
    )
    [finding] = _check(path).findings
    assert (finding.code, finding.severity, finding.line) == ("T001", Severity.WARNING, 4)
    assert "'\u00d7'" in finding.message


def test_mojibake_quoted_in_backticks_is_an_example(write) -> None:
    path = write("card.md", "Mojibake looks like `\u00c3\u2014` in text.\n")
    assert _check(path).findings == []


def test_mojibake_in_fenced_code_is_an_example(write) -> None:
    # Speech-recognition cards strip these characters from transcripts on purpose.
    path = write("card.md", "# Net\n\n```python\nchars = '[\u00e2\u20ac\u2122]'\n```\n")
    assert _check(path).findings == []


def test_correct_non_ascii_text_is_not_mojibake(write) -> None:
    path = write(
        "card.md", "# Net\n\n3\u00d73 conv, caf\u00e9, na\u00efve, \u00c5ngstr\u00f6m, \u00c3 la\n"
    )
    assert _check(path).findings == []


def test_mojibake_scan_is_bounded_on_a_huge_line(write) -> None:
    path = write("card.md", "\u00c3\u2014" * 200_000 + "\n" + "ok\n" * 10)
    findings = _check(path).findings
    assert [f.line for f in findings] == [1]


def test_unreadable_input_is_a_finding_with_its_code(write) -> None:
    write("good.md", "# fine\n")
    write("model-index.yml", "Models: [\n  - Name: a\n")
    write("blob.md", b"\x00\x01binary")
    report = _check(write("x.md", "").parent)
    assert sorted((f.code, Path(f.path).name) for f in report.findings) == [
        ("L003", "blob.md"),
        ("L005", "model-index.yml"),
    ]
    assert report.exit_code() == 1


def test_select_ignore_and_prefixes(write) -> None:
    path = _zoo(write, _model("a", id="b", crop_pct=3))
    assert {f.code for f in _check(path).findings} == {"S005", "S006"}
    assert {f.code for f in _check(path, select=("S006",)).findings} == {"S006"}
    assert _check(path, ignore=("S",)).findings == []
    assert {f.code for f in _check(path, select=("S",), ignore=("S005",)).findings} == {"S006"}


def test_per_file_ignores_match_globs_relative_to_the_settings_root(write, tmp_path) -> None:
    _zoo(write, _model("a", id="b"))
    write("legacy/model-index.yml", "Models:\n" + _model("c", id="d", collection="Net") + "\n")
    report = _check(tmp_path, root=tmp_path, per_file_ignores={"legacy/*": ("S005",)})
    assert [(f.code, f.model) for f in report.findings] == [("S005", "a")]


def test_strict_makes_warnings_fail(write) -> None:
    report = _check(write("card.md", "it\u00e2\u20ac\u2122s\n"))
    assert (report.exit_code(), report.exit_code(strict=True)) == (0, 1)


def test_a_rule_that_raises_becomes_one_finding_and_the_others_still_run(write) -> None:
    @rule("Z999", "always-fails", Severity.WARNING, Scope.INDEX)
    def always_fails(context):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    try:
        report = _check(_zoo(write, _model("a", id="b")))
    finally:
        del RULES["Z999"]
    assert [(f.code, f.severity) for f in report.findings] == [
        ("M001", Severity.ERROR),
        ("S005", Severity.ERROR),
    ]
    assert "Z999" in report.findings[0].message and "boom" in report.findings[0].message


def test_every_rule_has_a_code_name_severity_and_explanation() -> None:
    for code, found in RULES.items():
        assert code[0] in "LSNUXTMVOPRHEI" and code[1:].isdigit() and len(code) == 4
        assert found.name and found.name == found.name.lower()
        assert isinstance(found.severity, Severity)
        assert len(found.summary) > 20, code
    assert len({found.name for found in RULES.values()}) == len(RULES)


def test_findings_are_sorted_by_path_and_line(write) -> None:
    path = _zoo(write, _model("a", id="x"), _model("b", crop_pct=9), _model("c", id="y"))
    lines = [f.line for f in _check(path).findings]
    assert lines == sorted(lines) and len(lines) == 3
    assert all(isinstance(f, Finding) for f in _check(path).findings)


def test_a_url_that_does_not_parse_is_u001_and_other_rules_still_run(write) -> None:
    path = write(
        "model-index.yml",
        "Models:\n"
        "- {Name: x1, Weights: 'https://[oops/x1.pth', Results: [{Metrics: {Top 1: 1}}]}\n"
        "- {Name: resnet50, Metadata: {Parameters: 25000000},"
        " Weights: https://a.b/resnet50-abcdef12.pth, Results: [{Metrics: {Top 1: 1}}]}\n"
        "- {Name: resnet101, Metadata: {Parameters: 44000000},"
        " Weights: https://a.b/resnet50-abcdef12.pth, Results: [{Metrics: {Top 1: 1}}]}\n",
    )
    assert sorted(_codes(_check(path))) == [
        ("U001", "x1", "Weights"),
        ("U003", "resnet101", "Weights"),
        ("U004", "resnet101", "Weights"),
    ]


def test_models_outside_collections_are_not_a_family(write) -> None:
    rows = [
        _model(f"m{i}", collection="", parameters=10_000_000, flops=flops, image_size=224)
        for i, flops in enumerate([2e9, 2e9, 2e9, 2e10])
    ]
    text = "Models:\n" + "\n".join(rows).replace("    In Collection: \n", "") + "\n"
    assert _check(write("model-index.yml", text), ignore=("S003",)).findings == []


def test_weights_inherited_from_the_collection_are_not_shared_weights(write) -> None:
    collections = "  - Name: Net\n    Weights: https://example.org/net-0123abcd.pth"
    text = _zoo(write, collections=collections).read_text()
    text += "  - {Name: a, In Collection: Net, Results: [{Metrics: {Top 1: 1}}]}\n"
    text += "  - {Name: b, In Collection: Net, Results: [{Metrics: {Top 1: 1}}]}\n"
    assert _check(write("model-index.yml", text)).findings == []


def test_values_of_the_wrong_shape_are_reported_not_dropped(write) -> None:
    path = write(
        "model-index.yml",
        "Models:\n- Name: a\n  Metadata: [1, 2]\n  Weights: https://a.b/a.pth\n"
        "  Results: 'top1 80'\n- Name: b\n  Weights: https://a.b/b.pth\n  Results:\n"
        "  - Task: T\n    Dataset: D\n    Metrics: '80%'\n",
    )
    assert _codes(_check(path)) == [
        ("S002", "a", "Results"),
        ("S011", "a", "Metadata"),
        ("S011", "a", "Results[0]"),
        ("S011", "b", "Results[0].Metrics"),
    ]


def test_hostile_repeated_file_sizes_stay_linear_in_output(write) -> None:
    rows = [
        f"- {{Name: m{i}, Metadata: {{Parameters: {1_000_000 + i}, File Size: 4000000}}}}"
        for i in range(400)
    ]
    report = _check(
        write("model-index.yml", "Models:\n" + "\n".join(rows) + "\n"), select=("U005",)
    )
    assert len(report.findings) == 400
    assert max(len(f.related) for f in report.findings) <= 3
    assert max(len(f.message) for f in report.findings) < 200


def test_a_bad_dataset_names_its_own_field_and_line(write) -> None:
    path = write(
        "model-index.yml",
        "Models:\n- Name: a\n  Weights: https://a.b/a.pth\n  Results:\n  - Task: T\n"
        "    Dataset: [ImageNet, CIFAR]\n    Metrics: {Top 1: 80}\n",
    )
    [finding] = _check(path).findings
    assert (finding.code, finding.field, finding.line) == ("S011", "Results[0].Dataset", 6)
    assert "expected text, got a list" in finding.message


@pytest.mark.parametrize("field", ["parameters", "flops", "file_size", "epochs"])
def test_counts_must_be_positive(write, field: str) -> None:
    path = _zoo(write, _model("a", **{field: -5}))
    [finding] = _check(path).findings
    assert (finding.code, finding.line) == ("S012", 7)


def test_a_port_out_of_range_is_an_invalid_url(write) -> None:
    path = _zoo(write, _model("a", weights="https://example.org:99999/a.pth"))
    [finding] = _check(path).findings
    assert finding.code == "U001" and "out of range" in finding.message
