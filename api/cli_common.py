"""What every ``greentrade`` command module shares: the ``--json`` option, JSON output, the store, the catalogue."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from classifier.settings import get_settings

if TYPE_CHECKING:
    from classifier.catalogue import Catalogue
    from classifier.store import Store

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON, Chinese as is; values JSON does not know (times) as text."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def open_store() -> Store:
    """The project's database from the settings, brought up to date."""
    from classifier.store import Store

    return Store.open(get_settings().db_url)


def open_catalogue() -> Catalogue:
    """The catalogue from the settings, with the imported national code table if there is one."""
    from classifier.catalogue import cached_catalogue

    settings = get_settings()
    national = settings.national_codes_path
    return cached_catalogue(settings.catalogue_dir, national if national.is_file() else None)
