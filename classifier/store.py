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

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.pool import StaticPool

from classifier.errors import GreentradeError, InputFileError
from classifier.tables import atomic_path

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
    Column("release", String(50)),
)


catalogue_entries = Table(
    "catalogue_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(10), nullable=False, index=True),
    Column("hs6", String(6), nullable=False, index=True),
    Column("name_key", String(400), nullable=False),
    # What curators decide (a candidate carries the draft's proposal until decided).
    Column("product_name", String(400), nullable=False),
    Column("category", String(8), nullable=False),
    Column("coverage", String(4), nullable=False),
    Column("ex_description", Text, nullable=False, default=""),
    Column("keywords", Text, nullable=False, default=""),
    Column("flags", String(100), nullable=False, default=""),
    Column("ref_lists", String(200), nullable=False, default=""),
    Column("sources", String(200), nullable=False, default=""),
    Column("remarks", Text, nullable=False, default=""),
    Column("status", String(12), nullable=False, index=True),
    Column("version", Integer, nullable=False, default=1),
    # The trade evidence of the latest draft build that saw the entry (never curated).
    Column("proposed_category", String(8), nullable=False, default=""),
    Column("proposed_coverage", String(4), nullable=False, default=""),
    Column("confidence", Float, nullable=False, default=0.0),
    Column("review_share", Float, nullable=False, default=0.0),
    Column("evidence", Text, nullable=False, default=""),
    Column("example_names", Text, nullable=False, default="[]"),
    Column("months", Text, nullable=False, default=""),
    Column("value_usd", Float, nullable=False, default=0.0),
    Column("value_export_usd", Float, nullable=False, default=0.0),
    Column("value_import_usd", Float, nullable=False, default=0.0),
    Column("records", Integer, nullable=False, default=0),
    Column("records_export", Integer, nullable=False, default=0),
    Column("records_import", Integer, nullable=False, default=0),
    Column("priority", Float, nullable=False, default=0.0, index=True),
    Column("drafted_at", DateTime()),
    Column("created_at", DateTime(), nullable=False),
    Column("updated_at", DateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False, default=""),
    UniqueConstraint("code", "name_key", name="uq_entry_code_name"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entry_id", Integer, ForeignKey("catalogue_entries.id"), nullable=False, index=True),
    Column("action", String(10), nullable=False),
    Column("rationale", Text, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("token_id", Integer),
    Column("at", DateTime(), nullable=False),
    Column("version_before", Integer, nullable=False),
    Column("version_after", Integer, nullable=False),
    Column("before", Text, nullable=False),
    Column("after", Text, nullable=False),
)

releases = Table(
    "releases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(50), nullable=False, unique=True),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", DateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("entries", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
)

release_entries = Table(
    "release_entries",
    metadata,
    Column("release_id", Integer, ForeignKey("releases.id"), primary_key=True),
    Column("entry_id", Integer, primary_key=True),
    Column("code", String(10), nullable=False),
    Column("hs6", String(6), nullable=False),
    Column("name_key", String(400), nullable=False),
    Column("product_name", String(400), nullable=False),
    Column("category", String(8), nullable=False),
    Column("coverage", String(4), nullable=False),
    Column("ex_description", Text, nullable=False),
    Column("keywords", Text, nullable=False),
    Column("flags", String(100), nullable=False),
    Column("ref_lists", String(200), nullable=False),
    Column("sources", String(200), nullable=False),
    Column("remarks", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("version", Integer, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(), nullable=False, index=True),
    Column("actor", String(200), nullable=False),
    Column("token_id", Integer),
    Column("action", String(40), nullable=False, index=True),
    Column("entity", String(20), nullable=False),
    Column("entity_id", String(50), nullable=False),
    Column("summary", Text, nullable=False),
    Column("details", Text, nullable=False, default="{}"),
)

APPEND_ONLY = ("audit_log", "releases", "release_entries")
"""Tables whose rows are never changed or deleted once written; the database refuses it too."""


def _create(tables: list[Table]) -> Callable[[Connection], None]:
    return lambda conn: metadata.create_all(conn, tables=tables)


def _add_column(conn: Connection, table: Table, name: str) -> None:
    """Add a column the table object declares, unless the table was created with it already."""
    if name not in {c["name"] for c in inspect(conn).get_columns(table.name)}:
        column = table.c[name]
        conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {name} {column.type.compile(conn.dialect)}"))


def _curation(conn: Connection) -> None:
    metadata.create_all(conn, tables=[catalogue_entries, decisions, releases, release_entries, audit_log])
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "CREATE OR REPLACE FUNCTION greentrade_append_only() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION '% is append-only: rows are never changed or deleted', TG_TABLE_NAME; "
                "END $$ LANGUAGE plpgsql"
            )
        )
    for table in APPEND_ONLY:
        for event_name in ("UPDATE", "DELETE"):
            trigger = f"{table}_no_{event_name.lower()}"
            if conn.dialect.name == "sqlite":
                conn.execute(
                    text(
                        f"CREATE TRIGGER {trigger} BEFORE {event_name} ON {table} BEGIN "
                        f"SELECT RAISE(ABORT, '{table} is append-only: rows are never changed or deleted'); END"
                    )
                )
            elif conn.dialect.name == "postgresql":
                conn.execute(
                    text(
                        f"CREATE TRIGGER {trigger} BEFORE {event_name} ON {table} "
                        "FOR EACH ROW EXECUTE FUNCTION greentrade_append_only()"
                    )
                )


# Append only: a released migration is never edited, a change is a new step.
MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("api tokens", _create([api_tokens])),
    ("batch jobs", _create([batch_jobs])),
    ("curation: entries, decisions, releases, audit log", _curation),
    ("batch jobs record their release", lambda conn: _add_column(conn, batch_jobs, "release")),
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

    def backup(self, target: Path) -> Path:
        """Copy the SQLite database to ``target``, consistent even while the server writes to it.

        The SQLite backup API copies one snapshot of every page; the copy is checked with
        ``PRAGMA integrity_check`` and appears at ``target`` only once complete.
        """
        source = self._sqlite_path("backup")
        with (
            atomic_path(Path(target)) as tmp,
            closing(sqlite3.connect(source, timeout=30)) as src,
            closing(sqlite3.connect(tmp)) as dst,
        ):
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            _check_sqlite(dst, tmp)
        return Path(target)

    def restore(self, source: Path) -> list[str]:
        """Replace the database's content with a backup, then bring it up to date; returns migrations run.

        Stop the server first: its open connections would otherwise keep serving the old state
        for a moment. The backup is checked before anything is overwritten.
        """
        live = self._sqlite_path("restore")
        source = Path(source)
        if not source.is_file():
            raise InputFileError(f"{source}: backup file not found")
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src:
            try:
                _check_sqlite(src, source)
                version = src.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                raise InputFileError(f"{source}: not a greentrade database backup ({exc})") from exc
            if version > len(MIGRATIONS):
                raise InputFileError(
                    f"{source}: made by a newer greentrade (schema {version}, this one knows {len(MIGRATIONS)}); upgrade first"
                )
            self.engine.dispose()
            with closing(sqlite3.connect(live, timeout=30)) as dst:
                src.backup(dst)
        self.engine.dispose()
        return self.migrate()

    def _sqlite_path(self, verb: str) -> str:
        if (
            self.engine.dialect.name != "sqlite"
            or not self.engine.url.database
            or self.engine.url.database == ":memory:"
        ):
            raise GreentradeError(
                f"db {verb} works on a SQLite database file; this store is {self.engine.url.render_as_string()}"
                " (for PostgreSQL use pg_dump and pg_restore)"
            )
        return self.engine.url.database

    def schema_version(self) -> int:
        with self.begin() as conn:
            return len(list(conn.scalars(select(schema_migrations.c.version))))


def _check_sqlite(conn: sqlite3.Connection, path: object) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise InputFileError(f"{path}: the database fails its integrity check: {result}")


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
