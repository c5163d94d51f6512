"""The one settings object: every value that may come from the environment is read here.

Variables use the ``GREENTRADE_`` prefix, e.g. ``GREENTRADE_DATA_DIR=/srv/greentrade``. Library
functions never read the environment themselves; they take explicit arguments, and the CLI and the
API pass them values from :func:`get_settings`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def bundled_catalogue_dir() -> Path:
    """The catalogue data shipped with greentrade.

    A wheel carries it inside the package (``classifier/catalogue_data``); a source checkout has it
    at the top level (``catalogue/``).
    """
    packaged = Path(__file__).resolve().parent / "catalogue_data"
    return packaged if packaged.is_dir() else PROJECT_ROOT / "catalogue"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "greentrade"


def _default_model_path() -> Path:
    checkout_models = PROJECT_ROOT / "models"
    folder = checkout_models if checkout_models.is_dir() else _default_data_dir() / "models"
    return folder / "greentrade.joblib"


class Settings(BaseSettings):
    """Where greentrade finds its data, from ``GREENTRADE_*`` variables or defaults."""

    model_config = SettingsConfigDict(env_prefix="GREENTRADE_")

    catalogue_dir: Path = bundled_catalogue_dir()
    """Bundled catalogue data (read-only)."""
    data_dir: Path = _default_data_dir()
    """Local state: the imported national nomenclature, later the database and batch files."""
    model_path: Path = _default_model_path()
    """The trained model (joblib) and, beside it, its card ``<file>.card.json``."""

    @property
    def national_codes_path(self) -> Path:
        """Where ``catalogue import-nomenclature`` keeps the imported national code table."""
        return self.data_dir / "nomenclature" / "national_codes.csv"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
