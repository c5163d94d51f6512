"""Batch jobs: upload a file, follow its progress, download the result."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile, status
from fastapi.responses import FileResponse

from api.deps import Analyst, JobsDep, Reader
from api.schemas import ErrorOut, JobOut
from classifier.batches import Job

router = APIRouter(prefix="/v1/batches", tags=["batches"])
_ERRORS = {401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}, 413: {"model": ErrorOut}, 422: {"model": ErrorOut}}  # fmt: skip
_MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


def job_out(request: Request, job: Job) -> JobOut:
    base = str(request.url_for("get_batch", job_id=job.id))
    links = {"self": base}
    if job.state == "done":
        links.update({fmt: f"{base}/result?format={fmt}" for fmt in _MEDIA})
    return JobOut(
        **{k: v for k, v in job.__dict__.items() if k not in ("created_at", "updated_at")},
        created_at=job.created_at.isoformat() + "Z",
        updated_at=job.updated_at.isoformat() + "Z",
        links=links,
    )


def _chunks(upload: UploadFile) -> Iterator[bytes]:
    while chunk := upload.file.read(1 << 20):
        yield chunk


@router.post(
    "", status_code=status.HTTP_202_ACCEPTED, response_model=JobOut, responses=_ERRORS, summary="Upload a file"
)
def create_batch(
    request: Request,
    file: Annotated[UploadFile, File(description="Customs records: CSV (UTF-8/GBK/GB18030), XLSX or Parquet")],
    token: Analyst,
    jobs: JobsDep,
) -> JobOut:
    """The file is checked (readable, a code or name column, size and row limits) and queued; the
    answer comes at once with the job id, and the job runs in the background."""
    job = jobs.submit(_chunks(file), file.filename or "upload", created_by=token.id)
    return job_out(request, job)


@router.get("", response_model=list[JobOut], responses=_ERRORS, summary="Recent batch jobs")
def list_batches(
    request: Request,
    _: Reader,
    jobs: JobsDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[JobOut]:
    return [job_out(request, j) for j in jobs.list(limit=page_size, offset=(page - 1) * page_size)]


@router.get("/{job_id}", name="get_batch", response_model=JobOut, responses=_ERRORS, summary="State and progress")
def get_batch(request: Request, job_id: str, _: Reader, jobs: JobsDep) -> JobOut:
    return job_out(request, jobs.get(job_id))


@router.get(
    "/{job_id}/result", responses={**_ERRORS, 200: {"content": {m: {} for m in _MEDIA.values()}}}, summary="Download"
)
def get_result(
    job_id: str,
    _: Reader,
    jobs: JobsDep,
    format: Annotated[str, Query(pattern="^(csv|xlsx|parquet)$")] = "csv",
) -> FileResponse:
    """The classified file: every input row with the SPEC section 5 columns."""
    path = jobs.result(job_id, format)
    job = jobs.get(job_id)
    name = f"{job.input_name.rsplit('.', 1)[0]}.classified.{format}"
    return FileResponse(path, media_type=_MEDIA[format], filename=name)
