"""Preprocessing from timm's ``pretrained_cfg``, for a pretrained tag no card lists.

Only when timm is installed, and only on request (importing timm imports torch): timm knows
every tag it can download (``resnet50.a1_in1k``), and an architecture's name gives its
default tag. The values carry timm's version as their source.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from modelindex.hub_preprocessing import pretrained_cfg_values
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
    values = config.to_dict() if hasattr(config, "to_dict") else dict(vars(config))
    present = {
        name: value
        for name, (value, _key) in pretrained_cfg_values(values).items()
        if value is not None
    }
    return Preprocessing(**present, sources={name: source for name in present})
