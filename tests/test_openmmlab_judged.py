"""validate on three real OpenMMLab zoos (their metafiles): each finding that was judged by
hand stays true, each false alarm stays gone, and no error is reported that was not judged
true."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

import modelindex
from modelindex.checks import Severity, validate
from tests.conftest import FIXTURES

OPENMMLAB = FIXTURES / "openmmlab"
JUDGED = yaml.safe_load((OPENMMLAB / "JUDGED.yaml").read_text(encoding="utf-8"))["zoos"]
ZOOS = sorted(JUDGED)

Key = tuple[str, int | None, str]

# The codes of rules written after the judging, with how their findings on these zoos were
# judged by hand: every one of them is true.
JUDGED_SINCE = {
    "S013": "Metrics: {} on 46 mmagic models, each checked to be an explicit empty mapping",
    "P001": "11 Config paths not in the repository, each checked against the configs/ tree",
}
# Each error the judging found missed, by zoo, file and line, and the code that now finds it.
MISSED_FOUND: dict[tuple[str, str, int], str] = {
    ("mmagic", "configs/disco_diffusion/metafile.yml", 17): "S013",
    ("mmagic", "configs/animatediff/metafile.yml", 60): "P001",
    ("mmpose", "configs/body_2d_keypoint/topdown_heatmap/jhmdb/cpm_jhmdb.yml", 2): "P001",
    ("mmpose", "configs/body_2d_keypoint/topdown_heatmap/coco/swin_coco.yml", 84): "P001",
    ("mmpose", "configs/body_2d_keypoint/integral_regression/coco/resnet_debias_coco.yml", 8): (
        "P001"
    ),
    ("mmaction2", "configs/detection/lfb/metafile.yml", 30): "P001",
    ("mmaction2", "configs/recognition/c2d/metafile.yml", 79): "P001",
    ("mmaction2", "configs/recognition/tsm/metafile.yml", 33): "P001",
    ("mmaction2", "configs/recognition/swin/metafile.yml", 56): "P001",
    ("mmaction2", "configs/recognition/uniformerv2/metafile.yml", 240): "P001",
}


def _findings(zoo: str) -> dict[Key, Severity]:
    root = OPENMMLAB / zoo
    report = validate(modelindex.load(root, repo_root=root))
    return {
        (
            Path(os.path.relpath(finding.location.path, root)).as_posix(),
            finding.location.line,
            finding.code,
        ): finding.severity
        for finding in report.findings
    }


@pytest.fixture(scope="module", params=ZOOS)
def zoo(request) -> tuple[str, dict[Key, Severity]]:
    return request.param, _findings(request.param)


def _judged(zoo: str, verdict: bool) -> set[Key]:
    return {
        (finding["path"], finding["line"], finding["code"])
        for finding in JUDGED[zoo]["findings"]
        if finding["verdict"] is verdict
    }


def test_every_finding_judged_true_is_still_reported(zoo) -> None:
    name, found = zoo
    assert _judged(name, True) - set(found) == set()


def test_every_finding_judged_false_is_gone(zoo) -> None:
    name, found = zoo
    assert _judged(name, False) & set(found) == set()


def test_every_error_is_one_judged_true(zoo) -> None:
    name, found = zoo
    errors = {key for key, severity in found.items() if severity is Severity.ERROR}
    assert {key for key in errors - _judged(name, True) if key[2] not in JUDGED_SINCE} == set()


def test_the_errors_the_judging_missed_are_found(zoo) -> None:
    name, found = zoo
    expected = {(path, line, code) for (z, path, line), code in MISSED_FOUND.items() if z == name}
    assert expected - set(found) == set()
    for path, line, _ in expected:
        assert any(m["path"] == path and m["line"] == line for m in JUDGED[name]["missed"])


def test_the_judged_material_is_all_here() -> None:
    assert sum(len(JUDGED[zoo]["findings"]) for zoo in ZOOS) == 115
    for zoo in ZOOS:
        for finding in JUDGED[zoo]["findings"]:
            assert (OPENMMLAB / zoo / finding["path"]).is_file(), finding["path"]
