"""Count the parameters a checkpoint file holds, without loading its tensors into memory.

safetensors files are read from their JSON header alone. torch files are opened with
``torch.load(mmap=True)``: the tensors stay in the file and only their shapes are read.
Buffers of batch normalisation (running statistics, the batch counter) and integer tensors
(index tables) are not parameters and are not counted.

The file comes from a server: a header whose numbers do not describe the file (shapes larger
than its bytes, offsets past its end) makes it no checkpoint, raised as InvalidCheckpoint.
"""

from __future__ import annotations

import importlib.util
import json
import struct
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

_BUFFER_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")
_FLOAT_DTYPES = {"F16", "BF16", "F32", "F64", "F8_E4M3", "F8_E5M2"}
_DTYPE_BYTES = {
    **dict.fromkeys(("BOOL", "U8", "I8", "F8_E4M3", "F8_E5M2"), 1),
    **dict.fromkeys(("I16", "U16", "F16", "BF16"), 2),
    **dict.fromkeys(("I32", "U32", "F32"), 4),
    **dict.fromkeys(("I64", "U64", "F64"), 8),
}
# Where training scripts nest the weights inside a checkpoint, in the order to prefer.
_NESTED_KEYS = ("state_dict", "model", "state_dict_ema", "model_ema", "module")
# A tensor entry takes 50 to 150 bytes of header ('"blocks.0.mlp.fc1.weight": {"dtype": "F32",
# "shape": [3072, 768], "data_offsets": [0, 9437184]}'): 8 MiB describe some 70,000 tensors,
# far more than the largest checkpoints published as one file hold (a few thousand; large
# language models are split into files of a few hundred). The safetensors library allows
# 100 MB, which, parsed as nested empty lists, takes gigabytes.
MAX_SAFETENSORS_HEADER = 8 << 20
# Each tensor entry opens three brackets ('{' and two '[') in 48 bytes at the least; a header
# with one in every 8 bytes is nested lists or objects that take memory when parsed, not
# tensors.
_BYTES_PER_BRACKET = 8
# One header is parsed at a time: parallel downloads must not multiply the memory it takes.
_PARSE_LOCK = threading.Lock()
TORCH_MISSING = "torch is not installed (pip install 'modelindex-toolkit[verify]')"


class InvalidCheckpoint(ValueError):
    """The file is not a valid checkpoint of its format: the message says why."""


def torch_importable() -> bool:
    """Whether torch can be imported, found without importing it (that takes seconds)."""
    return importlib.util.find_spec("torch") is not None


def count_checkpoint_parameters(path: Path) -> tuple[int | None, str | None]:
    """(parameters, None), or (None, why they could not be counted). Raises InvalidCheckpoint
    for a file whose header contradicts itself or the file."""
    file_bytes = path.stat().st_size
    if path.suffix == ".safetensors":
        return _header_of(path).parameters(file_bytes), None
    count, note = _count_torch(path)
    if count is None:
        return None, note
    return _fitting(count, file_bytes), None


def _fitting(count: int, file_bytes: int) -> int:
    # No float takes less than a byte: more parameters than bytes come from shapes that lie.
    if count > file_bytes:
        raise InvalidCheckpoint(f"it claims {count} parameters in {file_bytes} bytes")
    return count


def _is_parameter(name: str) -> bool:
    return not name.endswith(_BUFFER_SUFFIXES)


class SafetensorsHeader:
    """The start of a safetensors file, taken from its bytes as they go by: the header's
    8-byte length and the JSON it announces, at most ``MAX_SAFETENSORS_HEADER`` of it. The
    tensors' data after it is never kept."""

    def __init__(self) -> None:
        self._length = bytearray()
        self._json = bytearray()

    def take(self, chunk: bytes) -> None:
        rest = memoryview(chunk)
        if len(self._length) < 8:
            room = 8 - len(self._length)
            self._length += rest[:room]
            rest = rest[room:]
        self._json += rest[: self.missing()]

    def missing(self) -> int:
        """How many more bytes the header needs (0 once it is whole, or too long to keep)."""
        length = self._announced()
        if length is None:
            return 8 - len(self._length)
        return 0 if length > MAX_SAFETENSORS_HEADER else length - len(self._json)

    def _announced(self) -> int | None:
        if len(self._length) < 8:
            return None
        (length,) = struct.unpack("<Q", self._length)
        return int(length)

    def parameters(self, file_bytes: int) -> int:
        """The parameters the tensors hold, in a file of ``file_bytes``. Raises
        InvalidCheckpoint for a header that contradicts itself or the file."""
        length = self._announced()
        if length is None:
            raise InvalidCheckpoint("not a safetensors file: shorter than 8 bytes")
        claim = f"not a safetensors file: its header claims {length} bytes"
        if length > MAX_SAFETENSORS_HEADER:
            raise InvalidCheckpoint(f"{claim}, more than the {MAX_SAFETENSORS_HEADER} read")
        if length > file_bytes - 8:
            raise InvalidCheckpoint(f"{claim}, more than the file holds")
        _check_before_parsing(self._json)
        data_bytes = file_bytes - 8 - length
        with _PARSE_LOCK:
            header = _parsed(self._json)
            count = sum(
                _tensor_elements(name, entry, data_bytes)
                for name, entry in header.items()
                if name != "__metadata__"
            )
        return _fitting(count, file_bytes)


