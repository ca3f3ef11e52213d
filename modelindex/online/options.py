"""What an online run may do: how many requests at once, how long to wait, what to fetch."""

from __future__ import annotations

from dataclasses import dataclass, field

from modelindex._version import __version__
from modelindex.online.anchors import DEFAULT_RAW_BASE

USER_AGENT = f"modelindex/{__version__} (+https://pypi.org/project/modelindex-toolkit/)"


@dataclass(frozen=True)
class HttpSettings:
    timeout_s: float = 10.0
    """Connect timeout, and the longest wait between two reads of a response."""
    retries: int = 3
    backoff_s: float = 0.5
    """The first backoff; urllib3 doubles it for each further retry."""
    max_retry_after_s: float = 30.0
    """The longest wait a 429's Retry-After gets; a longer one is cut to this."""
    headers: dict[str, str] = field(default_factory=lambda: {"User-Agent": USER_AGENT})


DEFAULT_JOBS = 32
DEFAULT_PER_HOST = 16


@dataclass(frozen=True)
class OnlineOptions:
    download: bool = False
    """Download each weights file: its sha256 prefix, and its parameters when countable."""
    jobs: int = DEFAULT_JOBS
    per_host: int = DEFAULT_PER_HOST
    http: HttpSettings = field(default_factory=HttpSettings)
    raw_base: str = DEFAULT_RAW_BASE
    """Where GitHub's raw files are read from (raw.githubusercontent.com, or a stand-in)."""
    refresh: bool = False
    """Ask the network even where the cache has a fresh result."""
