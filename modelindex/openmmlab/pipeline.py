"""What an OpenMMLab config's test pipeline and data preprocessor do to an image.

The test pipeline is the config's ``test_pipeline``, else its test dataloader's dataset's
(through wrappers), else its ``val_pipeline``. Transforms are known by their type: those that
resize (``Resize``, ``ResizeEdge``), crop (``CenterCrop``, ``ThreeCrop``...) or warp a box to
the input size (mmpose's ``TopdownAffine``), each with the interpolation it uses when the
config names none. Any other transform is taken to keep the image's size. The data
preprocessor gives mean, std and the channel order. No torch, no mmengine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelindex.openmmlab.config_reader import Located, Unknown
from modelindex.preprocessing import INPUT_IMAGES

# The interpolation each resizing transform uses when the config names none (mmcv, mmpretrain,
# mmaction2, mmagic and mmpose all default to bilinear; EfficientNet's crop to bicubic).
RESIZING = {
    "Resize": "bilinear",
    "ResizeEdge": "bilinear",
    "BottomupResize": "bilinear",
    "EfficientNetCenterCrop": "bicubic",
}
# mmpose's warp of a person's box to the input size (cv2.warpAffine, linear).
AFFINE_INTERPOLATION = "bilinear"
CROPPING = {
    "CenterCrop": "center crop",
    "EfficientNetCenterCrop": "center crop (EfficientNet's, with 32 px of padding)",
    "ThreeCrop": "three crops",
    "TenCrop": "ten crops",
    "CenterCropLongEdge": "center crop of the long edge",
    # mmagic's: random unless random_crop=False, then centred; its crop_size is (h, w).
    "Crop": "random crop",
}
# Training transforms that fix the size the network trains at, with the key that holds it.
TRAIN_SIZING = {
    "RandomResizedCrop": "scale",
    "EfficientNetRandomCrop": "scale",
    "RandomCrop": "crop_size",
    "CenterCrop": "crop_size",
    "Resize": "scale",
    "TopdownAffine": "input_size",
}
# The most test sets (dataloaders of one config) compared.
MAX_TEST_SETS = 16
# An input side beyond this is no image size (a config typo, a scale factor).
MAX_SIDE = 8192
MAX_STEPS = 256
# Transforms that load, sample, decode, pack or describe without changing an image's size:
# a pipeline of these and no resize or crop feeds images as they are. Any other transform
# may change the size, and then the pipeline's size is not claimed.
KEEPS_SIZE = {
    "LoadImageFromFile",
    "LoadImage",
    "LoadAnnotations",
    "LoadPairedImageFromFile",
    "LoadMask",
    "GetMaskedImage",
    "GetBBoxCenterScale",
    "PackInputs",
    "PackClsInputs",
    "PackPoseInputs",
    "PackActionInputs",
    "PackEditInputs",
    "PackLocalizationInputs",
    "FormatShape",
    "FormatTrimap",
    "ToTensor",
    "ImageToTensor",
    "Collect",
    "DecordInit",
    "DecordDecode",
    "OpenCVInit",
    "OpenCVDecode",
    "PyAVInit",
    "PyAVDecode",
    "RawFrameDecode",
    "SampleFrames",
    "SampleAVAFrames",
    "DenseSampleFrames",
    "UniformSample",
    "UniformSampleFrames",
    "MirrorSequence",
    "Flip",
    "GenerateTarget",
    "GenerateSegmentIndices",
    "GenerateFrameIndiceswithPadding",
    "SetValues",
    "CLIPTokenize",
    "RandomNoise",
    "RandomJPEGCompression",
    "RandomBlur",
}
# mmcv's wrappers that apply the transforms they hold to other keys of the same sample.
WRAPPERS = {"TransformBroadcaster", "KeyMapper", "Compose"}
# Steps that load or decode what the network takes: images and video frames, else keypoints or
# features. (A generative model's pipeline loads images too, for its metrics; what it loads them
# under, "gt" or "img", does not tell it from an inpainting model that is fed them.)
IMAGE_LOADERS = {
    "LoadImageFromFile",
    "LoadImage",
    "LoadImageFromNDArray",
    "LoadPairedImageFromFile",
    "DecordDecode",
    "OpenCVDecode",
    "PyAVDecode",
    "RawFrameDecode",
    "MMDecode",
}
OTHER_INPUTS = {
    "PoseDecode": "keypoints",
    "LoadAudioFeature": "audio features",
    "LoadLocalizationFeature": "pre-extracted video features",
    "LoadProposals": "pre-extracted proposals",
}
# Data preprocessors that normalize with a default mean and std when the config gives none:
# mmagic's DataPreprocessor maps 0-255 to -1-1 (its signature's mean=127.5, std=127.5, one
# value for every channel).
DEFAULT_NORMALIZATION = {"DataPreprocessor": ((127.5,), (127.5,))}
# Data preprocessors that do not normalize when the config gives no mean and std (mmengine's
# ImgDataPreprocessor documents mean=None as "images will not be normalized"; these derive
# from it or follow it).
UNNORMALIZED_BY_DEFAULT = {
    "ImgDataPreprocessor",
    "ClsDataPreprocessor",
    "PoseDataPreprocessor",
    "ActionDataPreprocessor",
}


@dataclass
class PipelinePreprocessing:
    """A config's test-time preprocessing; each value with the file and line that set it."""

    resize: str | None = None
    """"short edge 256", "256x192", "height 256, width to keep the ratio", "none"."""
    resize_size: int | None = None
    """The short edge resized to, where the pipeline resizes that way."""
    crop_size: tuple[int, int] | None = None
    """(height, width)."""
    crop_mode: str | None = None
    interpolation: str | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    to_rgb: bool | None = None
    normalized: bool | None = None
    """False where the data preprocessor is known not to normalize (no mean, no std)."""
    input_size: tuple[int, int] | None = None
    """(height, width) of what the network sees, where the pipeline fixes it."""
    train_input_size: tuple[int, int] | None = None
    """(height, width) the training pipeline ends at, where its last sizing step fixes it."""
    input_kind: str | None = None
    """What the test pipeline feeds the network: INPUT_IMAGES, "keypoints", "audio
    features"...; None where that is not known."""
    steps: list[dict[str, Any]] = field(default_factory=list)
    """The transforms as data: {"op": "resize", ...}, {"op": "crop", ...},
    {"op": "normalize", ...}."""
    sources: dict[str, tuple[str, int]] = field(default_factory=dict)
    defaults: set[str] = field(default_factory=set)
    """Values the config does not write, taken from the transform's default."""
    problems: list[str] = field(default_factory=list)
    """What could not be read (an unknown step, a mean that is not a list of numbers)."""

    @property
    def takes_images(self) -> bool:
        """Whether the network may take images: not known to take keypoints, features or noise."""
        return self.input_kind is None or self.input_kind == INPUT_IMAGES

    @property
    def is_full(self) -> bool:
        """Resize, crop, interpolation, mean and std all known ("none" counts as known)."""
        return (
            self.resize is not None
            and self.crop_mode is not None
            and (self.interpolation is not None or self.resize == "none")
            and (self.normalized is False or (self.mean is not None and self.std is not None))
        )


