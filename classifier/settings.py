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
    """Local state: the database (SQLite by default), batch files, the imported national nomenclature."""
    model_path: Path = _default_model_path()
    """The trained model (joblib) and, beside it, its card ``<file>.card.json``."""
    database_url: str = ""
    """SQLAlchemy URL of the project's database; empty means SQLite in the data directory."""
    release: str = ""
    """Catalogue release that classification follows (its curated entries decide first): a name, a
    number, ``latest``, or empty for none. The server pins it at start."""
    open_reads: bool = False
    """Whether GET endpoints answer without a token (writes always need one)."""
    max_upload_mb: int = 100
    """Largest batch upload accepted, in MB (413 beyond)."""
    max_batch_rows: int = 1_000_000
    """Most rows in one batch upload (413 beyond)."""
    max_records_per_request: int = 1000
    """Most records in one POST /v1/classify (413 beyond)."""
    batch_stale_seconds: float = 30.0
    """A running batch whose worker has been silent this long is taken as interrupted and restarted."""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1

    @property
    def db_url(self) -> str:
        """The database URL in use: ``GREENTRADE_DATABASE_URL`` or ``sqlite:///<data dir>/greentrade.db``."""
        return self.database_url or f"sqlite:///{self.data_dir / 'greentrade.db'}"

    @property
    def batches_dir(self) -> Path:
        """Where batch uploads and results are kept."""
        return self.data_dir / "batches"

    @property
    def national_codes_path(self) -> Path:
        """Where ``catalogue import-nomenclature`` keeps the imported national code table."""
        return self.data_dir / "nomenclature" / "national_codes.csv"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
