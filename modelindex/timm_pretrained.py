"""Preprocessing from timm's ``pretrained_cfg``, for a pretrained tag no card lists.

Only when timm is installed, and only on request (importing timm imports torch): timm knows
every tag it can download (``resnet50.a1_in1k``), and an architecture's name gives its
default tag. The values carry timm's version as their source.
"""

from __future__ import annotations

import importlib.util
import posixpath
import urllib.parse
from types import ModuleType
from typing import Any

from modelindex.hub_preprocessing import pretrained_cfg_values
from modelindex.measurements.pretrained import MAX_TAGS, PretrainedSetting
from modelindex.preprocessing import Preprocessing


def timm_is_installed() -> bool:
    return (
        importlib.util.find_spec("timm") is not None
        and importlib.util.find_spec("torch") is not None
    )


def timm_preprocessing(name: str) -> Preprocessing | None:
    """timm's preprocessing of the pretrained tag ``name``; None where timm is not installed
    or has no such tag."""
    if not timm_is_installed():
        return None
    from modelindex.verify.torch_env import VerifyUnavailable, import_torch_and_timm

    try:
        _, timm = import_torch_and_timm()
        config = timm.models.get_pretrained_cfg(name)
    except (VerifyUnavailable, RuntimeError, ValueError):
        return None
    if config is None:
        return None
    return preprocessing_of(config, f"timm {timm.__version__} pretrained_cfg of {name}")


def preprocessing_of(config: Any, source: str) -> Preprocessing:
    """A timm ``PretrainedCfg`` as a Preprocessing, each value with ``source``."""
    values = _as_dict(config)
    present = {
        name: value
        for name, (value, _key) in pretrained_cfg_values(values).items()
        if value is not None
    }
    return Preprocessing(**present, sources={name: source for name in present})


def pretrained_settings(timm: ModuleType, architecture: str) -> tuple[PretrainedSetting, ...]:
    """Each of timm's pretrained tags of ``architecture``, with the file names of its weights'
    URLs, its Hub repository, and how timm evaluates it."""
    arch_configs = getattr(timm.models, "get_arch_pretrained_cfgs", None)
    configs = arch_configs(architecture) if arch_configs is not None else {}
    found = []
    for tag, config in list(configs.items())[:MAX_TAGS]:
        values = _as_dict(config)
        preprocessing = {
            name: value
            for name, (value, _key) in pretrained_cfg_values(values).items()
            if name not in ("mean", "std")
        }
        urls = [url for url in (values.get("url"), values.get("file")) if isinstance(url, str)]
        files = tuple(
            name for url in urls if (name := posixpath.basename(urllib.parse.urlsplit(url).path))
        )
        hub_id = values.get("hf_hub_id")
        found.append(
            PretrainedSetting(
                tag=str(tag),
                files=files,
                hub_id=hub_id if isinstance(hub_id, str) and hub_id else None,
                **preprocessing,
            )
        )
    return tuple(found)


def _as_dict(config: Any) -> dict[str, Any]:
    """A timm ``PretrainedCfg`` as a mapping (older timm versions have no ``to_dict``)."""
    return config.to_dict() if hasattr(config, "to_dict") else dict(vars(config))