def test_pipeline(config: dict[str, Any]) -> tuple[list[Any] | Unknown, str] | None:
    """The config's test pipeline, and where it was found: the test dataloader's (what
    mmengine's runner uses), else ``test_pipeline``, else the validation ones. A pipeline
    the reader could not evaluate is returned as such: an earlier one would be wrong. Of
    several test dataloaders, the first's (:func:`test_pipelines` gives them all)."""
    found = test_pipelines(config)
    return None if found is None else (found[0][0], found[1])


def test_pipelines(config: dict[str, Any]) -> tuple[list[list[Any] | Unknown], str] | None:
    """Each test set's pipeline (a config may give a list of test dataloaders), and where."""
    candidates = (
        ("test_dataloader.dataset.pipeline", _loader_pipelines(config, "test_dataloader")),
        ("test_pipeline", [config.get("test_pipeline")]),
        ("val_dataloader.dataset.pipeline", _loader_pipelines(config, "val_dataloader")),
        ("val_pipeline", [config.get("val_pipeline")]),
    )
    for where, pipelines in candidates:
        found = [pipeline for pipeline in pipelines if isinstance(pipeline, list | Unknown)]
        if found:
            return found, where
    return None


def _loader_pipelines(config: dict[str, Any], loader_key: str) -> list[Any]:
    loader = config.get(loader_key)
    if not isinstance(loader, list):
        return [_dataset_of(loader).get("pipeline")]
    if len(loader) > MAX_TEST_SETS:
        return [Unknown(f"more than {MAX_TEST_SETS} {loader_key}s")]
    pipelines = [_dataset_of(one).get("pipeline") for one in loader]
    if not all(isinstance(pipeline, list | Unknown) for pipeline in pipelines):
        # One test set left out would make the others' preprocessing look like the model's.
        return [Unknown(f"a {loader_key} of {len(loader)} whose pipeline is not read")]
    return pipelines


