"""Build a reference model on PyTorch's meta device and measure it: no weights, no memory.

Counts are exact: parameters and buffers by numel, the state dict's bytes from each tensor's
dtype. FLOPs come from ``torch.utils.flop_counter.FlopCounterMode`` (2 per multiply-accumulate,
convolutions and matrix products only) at batch 1; the mmcv-style count that OpenMMLab's tables
use adds 2 per BatchNorm output element and 1 per ReLU output element, counted by forward hooks.
"""

from __future__ import annotations

import time
import warnings
from types import ModuleType
from typing import Any

from modelindex.measurements.record import Measurement
from modelindex.measurements.references import Reference


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


def _output_elements(torch: ModuleType, model: Any) -> tuple[list[int], list[int]]:
    """Forward hooks that add up BatchNorm and ReLU output elements, in the two lists."""
    batchnorm, relu = [0], [0]
    norm_types = (torch.nn.modules.batchnorm._BatchNorm,)
    for module in model.modules():
        counter = (
            batchnorm
            if isinstance(module, norm_types)
            else relu
            if isinstance(module, torch.nn.ReLU)
            else None
        )
        if counter is not None:
            module.register_forward_hook(
                lambda _m, _i, output, counter=counter: counter.__setitem__(
                    0, counter[0] + output.numel()
                )
            )
    return batchnorm, relu


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
    parameters = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for b in model.buffers())
    state_dict = model.state_dict()
    state_dict_bytes = sum(t.numel() * t.element_size() for t in state_dict.values())
    state_dict_bytes_fp16 = sum(
        t.numel() * (2 if t.is_floating_point() else t.element_size()) for t in state_dict.values()
    )
    batchnorm, relu = _output_elements(torch, model)
    size = reference.image_size
    with torch.device("meta"):
        image = torch.empty(1, 3, size, size)
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(image)
    macs = counter.get_total_flops() // 2
    return Measurement(
        reference=model_id,
        library_version=timm.__version__,
        parameters=parameters,
        buffers=buffers,
        tensors=len(state_dict),
        state_dict_bytes=state_dict_bytes,
        state_dict_bytes_fp16=state_dict_bytes_fp16,
        macs=macs,
        mmcv_flops=macs + 2 * batchnorm[0] + relu[0],
        seconds=round(time.perf_counter() - start, 3),
    )
