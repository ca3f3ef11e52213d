"""--download counts the parameters of torch checkpoints, memory-mapped, not loaded.

Skipped without torch, unless MODELINDEX_REQUIRE_VERIFY=1 (as in .ci/run), where a missing
torch fails them instead.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from modelindex.online.checkpoint import count_checkpoint_parameters
from modelindex.online.results import CheckKind
from tests.test_online import _codes, _model, _run
from tests.url_server import UrlServer, serve_file

if os.environ.get("MODELINDEX_REQUIRE_VERIFY") != "1":
    pytest.importorskip("torch")
import torch

# conv 8x3x3x3 = 216, batch norm weight and bias 16 (its running statistics are buffers),
# linear 10x8 + 10 = 90: 322 parameters.
PARAMETERS = 216 + 16 + 90


def _state_dict() -> dict[str, torch.Tensor]:
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, bias=False),
        torch.nn.BatchNorm2d(8),
        torch.nn.Flatten(),
        torch.nn.Linear(8, 10),
    )
    return model.state_dict()


def _saved(checkpoint: object, legacy: bool = False) -> bytes:
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer, _use_new_zipfile_serialization=not legacy)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "checkpoint",
    [_state_dict(), {"state_dict": _state_dict(), "epoch": 90}, {"model": _state_dict()}],
    ids=["plain", "nested in state_dict", "nested in model"],
)
def test_parameters_of_a_checkpoint_are_counted(tmp_path: Path, checkpoint: object) -> None:
    path = tmp_path / "net.pth"
    path.write_bytes(_saved(checkpoint))
    assert count_checkpoint_parameters(path) == (PARAMETERS, None)


def test_a_legacy_checkpoint_is_counted_on_the_meta_device(tmp_path: Path) -> None:
    path = tmp_path / "net.pth"
    path.write_bytes(_saved(_state_dict(), legacy=True))
    assert count_checkpoint_parameters(path) == (PARAMETERS, None)


def test_a_file_torch_cannot_read_is_a_note_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "net.pth"
    # A zip archive as torch.save lays one out, but with no data.pkl to unpickle.
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/version", b"3\n")
    count, note = count_checkpoint_parameters(path)
    assert count is None and note is not None and note.startswith("torch cannot read it")


def test_a_checkpoint_torch_saves_passes_the_inspection_of_its_archive(tmp_path: Path) -> None:
    """Its records are stored, not compressed, and its pickle is small: torch counts it."""
    path = tmp_path / "net.pth"
    path.write_bytes(_saved({"state_dict": _state_dict(), "optimizer": {"lr": 0.1}}))
    with zipfile.ZipFile(path) as archive:
        assert {record.compress_type for record in archive.infolist()} == {zipfile.ZIP_STORED}
    assert count_checkpoint_parameters(path) == (PARAMETERS, None)


def test_a_pickle_that_would_run_code_is_refused(tmp_path: Path) -> None:
    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    path = tmp_path / "net.pth"
    path.write_bytes(_saved({"state_dict": _state_dict(), "hook": Boom()}))
    count, note = count_checkpoint_parameters(path)
    assert count is None and note is not None
    assert not (tmp_path / "pwned").exists()


def test_download_flags_a_checkpoint_with_other_parameters(tmp_path: Path) -> None:
    with UrlServer() as server:
        server.routes["/net.pth"] = serve_file(_saved(_state_dict()))
        weights = server.url("/net.pth")
        models = [
            _model("right", Weights=weights, Metadata={"Parameters": PARAMETERS}),
            _model("wrong", Weights=weights, Metadata={"Parameters": PARAMETERS * 10}),
        ]
        run, findings = _run(tmp_path, models, download=True)
    assert run.results[(weights, CheckKind.DOWNLOAD)].checkpoint_parameters == PARAMETERS
    assert _codes(findings) == ["O007"] and findings[0].model == "wrong"
    assert f"differ from the {PARAMETERS} the checkpoint" in findings[0].message
