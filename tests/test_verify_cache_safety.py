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

from modelindex.measurements.cache import MeasurementCache, cache_key
from modelindex.measurements.references import Reference
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


# The beginning of a temporary that its writer was killed while writing.
CUT_SHORT = b'{\n "format": 1,\n "entries": {\n  "cut'


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
        temporary.write_bytes(CUT_SHORT)
    for temporary in (left["live writer, old"], left["before pids, old"]):
        os.utime(temporary, (hour_ago, hour_ago))
    assert _measure_and_save(path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["m.json", *(p.name for p in kept.values())]
    )


_SAVE_FOREVER = """
import sys
from pathlib import Path
from modelindex.measurements.cache import MeasurementCache
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
    saved = _saved_entries(path)
    assert {**survived, _key("new"): _entry(7)}.items() <= saved.items()
    # Beyond those, only what the killed writer had measured, where its temporary was whole.
    assert all(key.startswith("net") for key in saved.keys() - survived.keys() - {_key("new")})


def _written(entries: dict[str, dict]) -> bytes:
    """A cache's bytes as a save writes them."""
    return (json.dumps({"format": 1, "entries": entries}, indent=1) + "\n").encode()


_DIE_AT_THE_RENAME = """
import os
import signal
import sys
from pathlib import Path
from modelindex.measurements.cache import MeasurementCache
from tests.test_verify_cache_safety import _entry, _key

path = Path(sys.argv[1]).resolve()
rename = os.replace


def rename_or_die(source, destination):
    if Path(destination).resolve() == path:  # the new cache is about to take the path
        os.kill(os.getpid(), signal.SIGKILL)
    rename(source, destination)


def no_hard_links(source, destination, **_options):
    raise PermissionError(1, "Operation not permitted")


os.replace = rename_or_die
if sys.argv[2] == "no hard links":
    os.link = no_hard_links
cache = MeasurementCache(path)
cache.put(_key("killed"), _entry(3))
cache.save()
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize("file_system", ["hard links", "no hard links"])
def test_a_save_killed_before_its_rename_leaves_the_damaged_cache_and_loses_no_entry(
    tmp_path: Path, file_system: str
) -> None:
    path = tmp_path / "m.json"
    damaged = _written({_key("good"): _entry(10), _key("bad"): {"parameters": -1}})
    path.write_bytes(damaged)
    killed = subprocess.run(
        [sys.executable, "-c", _DIE_AT_THE_RENAME, str(path), file_system],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert killed.returncode == -9, killed.stderr.decode()
    assert path.read_bytes() == damaged
    warned = _measure_and_save(path)
    assert "kept as m.json.corrupt " in warned[0]
    assert _saved_entries(path) == {
        _key("good"): _entry(10),
        _key("killed"): _entry(3),  # from the temporary the killed save had written whole
        _key("new"): _entry(7),
    }
    # The copy kept before the kill holds these bytes: they are not kept a second time.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.json.corrupt"]
    assert (tmp_path / "m.json.corrupt").read_bytes() == damaged


def test_a_whole_temporary_of_a_killed_writer_gives_its_newer_entries_to_the_next_save(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.json"
    early, late = "2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00"
    path.write_bytes(_written({_key("a"): _entry(1, early), _key("b"): _entry(2, late)}))
    temporary = tmp_path / f".m.json.{_dead_pid()}.k2j4_x9a.tmp"
    temporary.write_bytes(
        _written(
            {
                _key("a"): _entry(11, late),
                _key("b"): _entry(12, early),
                _key("c"): _entry(13, early),
                _key("bad"): {"parameters": -1},
            }
        )
    )
    assert _measure_and_save(path) == []
    assert _saved_entries(path) == {
        _key("a"): _entry(11, late),
        _key("b"): _entry(2, late),
        _key("c"): _entry(13, early),
        _key("new"): _entry(7),
    }
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_a_temporary_left_while_the_cache_is_not_ours_stays(tmp_path: Path) -> None:
    # Nothing is saved, so the temporary may hold the only copy of its measurements.
    path = tmp_path / "m.json"
    path.write_bytes(b"# notes\n")
    temporary = tmp_path / f".m.json.{_dead_pid()}.k2j4_x9a.tmp"
    temporary.write_bytes(_written({_key("a"): _entry(1)}))
    _measure_and_save(path)
    assert _listing(tmp_path) == {"m.json": b"# notes\n", temporary.name: temporary.read_bytes()}


def test_only_files_that_are_certainly_temporaries_of_this_cache_are_removed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.json"
    dead = _dead_pid()
    ours = _written({_key("a"): _entry(1)})
    kept = {
        ".measurements-notes123": b"my notes on the measurements\n",
        f".m.json.{dead}.backup.tmp": ours,  # not tempfile's 8 characters
        f".m.json.{dead}.abcdefghi.tmp": ours,
        f".m.json.{dead}.ABCDEFGH.tmp": ours,
        f".m.json.0{dead}.abcdefgh.tmp": ours,
        f".m.json.{dead}.abcdefgh.tmp": b"my notes\n",
        f".m.json.{dead}.k2j4_x9a.tmp": b'{"format": 1, "entries": {}}',  # not as a save writes
        f".m.json.{dead}.z9y8x7w6.tmp": _written({}).replace(b"1", b"2"),  # another format's
    }
    for name, text in kept.items():
        (tmp_path / name).write_bytes(text)
    hour_ago = time.time() - 3700
    os.utime(tmp_path / ".measurements-notes123", (hour_ago, hour_ago))
    os.mkfifo(tmp_path / f".m.json.{dead}.fifo1234.tmp")  # opening it would block
    os.symlink(tmp_path / f".m.json.{dead}.k2j4_x9a.tmp", tmp_path / f".m.json.{dead}.link1234.tmp")
    assert _measure_and_save(path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["m.json", *kept, f".m.json.{dead}.fifo1234.tmp", f".m.json.{dead}.link1234.tmp"]
    )
    assert all((tmp_path / name).read_bytes() == text for name, text in kept.items())
    assert _saved_entries(path) == {_key("new"): _entry(7)}


@pytest.mark.parametrize("damaged", [False, True], ids=["a cache", "a damaged cache"])
def test_a_cache_that_is_a_link_is_saved_to_where_it_leads_and_stays_a_link(
    tmp_path: Path, damaged: bool
) -> None:
    shared, project = tmp_path / "shared", tmp_path / "project"
    shared.mkdir()
    project.mkdir()
    entries = {_key("good"): _entry(10)}
    text = _written({**entries, _key("bad"): {}} if damaged else entries)
    (shared / "real.json").write_bytes(text)
    link = project / "m.json"
    link.symlink_to(Path("..") / "shared" / "real.json")
    _measure_and_save(link)
    assert link.is_symlink() and os.readlink(link) == str(Path("..") / "shared" / "real.json")
    assert [p.name for p in project.iterdir()] == ["m.json"]
    assert _saved_entries(shared / "real.json") == {**entries, _key("new"): _entry(7)}
    kept = {"real.json.corrupt": text} if damaged else {}
    assert {p.name: p.read_bytes() for p in shared.iterdir() if p.name != "real.json"} == kept


@pytest.mark.parametrize("leads_to", ["away/real.json", "m.json"], ids=["missing", "itself"])
def test_a_cache_link_that_leads_to_no_file_is_left_as_it_is_with_one_warning(
    tmp_path: Path, leads_to: str
) -> None:
    # A shared cache that is away (an unmounted share) is not split by creating another.
    link = tmp_path / "m.json"
    link.symlink_to(leads_to)
    warned = _measure_and_save(link)
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
    assert link.is_symlink() and os.readlink(link) == leads_to
    assert len(warned) == 1
    assert re.search(NOT_OURS.format(f"a link to {leads_to}, which leads to no file"), warned[0])


def test_a_cache_link_whose_folder_went_away_before_the_save_is_left_as_it_is(
    tmp_path: Path,
) -> None:
    shared, link = tmp_path / "shared", tmp_path / "m.json"
    shared.mkdir()
    (shared / "real.json").write_bytes(_written({_key("good"): _entry(10)}))
    link.symlink_to(Path("shared") / "real.json")
    cache = MeasurementCache(link)
    cache.put(_key("new"), _entry(7))
    shutil.rmtree(shared)  # an unmounted share
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        cache.save()
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"] and link.is_symlink()
    assert len(warned) == 1
    assert re.search(
        NOT_OURS.format("a link to shared/real.json, which leads to no file"),
        str(warned[0].message),
    )


@pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev/null")
@pytest.mark.parametrize("given", ["fifo", "/dev/null"])
def test_a_fifo_or_a_device_given_as_the_cache_is_never_opened_or_written(
    tmp_path: Path, given: str
) -> None:
    path = Path(given) if given.startswith("/") else tmp_path / given
    if given == "fifo":
        os.mkfifo(path)
    warned = _measure_and_save(path)
    assert len(warned) == 1 and re.search(NOT_OURS.format("not a regular file"), warned[0])
    assert (
        path.exists()
        and not path.is_file()
        and list(tmp_path.iterdir()) == ([path] if given == "fifo" else [])
    )


def _merge_conflicted(
    tmp_path: Path, ours: dict, theirs: dict, base: dict, style: list[str]
) -> bytes:
    """The text git leaves when it merges two branches' caches that measured different models."""
    for name, entries in (("ours", ours), ("base", base), ("theirs", theirs)):
        (tmp_path / f"{name}.json").write_bytes(_written(entries))
    merged = subprocess.run(
        ["git", "merge-file", "-p", *style, "ours.json", "base.json", "theirs.json"],
        cwd=tmp_path,
        capture_output=True,
        timeout=30,
    )
    assert 0 < merged.returncode <= 127, merged.stderr.decode()  # the number of conflicts
    for name in ("ours", "base", "theirs"):
        (tmp_path / f"{name}.json").unlink()
    return merged.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git makes the conflict")
