"""Backup and restore of a SQLite store: consistent copies while the server writes, checked restores."""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest

from classifier.curation import Actor, add_entry, decide, get_entry, list_audit, list_decisions, list_entries
from classifier.errors import GreentradeError, InputFileError
from classifier.store import MIGRATIONS, Store

WANG = Actor("王审核")


@pytest.fixture
def live(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = Store.open(f"sqlite:///{tmp_path}/live/greentrade.db")
    yield store
    store.engine.dispose()


def _inverter(store: Store):  # type: ignore[no-untyped-def]
    return add_entry(store, code="85044014", product_name="组串式光伏逆变器", category="CES", coverage="ex")


def _edit(store: Store, entry_id: int, version: int):  # type: ignore[no-untyped-def]
    return decide(store, entry_id, action="edit", version=version, rationale=f"第{version}次修改", actor=WANG,
                  changes={"remarks": f"v{version}"})  # fmt: skip


def _query(path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return conn.execute(sql).fetchall()


def test_backup_while_decisions_are_written_is_a_consistent_snapshot(live, tmp_path):
    entry = _inverter(live)
    stop, written = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def curate() -> None:
        version = entry.version
        try:
            while not stop.is_set():
                version = _edit(live, entry.id, version).version
                written.set()
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    writer = threading.Thread(target=curate, name="curator")
    writer.start()
    copies = []
    try:
        assert written.wait(20)
        for number in range(3):
            copies.append(live.backup(tmp_path / "backups" / f"copy{number}.db"))
    finally:
        stop.set()
        writer.join(30)
    assert not errors, errors
    counts = []
    for copy in copies:
        assert _query(copy, "PRAGMA integrity_check") == [("ok",)]
        assert _query(copy, "PRAGMA journal_mode") == [("delete",)]
        assert not copy.with_name(copy.name + "-wal").exists()
        decided = _query(copy, "SELECT version_after FROM decisions ORDER BY id")
        events = _query(copy, "SELECT details FROM audit_log WHERE action = 'entry.decide' ORDER BY id")
        [(version,)] = _query(copy, f"SELECT version FROM catalogue_entries WHERE id = {entry.id}")
        assert [json.loads(d)["version"] for (d,) in events] == [v for (v,) in decided] == list(range(2, version + 1))
        counts.append(len(decided))
    assert counts == sorted(counts) and counts[0] >= 1
    assert list_decisions(live).total >= counts[-1]


def test_backup_leaves_no_temporary_file_and_replaces_an_older_copy(live, tmp_path):
    _inverter(live)
    target = tmp_path / "backups" / "greentrade.db"
    live.backup(target)
    add_entry(live, code="854143", product_name="光伏组件", category="CES", coverage="full")
    assert live.backup(target) == target
    assert _query(target, "SELECT count(*) FROM catalogue_entries") == [(2,)]
    assert [p.name for p in target.parent.iterdir()] == ["greentrade.db"]


def test_restore_brings_a_changed_database_back_to_the_backup(live, tmp_path):
    entry = _inverter(live)
    _edit(live, entry.id, 1)
    backup = live.backup(tmp_path / "backup.db")
    saved = (list_entries(live).items, list_decisions(live).items, list_audit(live).items)

    _edit(live, entry.id, 2)
    add_entry(live, code="854143", product_name="光伏组件", category="CES", coverage="full")
    assert list_entries(live).total == 2

    assert live.restore(backup) == []
    assert (list_entries(live).items, list_decisions(live).items, list_audit(live).items) == saved
    assert get_entry(live, entry.id).version == 2
    _edit(live, entry.id, 2)  # the restored database takes new decisions
    assert list_decisions(live).total == 2


def test_restore_of_an_older_backup_applies_the_newer_migrations(tmp_path, monkeypatch):
    import classifier.store

    monkeypatch.setattr(classifier.store, "MIGRATIONS", MIGRATIONS[:2])  # as an older greentrade made it
    old = Store.open(f"sqlite:///{tmp_path}/old.db")
    old.backup(tmp_path / "old-backup.db")
    old.engine.dispose()
    monkeypatch.undo()

    live = Store.open(f"sqlite:///{tmp_path}/live.db")
    try:
        assert live.restore(tmp_path / "old-backup.db") == [name for name, _ in MIGRATIONS[2:]]
        assert live.schema_version() == len(MIGRATIONS)
    finally:
        live.engine.dispose()


def _missing(path: Path) -> Path:
    return path


def _text(path: Path) -> Path:
    path.write_text("报关单号,商品编码\n", encoding="utf-8")
    return path


def _not_greentrade(path: Path) -> Path:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
    return path


def _newer(path: Path) -> Path:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
        conn.executemany("INSERT INTO schema_migrations VALUES (?, 'x', '2030-01-01')", [(i,) for i in range(1, 99)])
        conn.commit()
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_missing, r"backup file not found"),
        (_text, r"not a greentrade database backup \(file is not a database\)"),
        (_not_greentrade, r"not a greentrade database backup \(no such table: schema_migrations\)"),
        (_newer, r"made by a newer greentrade \(schema 98, this one knows \d+\); upgrade first"),
    ],
    ids=["missing", "not a database", "another database", "newer"],
)  # fmt: skip
def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(live, tmp_path, make, message):
    entry = _inverter(live)
    source = make(tmp_path / "backup.db")
    with pytest.raises(InputFileError, match=rf"{source}: {message}"):
        live.restore(source)
    assert [e.id for e in list_entries(live).items] == [entry.id]


@pytest.mark.parametrize("verb", ["backup", "restore"])
def test_in_memory_store_has_no_file_to_copy(tmp_path, verb):
    store = Store.open("sqlite://")
    with pytest.raises(GreentradeError, match=rf"db {verb} works on a SQLite database file; this store is sqlite://"):
        getattr(store, verb)(tmp_path / "copy.db")
    assert not (tmp_path / "copy.db").exists()


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_postgresql_store_points_to_pg_dump(store, tmp_path):
    message = r"this store is postgresql\+psycopg://.*use pg_dump and pg_restore"
    with pytest.raises(GreentradeError, match=message) as caught:
        store.backup(tmp_path / "copy.db")
    assert ":***@" in str(caught.value) and f":{store.engine.url.password}@" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []
