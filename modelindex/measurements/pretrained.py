"""timm's pretrained configurations of a measured architecture, as ``verify`` records them.

Each of timm's pretrained tags of an architecture (``resnet34.bt_in1k``, ``resnet34.tv_in1k``)
names its weights (the file of its URL, its Hugging Face repository) and how timm evaluates
them: input size, crop pct, interpolation and crop mode, and the test-time size and crop where
they differ. ``validate`` matches a card to the tag of the same weights, with no torch.
"""

from __future__ import annotations

import posixpath
import urllib.parse
from dataclasses import asdict, dataclass
from typing import Any

from modelindex.hub_preprocessing import CROP_MODES, INTERPOLATIONS, fraction, square_side

# An architecture with more tags than this is cut short: no real one has half as many.
MAX_TAGS = 64
_HUB_HOSTS = frozenset({"huggingface.co", "hf.co"})


@dataclass(frozen=True)
class PretrainedSetting:
    """One pretrained tag: its weights and how timm evaluates them."""

    tag: str
    files: tuple[str, ...] = ()
    """The file names of its weights' URLs ("resnet34-43635321.pth")."""
    hub_id: str | None = None
    """Its Hugging Face repository ("timm/resnet34.bt_in1k")."""
    image_size: int | None = None
    crop_pct: float | None = None
    interpolation: str | None = None
    crop_mode: str | None = None
    test_image_size: int | None = None
    test_crop_pct: float | None = None

    def as_data(self) -> dict[str, Any]:
        data = {name: value for name, value in asdict(self).items() if value not in (None, ())}
        if self.files:
            data["files"] = list(self.files)  # as JSON reads it back, so that a rerun is no change
        return data

    @classmethod
    def from_data(cls, entry: object) -> PretrainedSetting | None:
        """The setting an entry holds; None for a malformed one (a hand-edited cache)."""
        if not isinstance(entry, dict) or not isinstance(entry.get("tag"), str):
            return None
        files = entry.get("files", [])
        hub_id = entry.get("hub_id")
        return cls(
            tag=entry["tag"][:200],
            files=tuple(f for f in files[:8] if isinstance(f, str))
            if isinstance(files, list)
            else (),
            hub_id=hub_id if isinstance(hub_id, str) else None,
            image_size=square_side(entry.get("image_size")),
            crop_pct=fraction(entry.get("crop_pct")),
            interpolation=_member(entry.get("interpolation"), INTERPOLATIONS),
            crop_mode=_member(entry.get("crop_mode"), CROP_MODES),
            test_image_size=square_side(entry.get("test_image_size")),
            test_crop_pct=fraction(entry.get("test_crop_pct")),
        )

    def names_weights(self, url: str) -> bool:
        """Whether ``url`` is this tag's weights: the same file name, or its Hub repository."""
        try:
            parts = urllib.parse.urlsplit(url.strip())
            host = parts.hostname
        except ValueError:  # not a URL (U001 says so): no tag's weights
            return False
        if host in _HUB_HOSTS:
            repository = "/".join(parts.path.strip("/").split("/")[:2])
            return self.hub_id is not None and repository == self.hub_id
        name = posixpath.basename(parts.path)
        return bool(name) and name in self.files

    def describe(self, library_version: str) -> str:
        return f"timm {library_version[:40]}'s pretrained_cfg of {self.tag}"


def settings_from_data(value: object) -> tuple[PretrainedSetting, ...] | None:
    """The recorded settings; None where none were recorded (a cache written before them)."""
    if not isinstance(value, list):
        return None
    found = (PretrainedSetting.from_data(entry) for entry in value[:MAX_TAGS])
    return tuple(setting for setting in found if setting is not None)


def setting_for_weights(
    settings: tuple[PretrainedSetting, ...], url: str | None
) -> PretrainedSetting | None:
    """The one tag whose weights ``url`` names; None for none, or for several."""
    if not url:
        return None
    found = [setting for setting in settings if setting.names_weights(url)]
    return found[0] if len(found) == 1 else None


def _member(value: object, known: frozenset[str]) -> str | None:
    return value if isinstance(value, str) and value in known else None
