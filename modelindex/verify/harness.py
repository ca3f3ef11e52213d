"""Build a timm model on PyTorch's meta device and measure it: no weights, no memory.

What is counted, and how, is :mod:`modelindex.verify.counting`'s.
"""

from __future__ import annotations

import time
import warnings
from types import ModuleType
from typing import Any

from modelindex.measurements.record import Measurement
from modelindex.measurements.references import DEFAULT_IMAGE_SIZE, Reference
from modelindex.timm_pretrained import pretrained_settings
from modelindex.verify.counting import forward_flops, tensor_counts


class NotVerifiable(Exception):
    """The reference library has no model for this name; not an error of the card."""


def resolve_model_id(timm: ModuleType, model_id: str) -> str:
    """timm's current name for ``model_id``; raise NotVerifiable when it has none.

    The deprecation map comes first: timm 1.x still accepts ``tresnet_xl_448``, but builds
    ``tresnet_xl.miil_in1k_448``, and the measurement should name what was built.
    """
    deprecated = (
        timm.models.get_deprecated_models() if hasattr(timm.models, "get_deprecated_models") else {}
    )
    if model_id in deprecated:
        return deprecated[model_id]
    if timm.is_model(model_id.split(".", 1)[0]):
        return model_id
    raise NotVerifiable(f"timm {timm.__version__} has no model named {model_id!r}")


def _cifar_stem(torch: ModuleType, model: Any) -> None:
    """The CIFAR ResNet stem: a 3x3 stride-1 first convolution and no max-pool."""
    conv = model.conv1
    if not isinstance(conv, torch.nn.Conv2d):
        raise NotVerifiable("the CIFAR stem applies to ResNets with a single conv1 only")
    model.conv1 = torch.nn.Conv2d(conv.in_channels, conv.out_channels, 3, 1, 1, bias=False)
    model.maxpool = torch.nn.Identity()


def measure(reference: Reference, torch: ModuleType, timm: ModuleType) -> Measurement:
    start = time.perf_counter()
    model_id = resolve_model_id(timm, reference.model_id)
    with torch.device("meta"), warnings.catch_warnings():
        # timm warns about each old name it maps; the Measurement names the model it built.
        warnings.simplefilter("ignore")
        classes = {"num_classes": reference.num_classes} if reference.num_classes else {}
        model = timm.create_model(model_id, pretrained=False, **classes)
        if reference.stem == "cifar":
            _cifar_stem(torch, model)
    # FlopCounterMode tracks modules with autograd hooks on their inputs that require grad; a
    # parameter handed to a submodule as an input (PiT's class token, SigLIP's attention-pool
    # probe) has no gradient function under no_grad, and the hook fails. Nothing here trains.
    model.eval().requires_grad_(False)
    counts = tensor_counts(model)
    size = reference.image_size or DEFAULT_IMAGE_SIZE
    with torch.device("meta"):
        image = torch.empty(1, 3, size, size)
    flops = forward_flops(torch, model, lambda: model(image))
    return Measurement(
        reference=model_id,
        library_version=timm.__version__,
        **counts,
        **flops,
        seconds=round(time.perf_counter() - start, 3),
        library="timm",
        input_size=f"{size}x{size}",
        input_size_from="the card's Image Size, else 224",
        pretrained=pretrained_settings(timm, model_id.split(".", 1)[0]),
    )
