"""Import torch and the reference libraries for the harness; the only place that does.

Nothing else in modelindex imports torch: it is an optional extra (``[verify]`` for timm,
``[verify-openmmlab]`` for mmpretrain).
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from types import ModuleType

INSTALL_HINT = "modelindex verify needs torch and timm: pip install 'modelindex-toolkit[verify]'"
OPENMMLAB_INSTALL_HINT = (
    "pip install 'modelindex-toolkit[verify-openmmlab]' && pip install --no-deps mmpretrain"
)


class VerifyUnavailable(ImportError):
    """torch or a reference library is not installed; the message says how to install it."""


def _define_missing_torchvision_ops(torch: ModuleType) -> None:
    # On CPU-only machines pip installs torch's CPU build next to torchvision's CUDA wheel,
    # whose compiled ops cannot load; its Python code then fails at import with "operator
    # torchvision::nms does not exist". timm and mmpretrain import torchvision but never call
    # those ops, so declaring their two schemas lets the pure-Python parts import.
    library = torch.library.Library("torchvision", "DEF")
    library.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    library.define("qnms(Tensor qdets, Tensor qscores, float iou_threshold) -> Tensor")
    _KEEP_ALIVE.append(library)


_KEEP_ALIVE: list[object] = []


def import_torch() -> ModuleType:
    """torch, with torchvision importable (or absent) for the libraries that import it."""
    try:
        import torch
    except ImportError as error:
        raise VerifyUnavailable(INSTALL_HINT) from error
    try:
        import torchvision  # noqa: F401 - imported for its side effect on the libraries' import
    except ImportError:
        pass  # timm works without torchvision
    except RuntimeError as error:
        if "torchvision::nms" not in str(error):
            raise
        for name in [m for m in sys.modules if m.startswith("torchvision")]:
            del sys.modules[name]
        _define_missing_torchvision_ops(torch)
    return torch


def import_torch_and_timm() -> tuple[ModuleType, ModuleType]:
    torch = import_torch()
    try:
        import timm
    except ImportError as error:
        raise VerifyUnavailable(INSTALL_HINT) from error
    return torch, timm


def import_mmpretrain_models() -> ModuleType:
    """mmpretrain's registry of models (``mmpretrain.registry``), with its models registered.

    mmpretrain's own ``__init__`` imports its inference API, which imports a package named
    ``modelindex`` (Papers with Code's parser): in this process that name is ours, and the
    import fails. The package is therefore entered without running its ``__init__``; its
    model code does not need it.
    """
    import_torch()
    spec = importlib.util.find_spec("mmpretrain")
    if spec is None or not spec.submodule_search_locations:
        raise VerifyUnavailable(f"mmpretrain is not installed: {OPENMMLAB_INSTALL_HINT}")
    if "mmpretrain" not in sys.modules:
        sys.modules["mmpretrain"] = importlib.util.module_from_spec(spec)
    try:
        with warnings.catch_warnings():
            # mmcv-lite warns that its compiled ops are missing; the models measured need none.
            warnings.simplefilter("ignore")
            import mmpretrain.models  # registers every model class
            import mmpretrain.registry
    except ImportError as error:
        raise VerifyUnavailable(
            f"mmpretrain's models cannot be imported ({error}): {OPENMMLAB_INSTALL_HINT}"
        ) from error
    return mmpretrain.registry
