"""The measurement cache never destroys what is not a cache: a folder or a user's file is left
as it is, a damaged cache is kept aside under a numbered name, no valid entry is dropped on
save, temporaries of killed writers are removed, and the wheel's copy is never written."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from modelindex.verify.cache import MeasurementCache, cache_key
from modelindex.verify.references import Reference
from tests.conftest import SEEDS
from tests.test_verify_offline import _entry

ROOT = Path(__file__).parent.parent
COMMITTED = ROOT / "data" / "measurements.json"
NOT_OURS = r"is not a modelindex measurement cache \({}\); left as it is"


def _key(model: str, version: str = "1.0") -> str:
    return cache_key(model, Reference(model, 1000, 224), version)


def _measure_and_save(path: Path, model: str = "new") -> list[str]:
    """A run that measured ``model`` and saves, as verify does when it ends; its warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache = MeasurementCache(path)
        cache.put(_key(model), _entry(7))
        cache.save()
    return [str(warning.message) for warning in caught]


def _listing(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for a folder)."""
    return {
        str(path.relative_to(folder)): path.read_bytes() if path.is_file() else None
        for path in sorted(folder.rglob("*"))
    }


def _saved_entries(path: Path) -> dict[str, dict]:
    return json.loads(path.read_text(encoding="utf-8"))["entries"]


def test_a_folder_given_as_the_cache_is_never_renamed_or_written(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "references.yml").write_text("- pattern: x\n", encoding="utf-8")
    before = _listing(tmp_path)
    warned = _measure_and_save(data)
    assert _listing(tmp_path) == before
    assert len(warned) == 1 and re.search(NOT_OURS.format("a folder"), warned[0])


@pytest.mark.parametrize(
    "text",
    [
        (SEEDS / "resnest.md").read_bytes(),
        b"",
        b'[{"format": 1}]',
        b'{"Models": [{"Name": "resnet50"}]}',
        b'{"name": "zoo", "format": 1, "entries": {}}',
        b"PK\x03\x04\x00\x00binary checkpoint",
    ],
    ids=["markdown card", "empty", "json list", "model-index json", "other keys", "binary"],
)
def test_a_file_that_is_not_a_cache_is_never_rewritten(tmp_path: Path, text: bytes) -> None:
    card = tmp_path / "resnest.md"
    card.write_bytes(text)
    warned = _measure_and_save(card)
    assert _listing(tmp_path) == {"resnest.md": text}
    assert len(warned) == 1 and "is not a modelindex measurement cache" in warned[0]


def test_a_cache_of_another_format_is_left_for_the_version_that_wrote_it(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    newer = json.dumps({"format": 2, "entries": {_key("net"): {"parameters": 1}}}).encode()
    path.write_bytes(newer)
    warned = _measure_and_save(path)
    assert _listing(tmp_path) == {"m.json": newer}
    assert re.search(NOT_OURS.format("format 2, where this version has 1"), warned[0])


def test_a_path_that_became_a_folder_before_the_save_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    cache = MeasurementCache(path)
    cache.put(_key("net"), _entry(7))
    path.mkdir()
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        cache.save()
    assert _listing(tmp_path) == {"m.json": None}
    assert re.search(NOT_OURS.format("a folder"), str(warned[0].message))


def test_each_corrupt_copy_is_kept_under_its_own_number(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    damaged = [f'{{"format": 1, "entries": {{"cut short {n}'.encode() for n in range(3)]
    warned = []
    for text in damaged:
        path.write_bytes(text)
        warned += _measure_and_save(path)
    assert (tmp_path / "m.json.corrupt").read_bytes() == damaged[0]
    assert (tmp_path / "m.json.corrupt-2").read_bytes() == damaged[1]
    assert (tmp_path / "m.json.corrupt-3").read_bytes() == damaged[2]
    assert list(_saved_entries(path)) == [_key("new")]
    for message, kept in zip(warned, ["corrupt", "corrupt-2", "corrupt-3"], strict=True):
        assert re.search(f"unreadable measurement cache .*kept as m.json.{kept} ", message)


def test_bad_entries_are_kept_aside_and_every_valid_entry_is_saved(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    entries = {_key("good"): _entry(10), _key("bad"): {**_entry(11), "macs": -1}, "x": {}}
    original = json.dumps({"format": 1, "entries": entries}, indent=1).encode()
    path.write_bytes(original)
    warned = _measure_and_save(path)
    assert _saved_entries(path) == {_key("good"): _entry(10), _key("new"): _entry(7)}
    assert (tmp_path / "m.json.corrupt").read_bytes() == original
    assert "2 malformed or incomplete entries ignored" in warned[0]


def _committed_entries() -> dict[str, dict]:
    return json.loads(COMMITTED.read_text(encoding="utf-8"))["entries"]


def test_a_save_keeps_every_committed_entry_and_what_another_run_saved(tmp_path: Path) -> None:
    path = tmp_path / "measurements.json"
    shutil.copyfile(COMMITTED, path)
    early = MeasurementCache(path)
    _measure_and_save(path, "other")
    early.put(_key("new"), _entry(7))
    early.save()
    assert _saved_entries(path) == {
        **_committed_entries(),
        _key("other"): _entry(7),
        _key("new"): _entry(7),
    }


def test_incomplete_entries_of_an_older_version_survive_in_the_kept_copy(tmp_path: Path) -> None:
    # 295 entries, 2 of them written before mmcv_flops was measured: a save used to leave 293.
    committed = _committed_entries()
    kept = dict(list(committed.items())[:293])
    older = {
        _key(name, "0.9.16"): {k: v for k, v in _entry(5).items() if k != "mmcv_flops"}
        for name in ("resnet18", "resnet34")
    }
    original = json.dumps({"format": 1, "entries": {**kept, **older}}, indent=1).encode()
    path = tmp_path / "measurements.json"
    path.write_bytes(original)
    warned = _measure_and_save(path)
    assert _saved_entries(path) == {**kept, _key("new"): _entry(7)}
    assert (tmp_path / "measurements.json.corrupt").read_bytes() == original
    assert "2 malformed or incomplete entries ignored" in warned[0]


def _cache_text(pairs: list[tuple[str, dict]]) -> str:
    """A cache's text with these entries in this order, repeated keys included."""
    body = ",\n".join(f" {json.dumps(key)}: {json.dumps(entry)}" for key, entry in pairs)
    return f'{{"format": 1, "entries": {{\n{body}\n}}}}\n'


