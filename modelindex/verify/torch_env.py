"""Import torch and timm for the harness; the only place that does.

Nothing else in modelindex imports torch: it is an optional extra (``[verify]``).
"""

from __future__ import annotations

import sys
from types import ModuleType

INSTALL_HINT = "modelindex verify needs torch and timm: pip install 'modelindex-toolkit[verify]'"


class VerifyUnavailable(ImportError):
    """torch or timm is not installed; the message says how to install them."""


def _define_missing_torchvision_ops(torch: ModuleType) -> None:
    # On CPU-only machines pip installs torch's CPU build next to torchvision's CUDA wheel,
    # whose compiled ops cannot load; its Python code then fails at import with "operator
    # torchvision::nms does not exist". timm imports torchvision but never calls those ops, so
    # declaring their two schemas lets the pure-Python parts import.
    library = torch.library.Library("torchvision", "DEF")
    library.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    library.define("qnms(Tensor qdets, Tensor qscores, float iou_threshold) -> Tensor")
    _KEEP_ALIVE.append(library)


_KEEP_ALIVE: list[object] = []


def import_torch_and_timm() -> tuple[ModuleType, ModuleType]:
    try:
        import torch
    except ImportError as error:
        raise VerifyUnavailable(INSTALL_HINT) from error
    try:
        import torchvision  # noqa: F401 - imported for its side effect on timm's import
    except ImportError:
        pass  # timm works without torchvision
    except RuntimeError as error:
        if "torchvision::nms" not in str(error):
            raise
        for name in [m for m in sys.modules if m.startswith("torchvision")]:
            del sys.modules[name]
        _define_missing_torchvision_ops(torch)
    try:
        import timm
    except ImportError as error:
        raise VerifyUnavailable(INSTALL_HINT) from error
    return torch, timm
