"""Count the parameters a checkpoint file holds, without loading its tensors into memory.

safetensors files are read from their JSON header alone. torch files are opened with
``torch.load(mmap=True)``: the tensors stay in the file and only their shapes are read.
Buffers of batch normalisation (running statistics, the batch counter) and integer tensors
(index tables) are not parameters and are not counted.

The file comes from a server: a header whose numbers do not describe the file (shapes larger
than its bytes, offsets past its end) makes it no checkpoint, raised as InvalidCheckpoint. A
file that would take more memory to count than a real checkpoint does is not counted, with a
note saying why, and decided before torch is imported: a torch zip archive whose central
directory lists compressed records (torch.save never compresses; a deflated data.pkl inflates
a thousandfold) or records read into memory larger than ``MAX_PICKLE_BYTES``; a legacy (pre-zip)
torch file larger than ``MAX_WHOLE_READ``, since that format is read whole; a safetensors
header larger than ``MAX_SAFETENSORS_HEADER``.
"""

from __future__ import annotations

import importlib.util
import json
import struct
import threading
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

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
# torch.save writes a zip archive of records stored as they are, never compressed: the pickled
# structure (data.pkl), a few small records, and one record per tensor storage under data/,
# which torch.load(mmap=True) maps instead of reading. torch.load tells such an archive from
# the legacy format by its first four bytes.
_ZIP_MAGIC = b"PK\x03\x04"
# The central directory lists each record in some 100 bytes: 4 MiB list some 40,000 storages,
# far more than a checkpoint published as one file holds. Parsed, a record takes ~550 bytes.
MAX_ZIP_DIRECTORY = 4 << 20
# The records other than tensor data are read into memory, and data.pkl unpickled: it takes
# some 100 bytes a tensor, so 8 MiB, like a safetensors header, describe some 80,000 tensors.
MAX_PICKLE_BYTES = 8 << 20
# The legacy format cannot be memory-mapped: torch reads the whole file, tensors included, to
# count them. Most checkpoints saved before torch 1.6 (2020) are smaller (ResNet-152: 230 MB),
# and one is read at a time: parallel downloads must not multiply the memory it takes.
MAX_WHOLE_READ = 256 << 20
_WHOLE_READ_LOCK = threading.Lock()
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
        return _header_of(path).parameters(file_bytes)
    count, note = _count_torch(path, file_bytes)
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

    def parameters(self, file_bytes: int) -> tuple[int | None, str | None]:
        """(the parameters the tensors hold, in a file of ``file_bytes``, None), or (None, why
        they are not counted). Raises InvalidCheckpoint for a header that contradicts itself or
        the file."""
        length = self._announced()
        if length is None:
            raise InvalidCheckpoint("not a safetensors file: shorter than 8 bytes")
        if length > file_bytes - 8:
            raise InvalidCheckpoint(
                f"not a safetensors file: its header claims {length} bytes, more than the file "
                "holds"
            )
        # Valid (the safetensors library reads up to 100 MB), only larger than is read here.
        if length > MAX_SAFETENSORS_HEADER:
            return None, (
                f"its safetensors header of {length} bytes is larger than the "
                f"{MAX_SAFETENSORS_HEADER} read"
            )
        _check_before_parsing(self._json)
        data_bytes = file_bytes - 8 - length
        with _PARSE_LOCK:
            header = _parsed(self._json)
            count = sum(
                _tensor_elements(name, entry, data_bytes)
                for name, entry in header.items()
                if name != "__metadata__"
            )
        return _fitting(count, file_bytes), None


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


def _count_torch(path: Path, file_bytes: int) -> tuple[int | None, str | None]:
    zipped = _starts_with(path, _ZIP_MAGIC)
    refusal = _zip_refusal(path, file_bytes) if zipped else _legacy_refusal(file_bytes)
    if refusal is not None:
        return None, refusal
    try:
        import torch
    except ImportError:
        return None, TORCH_MISSING
    loaded, note = _loaded(torch, path, file_bytes, zipped)
    if note is not None:
        return None, note
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


