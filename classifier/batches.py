"""Batch jobs: an uploaded file classified in the background, surviving restarts.

A job's row lives in the store and its files in ``<data dir>/batches/<id>/``: the upload as it
came, and the result (Parquet, converted to CSV or XLSX on first download). Any number of worker
processes may run jobs: a job is claimed by one atomic update, and a running job beats a heartbeat.
A job whose heartbeat stops (its process was killed) is put back in the queue and run again from the
start, up to :data:`MAX_ATTEMPTS` times, then marked ``failed`` with the reason. Results are written
atomically, so an interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update

from classifier.errors import GreentradeError, InputFileError, LimitExceededError, NotFoundError
from classifier.records import ERROR_COLUMN, ROW_COLUMN, RecordWriter, count_records, match_columns, read_record_chunks
from classifier.store import Store, batch_jobs, utcnow

if TYPE_CHECKING:
    from classifier.classify import Classifier

STATES = ("queued", "running", "done", "failed")
RESULT_FORMATS = ("csv", "xlsx", "parquet")
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Job:
    """A batch job as the API reports it."""

    id: str
    state: str
    input_name: str
    rows_total: int
    rows_done: int
    rows_rejected: int
    attempts: int
    error: str | None
    created_at: datetime
    updated_at: datetime
    model_sha256: str | None
    release: str | None = None


def _job(row) -> Job:  # type: ignore[no-untyped-def]
    return Job(
        row.id, row.state, row.input_name, row.rows_total, row.rows_done, row.rows_rejected,
        row.attempts, row.error, row.created_at, row.updated_at, row.model_sha256, row.release,
    )  # fmt: skip


class BatchJobs:
    """Submit, run, follow and download batch jobs."""

    def __init__(
        self,
        store: Store,
        folder: Path,
        *,
        max_rows: int = 1_000_000,
        max_bytes: int = 100 << 20,
        stale_after: float = 30.0,
    ) -> None:
        self.store = store
        self.folder = Path(folder)
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.stale_after = timedelta(seconds=stale_after)
        """A running job without a heartbeat for this long was interrupted; heartbeats come 3x as often."""

    def _dir(self, job_id: str) -> Path:
        return self.folder / job_id

    def submit(self, chunks: Iterable[bytes], filename: str, *, created_by: int | None = None) -> Job:
        """Store an upload and queue it; the file is checked (readable, columns, row limit) first.

        Raises :class:`LimitExceededError` past the byte or row limit and
        :class:`InputFileError` for a file that is not a readable table of records.
        """
        # Kept for display only: shortened to fit its column (PostgreSQL refuses longer; SQLite would keep it).
        filename = filename.replace("\x00", "")[: batch_jobs.c.input_name.type.length]
        job_id = uuid.uuid4().hex
        folder = self._dir(job_id)
        folder.mkdir(parents=True)
        source = folder / "input"
        try:
            size = 0
            with open(source, "wb") as fh:
                for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise LimitExceededError(
                            f"{filename}: upload is larger than the limit of {self.max_bytes // (1 << 20)} MB"
                        )
                    fh.write(chunk)
            if size == 0:
                raise InputFileError(f"{filename}: the file is empty")
            first = next(read_record_chunks(source, chunk_rows=100))
            match_columns([c for c in first.columns if c not in (ROW_COLUMN, ERROR_COLUMN)], source=filename)
            rows = count_records(source)
            if rows > self.max_rows:
                raise LimitExceededError(f"{filename}: {rows:,} rows is more than the limit of {self.max_rows:,} rows")
        except GreentradeError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            message = str(exc).replace(str(source), filename)
            raise type(exc)(message) from None
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        now = utcnow()
        with self.store.begin() as conn:
            conn.execute(
                insert(batch_jobs).values(
                    id=job_id, state="queued", input_name=filename, rows_total=rows, rows_done=0, rows_rejected=0,
                    attempts=0, created_by=created_by, created_at=now, updated_at=now,
                )
            )  # fmt: skip
        return self.get(job_id)

    def get(self, job_id: str) -> Job:
        with self.store.begin() as conn:
            row = conn.execute(select(batch_jobs).where(batch_jobs.c.id == job_id)).first()
        if row is None:
            raise NotFoundError(f"no batch job {job_id!r}")
        return _job(row)

    def list(self, *, limit: int = 50, offset: int = 0) -> list[Job]:
        with self.store.begin() as conn:
            rows = conn.execute(
                select(batch_jobs).order_by(batch_jobs.c.created_at.desc()).limit(limit).offset(offset)
            ).all()
        return [_job(r) for r in rows]

    def recover(self, *, now: datetime | None = None) -> list[Job]:
        """Requeue running jobs whose heartbeat stopped; fail those interrupted too often."""
        now = now or utcnow()
        cutoff = now - self.stale_after
        with self.store.begin() as conn:
            stale = conn.execute(
                select(batch_jobs).where(batch_jobs.c.state == "running", batch_jobs.c.heartbeat_at < cutoff)
            ).all()
            for row in stale:
                for leftover in self._dir(row.id).glob(".*.tmp"):  # the dead run's unfinished output
                    leftover.unlink(missing_ok=True)
                if row.attempts >= MAX_ATTEMPTS:
                    values = {
                        "state": "failed",
                        "error": f"interrupted {row.attempts} times (server stopped while running)",
                    }
                else:
                    values = {"state": "queued", "error": f"interrupted at row {row.rows_done}; restarted"}
                conn.execute(
                    update(batch_jobs)
                    # Still stale: another worker may have requeued and claimed it again meanwhile.
                    .where(
                        batch_jobs.c.id == row.id, batch_jobs.c.state == "running", batch_jobs.c.heartbeat_at < cutoff
                    )
                    .values(updated_at=now, rows_done=0, rows_rejected=0, **values)
                )
        return [self.get(r.id) for r in stale]

    def claim(self) -> Job | None:
        """Take the oldest queued job for this process, or None; safe with several workers."""
        with self.store.begin() as conn:
            queued = conn.scalars(
                select(batch_jobs.c.id).where(batch_jobs.c.state == "queued").order_by(batch_jobs.c.created_at).limit(5)
            ).all()
            for job_id in queued:
                now = utcnow()
                taken = conn.execute(
                    update(batch_jobs)
                    .where(batch_jobs.c.id == job_id, batch_jobs.c.state == "queued")
                    .values(state="running", attempts=batch_jobs.c.attempts + 1, heartbeat_at=now, updated_at=now)
                ).rowcount
                if taken:
                    break
            else:
                return None
        return self.get(job_id)  # after the commit: another connection sees the claim only then

    def run(self, job: Job, classifier: Classifier, *, chunk_rows: int = 10_000) -> Job:
        """Classify a claimed job's file; progress and heartbeat go to the store as it runs."""
        folder = self._dir(job.id)
        done = 0
        last_beat = time.monotonic()

        def progress(rows: int) -> None:
            nonlocal done, last_beat
            done += rows
            if time.monotonic() - last_beat >= self.stale_after.total_seconds() / 3 or done >= job.rows_total:
                last_beat = time.monotonic()
                self._set(job.id, rows_done=done, heartbeat_at=utcnow())

        try:
            summary = classifier.classify_file(
                folder / "input", folder / "result.parquet", chunk_rows=chunk_rows, progress=progress,
                input_name=job.input_name,
            )  # fmt: skip
        except GreentradeError as exc:
            self._set(job.id, state="failed", error=str(exc).replace(str(folder / "input"), job.input_name))
        except Exception as exc:  # a job must end in a state, whatever went wrong
            self._set(job.id, state="failed", error=f"internal error: {type(exc).__name__}")
            raise
        else:
            self._set(
                job.id, state="done", rows_done=summary.rows, rows_rejected=summary.rejected, error=None,
                model_sha256=classifier.card.get("sha256"),
                release=classifier.rules.release.name if classifier.rules else None,
            )  # fmt: skip
        return self.get(job.id)

    def _set(self, job_id: str, **values: object) -> None:
        with self.store.begin() as conn:
            conn.execute(update(batch_jobs).where(batch_jobs.c.id == job_id).values(updated_at=utcnow(), **values))

    def result(self, job_id: str, fmt: str) -> Path:
        """The finished result in ``fmt`` (converted from Parquet once, atomically)."""
        if fmt not in RESULT_FORMATS:
            raise GreentradeError(f"format {fmt!r} should be one of {list(RESULT_FORMATS)}")
        job = self.get(job_id)
        if job.state != "done":
            raise NotFoundError(f"batch job {job_id} has no result yet: it is {job.state}")
        canonical = self._dir(job_id) / "result.parquet"
        target = canonical.with_suffix(f".{fmt}")
        if not target.exists():
            import pyarrow.parquet as pq

            metadata = pq.read_schema(canonical).metadata or {}
            about = json.loads(metadata.get(b"greentrade", b"{}"))
            writer = RecordWriter(target, about={**about, "input": job.input_name})
            try:
                for chunk in read_record_chunks(canonical, chunk_rows=50_000):
                    writer.write(chunk.drop(columns=[ROW_COLUMN, ERROR_COLUMN]))
                writer.close()
            except BaseException:
                writer.abort()
                raise
        return target
