"""Every error greentrade raises on purpose, in one place.

Each class's docstring is its default message. Messages name the file, row, column or argument, the
bad value and what would be accepted, so that a customs analyst can fix the input without reading
code. The CLI turns them into one clean error line, the API into a 4xx response.
"""

from __future__ import annotations


class GreentradeError(Exception):
    """greentrade could not complete the request."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())


class InvalidCodeError(GreentradeError, ValueError):
    """The HS code is not valid."""


class CodeNotFoundError(GreentradeError, LookupError):
    """The HS code is well formed but is not in the HS 2022 nomenclature."""


class CatalogueDataError(GreentradeError):
    """The catalogue data files are missing or inconsistent."""


class InputFileError(GreentradeError):
    """The input file cannot be read."""


class ModelError(GreentradeError):
    """The trained model is missing, untrusted or unusable."""


class NotFoundError(GreentradeError, LookupError):
    """The requested item does not exist."""


class LimitExceededError(GreentradeError):
    """The input is larger than the configured limit."""


class InvalidRequestError(GreentradeError, ValueError):
    """The request is not valid (a missing rationale, an unknown category or action)."""


class ConflictError(GreentradeError):
    """Someone else changed the item since it was read; ``current`` holds its state now."""

    def __init__(self, message: str | None = None, *, current: object = None) -> None:
        super().__init__(message)
        self.current = current