def _header_of(path: Path) -> SafetensorsHeader:
    header = SafetensorsHeader()
    with path.open("rb") as file:
        while header.missing():
            # A MiB at a time: the header is the one copy of it in memory.
            chunk = file.read(min(header.missing(), 1 << 20))
            if not chunk:
                break
            header.take(chunk)
    return header


def _check_before_parsing(text: bytearray) -> None:
    """Refuse, before parsing it, a header that is no JSON object or whose brackets are far
    denser than tensor entries have: parsed, it would take many times its size."""
    if not text.startswith(b"{"):
        raise InvalidCheckpoint("not a safetensors file: its header is no JSON object")
    brackets = text.count(b"{") + text.count(b"[")
    if brackets * _BYTES_PER_BRACKET > len(text):
        raise InvalidCheckpoint(
            f"not a safetensors file: its header opens {brackets} brackets in {len(text)} "
            "bytes, more than tensor entries do"
        )


def _parsed(text: bytearray) -> dict[str, Any]:
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as error:
        # RecursionError: '{"a":[[[[...' nested deeper than the parser goes.
        reason = _first_line(error)
        raise InvalidCheckpoint(
            f"not a safetensors file: its header is no JSON ({reason})"
        ) from None
    if not isinstance(header, dict):
        raise InvalidCheckpoint("not a safetensors file: its header is no JSON object")
    return header


def _tensor_elements(name: str, entry: object, data_bytes: int) -> int:
    """The parameters one safetensors entry holds (0 for a buffer or an integer tensor), once
    its dtype, shape and offsets are known to be of their types and to fit the file."""
    where = f"not a safetensors file: tensor {name[:80]!r}"
    if not isinstance(entry, dict):
        raise InvalidCheckpoint(f"{where} is no JSON object")
    shape, offsets, dtype = entry.get("shape"), entry.get("data_offsets"), entry.get("dtype")
    if not isinstance(dtype, str):
        raise InvalidCheckpoint(f"{where} has no dtype name")
    if not _naturals(shape) or not _naturals(offsets) or len(offsets) != 2:
        raise InvalidCheckpoint(f"{where} has no shape and offsets of whole numbers")
    begin, end = offsets
    if not begin <= end <= data_bytes:
        raise InvalidCheckpoint(f"{where} lies outside the file's {data_bytes} bytes of data")
    # The offsets bound the elements before the product is taken: numbers stay small. A
    # dtype not known here may pack elements below a byte, but not below a bit.
    item_bytes = _DTYPE_BYTES.get(dtype)
    elements = _product_within(shape, (end - begin) * (8 if item_bytes is None else 1))
    if elements is None or (item_bytes is not None and elements * item_bytes != end - begin):
        raise InvalidCheckpoint(f"{where} has a shape that does not fit its {end - begin} bytes")
    return elements if dtype in _FLOAT_DTYPES and _is_parameter(name) else 0


def _naturals(value: object) -> bool:
    # bool is an int: 'true' is no dimension.
    return isinstance(value, list) and all(type(v) is int and v >= 0 for v in value)


def _product_within(dimensions: list[int], limit: int) -> int | None:
    """The product of ``dimensions``, or None once it passes ``limit`` (an empty tensor fits)."""
    if 0 in dimensions:
        return 0
    product = 1
    for dimension in dimensions:
        product *= dimension
        if product > limit:
            return None
    return product


def _count_torch(path: Path) -> tuple[int | None, str | None]:
    try:
        import torch
    except ImportError:
        return None, TORCH_MISSING
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
    # Python integers: a sum of lying shapes grows without overflowing, and the caller compares
    # it with the file's size.
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
