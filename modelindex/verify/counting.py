"""Count what a built model holds, and the FLOPs of one forward pass; any reference library.

Counts are exact: parameters and buffers by numel, the state dict's bytes from each tensor's
dtype. FLOPs come from ``torch.utils.flop_counter.FlopCounterMode`` (2 per multiply-accumulate,
convolutions and matrix products only) at batch 1; the mmcv-style count that OpenMMLab's tables
use adds 2 per BatchNorm output element and 1 per ReLU output element, counted by forward hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any


def tensor_counts(model: Any) -> dict[str, int]:
    """Parameters, buffers, state-dict tensors and their bytes in fp32 and in fp16."""
    state_dict = model.state_dict()
    return {
        "parameters": sum(p.numel() for p in model.parameters()),
        "buffers": sum(b.numel() for b in model.buffers()),
        "tensors": len(state_dict),
        "state_dict_bytes": sum(t.numel() * t.element_size() for t in state_dict.values()),
        "state_dict_bytes_fp16": sum(
            t.numel() * (2 if t.is_floating_point() else t.element_size())
            for t in state_dict.values()
        ),
    }


def forward_flops(torch: ModuleType, model: Any, forward: Callable[[], object]) -> dict[str, int]:
    """MACs and mmcv-style FLOPs of ``forward()``, one pass of ``model`` at batch 1."""
    from torch.utils.flop_counter import FlopCounterMode

    batchnorm, relu = [0], [0]
    handles = []
    for module in model.modules():
        counter = (
            batchnorm
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm)
            else relu
            if isinstance(module, torch.nn.ReLU)
            else None
        )
        if counter is not None:
            handles.append(
                module.register_forward_hook(
                    lambda _m, _i, output, counter=counter: counter.__setitem__(
                        0, counter[0] + output.numel()
                    )
                )
            )
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            forward()
    finally:
        for handle in handles:
            handle.remove()
    macs = counter.get_total_flops() // 2
    return {"macs": macs, "mmcv_flops": macs + 2 * batchnorm[0] + relu[0]}
