"""Shared fixtures: the shipped catalogue, a writable copy of it, the CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifier.catalogue import Catalogue, load_catalogue
from classifier.settings import bundled_catalogue_dir, get_settings

pytest_plugins = ["tests.fixtures_db", "tests.fixtures_browser"]

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
def catalogue_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled catalogue folder, for tests that break it on purpose."""
    target = tmp_path / "catalogue"
    shutil.copytree(bundled_catalogue_dir(), target, ignore=shutil.ignore_patterns(".*"))
    return target


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the settings at an empty data directory for the test."""
    folder = tmp_path / "data"
    monkeypatch.setenv("GREENTRADE_DATA_DIR", str(folder))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


@pytest.fixture
def cli(data_dir: Path):
    """Run ``greentrade`` commands in-process; returns (exit code, output)."""
    from api.cli import app

    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.output

    return run


def shared_reference() -> Path:
    """The shared reference folder, or skip the test where this machine has none."""
    folder = SHARED / "reference"
    if not folder.is_dir():
        pytest.skip(f"shared reference data not found at {folder}")
    return folder


@pytest.fixture(scope="session")
def small_lexicon():
    """The lexicon of a few chapters (vehicles, batteries, PV, steel, plastics, machinery, food), for fast training."""
    from classifier.lexicon import Lexicon, load_lexicon

    full = load_lexicon()
    keep = ("85", "87", "72", "39", "84", "03", "61")
    return Lexicon({code: terms for code, terms in full.terms.items() if code[:2] in keep})


@pytest.fixture(scope="session")
def small_model(tmp_path_factory, catalogue, small_lexicon) -> Path:
    """A model trained once per test session on the small lexicon; its card sits beside it."""
    from classifier.train import train

    path = tmp_path_factory.mktemp("model") / "small.joblib"
    train(catalogue, small_lexicon, path)
    return path


@pytest.fixture(scope="session")
def classifier(small_model, catalogue, small_lexicon):
    from classifier.classify import Classifier
    from classifier.model import load_model

    model, card = load_model(small_model)
    return Classifier(catalogue, model, card, lexicon=small_lexicon)


@pytest.fixture
def api_settings(tmp_path, small_model):
    """Settings for an app with its own data directory and the session's small model."""
    from classifier.settings import Settings

    return Settings(
        data_dir=tmp_path / "data",
        model_path=small_model,
        max_records_per_request=20,
        max_upload_mb=1,
        max_batch_rows=5000,
    )


@pytest.fixture
def api(api_settings):
    """(test client, tokens by role) for the real app; batch jobs are run by the test, not a thread."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from classifier.tokens import create_token

    app = create_app(api_settings, run_jobs=False)
    with TestClient(app) as client:
        tokens = {
            role: create_token(app.state.store, f"test {role}", role).secret for role in ("analyst", "curator", "admin")
        }
        yield client, tokens


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# `pytest --hypothesis-profile=thorough` searches harder for counter-examples (slow, for a release check).
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("thorough", max_examples=3000, deadline=None)
