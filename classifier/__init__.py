"""greentrade's library: the catalogue, and everything that reads, classifies and counts trade records.

Nothing here imports FastAPI or the CLI framework, prints, or reads the environment outside
:mod:`classifier.settings`.
"""

from classifier.catalogue import Catalogue, Entry, SearchHit, cached_catalogue, load_catalogue
from classifier.catalogue_check import Problem, check_catalogue
from classifier.codes import format_code, parse_code
from classifier.errors import (
    CatalogueDataError,
    CodeNotFoundError,
    GreentradeError,
    InputFileError,
    InvalidCodeError,
)

__all__ = [
    "Catalogue",
    "CatalogueDataError",
    "CodeNotFoundError",
    "Entry",
    "GreentradeError",
    "InputFileError",
    "InvalidCodeError",
    "Problem",
    "SearchHit",
    "cached_catalogue",
    "check_catalogue",
    "format_code",
    "load_catalogue",
    "parse_code",
]
