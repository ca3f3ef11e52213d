"""validate on three real OpenMMLab zoos (their metafiles and README pages): each finding that
was judged by hand stays true, each false alarm stays gone, and no error is reported that was
not judged true."""

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
# Findings judged by hand after JUDGED.yaml was made, by rules extended since: all true.
JUDGED_AFTER = yaml.safe_load((OPENMMLAB / "JUDGED_SINCE.yaml").read_text(encoding="utf-8"))["zoos"]
ZOOS = sorted(JUDGED)

Key = tuple[str, int | None, str]

# The codes of rules written after the judging, with how their findings on these zoos were
# judged by hand: every one of them is true.
JUDGED_SINCE = {
    "S013": "Metrics: {} on 46 mmagic models, each checked to be an explicit empty mapping",
    "P001": "12 Config paths not in the repository (11 in metafiles, 1 a README link), each "
    "checked against the configs/ tree",
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
    # README/metafile disagreements: reported on the README row, with the metafile's line.
    ("mmpose", "configs/body_2d_keypoint/topdown_heatmap/coco/hrnet_coco.yml", 90): "X001",
    ("mmpose", "configs/body_2d_keypoint/rtmo/coco/rtmo_coco.yml", 18): "X001",
    ("mmpose", "configs/body_2d_keypoint/topdown_heatmap/coco/hrnet_coco.yml", 34): "X001",
    ("mmpose", "configs/body_2d_keypoint/topdown_heatmap/coco/resnet_dark_coco.yml", 94): "X001",
    (
        "mmpose",
        "configs/wholebody_2d_keypoint/topdown_heatmap/ubody2d/hrnet_coco-wholebody.yml",
        12,
    ): "X001",
    ("mmaction2", "configs/recognition/mvit/metafile.yml", 63): "X001",
    ("mmaction2", "configs/recognition/slowfast/metafile.yml", 101): "X001",
    ("mmaction2", "configs/recognition/slowonly/metafile.yml", 193): "X001",
    ("mmaction2", "configs/recognition/tpn/metafile.yml", 51): "X001",
    ("mmaction2", "configs/recognition/slowonly/metafile.yml", 27): "X001",
    ("mmaction2", "configs/recognition/tin/metafile.yml", 25): "X001",
    # What a model's name says against what its entry says.
    ("mmpose", "configs/body_2d_keypoint/rtmo/coco/rtmo_coco.yml", 16): "S014",
    ("mmaction2", "configs/recognition/tsn/metafile.yml", 256): "S014",
    ("mmaction2", "configs/recognition/uniformerv2/metafile.yml", 356): "S014",
    ("mmaction2", "configs/recognition/uniformerv2/metafile.yml", 241): "S015",
    # Judged on the line after the Config it names; the finding is on the Config line.
    ("mmaction2", "configs/recognition/mvit/metafile.yml", 105): "S016@104",
    ("mmpose", "configs/face_2d_keypoint/topdown_regression/wflw/resnet_wflw.yml", 15): "S017",
    ("mmaction2", "configs/localization/tcanet/metafile.yml", 9): "S017",
    ("mmaction2", "configs/recognition/tsn/metafile.yml", 200): "S018",
    ("mmaction2", "model-index.yml", 1): "L013",
}


def _relative(path: str, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _findings(zoo: str) -> tuple[dict[Key, Severity], set[Key]]:
    """Each finding's place and severity, and the places its evidence names."""
    root = OPENMMLAB / zoo
    report = validate(modelindex.load(root, repo_root=root))
    found = {
        (_relative(f.location.path, root), f.location.line, f.code): f.severity
        for f in report.findings
    }
    evidence = {
        (_relative(related.location.path, root), related.location.line, f.code)
        for f in report.findings
        for related in f.related
    }
    return found, evidence


@pytest.fixture(scope="module", params=ZOOS)
def zoo(request) -> tuple[str, dict[Key, Severity], set[Key]]:
    return request.param, *_findings(request.param)


def _judged(zoo: str, verdict: bool) -> set[Key]:
    return {
        (finding["path"], finding["line"], finding["code"])
        for finding in JUDGED[zoo]["findings"]
        if finding["verdict"] is verdict
    }


def _judged_after(zoo: str) -> set[Key]:
    keys = set()
    for place, finding in JUDGED_AFTER[zoo].items():
        path, _, line = place.rpartition(":")
        keys.add((path, int(line), finding["code"]))
    return keys


def test_every_finding_judged_true_is_still_reported(zoo) -> None:
    name, found, _ = zoo
    assert _judged(name, True) - set(found) == set()


def test_every_finding_judged_false_is_gone(zoo) -> None:
    name, found, _ = zoo
    assert _judged(name, False) & set(found) == set()


def test_every_error_is_one_judged_true(zoo) -> None:
    name, found, _ = zoo
    errors = {key for key, severity in found.items() if severity is Severity.ERROR}
    judged = _judged(name, True) | _judged_after(name)
    assert {key for key in errors - judged if key[2] not in JUDGED_SINCE} == set()


def test_what_was_judged_after_is_still_reported(zoo) -> None:
    name, found, _ = zoo
    assert _judged_after(name) - set(found) == set()


def test_the_errors_the_judging_missed_are_found(zoo) -> None:
    name, found, evidence = zoo
    expected = {}
    for (z, path, line), code in MISSED_FOUND.items():
        if z == name:
            code, _, found_line = code.partition("@")
            expected[(path, int(found_line or line), code)] = line
    assert set(expected) - set(found) - evidence == set()
    for (path, _, _), line in expected.items():
        assert any(m["path"] == path and m["line"] == line for m in JUDGED[name]["missed"])


def test_the_judged_material_is_all_here() -> None:
    assert sum(len(JUDGED[zoo]["findings"]) for zoo in ZOOS) == 115
    for zoo in ZOOS:
        for finding in JUDGED[zoo]["findings"]:
            assert (OPENMMLAB / zoo / finding["path"]).is_file(), finding["path"]


def test_every_missed_error_has_a_rule_that_finds_it() -> None:
    missed = {(zoo, m["path"], m["line"]) for zoo in ZOOS for m in JUDGED[zoo]["missed"]}
    assert set(MISSED_FOUND) == missed
