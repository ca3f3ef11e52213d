"""What a metric's number means: its range, which way is better, and the scale a card writes it on.

Hub cards name a metric by its ``type`` (an id of the `evaluate` library: ``wer``, ``accuracy``,
``rouge1``) and zoos by a display name ('Top 1 Accuracy', 'Test WER'). Both are looked up here.
A bounded metric is a proportion, which cards write as a fraction (0.931) or a percentage (93.1);
nothing in the value says which, so the scale is inferred from all the values of a card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache


class Scale(StrEnum):
    FRACTION = "0-1"
    PERCENT = "0-100"


@dataclass(frozen=True)
class MetricSemantics:
    kind: str
    """The metric's family: 'accuracy', 'wer', 'rouge', 'pass@k'."""
    proportion: bool
    """A share of something: written on 0-1 or 0-100."""
    lower_is_better: bool
    can_exceed_one: bool = False
    """A proportion that can pass 1 (100 %): an error rate counts insertions too."""

    @property
    def direction(self) -> str:
        return "lower is better" if self.lower_is_better else "higher is better"


def _semantics(
    kind: str, proportion: bool, lower: bool = False, over: bool = False
) -> MetricSemantics:
    return MetricSemantics(kind, proportion, lower, over)


# By the metric's key: lower case, letters and digits only ('exact_match' -> 'exactmatch').
_KNOWN: dict[str, MetricSemantics] = {
    "accuracy": _semantics("accuracy", True),
    "acc": _semantics("accuracy", True),
    "f1": _semantics("f1", True),
    "fscore": _semantics("f1", True),
    "precision": _semantics("precision", True),
    "recall": _semantics("recall", True),
    "exactmatch": _semantics("exact_match", True),
    "em": _semantics("exact_match", True),
    "wer": _semantics("wer", True, lower=True, over=True),
    "cer": _semantics("cer", True, lower=True, over=True),
    "bleu": _semantics("bleu", True),
    "sacrebleu": _semantics("bleu", True),
    "meteor": _semantics("meteor", True),
    "map": _semantics("map", True),
    "iou": _semantics("iou", True),
    "miou": _semantics("iou", True),
    "meanreward": _semantics("mean_reward", False),
    "perplexity": _semantics("perplexity", False, lower=True),
    "ppl": _semantics("perplexity", False, lower=True),
    "loss": _semantics("loss", False, lower=True),
    # Vision zoos' metrics, as OpenMMLab's tables name them.
    "ap": _semantics("ap", True),
    "boxap": _semantics("ap", True),
    "maskap": _semantics("ap", True),
    "ar": _semantics("ar", True),
    "pck": _semantics("pck", True),
    "pckh": _semantics("pck", True),
    "auc": _semantics("auc", True),
    "ssim": _semantics("ssim", True),
    "psnr": _semantics("psnr", False),
    "fid": _semantics("fid", False, lower=True),
    "kid": _semantics("kid", False, lower=True),
    "lpips": _semantics("lpips", False, lower=True),
    "is": _semantics("inception_score", False),
    "epe": _semantics("epe", False, lower=True),
    "nme": _semantics("nme", False, lower=True),
    "mae": _semantics("mae", False, lower=True),
    "mse": _semantics("mse", False, lower=True),
    "sad": _semantics("sad", False, lower=True),
    "conn": _semantics("conn", False, lower=True),
    "grad": _semantics("grad", False, lower=True),
    "error": _semantics("error", False, lower=True),
    "mpjpe": _semantics("mpjpe", False, lower=True),
    "pmpjpe": _semantics("mpjpe", False, lower=True),
    "nmpjpe": _semantics("mpjpe", False, lower=True),
    "mrrpe": _semantics("mrrpe", False, lower=True),
    "niqe": _semantics("niqe", False, lower=True),
    "brisque": _semantics("brisque", False, lower=True),
    "mdr": _semantics("median_rank", False, lower=True),
    "mnr": _semantics("mean_rank", False, lower=True),
}
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9@]+")
_ROUGE = re.compile(r"^rouge(?:[0-9l]|lsum)*$")
_PASS_AT_K = re.compile(r"^pass@\d{1,4}$")
_SAMPLE_COUNT = re.compile(r"^([a-z]+)\d{1,4}k$")
_AT_THRESHOLD = re.compile(r"^([a-z]+)@\d{1,6}$")


def plain_key(metric: str) -> str:
    """A metric's name without case, spaces or punctuation ('Top 1 Accuracy' is 'top1accuracy')."""
    return _NOT_ALPHANUMERIC.sub("", metric.strip().lower())


def is_threshold(metric: str | None) -> bool:
    """Whether a metric is the threshold another is computed at (MTEB's
    ``cos_sim_accuracy_threshold``): a setting, not a score."""
    return metric is not None and "threshold" in metric.lower()