def test_dataset(config: dict[str, Any], loader_key: str = "test_dataloader") -> dict[str, Any]:
    """The test dataloader's dataset, through wrappers (RepeatDataset, ConcatDataset...); the
    first test set's, where a config gives several dataloaders."""
    loader = config.get(loader_key)
    return _dataset_of(loader[0] if isinstance(loader, list) and loader else loader)


def _dataset_of(loader: Any) -> dict[str, Any]:
    dataset = loader.get("dataset") if isinstance(loader, dict) else None
    for _ in range(4):
        if not isinstance(dataset, dict) or "pipeline" in dataset or "dataset" not in dataset:
            break
        dataset = dataset["dataset"]
    if isinstance(dataset, dict) and "pipeline" not in dataset and "datasets" in dataset:
        # ConcatDataset: several datasets, each with its own pipeline; one where all agree.
        parts = dataset["datasets"]
        found = [_dataset_of({"dataset": part}) for part in parts[:MAX_TEST_SETS]]
        if (
            isinstance(parts, list)
            and 0 < len(parts) <= MAX_TEST_SETS
            and all(isinstance(part.get("pipeline"), list) for part in found)
            and all(part.get("pipeline") == found[0].get("pipeline") for part in found)
        ):
            return found[0]
        return {"pipeline": Unknown("a test dataset of several datasets preprocessed apart")}
    return dataset if isinstance(dataset, dict) else {}


def side(value: object) -> tuple[int, int] | None:
    """(height, width) of an mmcv size: an int, or (width, height); None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    if not (isinstance(value, list | tuple) and len(value) == 2):
        return None
    width, height = value
    sides = (height, width)
    if all(
        isinstance(one, int) and not isinstance(one, bool) and 0 < one <= MAX_SIDE for one in sides
    ):
        return height, width
    return None


def _type(step: dict[str, Any]) -> str:
    kind = step.get("type")
    return kind.rsplit(".", 1)[-1] if isinstance(kind, str) else ""


def read_pipeline(config: dict[str, Any]) -> PipelinePreprocessing:
    """The preprocessing a config's test pipeline and data preprocessor describe."""
    found = PipelinePreprocessing()
    pipelines = test_pipelines(config)
    if pipelines is None:
        found.problems.append("no test pipeline (test_pipeline, test_dataloader, val_pipeline)")
    elif unread := [p for p in pipelines[0] if isinstance(p, Unknown)]:
        found.problems.append(f"{pipelines[1]} not read: {unread[0].why}")
    else:
        _read_steps(found, pipelines[0][0])
        # Several test sets: one preprocessing only where each of them gives the same.
        for other in pipelines[0][1:]:
            again = PipelinePreprocessing()
            _read_steps(again, other)
            if _view(again) != _view(found):
                found = PipelinePreprocessing(
                    problems=[f"{len(pipelines[0])} test sets preprocessed differently"]
                )
                break
    _read_normalization(found, config)
    _read_train_size(found, config)
    return found


