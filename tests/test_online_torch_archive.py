"""A torch file is looked at before torch opens it: its zip directory must describe what
torch.save writes (records stored as they are, a small pickle), and a legacy (pre-zip) file,
read whole to be counted, must be small. What fails is not counted, or no checkpoint, decided
without importing torch and without inflating or reading the records."""

from __future__ import annotations

import io
import pickle
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from modelindex.online import checkpoint
from modelindex.online.results import CheckKind
from tests.test_online import _codes, _model, _run
from tests.url_server import UrlServer, serve_file

STRUCTURE = pickle.dumps({"w": "a tensor, in a real checkpoint"})
# What an import of torch leaves behind, were the file handed to it.
IMPORTED = "imported"


@pytest.fixture
def server():
    with UrlServer() as running:
        yield running


@pytest.fixture
def watched_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package named torch first on the path: found, so a downloaded torch file is kept
    to be counted; imported, it leaves a mark and fails. The mark's path is returned."""
    mark = tmp_path / IMPORTED
    package = tmp_path / "watched" / "torch"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        f"open({str(mark)!r}, 'w').close()\nraise ImportError('a stand-in')\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(package.parent))
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    return mark


def _archive(records: dict[str, bytes], deflated: frozenset[str] = frozenset()) -> bytes:
    """A zip laid out as torch.save lays it out; the ``deflated`` records compressed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in records.items():
            method = zipfile.ZIP_DEFLATED if name in deflated else zipfile.ZIP_STORED
            archive.writestr(name, data, compress_type=method, compresslevel=9)
    return buffer.getvalue()


def _records(pickle_bytes: bytes = STRUCTURE) -> dict[str, bytes]:
    return {
        "archive/data.pkl": pickle_bytes,
        "archive/byteorder": b"little",
        "archive/data/0": bytes(16),  # four F32 parameters
        "archive/version": b"3\n",
    }


def test_a_deflated_pickle_is_not_inflated_nor_handed_to_torch(
    tmp_path: Path, server: UrlServer, watched_torch: Path
) -> None:
    # The review's file: a pickle followed by zeros after its STOP, 1000:1 deflated.
    bomb = _archive(_records(STRUCTURE + bytes(16 << 20)), deflated=frozenset({"archive/data.pkl"}))
    assert len(bomb) < 32 << 10
    server.routes["/w.pth"] = serve_file(bomb)
    weights = server.url("/w.pth")
    model = _model("net", Weights=weights, Metadata={"File Size": len(bomb), "Parameters": 4})
    tracemalloc.start()
    try:
        run, findings = _run(tmp_path, [model], download=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    result = run.results[(weights, CheckKind.DOWNLOAD)]
    assert result.checkpoint_parameters is None
    assert "'archive/data.pkl' is compressed" in (result.checkpoint_note or "")
    assert "which torch.save never does" in (result.checkpoint_note or "")
    assert findings == [] and not watched_torch.exists() and peak < 8 << 20


def _claiming(archive: bytes, name: bytes, size: int) -> bytes:
    """``archive`` with the central directory's sizes of record ``name`` set to ``size``."""
    entry = archive.index(b"PK\x01\x02")
    while archive[entry + 46 : entry + 46 + len(name)] != name:
        entry = archive.index(b"PK\x01\x02", entry + 4)
    sizes = size.to_bytes(4, "little") * 2  # compressed, then uncompressed
    return archive[: entry + 20] + sizes + archive[entry + 28 :]


def test_records_claiming_more_bytes_than_the_file_make_no_checkpoint(
    tmp_path: Path, server: UrlServer, watched_torch: Path
) -> None:
    lying = _claiming(_archive(_records()), b"archive/data/0", 0x7FFF_FFFF)
    server.routes["/w.pth"] = serve_file(lying)
    weights = server.url("/w.pth")
    _, findings = _run(tmp_path, [_model("net", Weights=weights)], download=True)
    claimed = 0x7FFF_FFFF + len(STRUCTURE) + len(b"little") + len(b"3\n")
    assert _codes(findings) == ["O009"]
    assert f"its records claim {claimed} bytes, more than the file's {len(lying)}" in (
        findings[0].message
    )
    assert not watched_torch.exists()


def test_a_pickle_larger_than_is_read_into_memory_is_not_counted(
    tmp_path: Path, watched_torch: Path
) -> None:
    path = tmp_path / "w.pth"
    structure = STRUCTURE + bytes(checkpoint.MAX_PICKLE_BYTES)
    path.write_bytes(_archive(_records(structure)))
    count, note = checkpoint.count_checkpoint_parameters(path)
    assert count is None and note is not None
    assert f"'archive/data.pkl' of {len(structure)} bytes is larger than the 8388608 read" in note
    assert not watched_torch.exists()


def test_a_zip_directory_of_more_records_than_a_checkpoint_holds_is_not_read(
    tmp_path: Path, watched_torch: Path
) -> None:
    # 20,000 records of 200-character names: a directory of 5 MB.
    records = {f"archive/data/{number:0>187}": b"" for number in range(20_000)}
    path = tmp_path / "w.pth"
    path.write_bytes(_archive(records))
    tracemalloc.start()
    try:
        count, note = checkpoint.count_checkpoint_parameters(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count is None and note is not None
    assert "zip directory is larger than the 4194304 bytes read" in note
    assert peak < 1 << 20 and not watched_torch.exists()


def test_a_zip_that_cannot_be_read_is_not_handed_to_torch(
    tmp_path: Path, watched_torch: Path
) -> None:
    path = tmp_path / "w.pth"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    count, note = checkpoint.count_checkpoint_parameters(path)
    assert count is None and note is not None
    assert note.startswith("a zip archive that cannot be read (")
    assert not watched_torch.exists()


def test_a_large_legacy_torch_file_is_not_read_whole(tmp_path: Path, watched_torch: Path) -> None:
    path = tmp_path / "w.pth"
    with path.open("wb") as file:
        file.write(pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2))  # the legacy magic number
        file.truncate(300 << 20)  # sparse: no disk taken
    count, note = checkpoint.count_checkpoint_parameters(path)
    assert count is None and note is not None
    assert "legacy (pre-zip) torch file is read whole" in note
    assert f"{300 << 20} bytes are more than the {256 << 20} read" in note
    assert not watched_torch.exists()


def test_an_archive_laid_out_as_torch_saves_it_goes_to_torch(
    tmp_path: Path, watched_torch: Path
) -> None:
    path = tmp_path / "w.pth"
    path.write_bytes(_archive(_records()))
    assert checkpoint.count_checkpoint_parameters(path) == (None, checkpoint.TORCH_MISSING)
    assert watched_torch.exists()
