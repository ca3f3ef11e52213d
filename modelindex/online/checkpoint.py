"""Count the parameters a checkpoint file holds, without loading its tensors into memory.

safetensors files are read from their JSON header alone. torch files are opened with
``torch.load(mmap=True)``: the tensors stay in the file and only their shapes are read.
Buffers of batch normalisation (running statistics, the batch counter) and integer tensors
(index tables) are not parameters and are not counted.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

_BUFFER_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")
_FLOAT_DTYPES = {"F16", "BF16", "F32", "F64", "F8_E4M3", "F8_E5M2"}
# Where training scripts nest the weights inside a checkpoint, in the order to prefer.
_NESTED_KEYS = ("state_dict", "model", "state_dict_ema", "model_ema", "module")
_MAX_SAFETENSORS_HEADER = 100 << 20


def count_checkpoint_parameters(path: Path) -> tuple[int | None, str | None]:
    """(parameters, None), or (None, why they could not be counted)."""
    if path.suffix == ".safetensors":
        return _count_safetensors(path)
    return _count_torch(path)


def _is_parameter(name: str) -> bool:
    return not name.endswith(_BUFFER_SUFFIXES)


def _count_safetensors(path: Path) -> tuple[int | None, str | None]:
    try:
        with path.open("rb") as file:
            (length,) = struct.unpack("<Q", file.read(8))
            if length > _MAX_SAFETENSORS_HEADER:
                return None, "not a safetensors file: its header is implausibly large"
            header = json.loads(file.read(length))
        total = sum(
            math.prod(entry["shape"])
            for name, entry in header.items()
            if name != "__metadata__" and entry["dtype"] in _FLOAT_DTYPES and _is_parameter(name)
        )
    except (OSError, struct.error, ValueError, KeyError, TypeError, AttributeError) as error:
        return None, f"not a safetensors file it can read ({error})"
    return total, None


def _count_torch(path: Path) -> tuple[int | None, str | None]:
    try:
        import torch
    except ImportError:
        return None, "torch is not installed (pip install 'modelindex-toolkit[verify]')"
    # weights_only: a checkpoint from the internet must not run code when unpickled. The
    # legacy (pre-zip) format cannot be memory-mapped; its tensors go to the meta device.
    try:
        loaded = torch.load(path, map_location="cpu", mmap=True, weights_only=True)
    except Exception:  # torch raises many kinds for files it cannot read
        try:
            loaded = torch.load(path, map_location="meta", weights_only=True)
        except Exception as error:
            return None, f"torch cannot read it ({_first_line(error)})"
    tensors = _state_dict(loaded, torch.Tensor)
    if tensors is None:
        return None, "no state dict of tensors in it"
    return sum(
        tensor.numel()
        for name, tensor in tensors
        if tensor.is_floating_point() and _is_parameter(name)
    ), None


def _state_dict(loaded: Any, tensor_type: type) -> list[tuple[str, Any]] | None:
    for candidate in _candidates(loaded):
        tensors = [(str(k), v) for k, v in candidate.items() if isinstance(v, tensor_type)]
        if tensors:
            return tensors
    return None


def _candidates(loaded: Any) -> Iterator[Mapping[Any, Any]]:
    if not isinstance(loaded, Mapping):
        return
    for key in _NESTED_KEYS:
        if isinstance(loaded.get(key), Mapping):
            yield loaded[key]
    yield loaded


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