# Words of a setting that zoos write among their metrics (mmagic's "Iter", "Total Iters*",
# "disc_step", "n_disc", "Num Scales", "GPU Info", "CGS", the classifier guidance scale), and
# words that only go with them.
_SETTING_WORDS = frozenset(
    {"iter", "iters", "iteration", "iterations", "step", "steps", "epoch", "epochs", "scales",
     "gpu", "gpus", "batch", "ndisc", "lr", "cgs", "sigma", "noise"}
)  # fmt: skip
_SETTING_FILLERS = frozenset(
    {"total", "num", "n", "disc", "dist", "info", "level", "of", "size", "training", "train",
     "inference", "warmup"}
)  # fmt: skip
# The conditions of an evaluation, written as a metric: a denoiser's noise level ("$\\sigma$").
# PSNR at sigma 15 is no rival to PSNR at sigma 50.
_CONDITIONS = frozenset({"sigma", "noise", "noise level", "noise sigma"})
_LATEX = re.compile(r"[$\\{}]")
_BRACKETED = re.compile(r"\([^()]*\)")


def _plain_words(metric: str) -> list[str]:
    """The label's words, without LaTeX, numbers or punctuation (the Greek sigma is "sigma")."""
    text = _LATEX.sub("", metric.lower()).replace("\N{GREEK SMALL LETTER SIGMA}", " sigma ")
    return [word for word in _NOT_ALPHANUMERIC.sub(" ", text).split() if not word.isdigit()]


def is_setting(metric: str | None) -> bool:
    """Whether a "metric" is how the model was trained or evaluated, not how well it did: a
    threshold, an iteration count, a step, a noise level. Such numbers are no score to compare
    models by. Only a label made of such words is one: a known metric with a qualifier ("FID
    (Iter)", mmagic's FID at its best iteration; "Top 1 Accuracy (300 epochs)") is a score."""
    if metric is None:
        return False
    if is_threshold(metric):
        return True
    if metric_semantics(metric) is not None:
        return False
    words = _plain_words(_BRACKETED.sub(" ", metric))
    return (
        bool(words)
        and any(word in _SETTING_WORDS for word in [*words, "".join(words)])
        and all(word in _SETTING_WORDS | _SETTING_FILLERS for word in words)
    )


def condition_name(metric: str | None) -> str | None:
    """The name of the evaluation's condition a "metric" is (a denoiser's noise level, which
    tells one benchmark from another), as plain words ("$\\sigma$" is "sigma"); None where it
    is none."""
    name = " ".join(_plain_words(metric)) if metric is not None else ""
    return name if name in _CONDITIONS else None


def is_condition(metric: str | None) -> bool:
    return condition_name(metric) is not None


@lru_cache(maxsize=4096)
def metric_semantics(metric: str | None) -> MetricSemantics | None:
    """The semantics of a metric type or name; None for one not known, and for a threshold."""
    if not metric or is_threshold(metric):
        return None
    key = plain_key(metric)
    if key in _KNOWN:
        return _KNOWN[key]
    if _ROUGE.match(key):
        return _semantics("rouge", True)
    if _PASS_AT_K.match(key):
        return _semantics("pass@k", True)
    # A metric at a threshold: 'AP@0.5', 'PCK@0.2' are AP and PCK.
    base = _AT_THRESHOLD.match(key)
    if base and base.group(1) in _KNOWN:
        return _KNOWN[base.group(1)]
    counted = _SAMPLE_COUNT.match(key)  # 'FID50k', 'Precision10k': over 50,000 samples
    if counted and counted.group(1) in _KNOWN:
        return _KNOWN[counted.group(1)]
    words = _NOT_ALPHANUMERIC.sub(" ", metric.strip().lower()).split()
    if len(words) > 1 and words[-1] in _KNOWN:
        return _KNOWN[words[-1]]
    # 'Test WER (with LM)': the one known metric among the words, where there is one.
    kinds = {_KNOWN[word].kind: _KNOWN[word] for word in words if word in _KNOWN}
    return next(iter(kinds.values())) if len(kinds) == 1 else None


def semantics_of(metric_type: str | None, name: str | None) -> MetricSemantics | None:
    """A listed metric's semantics: by its type, the id tools write, else by its name."""
    return metric_semantics(metric_type) or metric_semantics(name)


def scale_of(value: float, semantics: MetricSemantics) -> Scale | None:
    """The scale one value must be on, where it shows; None where it could be on either."""
    if not semantics.proportion or value <= 0:
        return None
    if not semantics.can_exceed_one:
        # 0.931 is a fraction: a score of 0.931 % is no result anyone publishes.
        return Scale.PERCENT if value > 1 else Scale.FRACTION
    # An error rate counts insertions too, so a fraction can pass 1: 1.4 is 140 % of the words
    # wrong, a bad model. Above 5 it is a percentage; below 0.5 a fraction, as a WER under
    # 0.5 % is beyond the state of the art; in between, either.
    if value > 5:
        return Scale.PERCENT
    return Scale.FRACTION if value < 0.5 else None


__all__ = [
    "MetricSemantics",
    "Scale",
    "condition_name",
    "is_condition",
    "is_setting",
    "is_threshold",
    "metric_semantics",
    "plain_key",
    "scale_of",
    "semantics_of",
]
