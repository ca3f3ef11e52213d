"""Counts written with their units: '11.7 M', '2.4 GFLOPs', '4.1 GMACs', '97.8 MB', '1.2B',
'25.6 million'. Each reads as a whole number, with the rounding its digits state (11.7 M
stands for 11,650,000-11,750,000) and, for FLOPs, the convention its unit names.

Parameters and FLOPs take a scale (k, M, G or B for billions, T, or the words) and a unit
word; a File Size takes a scale and bytes: MB and GB are powers of ten, MiB and GiB of two,
and a bare B is bytes there, not billions.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache

_NUMBER = r"(?P<number>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)"
_WORD_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_SCALES = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9, "b": 1e9, "t": 1e12, **_WORD_SCALES}
_BINARY = {"ki": 2.0**10, "mi": 2.0**20, "gi": 2.0**30, "ti": 2.0**40}
_COUNT = re.compile(
    rf"{_NUMBER}[ \t]*(?P<scale>thousand|million|billion|trillion|[kmgbt]?)[ \t]*"
    r"(?P<unit>flops?|macs?|params|parameters)?"
)
_SIZE = re.compile(rf"{_NUMBER}[ \t]*(?P<scale>ki|mi|gi|ti|[kmgt]?)[ \t]*(?P<unit>b|bytes?)?")
# The convention a FLOPs unit names.
_CONVENTIONS = {"mac": "MACs", "macs": "MACs", "flop": "FLOPs", "flops": "FLOPs"}
# The short form of a scale written in words, for the fix that writes it so.
SHORT_SCALE = {"thousand": "k", "million": "M", "billion": "B", "trillion": "T"}


@dataclass(frozen=True)
class CountReading:
    value: float
    """The number times its scale (rounded to a whole number by the caller)."""
    half_step: float | None
    """Half the step of the last digit written, scaled: the rounding the text states. None
    for a number written in full, whose rounding is not stated."""
    convention: str | None = None
    """'MACs' or 'FLOPs', where the unit names one."""
    scale_word: str | None = None
    """The scale as written where it is a word ('million')."""
    binary_factor: float = 1.0
    """How much larger the size is if its 'MB' meant MiB (1.048576), or 1."""


def _plain(text: str) -> str:
    return text.strip().lower().replace(",", "").replace("_", "")


# Commas that group thousands ('11,170,000'); any other comma ('11,7 M') is a decimal comma,
# which is no number this reads.
_GROUPED = re.compile(r"\s*[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?(?:\D.*)?")


def _match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    if "," in text and not _GROUPED.fullmatch(text):
        return None
    plain = _plain(text)
    # '11 170 000': spaces that group digits.
    return pattern.fullmatch(plain) or pattern.fullmatch("".join(plain.split()))


def _reading(number: str, scale: float, convention: str | None, word: str | None) -> CountReading:
    mantissa = number.lower().partition("e")[0]
    decimals = len(mantissa.partition(".")[2])
    stated = scale > 1 and "e" not in number.lower()
    half_step = 0.5 * 10.0**-decimals * scale if stated else None
    return CountReading(float(number) * scale, half_step, convention, word)


# The schema, the builder and the file-size rules each read the same few texts.
@lru_cache(maxsize=4096)
def read_count(text: str) -> CountReading | None:
    """'11.7 M', '2.4 GFLOPs', '1.2B', '25.6 million'; None where ``text`` is no count."""
    match = _match(_COUNT, text)
    if match is None:
        return None
    scale, unit = match["scale"], match["unit"]
    word = scale if scale in _WORD_SCALES else None
    return _reading(match["number"], _SCALES[scale], _CONVENTIONS.get(unit or ""), word)


@lru_cache(maxsize=4096)
def read_file_size(text: str) -> CountReading | None:
    """'97.8 MB', '93.3 MiB', '224440219', '1.2 GB'; None where ``text`` is no size."""
    match = _match(_SIZE, text)
    if match is None:
        return None
    scale = match["scale"]
    if not scale and not float(match["number"]).is_integer():
        return None  # '1.2B' is no number of bytes
    factor = _BINARY[scale] if scale in _BINARY else _SCALES[scale]
    reading = _reading(match["number"], factor, None, None)
    twin = f"{scale}i"
    if twin in _BINARY and match["unit"]:
        # 'MB' is a million bytes to some tools and 2^20 to others (torchvision's docs print
        # MiB as 'MB'): the size is read as the smaller, and may be this much larger.
        reading = dataclasses.replace(reading, binary_factor=_BINARY[twin] / factor)
    return reading