@pytest.mark.parametrize("style", [[], ["--diff3"]], ids=["merge", "diff3"])
def test_a_merge_conflicted_cache_keeps_the_entries_of_both_sides(
    tmp_path: Path, style: list[str]
) -> None:
    early, later, latest = (f"2026-0{month}-01T00:00:00+00:00" for month in (1, 2, 3))
    base = {_key("a"): _entry(1, early), _key("b"): _entry(2, early)}
    ours = {**base, _key("b"): _entry(22, later), _key("c"): _entry(3, early)}
    theirs = {**base, _key("b"): _entry(23, latest), _key("d"): _entry(4, early)}
    conflicted = _merge_conflicted(tmp_path, ours, theirs, base, style)
    path = tmp_path / "m.json"
    path.write_bytes(conflicted)
    warned = _measure_and_save(path)
    assert _saved_entries(path) == {
        _key("a"): _entry(1, early),
        _key("b"): _entry(23, latest),  # measured on both sides: the later measurement
        _key("c"): _entry(3, early),
        _key("d"): _entry(4, early),
        _key("new"): _entry(7),
    }
    assert (tmp_path / "m.json.corrupt").read_bytes() == conflicted
    assert len(warned) == 1
    assert re.search(
        r"m.json: unreadable measurement cache \(.*line \d+.*\); 4 entries rescued from both "
        r"sides of a merge conflict; the file is kept as m.json.corrupt ",
        warned[0],
    )