def _view(found: PipelinePreprocessing) -> tuple[Any, ...]:
    """What a pipeline does to the image, apart from where it says so."""
    return (found.resize, found.crop_mode, found.crop_size, found.interpolation, found.steps,
            found.input_kind, found.problems)  # fmt: skip


def _read_train_size(found: PipelinePreprocessing, config: dict[str, Any]) -> None:
    """The size of the training pipeline's last sizing step: a resize that keeps the ratio,
    or a size that cannot be read, leaves it unknown."""
    dataset = test_dataset(config, "train_dataloader").get("pipeline")
    pipeline = dataset if isinstance(dataset, list) else config.get("train_pipeline")
    if not isinstance(pipeline, list):
        return
    size: tuple[int, int] | None = None
    for step in pipeline[:MAX_STEPS]:
        key = TRAIN_SIZING.get(_type(step)) if isinstance(step, dict) else None
        if key is None:
            continue
        size = None if step.get("keep_ratio") is True else side(step.get(key))
        if size is not None:
            _note(found, "train_size", step, key)
    found.train_input_size = size


def _input_kind(pipeline: list[Any]) -> str | None:
    others: list[str] = []
    for step in pipeline[:MAX_STEPS]:
        kind = _type(step) if isinstance(step, dict) else ""
        if kind in IMAGE_LOADERS:
            return INPUT_IMAGES
        elif kind in OTHER_INPUTS:
            others.append(OTHER_INPUTS[kind])
    return others[0] if others else None


def _flattened(pipeline: list[Any]) -> list[Any]:
    """The steps with mmcv's wrappers opened: what a TransformBroadcaster or KeyMapper applies
    to the input image under another key does to it what it does alone. A wrapper that maps
    the input to no image key of its own stays a step, as any unknown step."""
    steps: list[Any] = []
    pending: list[tuple[Any, int]] = [(step, 0) for step in pipeline[:MAX_STEPS]]
    pending.reverse()
    while pending and len(steps) < MAX_STEPS:
        step, depth = pending.pop()
        kind = _type(step) if isinstance(step, dict) else ""
        inner = step.get("transforms") if kind in WRAPPERS else None
        if kind == "KeyMapper" and inner is None and depth < 4:
            continue  # renames keys only
        if kind not in WRAPPERS or depth >= 4 or not _maps_the_image(step):
            steps.append(step)
        elif isinstance(inner, dict):
            steps.append(inner)
        elif isinstance(inner, list):
            pending += [(item, depth + 1) for item in reversed(inner[:MAX_STEPS])]
        else:
            steps.append(step)  # unreadable: reported as a step that is not known
    return steps


def _maps_the_image(wrapper: dict[str, Any]) -> bool:
    """Whether a wrapper's transforms act on the input image: it maps no keys, or maps "img"
    to the image keys of the sample ("img", "img_A"...), not to ground truth."""
    mapping = wrapper.get("mapping")
    if mapping is None:
        return True
    target = mapping.get("img") if isinstance(mapping, dict) else None
    names = target if isinstance(target, list | tuple) else [target]
    return bool(names) and all(isinstance(name, str) and name.startswith("img") for name in names)


