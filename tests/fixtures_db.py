"""Database fixtures (a pytest plugin): ``store_url`` and ``store``, once on SQLite and once on PostgreSQL.

PostgreSQL comes from ``GREENTRADE_TEST_DATABASE_URL`` (``tools/start_postgres.sh`` starts one and
prints it); without it, or when the server does not answer, the PostgreSQL half of each test skips.
Each PostgreSQL test gets its own empty schema, put first on the connection's ``search_path`` and
dropped afterwards, so tests neither see nor clean up each other's tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

ENV = "GREENTRADE_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[tuple[str, Engine]]:
    """(URL, engine) of the test PostgreSQL server, checked once per session; skips when unreachable."""
    url = os.environ.get(ENV, "")
    where = make_url(url).render_as_string(hide_password=True) if url else f"(${ENV} is not set)"
    reason = f"PostgreSQL not reachable at {where}; run tools/start_postgres.sh and set {ENV}"
    if not url:
        pytest.skip(reason)
    engine = create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        engine.dispose()
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        pytest.skip(f"{reason} ({cause})")
    yield url, engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a fresh schema of the test PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/t.db"
        return
    url, admin = request.getfixturevalue("postgres_admin")
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    base = make_url(url)
    options = " ".join(filter(None, [base.query.get("options", ""), f"-csearch_path={schema}"]))
    yield base.update_query_dict({"options": options}).render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def store(store_url: str):  # type: ignore[no-untyped-def]
    """A :class:`~classifier.store.Store` opened (so migrated) on ``store_url``, disposed after the test."""
    from classifier.store import Store

    opened = Store.open(store_url)
    yield opened
    opened.engine.dispose()