def _complete_at(text: bytes, keys: list[str]) -> dict[str, int]:
    """Where each entry of ``text`` (as a save writes it) is complete: after its closing brace."""
    return {key: text.index(b"\n  }", text.index(key.encode())) + len(b"\n  }") for key in keys}


def test_a_cache_cut_short_anywhere_keeps_every_entry_complete_before_the_cut(
    tmp_path: Path,
) -> None:
    entries = {_key(name): _entry(number) for number, name in enumerate(["a", "b", "c"])}
    whole = _written(entries)
    complete_at = _complete_at(whole, list(entries))
    path = tmp_path / "m.json"
    for cut in range(len(whole)):
        path.write_bytes(whole[:cut])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rescued = MeasurementCache(path).entries
        expected = {key: entry for key, entry in entries.items() if complete_at[key] <= cut}
        assert rescued == expected, f"cut after {cut} bytes"


@pytest.mark.parametrize(
    "damage",
    [b"", b"\xff\xfe garbled bytes", b"  \x00\x00\x00\x00"],
    ids=["cut short", "invalid utf-8", "zeros of a crash"],
)
def test_a_damaged_cache_saves_the_entries_before_the_damage_and_says_how_many(
    tmp_path: Path, damage: bytes
) -> None:
    entries = {_key(name): _entry(number) for number, name in enumerate(["a", "b", "c"])}
    whole = _written(entries)
    damaged = whole[: whole.index(_key("c").encode()) + 5] + damage
    path = tmp_path / "m.json"
    path.write_bytes(damaged)
    warned = _measure_and_save(path)
    assert _saved_entries(path) == {
        _key("a"): _entry(0),
        _key("b"): _entry(1),
        _key("new"): _entry(7),
    }
    assert (tmp_path / "m.json.corrupt").read_bytes() == damaged
    assert len(warned) == 1
    assert re.search(
        r"m.json: unreadable measurement cache \(.*\); 2 entries rescued from the complete "
        r"entries before the damage; the file is kept as m.json.corrupt ",
        warned[0],
    )


def test_a_damaged_cache_of_another_format_rescues_nothing(tmp_path: Path) -> None:
    whole = _written({_key("a"): _entry(1), _key("b"): _entry(2)}).replace(
        b'"format": 1', b'"format": 2'
    )
    path = tmp_path / "m.json"
    path.write_bytes(whole[:-20])
    warned = _measure_and_save(path)
    assert _saved_entries(path) == {_key("new"): _entry(7)}
    assert "unreadable measurement cache" in warned[0] and "starting anew" in warned[0]