def test_repeated_keys_keep_the_newest_entry_and_the_file_is_kept_aside(tmp_path: Path) -> None:
    # A union merge of two branches that both measured two models again repeats their keys.
    committed = _committed_entries()
    remeasured = {
        key: {**committed[key], "measured_at": "2027-01-01T00:00:00+00:00"}
        for key in list(committed)[:2]
    }
    text = _cache_text([*remeasured.items(), *committed.items()])
    path = tmp_path / "measurements.json"
    path.write_text(text, encoding="utf-8")
    warned = _measure_and_save(path)
    assert _saved_entries(path) == {**committed, **remeasured, _key("new"): _entry(7)}
    assert (tmp_path / "measurements.json.corrupt").read_text(encoding="utf-8") == text
    assert "2 repeated keys, of which the newest entry is used" in warned[0]


def test_the_copy_inside_an_installed_wheel_is_never_written(tmp_path: Path) -> None:
    installed = tmp_path / "site-packages" / "modelindex" / "_bundled" / "data"
    installed.mkdir(parents=True)
    shutil.copyfile(COMMITTED, installed / "measurements.json")
    before = _listing(tmp_path)
    warned = _measure_and_save(installed / "measurements.json")
    assert _listing(tmp_path) == before
    assert "installed package, read but never written" in warned[0]


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_temporaries_of_killed_writers_are_removed_by_the_next_save(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    hour_ago = time.time() - 3700
    left = {
        "dead writer": tmp_path / f".m.json.{_dead_pid()}.k2j4_x9a.tmp",
        "live writer, old": tmp_path / f".m.json.{os.getpid()}.b7c1a0qz.tmp",
        "before pids, old": tmp_path / ".measurements-a1b2c3d4",
    }
    kept = {
        "live writer": tmp_path / f".m.json.{os.getpid()}.q8w7e6r5.tmp",
        "before pids, recent": tmp_path / ".measurements-z9y8x7w6",
        "another cache's": tmp_path / f".other.json.{_dead_pid()}.abcdefgh.tmp",
        "a user's": tmp_path / ".m.json.notes",
    }
    for temporary in [*left.values(), *kept.values()]:
        temporary.write_bytes(b'{"format": 1, "entries": {"cut')
    for temporary in (left["live writer, old"], left["before pids, old"]):
        os.utime(temporary, (hour_ago, hour_ago))
    assert _measure_and_save(path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["m.json", *(p.name for p in kept.values())]
    )


_SAVE_FOREVER = """
import sys
from pathlib import Path
from modelindex.verify.cache import MeasurementCache
from tests.test_verify_cache_safety import _entry, _key

cache = MeasurementCache(Path(sys.argv[1]))
number = 0
while True:
    number += 1
    cache.put(_key(f"net{number}"), _entry(number))
    cache.save()
"""


def _kill_mid_save(path: Path) -> None:
    """Start a process saving ``path`` over and over; kill -9 it while a temporary exists."""
    writer = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_SAVE_FOREVER), str(path)], cwd=ROOT
    )
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline and writer.poll() is None:
            if any(p.name != path.name for p in path.parent.iterdir()):
                break
            time.sleep(0.001)
    finally:
        writer.kill()  # SIGKILL: no handler, no finally clause runs in the writer
        writer.wait()


def test_a_writer_killed_mid_save_leaves_the_cache_whole_and_the_next_save_cleans_up(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.json"
    big = {_key(f"model{n}"): _entry(n) for n in range(10_000)}
    path.write_text(json.dumps({"format": 1, "entries": big}), encoding="utf-8")
    for _attempt in range(5):  # the kill may land just after a rename: then try again
        _kill_mid_save(path)
        if len(list(tmp_path.iterdir())) > 1:
            break
    assert len(list(tmp_path.iterdir())) > 1, "no save was ever caught mid-write"
    survived = _saved_entries(path)
    assert big.items() <= survived.items()
    _measure_and_save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
    assert _saved_entries(path) == {**survived, _key("new"): _entry(7)}
