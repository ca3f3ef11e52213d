"""The links a card declares, and the shapes they must have."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from modelindex.fields import CODE, CONFIG, IMAGE, PAPER, README, WEIGHTS
from modelindex.schema import Collection, Model

_WHITESPACE = re.compile(r"\s")
GITHUB_CODE = re.compile(
    r"^https?://github\.com/(?P<repo>[^/]+/[^/]+)/(?:blob|tree)/(?P<ref>[^/]+)/(?P<file>[^#?]*)"
    r"(?:\?[^#]*)?(?:#(?P<anchor>.*))?$"
)
LINE_ANCHOR = re.compile(r"^L\d+(?:-L\d+)?$")
# torch.hub's convention: name-<first 8 or more hex digits of the file's sha256>.pth
_HASH_IN_NAME = re.compile(r"-(?P<prefix>[0-9a-f]{8,64})(?:\.[A-Za-z0-9]+)+$")


def entry_links(entry: Model | Collection) -> Iterator[tuple[str, str, bool]]:
    """(field, value, must be a URL) for each link the entry itself declares; a model's
    links inherited from its collection belong to the collection."""
    for field, value, required in (
        (WEIGHTS, entry.weights, True),
        *((WEIGHTS, url, True) for url in entry.more_weights),
        (CODE, entry.code, True),
        (PAPER, entry.paper.url if entry.paper else None, True),
        (CONFIG, entry.config, False),
        (README, entry.readme, False),
        (IMAGE, entry.image, False),
    ):
        if not value or (isinstance(entry, Model) and entry.is_inherited(field)):
            continue
        if required or "://" in value:
            yield field, value, required


# Nearly every URL in a zoo looks like this; those skip the slower full parse (which also
# checks a port, if there is one).
_PLAIN_URL = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+"
    r"(?:[/?#][^\s\\]*)?",
    re.IGNORECASE,
)


def url_fault(value: str) -> str | None:
    """Why ``value`` is not a usable http(s) URL, or None."""
    if _PLAIN_URL.fullmatch(value):
        return None
    if _WHITESPACE.search(value.strip()) or value != value.strip():
        return "contains whitespace"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        return f"does not parse ({error})"
    if parts.scheme not in {"http", "https"}:
        return f"uses the scheme {parts.scheme!r}, not http(s)" if parts.scheme else "has no scheme"
    host = parts.hostname or ""
    # A name with a dot, localhost, or an IPv6 literal ([::1]).
    if not host or ("." not in host and host != "localhost" and ":" not in host):
        return "has no host name"
    if ":" not in host:
        try:
            host.encode("idna")
        except UnicodeError:
            return "has a host name with an empty label, or one longer than 63 characters"
    return None


def file_name(url: str) -> str:
    """The last segment of a URL's path, unquoted: the name a download is saved under."""
    try:
        path = urlsplit(url).path
    except ValueError:  # 'http://[x/a.py': U001 reports the URL itself
        path = url.split("?", 1)[0].split("#", 1)[0]
    return unquote(PurePosixPath(path).name)


# Query keys that say how to fetch a file, not which file it is.
_FETCH_ONLY = frozenset({"download", "dl", "raw", "usp", "plain", "inline", "export"})


def config_file(model: Model) -> str | None:
    """The file name of a model's config, however the path or URL to it is written."""
    return file_name(model.config) if model.config else None


def url_identity(url: str) -> str:
    """What names one file, whichever way its URL is written: the host (any case), the
    unquoted path and the query keys that choose the file, without scheme, fragment or keys
    that only ask how to fetch it (`?download=true`, `http` for `https`)."""
    try:
        parts = urlsplit(url.strip())
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return url
    # 'uc?id=X' names a file by its query; '?download=true' only asks for it.
    kept = urlencode(sorted((k, v) for k, v in query if k.lower() not in _FETCH_ONLY))
    return f"{parts.netloc.lower()}{unquote(parts.path)}" + (f"?{kept}" if kept else "")


def sha256_prefix_in_name(url: str) -> str | None:
    """'.../resnet50d_ra2-464e36ba.pth' -> '464e36ba'; None for a name with no hash."""
    match = _HASH_IN_NAME.search(file_name(url))
    return match.group("prefix") if match else None
