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
    min_grace_s: float = 30.0
    """The least time a body has at any pace that does not stall, before it must keep up
    ``MIN_AVERAGE_RATE`` (see ``body_grace_s``)."""

    @property
    def probe_deadline_s(self) -> float:
        """The longest one probe may take, every try and every wait between them included:
        a HEAD and its fallback GET, each a connect and an answer, per try. A server that
        trickles its headers within the read timeout is cut off here."""
        tries = self.retries + 1
        longest_wait = max(self.max_retry_after_s, 8 * self.backoff_s)
        return tries * 4 * self.timeout_s + self.retries * longest_wait

    @property
    def stall_window_s(self) -> float:
        """A body must bring ``MIN_WINDOW_BYTES`` in every window this long (or end): each read
        may come within the read timeout while the bytes trickle in one at a time."""
        return max(4 * self.timeout_s, MIN_STALL_WINDOW_S)

    @property
    def body_grace_s(self) -> float:
        """A body may take this long, plus a second for every ``MIN_AVERAGE_RATE`` bytes it
        brings: at any pace that does not stall, a small file arrives whole; after it, a body
        slower than that rate on average is cut. Never shorter than a stall window, so that a
        longer --timeout gives a slow link more time."""
        return max(self.stall_window_s, self.min_grace_s)

    def transfer_deadline_s(self, body_bytes: int) -> float:
        """The longest a request and its body of ``body_bytes`` may take: the probe's time for
        the answer, and the body's grace and its bytes at ``MIN_AVERAGE_RATE``."""
        return self.probe_deadline_s + self.body_grace_s + body_bytes / MIN_AVERAGE_RATE


# A stalled body is told from a slow one over a window: 64 KiB in 4 read timeouts (40 s by
# default) is 1.6 KB/s, far below any server that is really sending; the window is never
# shorter than 2 s, so that a tiny --timeout does not cut a transfer at a hiccup.
MIN_WINDOW_BYTES = 64 << 10
MIN_STALL_WINDOW_S = 2.0
# The average rate a body must keep up once its grace is over: 8 Mbit/s, several times below
# the CDNs that serve weights, so that only a server that never ends (or hardly moves) falls
# behind it.
MIN_AVERAGE_RATE = 1 << 20


DEFAULT_JOBS = 32
DEFAULT_PER_HOST = 16
# The largest checkpoints published as one file weigh tens of GiB; a body beyond this is not
# a weights file, whatever the card says.
MAX_DOWNLOAD_BYTES = 64 << 30
# A body whose size neither its Content-Length nor the card's File Size gives is timed as if it
# were this large: at the least average rate, it has some 70 minutes, not the 18 hours that
# MAX_DOWNLOAD_BYTES would give a server sending without end.
UNSIZED_BODY_BYTES = 4 << 30


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
    max_download_bytes: int = MAX_DOWNLOAD_BYTES
    """The most a download may take where no File Size says how large the file is."""
