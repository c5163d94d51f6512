"""The store on every backend (SQLite and, when reachable, PostgreSQL): migrations, tokens, batch jobs."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, inspect, select, update

from classifier.batches import MAX_ATTEMPTS, BatchJobs
from classifier.errors import GreentradeError, NotFoundError
from classifier.store import MIGRATIONS, Store, batch_jobs, schema_migrations, utcnow
from classifier.tokens import create_token, list_tokens, revoke_token, verify_token

CSV = "商品编码,商品名称\n8541430000,单晶硅光伏组件\n8504401400,组串式光伏逆变器\n".encode()


# Migrations


def test_migrations_apply_once_and_are_recorded(store_url):
    store = Store.open(store_url)
    try:
        assert store.schema_version() == len(MIGRATIONS)
        with store.begin() as conn:
            rows = conn.execute(select(schema_migrations).order_by(schema_migrations.c.version)).all()
        assert [(r.version, r.name) for r in rows] == [(i, name) for i, (name, _) in enumerate(MIGRATIONS, start=1)]
        assert all(isinstance(r.applied_at, datetime) and r.applied_at.tzinfo is None for r in rows)
        assert {"schema_migrations", "api_tokens", "batch_jobs"} <= set(inspect(store.engine).get_table_names())
    finally:
        store.engine.dispose()

    again = Store.open(store_url)
    try:
        assert again.migrate() == []
        assert again.schema_version() == len(MIGRATIONS)
    finally:
        again.engine.dispose()


def test_older_database_gets_only_the_missing_migrations(store_url, monkeypatch):
    import classifier.store

    monkeypatch.setattr(classifier.store, "MIGRATIONS", MIGRATIONS[:1])  # as an older greentrade made it
    old = Store.open(store_url)
    old.engine.dispose()
    assert old.schema_version() == 1
    monkeypatch.undo()

    store = Store.open(store_url)
    try:
        assert store.schema_version() == len(MIGRATIONS)
        assert store.migrate() == []
        with store.begin() as conn:
            names = list(conn.scalars(select(schema_migrations.c.name).order_by(schema_migrations.c.version)))
        assert names == [name for name, _ in MIGRATIONS]
    finally:
        store.engine.dispose()


# Tokens


def test_tokens_round_trip(store):
    analyst = create_token(store, "  statistics platform ", "analyst")
    admin = create_token(store, "ops", "admin")
    assert analyst.secret.startswith("gt_") and analyst.prefix == analyst.secret[:10]
    assert analyst.name == "statistics platform"

    found = verify_token(store, analyst.secret)
    assert found is not None and found.secret == ""
    assert (found.id, found.name, found.role, found.prefix, found.revoked_at) == (
        analyst.id, "statistics platform", "analyst", analyst.prefix, None,
    )  # fmt: skip
    assert found.created_at == analyst.created_at and found.created_at.tzinfo is None
    assert found.allows("analyst") and not found.allows("curator")
    assert verify_token(store, admin.secret).allows("curator")
    assert verify_token(store, "gt_wrong") is None
    assert verify_token(store, "") is None

    assert [(t.id, t.role) for t in list_tokens(store)] == [(analyst.id, "analyst"), (admin.id, "admin")]
    assert all(t.secret == "" for t in list_tokens(store))

    revoked = revoke_token(store, analyst.id)
    assert revoked.revoked_at is not None and revoked.revoked_at >= revoked.created_at
    assert not revoked.allows("analyst")
    assert verify_token(store, analyst.secret) is None
    assert verify_token(store, admin.secret) is not None
    with pytest.raises(GreentradeError, match="already revoked"):
        revoke_token(store, analyst.id)
    with pytest.raises(NotFoundError):
        revoke_token(store, 999_999)


@pytest.mark.parametrize(
    ("name", "role", "message"),
    [
        ("x", "owner", "role"),
        ("   ", "analyst", "name"),
        ("n" * 201, "analyst", "200 characters"),
        ("a\x00b", "analyst", "name"),
    ],
)
def test_bad_tokens_are_refused_alike_on_every_backend(store, name, role, message):
    with pytest.raises(GreentradeError, match=message):
        create_token(store, name, role)
    assert list_tokens(store) == []


def test_longest_token_name_is_kept_whole(store):
    token = create_token(store, "名" * 200, "analyst")
    assert verify_token(store, token.secret).name == "名" * 200


# Batch jobs


@pytest.fixture
def jobs(store, tmp_path: Path) -> BatchJobs:
    return BatchJobs(store, tmp_path / "batches")


def test_submit_then_claim_then_nothing_left(jobs):
    job = jobs.submit([CSV], "customs.csv", created_by=7)
    assert (job.state, job.input_name, job.rows_total, job.attempts) == ("queued", "customs.csv", 2, 0)
    assert job.created_at.tzinfo is None

    claimed = jobs.claim()
    assert claimed is not None and claimed.id == job.id
    assert (claimed.state, claimed.attempts) == ("running", 1)  # the job as claimed, not as it was
    assert jobs.get(job.id) == claimed
    assert jobs.claim() is None


def test_claims_take_the_oldest_first(jobs):
    first = jobs.submit([CSV], "first.csv")
    second = jobs.submit([CSV], "second.csv")
    with jobs.store.begin() as conn:  # same-microsecond timestamps would make the order a tie
        conn.execute(update(batch_jobs).where(batch_jobs.c.id == second.id).values(created_at=utcnow() + timedelta(1)))
    assert [jobs.claim().id, jobs.claim().id] == [first.id, second.id]


def test_long_file_name_is_shortened_to_fit(jobs):
    name = "月度报关数据" * 100 + ".csv"
    job = jobs.submit([CSV], name)
    assert job.input_name == name[: batch_jobs.c.input_name.type.length]


def test_two_workers_claiming_one_job_only_one_wins(jobs):
    """Both workers have read the job as queued before either updates it: the update decides."""
    job = jobs.submit([CSV], "race.csv")
    both_read = threading.Barrier(2, timeout=20)

    @event.listens_for(jobs.store.engine, "before_cursor_execute")
    def hold_before_update(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE BATCH_JOBS") and threading.current_thread().name.startswith(
            "claim"
        ):
            both_read.wait()

    try:
        with ThreadPoolExecutor(2, thread_name_prefix="claim") as pool:
            results = list(pool.map(lambda _: jobs.claim(), range(2)))
    finally:
        event.remove(jobs.store.engine, "before_cursor_execute", hold_before_update)
    winners = [r for r in results if r is not None]
    assert len(winners) == 1, results
    assert (winners[0].id, winners[0].state, winners[0].attempts) == (job.id, "running", 1)
    assert jobs.get(job.id).attempts == 1


def test_many_workers_claim_each_job_exactly_once(jobs):
    submitted = {jobs.submit([CSV], f"{i}.csv").id for i in range(8)}

    def work(_: int) -> list[str]:
        taken = []
        while (job := jobs.claim()) is not None:
            taken.append(job.id)
        return taken

    with ThreadPoolExecutor(4, thread_name_prefix="worker") as pool:
        claimed = [job_id for taken in pool.map(work, range(4)) for job_id in taken]
    assert sorted(claimed) == sorted(submitted)
    assert {jobs.get(job_id).attempts for job_id in submitted} == {1}


def _stop_heartbeat(jobs: BatchJobs, job_id: str) -> None:
    with jobs.store.begin() as conn:
        conn.execute(
            update(batch_jobs).where(batch_jobs.c.id == job_id).values(heartbeat_at=utcnow() - timedelta(minutes=5))
        )


def test_recover_requeues_then_fails_an_interrupted_job(jobs):
    job = jobs.submit([CSV], "c.csv")
    assert jobs.recover() == []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert jobs.claim().id == job.id
        assert jobs.recover() == []  # heartbeat is fresh
        _stop_heartbeat(jobs, job.id)
        (recovered,) = jobs.recover()
        expected = "queued" if attempt < MAX_ATTEMPTS else "failed"
        assert (recovered.state, recovered.attempts, recovered.rows_done) == (expected, attempt, 0)
    assert f"interrupted {MAX_ATTEMPTS} times" in jobs.get(job.id).error
    assert jobs.claim() is None


def test_recover_leaves_a_job_claimed_again_meanwhile(jobs):
    """A recovering worker that saw the job stale must not requeue it once another worker has claimed it again."""
    job = jobs.submit([CSV], "c.csv")
    jobs.claim()
    _stop_heartbeat(jobs, job.id)
    seen_stale, go_on = threading.Event(), threading.Event()

    @event.listens_for(jobs.store.engine, "before_cursor_execute")
    def pause_recover(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE BATCH_JOBS") and threading.current_thread().name == "slow":
            seen_stale.set()
            assert go_on.wait(20)

    result: list = []
    slow = threading.Thread(target=lambda: result.append(jobs.recover()), name="slow")
    try:
        slow.start()
        assert seen_stale.wait(20)
        # Meanwhile another worker recovered the job and claimed it again: it is running, beating.
        assert [j.state for j in jobs.recover()] == ["queued"]
        assert jobs.claim().attempts == 2
    finally:
        go_on.set()
        slow.join(30)
        event.remove(jobs.store.engine, "before_cursor_execute", pause_recover)
    assert result, "the paused recover did not finish"
    now = jobs.get(job.id)
    assert (now.state, now.attempts) == ("running", 2), now
