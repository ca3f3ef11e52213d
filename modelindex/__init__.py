"""modelindex: read, validate and publish the metadata of machine-learning model zoos.

>>> import modelindex
>>> zoo = modelindex.load("docs/")
>>> zoo["resnet50d"].metadata.crop_pct
0.875
"""

from modelindex._version import __version__
from modelindex.bundled import bundled_index, get
from modelindex.checks import Report, validate
from modelindex.index import Index, UnknownModelError
from modelindex.loading import load
from modelindex.preprocessing import Preprocessing
from modelindex.problems import LoadProblem, ProblemKind
from modelindex.schema import (
    Collection,
    InvalidValue,
    Location,
    Metadata,
    Model,
    Paper,
    Result,
)

__all__ = [
    "Collection",
    "Index",
    "InvalidValue",
    "LoadProblem",
    "Location",
    "Metadata",
    "Model",
    "Paper",
    "Preprocessing",
    "ProblemKind",
    "Report",
    "Result",
    "UnknownModelError",
    "__version__",
    "bundled_index",
    "get",
    "load",
    "validate",
]
