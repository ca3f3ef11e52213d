"""Build an mmpretrain model from its own config and measure it, without weights.

The config is mmpretrain's, from its installed package (see
:mod:`~modelindex.verify.openmmlab_zoo`), never a file of the zoo being verified: an OpenMMLab
config is Python, and mmengine runs it to read it.

The model is built on the meta device. Some of mmpretrain's models read a value during
initialisation (``Tensor.item()`` of a drop-path schedule), which meta tensors cannot give:
those are built with their factory calls on the CPU and each parameter and buffer moved to
meta as it is registered, so that no more than one layer's weights exist at a time. A model
whose forward pass needs real tensors is built again on the CPU, within a size limit.
"""

from __future__ import annotations

import contextlib
import re
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from modelindex.measurements.record import Measurement
from modelindex.measurements.references import DEFAULT_IMAGE_SIZE, Reference
from modelindex.openmmlab.pipeline import read_pipeline, side, test_dataset
from modelindex.verify.counting import forward_flops, tensor_counts

# Above this, a model whose forward pass fails on meta is not built on the CPU: two workers
# must fit in the memory of a small CI machine.
CPU_BUILD_LIMIT_BYTES = 2 * 1024**3
# Datasets whose test pipelines feed their images as they are, with no resize or crop.
NATIVE_IMAGE_SIZES = {"CIFAR10": 32, "CIFAR100": 32, "MNIST": 28, "FashionMNIST": 28}
_SCOPE = "modelindex-verify"
# Sums of up to this many parts are compared with a card (2 ** 7 sums at most).
MAX_PARTS = 8
_SIZE_IN_NAME = re.compile(r"[_-](\d{2,4})px(?![a-z])")


def input_size(config: Any, name: str) -> tuple[int, int, str]:
    """Height, width and where they come from: the config's test pipeline (its last crop, else
    its last fixed resize), the test dataset's native size, the backbone's ``img_size``, a
    ``-384px`` in the model's name, else 224."""
    found = read_pipeline(config).input_size
    if found:
        return (*found, "the config's test pipeline")
    dataset = test_dataset(config)
    native = NATIVE_IMAGE_SIZES.get(str(dataset.get("type", "")).split(".")[-1])
    if native:
        return native, native, f"the native size of {dataset['type']}"
    backbone = config.get("model", {}).get("backbone") or {}
    sides = side(backbone.get("img_size") if isinstance(backbone, dict) else None)
    if sides:
        return (*sides, "the backbone's img_size")
    named = _SIZE_IN_NAME.search(name)
    if named and side(int(named.group(1))):
        return int(named.group(1)), int(named.group(1)), "the model's name"
    return DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE, "the default: the config gives no test size"


@contextlib.contextmanager
def _weights_on_meta(torch: ModuleType) -> Iterator[None]:
    """Move each parameter and buffer to the meta device as a module registers it."""
    module_class = torch.nn.Module
    register_parameter, register_buffer = (
        module_class.register_parameter,
        module_class.register_buffer,
    )

    def parameter_on_meta(module: Any, name: str, parameter: Any) -> None:
        register_parameter(module, name, parameter)
        if parameter is not None and parameter.device.type != "meta":
            module._parameters[name] = torch.nn.Parameter(
                parameter.detach().to("meta"), requires_grad=parameter.requires_grad
            )

    def buffer_on_meta(module: Any, name: str, tensor: Any, persistent: bool = True) -> None:
        register_buffer(module, name, tensor, persistent)
        if tensor is not None and tensor.device.type != "meta":
            module._buffers[name] = tensor.to("meta")

    module_class.register_parameter, module_class.register_buffer = (
        parameter_on_meta,
        buffer_on_meta,
    )
    try:
        yield
    finally:
        module_class.register_parameter, module_class.register_buffer = (
            register_parameter,
            register_buffer,
        )


def _build(torch: ModuleType, registry: ModuleType, model_config: Any) -> Any:
    try:
        with torch.device("meta"):
            return registry.MODELS.build(model_config)
    except Exception:  # a value read during initialisation: build on the CPU, weights on meta
        with _weights_on_meta(torch):
            return registry.MODELS.build(model_config)