def _starts_with(path: Path, magic: bytes) -> bool:
    with path.open("rb") as file:
        return file.read(len(magic)) == magic


def _legacy_refusal(file_bytes: int) -> str | None:
    if file_bytes <= MAX_WHOLE_READ:
        return None
    return (
        f"a legacy (pre-zip) torch file is read whole, and this one's {file_bytes} bytes are "
        f"more than the {MAX_WHOLE_READ} read"
    )


def _loaded(torch: Any, path: Path, file_bytes: int, zipped: bool) -> tuple[Any, str | None]:
    """(what torch.load gives, None), or (None, why it gave nothing). A zip archive is
    memory-mapped; the legacy format, or an archive torch cannot map, is read whole (within
    ``MAX_WHOLE_READ``) and its tensors put on the meta device, one file at a time."""
    # weights_only: a checkpoint from the internet must not run code when unpickled.
    if zipped:
        try:
            return torch.load(path, map_location="cpu", mmap=True, weights_only=True), None
        except Exception as error:  # torch raises many kinds for files it cannot read
            if file_bytes > MAX_WHOLE_READ:
                return None, f"torch cannot read it ({_first_line(error)})"
    with _WHOLE_READ_LOCK:
        try:
            return torch.load(path, map_location="meta", weights_only=True), None
        except Exception as error:
            return None, f"torch cannot read it ({_first_line(error)})"


def _zip_refusal(path: Path, file_bytes: int) -> str | None:
    """Why torch must not open this zip archive, from its central directory alone (zipfile
    reads no record to list them). Raises InvalidCheckpoint for a directory that contradicts
    the file."""
    with path.open("rb") as file:
        try:
            with zipfile.ZipFile(_BoundedReads(file, file_bytes, MAX_ZIP_DIRECTORY)) as archive:
                records = archive.infolist()
        except _ReadTooLarge:
            return (
                f"its zip directory is larger than the {MAX_ZIP_DIRECTORY} bytes read: more "
                "records than a checkpoint holds"
            )
        except (zipfile.BadZipFile, ValueError, NotImplementedError) as error:
            return f"a zip archive that cannot be read ({_first_line(error)})"
    return _records_refusal(records, file_bytes)


def _records_refusal(records: list[zipfile.ZipInfo], file_bytes: int) -> str | None:
    for record in records:
        if record.compress_type != zipfile.ZIP_STORED:
            return (
                f"its record {record.filename[:80]!r} is compressed ({record.file_size} bytes "
                f"in {record.compress_size}), which torch.save never does"
            )
    # Stored records hold their bytes as they are: together, no more than the file.
    claimed = sum(max(record.file_size, record.compress_size) for record in records)
    if claimed > file_bytes:
        raise InvalidCheckpoint(
            f"not a torch file: its records claim {claimed} bytes, more than the file's "
            f"{file_bytes}"
        )
    for record in records:
        if record.file_size > MAX_PICKLE_BYTES and not _is_tensor_data(record.filename):
            return (
                f"its record {record.filename[:80]!r} of {record.file_size} bytes is larger "
                f"than the {MAX_PICKLE_BYTES} read into memory"
            )
    return None


def _is_tensor_data(name: str) -> bool:
    # torch names them '<archive>/data/<storage key>'.
    return PurePosixPath(name).parent.name == "data"


class _ReadTooLarge(Exception):
    """A read of more bytes than a bounded reader allows."""


class _BoundedReads:
    """A file that refuses any one read of more than ``limit`` bytes: zipfile reads a central
    directory in one read of the size the archive's end record claims, then parses it all."""

    def __init__(self, file: BinaryIO, file_bytes: int, limit: int) -> None:
        self._file = file
        self._file_bytes = file_bytes
        self._limit = limit

    def read(self, size: int = -1) -> bytes:
        wanted = size if size >= 0 else self._file_bytes - self._file.tell()
        if wanted > self._limit:
            raise _ReadTooLarge
        return self._file.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()


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
