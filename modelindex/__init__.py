"""modelindex: read, validate and publish the metadata of machine-learning model zoos.

>>> import modelindex
>>> zoo = modelindex.load("docs/")
>>> zoo["resnet50d"].metadata.crop_pct
0.875
"""

from modelindex.bundled import bundled_index, get
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

__version__ = "0.1.0"

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
    "Result",
    "UnknownModelError",
    "__version__",
    "bundled_index",
    "get",
    "load",
]