def measure_openmmlab(
    reference: Reference,
    root: Path,
    config: str,
    torch: ModuleType,
    registry: ModuleType,
    version: str,
) -> Measurement:
    """Measure mmpretrain's build of ``config`` (relative to ``root``, its package's ``.mim``)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    start = time.perf_counter()
    # Nested parts of a config (the data preprocessor, the head) name types of mmpretrain's
    # registry without its prefix; the default scope says which registry that is.
    if not DefaultScope.check_instance_created(_SCOPE):
        DefaultScope.get_instance(_SCOPE, scope_name="mmpretrain")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        settings = Config.fromfile(str(root / config))
        height, width, size_from = input_size(settings, reference.model_id)
        model = _build(torch, registry, settings.model).eval().requires_grad_(False)
        counts = tensor_counts(model)
        try:
            image = torch.empty(1, 3, height, width, device="meta")
            flops = forward_flops(torch, model, lambda: model(image, mode="tensor"))
        except Exception as error:
            flops = _flops_on_cpu(torch, registry, settings, counts, (height, width), error)
        other_forms = {
            "part_parameters": _part_parameters(model),
            "without_distillation_parameters": _without_distillation_head(model),
            **_deployed(torch, model, (height, width)),
        }
    return Measurement(
        reference=config,
        library_version=version,
        **counts,
        **flops,
        seconds=round(time.perf_counter() - start, 3),
        library="mmpretrain",
        input_size=f"{height}x{width}",
        input_size_from=size_from,
        **other_forms,
    )


def _part_parameters(model: Any) -> tuple[int, ...] | None:
    """The parameters of each part of a self-supervised model (its top-level modules with
    parameters: backbone first, then neck, head, target generator...); None for any other."""
    self_supervised = any(cls.__name__ == "BaseSelfSupervisor" for cls in type(model).__mro__)
    backbone = getattr(model, "backbone", None) if self_supervised else None
    if backbone is None:
        return None
    others = sorted(
        (
            count
            for name, child in model.named_children()
            if name not in {"backbone", "data_preprocessor"}
            and (count := sum(p.numel() for p in child.parameters()))
        ),
        reverse=True,
    )
    return (sum(p.numel() for p in backbone.parameters()), *others[: MAX_PARTS - 1])


def _deployed(torch: ModuleType, model: Any, size: tuple[int, int]) -> dict[str, int]:
    """Parameters, MACs and mmcv-style FLOPs once every re-parameterizable module is switched
    to its deployed form (the model is changed: call it last); none for a model that has no
    such module, or whose fusion needs real values."""
    switchable = [m for m in model.modules() if callable(getattr(m, "switch_to_deploy", None))]
    if not switchable:
        return {}
    try:
        # The fused layers are new modules: their weights must be on meta, as the rest are.
        with _weights_on_meta(torch):
            for module in switchable:
                module.switch_to_deploy()
        image = torch.empty(1, 3, *size, device="meta")
        flops = forward_flops(torch, model, lambda: model(image, mode="tensor"))
    except Exception:  # the deployed counts stay unknown
        return {}
    return {
        "deploy_parameters": sum(p.numel() for p in model.parameters()),
        "deploy_macs": flops["macs"],
        "deploy_mmcv_flops": flops["mmcv_flops"],
    }


def _without_distillation_head(model: Any) -> int | None:
    """The parameters without a distillation head (DeiT's and LeViT's ``head_dist``), which
    some zoos leave out of the count; None for a model that has none."""
    distillation = [
        p.numel()
        for name, p in model.named_parameters()
        if any(part in {"head_dist", "dist_head"} for part in name.split("."))
    ]
    return sum(p.numel() for p in model.parameters()) - sum(distillation) if distillation else None


def _flops_on_cpu(
    torch: ModuleType,
    registry: ModuleType,
    config: Any,
    counts: dict[str, int],
    size: tuple[int, int],
    meta_error: Exception,
) -> dict[str, int]:
    """FLOPs of a model whose forward pass fails on meta tensors, built for real on the CPU."""
    needed = counts["state_dict_bytes"]
    if needed > CPU_BUILD_LIMIT_BYTES:
        raise RuntimeError(
            f"its forward pass fails on the meta device ({type(meta_error).__name__}: "
            f"{meta_error}), and at {needed / 1024**3:.1f} GiB it is over the "
            f"{CPU_BUILD_LIMIT_BYTES / 1024**3:.0f} GiB limit for building it on the CPU"
        ) from meta_error
    model = registry.MODELS.build(config.model).eval().requires_grad_(False)
    image = torch.zeros(1, 3, *size)
    return forward_flops(torch, model, lambda: model(image, mode="tensor"))
