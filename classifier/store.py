"""The project's database, behind one module: SQLite by default, any SQLAlchemy URL by setting.

Tables are created and changed only by the numbered migrations below, applied in order when a store
opens (``schema_migrations`` records which have run), so a database made by an older greentrade
is brought up to date on start. SQLite runs in WAL mode, so readers (a status poll) never block the
writer (a running batch).

>>> store = Store.open("sqlite://")
>>> store.schema_version() == len(MIGRATIONS)
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.pool import StaticPool

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("applied_at", DateTime(), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(12), nullable=False),
    Column("created_at", DateTime(), nullable=False),
    Column("revoked_at", DateTime()),
)

batch_jobs = Table(
    "batch_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("state", String(20), nullable=False, index=True),
    Column("input_name", String(400), nullable=False),
    Column("rows_total", Integer, nullable=False, default=0),
    Column("rows_done", Integer, nullable=False, default=0),
    Column("rows_rejected", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("created_by", Integer),
    Column("created_at", DateTime(), nullable=False),
    Column("updated_at", DateTime(), nullable=False),
    Column("heartbeat_at", DateTime()),
    Column("model_sha256", String(64)),
)


def _create(tables: list[Table]) -> Callable[[Connection], None]:
    return lambda conn: metadata.create_all(conn, tables=tables)


# Append only: a released migration is never edited, a change is a new step.
MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("api tokens", _create([api_tokens])),
    ("batch jobs", _create([batch_jobs])),
]


def utcnow() -> datetime:
    """Naive UTC: SQLite keeps no time zone, so every timestamp in the store is UTC without one."""
    return datetime.now(UTC).replace(tzinfo=None)


class Store:
    """An engine with the schema brought up to date; open it with :meth:`Store.open`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect and apply pending migrations. ``sqlite:///path`` creates the file's folder."""
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        if url in ("sqlite://", "sqlite:///:memory:"):
            # One shared connection, or every connection would see its own empty database.
            engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
        elif url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        else:
            engine = create_engine(url, pool_pre_ping=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        store.migrate()
        return store

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        with self.engine.begin() as conn:
            yield conn

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; returns the names of those applied."""
        applied = []
        with self.begin() as conn:
            metadata.create_all(conn, tables=[schema_migrations])
            done = set(conn.scalars(select(schema_migrations.c.version)))
            for version, (name, step) in enumerate(MIGRATIONS, start=1):
                if version in done:
                    continue
                step(conn)
                conn.execute(insert(schema_migrations).values(version=version, name=name, applied_at=utcnow()))
                applied.append(name)
        return applied

    def schema_version(self) -> int:
        with self.begin() as conn:
            return len(list(conn.scalars(select(schema_migrations.c.version))))


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
