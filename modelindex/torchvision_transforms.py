"""A model's preprocessing as torchvision transforms, built only on request.

From the config's steps where there are some (an OpenMMLab test pipeline), else from the
card's Image Size, Crop Pct, Interpolation, Mean and Std as timm's eval transforms use them:
resize the short edge to ``floor(image_size / crop_pct)``, center-crop ``image_size``, then
``ToTensor`` and ``Normalize``. A step torchvision cannot express (mmpose's warp of a person's
box, three or ten crops, a resize that keeps the ratio within a box) raises ValueError with
the step, rather than build something else.
"""

from __future__ import annotations

from typing import Any

from modelindex.preprocessing import Preprocessing

# The interpolations torchvision's InterpolationMode has, by the names configs and cards use.
_MODES = {
    "nearest": "NEAREST",
    "bilinear": "BILINEAR",
    "bicubic": "BICUBIC",
    "lanczos": "LANCZOS",
    "box": "BOX",
    "hamming": "HAMMING",
}


class TransformsUnavailable(ImportError):
    """torchvision is not installed (or cannot be imported)."""


def build_transforms(preprocessing: Preprocessing) -> Any:
    """``torchvision.transforms.Compose`` of the preprocessing's steps."""
    try:
        from modelindex.verify.torch_env import import_torch

        import_torch()  # declares torchvision's missing op schemas where it must
        from torchvision import transforms
    except ImportError:
        raise TransformsUnavailable(
            "building transforms needs torch and torchvision: pip install torch torchvision"
        ) from None
    steps = list(preprocessing.steps) or _timm_steps(preprocessing)
    if not steps:
        raise ValueError("no preprocessing is known for this model")
    from_openmmlab = any(step.get("pixel_range") == 255 for step in steps)
    if from_openmmlab and preprocessing.to_rgb is not True:
        # torchvision reads images as RGB; OpenMMLab's models take BGR unless told to convert.
        raise ValueError("the config does not convert to RGB: the model takes BGR images")
    built: list[Any] = []
    for step in steps:
        built.extend(_transform(transforms, step))
    if not any(step.get("op") == "normalize" for step in steps):
        if preprocessing.normalized is not False:
            raise ValueError("the mean and std are not known")
        built.append(transforms.ToTensor())
    if not any(step.get("op") == "resize" for step in steps):
        raise ValueError("the resize is not known")
    return transforms.Compose(built)


def _timm_steps(preprocessing: Preprocessing) -> list[dict[str, Any]]:
    """timm's eval transforms of a card's (or timm's) values: resize by the crop pct, the
    short edge ("center") or both sides ("squash"), then center-crop the image size."""
    steps: list[dict[str, Any]] = []
    interpolation = preprocessing.interpolation
    if preprocessing.crop_mode not in {None, "center", "squash"}:
        raise ValueError(f"timm's crop mode {preprocessing.crop_mode!r} has no torchvision form")
    size = preprocessing.resize_size
    if size and preprocessing.crop_mode == "squash":
        steps.append(
            {"op": "resize", "height": size, "width": size, "interpolation": interpolation}
        )
    elif size:
        steps.append(
            {"op": "resize", "edge": "short", "size": size, "interpolation": interpolation}
        )
    if preprocessing.image_size:
        size = preprocessing.image_size
        steps.append({"op": "crop", "mode": "center crop", "height": size, "width": size})
    if preprocessing.mean and preprocessing.std:
        steps.append({"op": "normalize", "mean": preprocessing.mean, "std": preprocessing.std})
    return steps


def _mode(transforms: Any, name: object) -> Any:
    if name is None:
        raise ValueError("the interpolation is not known")
    mode = _MODES.get(str(name).lower())
    if mode is None:
        raise ValueError(f"interpolation {name!r} has no torchvision mode")
    return getattr(transforms.InterpolationMode, mode)


def _transform(transforms: Any, step: dict[str, Any]) -> list[Any]:
    op = step.get("op")
    if op == "resize" and step.get("edge") == "short":
        return [
            transforms.Resize(
                step["size"], interpolation=_mode(transforms, step.get("interpolation"))
            )
        ]
    if op == "resize" and not step.get("keep_ratio") and not step.get("fit") and "height" in step:
        size = (step["height"], step["width"])
        return [transforms.Resize(size, interpolation=_mode(transforms, step.get("interpolation")))]
    if op == "crop" and step.get("mode") == "center crop":
        return [transforms.CenterCrop((step["height"], step["width"]))]
    if op == "normalize":
        scale = float(step.get("pixel_range", 1))
        mean = [value / scale for value in step["mean"]]
        std = [value / scale for value in step["std"]]
        return [transforms.ToTensor(), transforms.Normalize(mean, std)]
    raise ValueError(f"torchvision has no transform for the step {step!r}")