def _read_steps(found: PipelinePreprocessing, pipeline: list[Any]) -> None:
    pipeline = _flattened(pipeline)
    found.input_kind = _input_kind(pipeline)
    resized = cropped = False
    for step in pipeline:
        if isinstance(step, Unknown):
            found.problems.append(f"a step not read: {step.why}")
            continue
        if not isinstance(step, dict):
            found.problems.append("a step that is not a mapping")
            continue
        kind = _type(step)
        unknown = [str(key) for key, value in step.items() if isinstance(value, Unknown)]
        if unknown and (kind in RESIZING or kind in CROPPING or kind == "TopdownAffine"):
            found.problems.append(f"{kind} with {', '.join(unknown)} not read")
            continue
        if not (
            kind in RESIZING or kind in CROPPING or kind == "TopdownAffine" or kind in KEEPS_SIZE
        ):
            found.problems.append(f"a transform not known to keep the size: {kind or '?'}")
            continue
        if kind == "TopdownAffine":
            warped = _affine(found, step)
            resized, cropped = resized or warped, cropped or warped
        if kind in RESIZING:
            resized |= _resize(found, step, kind)
        if kind in CROPPING:
            cropped |= _crop(found, step, kind)
    if not resized and not found.problems:
        found.resize = "none"
    if not cropped and not found.problems:
        found.crop_mode = "none"


def _where(step: dict[str, Any], key: str) -> tuple[str, int] | None:
    return step.where(key) if isinstance(step, Located) else None


def _note(found: PipelinePreprocessing, name: str, step: dict[str, Any], key: str) -> None:
    where = _where(step, key) or _where(step, "type")
    if where:
        found.sources[name] = where


def _resize(found: PipelinePreprocessing, step: dict[str, Any], kind: str) -> bool:
    interpolation = step.get("interpolation")
    found.interpolation = interpolation if isinstance(interpolation, str) else RESIZING[kind]
    if not isinstance(interpolation, str):
        found.defaults.add("interpolation")
    _note(found, "interpolation", step, "interpolation")
    if kind == "EfficientNetCenterCrop":
        return False  # it resizes, then crops: the crop says what the network sees
    scale = step.get("scale", step.get("input_size"))
    if kind == "ResizeEdge" and isinstance(scale, int) and 0 < scale <= MAX_SIDE:
        edge = step.get("edge", "short")
        found.resize = f"{edge} edge {scale}"
        found.resize_size = scale if edge == "short" else None
        found.steps.append(
            {"op": "resize", "edge": edge, "size": scale, "interpolation": found.interpolation}
        )
    elif isinstance(scale, list | tuple) and len(scale) == 2 and -1 in scale:
        # mmaction2 and mmagic read (-1, 256) as (inf, 256): the short edge to 256.
        edge = max(scale)
        if not isinstance(edge, int) or isinstance(edge, bool) or not 0 < edge <= MAX_SIDE:
            found.problems.append(f"{kind} with a scale that is not a size")
            return False
        found.resize, found.resize_size = f"short edge {edge}", edge
        found.steps.append(
            {"op": "resize", "edge": "short", "size": edge, "interpolation": found.interpolation}
        )
    elif (size := side(scale)) is not None and kind == "BottomupResize":
        found.resize = f"within {size[0]}x{size[1]}, keeping the ratio, padded"
        found.input_size = size
        found.steps.append(
            {"op": "resize", "fit": True, "pad": True, "height": size[0], "width": size[1]}
        )
    elif (size := side(scale)) is not None:
        keep_ratio = step.get("keep_ratio") is True
        found.resize = f"{size[0]}x{size[1]}" + (
            " at most, keeping the ratio" if keep_ratio else ""
        )
        if not keep_ratio:
            found.input_size = size
        found.steps.append(
            {
                "op": "resize",
                "height": size[0],
                "width": size[1],
                "keep_ratio": keep_ratio,
                "interpolation": found.interpolation,
            }
        )
    else:
        shown = repr(scale) if isinstance(scale, int | float) else type(scale).__name__
        found.problems.append(f"{kind} with a scale that is not a size: {shown}")
        return False
    if isinstance(step.get("backend"), str):
        found.steps[-1]["backend"] = step["backend"]
    _note(found, "resize", step, "scale" if "scale" in step else "input_size")
    return True


