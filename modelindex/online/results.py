"""What one URL check found: a status from a fixed set, and what the server said."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    OK = "ok"
    NOT_FOUND = "not found"
    SERVER_ERROR = "server error"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TOO_MANY_REDIRECTS = "too many redirects"
    FAILED = "check failed"
    """The check itself failed (a bug of ours): the URL's answer is not known."""


# Faults of the network or of the server's mood, and checks that failed: never cached, so the
# next run asks again.
TRANSIENT = frozenset({Status.SERVER_ERROR, Status.UNREACHABLE, Status.TIMEOUT, Status.FAILED})

# Every number of a result comes from a server (or from a cache file anyone may edit). A byte
# count beyond a petabyte is no file's; a checkpoint holds fewer parameters than bytes.
MAX_BYTES = 10**15
MAX_LINE = 10**9
_BOUNDS: dict[str, tuple[int, int]] = {
    "http_status": (100, 999),
    "content_length": (0, MAX_BYTES),
    "larger_than": (0, MAX_BYTES),
    "checkpoint_parameters": (0, MAX_BYTES),
    "line_count": (0, MAX_BYTES),
}
_TEXTS = ("detail", "etag", "last_modified", "sha256", "checkpoint_note", "checkpoint_fault")


class CheckKind(StrEnum):
    """What was asked of a URL; the cache keeps one result per URL and kind."""

    PROBE = "probe"
    DOWNLOAD = "download"
    ANCHOR = "anchor"


def reachability(results: dict[tuple[str, CheckKind], UrlResult], url: str) -> UrlResult | None:
    """Whether ``url`` answered: its probe, or the read of its Code anchor that stood for one."""
    return results.get((url, CheckKind.PROBE)) or results.get((url, CheckKind.ANCHOR))


@dataclass(frozen=True)
class UrlResult:
    """One check of one URL. Fields a kind does not use stay None."""

    url: str
    kind: CheckKind
    status: Status
    detail: str = ""
    """What happened, for people: 'HTTP 404', 'connection reset', 'read timed out'."""
    http_status: int | None = None
    content_length: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    checkpoint_parameters: int | None = None
    """Parameters counted in a downloaded checkpoint (torch or safetensors), when countable."""
    checkpoint_note: str | None = None
    """Why the checkpoint's parameters were not counted, or its hash not taken."""
    checkpoint_fault: str | None = None
    """Why the downloaded file is not a valid checkpoint (its header is nonsense)."""
    larger_than: int | None = None
    """The download stopped after this many bytes, the most it may take: the file is larger."""
    anchor_lines: dict[int, str] = field(default_factory=dict)
    """For a Code anchor: the lines of its window its verdict needs, by 1-based line number
    (the anchored line, the nearest definitions, the lines defining ``anchor_names``)."""
    anchor_names: tuple[str, ...] = ()
    """For a Code anchor: the models its lines were searched for."""
    line_count: int | None = None
    from_cache: bool = False

    def __post_init__(self) -> None:
        """Refuse a result whose numbers are out of bounds: a check that made one failed (and
        is not cached); a cached one is checked again."""
        for name, (low, high) in _BOUNDS.items():
            value = getattr(self, name)
            if value is not None and (type(value) is not int or not low <= value <= high):
                raise ValueError(f"{name} out of bounds")
        for name in _TEXTS:
            if not isinstance(getattr(self, name), str | None):
                raise ValueError(f"{name} is not text")
        for number, text in self.anchor_lines.items():
            if type(number) is not int or not 1 <= number <= MAX_LINE or not isinstance(text, str):
                raise ValueError("anchor_lines out of bounds")
        if not all(isinstance(name, str) for name in self.anchor_names):
            raise ValueError("anchor_names is not text")

    def as_data(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("from_cache")
        data["kind"] = self.kind.value
        data["status"] = self.status.value
        data["anchor_lines"] = {str(number): text for number, text in self.anchor_lines.items()}
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> UrlResult:
        """The inverse of :meth:`as_data`; raises KeyError, TypeError or ValueError on bad data."""
        known = {f.name for f in fields(cls)} - {"from_cache"}
        values = {name: data[name] for name in known if name in data}
        values["kind"] = CheckKind(data["kind"])
        values["status"] = Status(data["status"])
        values["anchor_lines"] = {
            int(number): str(text) for number, text in dict(data.get("anchor_lines", {})).items()
        }
        names = data.get("anchor_names", [])
        if not isinstance(names, list):
            raise TypeError("anchor_names is no list")
        values["anchor_names"] = tuple(names)
        return cls(**values, from_cache=True)