def _crop(found: PipelinePreprocessing, step: dict[str, Any], kind: str) -> bool:
    size = side(step.get("crop_size"))
    mode = CROPPING[kind]
    if kind == "Crop" and "keys" not in step:
        found.problems.append("a Crop without keys, not mmagic's")
        return False
    if kind == "Crop":
        height_width = step.get("crop_size")
        size = side(height_width[::-1]) if isinstance(height_width, list | tuple) else None
        mode = CROPPING["CenterCrop"] if step.get("random_crop") is False else mode
    if kind == "CenterCropLongEdge":
        found.crop_mode = CROPPING[kind]
        found.steps.append({"op": "crop", "mode": "center of the long edge"})
        _note(found, "crop", step, "type")
        return True
    if size is None:
        found.problems.append(f"{kind} with a crop_size that is not a size")
        return False
    found.crop_size, found.crop_mode, found.input_size = size, mode, size
    found.steps.append({"op": "crop", "mode": mode, "height": size[0], "width": size[1]})
    _note(found, "crop", step, "crop_size")
    return True


def _affine(found: PipelinePreprocessing, step: dict[str, Any]) -> bool:
    size = side(step.get("input_size"))
    if size is None:
        found.problems.append("TopdownAffine with an input_size that is not a size")
        return False
    found.resize = f"the person's box, warped to {size[0]}x{size[1]}"
    found.crop_size, found.crop_mode, found.input_size = size, "warped box", size
    interpolation = step.get("interpolation")
    found.interpolation = interpolation if isinstance(interpolation, str) else AFFINE_INTERPOLATION
    if not isinstance(interpolation, str):
        found.defaults.add("interpolation")
    found.steps.append(
        {"op": "affine", "height": size[0], "width": size[1], "interpolation": found.interpolation}
    )
    _note(found, "resize", step, "input_size")
    _note(found, "interpolation", step, "interpolation")
    _note(found, "crop", step, "input_size")
    return True


def _read_normalization(found: PipelinePreprocessing, config: dict[str, Any]) -> None:
    model = config.get("model")
    preprocessor = model.get("data_preprocessor") if isinstance(model, dict) else None
    if not isinstance(preprocessor, dict):
        preprocessor = config.get("data_preprocessor")
    if not isinstance(preprocessor, dict):
        found.problems.append("no data_preprocessor with mean and std")
        return
    if (
        preprocessor.get("mean") is None
        and preprocessor.get("std") is None
        and _type(preprocessor) in UNNORMALIZED_BY_DEFAULT
    ):
        found.normalized = False
        _note(found, "normalized", preprocessor, "type")
    defaults = DEFAULT_NORMALIZATION.get(_type(preprocessor))
    for position, name in enumerate(("mean", "std")):
        values = preprocessor.get(name)
        if name not in preprocessor and defaults is not None:  # mean=None: no normalizing
            values = defaults[position]
            found.defaults.add(name)
        if isinstance(values, int | float) and not isinstance(values, bool):
            values = (values,)  # one value for every channel
        if (
            isinstance(values, list | tuple)
            and 0 < len(values) <= 16
            and all(
                isinstance(v, int | float) and not isinstance(v, bool) and abs(v) < 1e300
                for v in values
            )
        ):
            setattr(found, name, tuple(float(v) for v in values))
            _note(found, name, preprocessor, name)
        elif values is not None:
            found.problems.append(f"data_preprocessor {name} is not a list of numbers")
    for key in ("to_rgb", "bgr_to_rgb", "rgb_to_bgr"):
        value = preprocessor.get(key)
        if isinstance(value, bool):
            found.to_rgb = value if key != "rgb_to_bgr" else not value
            _note(found, "to_rgb", preprocessor, key)
    if found.mean is not None and found.std is not None:
        found.normalized = True
        # OpenMMLab normalizes pixel values of 0-255, not the 0-1 of timm and transformers.
        found.steps.append(
            {"op": "normalize", "mean": found.mean, "std": found.std, "pixel_range": 255}
        )
