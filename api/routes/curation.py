"""The draft catalogue's curation (curator role): candidates, entries, decisions, releases, audit log."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, status
from fastapi.responses import FileResponse

from api.deps import MAX_DB_INT, CatalogueDep, Curator, DbId, JobsDep, StoreDep
from api.schemas import (
    AuditOut,
    DecisionIn,
    DecisionOut,
    DiffOut,
    DraftIn,
    DraftOut,
    EntryDetail,
    EntryOut,
    ErrorOut,
    Page,
    ReleaseEntryOut,
    ReleaseIn,
    ReleaseOut,
)
from classifier import curation, drafts, releases
from classifier.curation import Actor, as_dict

router = APIRouter(prefix="/v1/curation", tags=["curation"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 409, 422)
}  # fmt: skip

# Offsets beyond 64-bit integers overflow in the driver (a 500, not a 422).
PageNo = Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number")]
PageSize = Annotated[int, Query(ge=1, le=curation.MAX_PAGE)]
Status = Annotated[str | None, Query(description="candidate, accepted or rejected")]
Category = Annotated[str | None, Query(description="NEV, ELEC, MAT, EEP, CES, CON, REC")]
Code = Annotated[str | None, Query(max_length=13, description="code prefix, e.g. 8504")]
Change = Annotated[str | None, Query(description="new, changed or in_release (against the newest release)")]
Text = Annotated[str | None, Query(max_length=200, description="a word in the name, examples, keywords")]
Sort = Annotated[str, Query(description="priority (value x uncertainty), value, confidence, code or updated")]


def _entry(entry: curation.CatalogueEntry) -> EntryOut:
    return EntryOut(**as_dict(entry))


def _release(release: releases.Release) -> ReleaseOut:
    base = f"/v1/curation/releases/{release.number}"
    links = {"self": base, "xlsx": f"{base}/export?format=xlsx", "csv": f"{base}/export?format=csv"}
    return ReleaseOut(**as_dict(release), links=links)


def _entries(store: Any, page: int, page_size: int, **filters: Any) -> Page[EntryOut]:
    found = curation.list_entries(store, limit=page_size, offset=(page - 1) * page_size, **filters)
    return Page[EntryOut](items=[_entry(e) for e in found.items], total=found.total, page=page, page_size=page_size)


@router.post("/drafts", response_model=DraftOut, responses=_ERRORS, summary="Draft candidates from batch results")
def draft(body: DraftIn, token: Curator, store: StoreDep, jobs: JobsDep, catalogue: CatalogueDep) -> DraftOut:
    """What ``greentrade draft build`` does with files, on the results of finished batch jobs (404
    for a job that does not exist or has no result yet)."""
    batch_ids = list(dict.fromkeys(body.batch_ids))
    summary = draft_from_batches(store, jobs, catalogue, batch_ids, Actor(token.name, token.id), body.similarity)
    return DraftOut(batch_ids=batch_ids, **{k: v for k, v in summary.__dict__.items() if k != "files"})


def draft_from_batches(
    store: Any, jobs: Any, catalogue: Any, batch_ids: list[str], actor: Actor, similarity: int = drafts.SIMILARITY
) -> drafts.DraftSummary:
    """Candidates from the results of finished batch jobs (also used by the review page)."""
    paths = [jobs.result(job_id, "parquet") for job_id in dict.fromkeys(batch_ids)]
    return drafts.build_draft(store, catalogue, paths, actor=actor, similarity=similarity)


@router.get("/candidates", response_model=Page[EntryOut], responses=_ERRORS, summary="The review queue")
def candidates(
    _: Curator, store: StoreDep, category: Category = None, code: Code = None, change: Change = None,
    q: Text = None, needs_review: bool | None = None, sort: Sort = "priority", page: PageNo = 1, page_size: PageSize = 50,
) -> Page[EntryOut]:  # fmt: skip
    """Undecided candidates, most important first: trade value weighted by uncertainty."""
    return _entries(
        store, page, page_size, status="candidate", category=category, code=code, change=change, q=q,
        needs_review=needs_review, sort=sort,
    )  # fmt: skip


@router.get("/entries", response_model=Page[EntryOut], responses=_ERRORS, summary="Catalogue entries")
def entries(
    _: Curator, store: StoreDep, status: Status = None, category: Category = None, code: Code = None,
    change: Change = None, q: Text = None, needs_review: bool | None = None, sort: Sort = "priority",
    page: PageNo = 1, page_size: PageSize = 50,
) -> Page[EntryOut]:  # fmt: skip
    return _entries(
        store, page, page_size, status=status, category=category, code=code, change=change, q=q,
        needs_review=needs_review, sort=sort,
    )  # fmt: skip


@router.get("/entries/{entry_id}", response_model=EntryDetail, responses=_ERRORS, summary="An entry and its decisions")
def entry(entry_id: DbId, _: Curator, store: StoreDep) -> EntryDetail:
    found = curation.get_entry(store, entry_id)
    history = curation.list_decisions(store, entry_id=entry_id, limit=curation.MAX_PAGE).items
    return EntryDetail(**as_dict(found), decisions=[DecisionOut(**as_dict(d)) for d in history])


@router.post(
    "/entries/{entry_id}/decisions", response_model=EntryOut, responses=_ERRORS, summary="Accept, reject or edit"
)
def decide(entry_id: DbId, body: DecisionIn, token: Curator, store: StoreDep) -> EntryOut:
    """The decision applies only to the version sent: if the entry changed since, the answer is 409
    with the entry as it is now (``detail.current``), and nothing is written."""
    entry = curation.decide(
        store, entry_id, action=body.action, version=body.version, rationale=body.rationale,
        actor=Actor(token.name, token.id), changes=body.changes.model_dump(exclude_none=True),
    )  # fmt: skip
    return _entry(entry)


@router.get("/decisions", response_model=Page[DecisionOut], responses=_ERRORS, summary="Decisions, newest first")
def decisions(
    _: Curator, store: StoreDep, entry_id: Annotated[int | None, Query(le=MAX_DB_INT)] = None, actor: str | None = None,
    page: PageNo = 1, page_size: PageSize = 50,
) -> Page[DecisionOut]:  # fmt: skip
    found = curation.list_decisions(
        store, entry_id=entry_id, actor=actor, limit=page_size, offset=(page - 1) * page_size
    )
    items = [DecisionOut(**as_dict(d)) for d in found.items]
    return Page[DecisionOut](items=items, total=found.total, page=page, page_size=page_size)


@router.get("/audit", response_model=Page[AuditOut], responses=_ERRORS, summary="The audit log, newest first")
def audit(
    _: Curator, store: StoreDep, action: str | None = None, entity: str | None = None, entity_id: str | None = None,
    actor: str | None = None, page: PageNo = 1, page_size: PageSize = 50,
) -> Page[AuditOut]:  # fmt: skip
    found = curation.list_audit(
        store, action=action, entity=entity, entity_id=entity_id, actor=actor, limit=page_size,
        offset=(page - 1) * page_size,
    )  # fmt: skip
    items = [AuditOut(**as_dict(e)) for e in found.items]
    return Page[AuditOut](items=items, total=found.total, page=page, page_size=page_size)


@router.get("/releases", response_model=list[ReleaseOut], responses=_ERRORS, summary="Releases, newest first")
def list_releases(_: Curator, store: StoreDep) -> list[ReleaseOut]:
    return [_release(r) for r in releases.list_releases(store)]


@router.post(
    "/releases", status_code=status.HTTP_201_CREATED, response_model=ReleaseOut, responses=_ERRORS,
    summary="Freeze the decided entries into a release",
)  # fmt: skip
def create_release(body: ReleaseIn, token: Curator, store: StoreDep) -> ReleaseOut:
    return _release(releases.create_release(store, body.name, actor=Actor(token.name, token.id), note=body.note))


@router.get("/releases/{ref}", response_model=ReleaseOut, responses=_ERRORS, summary="A release by name or number")
def get_release(ref: str, _: Curator, store: StoreDep) -> ReleaseOut:
    return _release(releases.get_release(store, ref))


@router.get("/releases/{a}/diff/{b}", response_model=DiffOut, responses=_ERRORS, summary="What changed from A to B")
def diff(a: str, b: str, _: Curator, store: StoreDep) -> DiffOut:
    found = releases.diff_releases(store, a, b)
    return DiffOut(
        a=found.a.name,
        b=found.b.name,
        added=[ReleaseEntryOut(**as_dict(e)) for e in found.added],
        removed=[ReleaseEntryOut(**as_dict(e)) for e in found.removed],
        changed=[
            {
                "entry_id": new.entry_id,
                "code": new.code,
                "product_name": new.product_name,
                "fields": {k: list(v) for k, v in fields.items()},
            }
            for _, new, fields in found.changed
        ],
    )


EXPORT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def export_file(store: Any, ref: str, fmt: str, background: BackgroundTasks) -> FileResponse:
    """The official table of a release as a download (also used by the review page)."""
    if fmt not in EXPORT_TYPES:
        raise curation.InvalidRequestError(f"format should be one of {sorted(EXPORT_TYPES)}, got {fmt!r}")
    release = releases.get_release(store, ref)
    folder = Path(tempfile.mkdtemp(prefix="greentrade-export-"))
    try:
        path = releases.export_release(store, release, folder / f"catalogue-{release.name}.{fmt}")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    background.add_task(lambda: (path.unlink(missing_ok=True), folder.rmdir()))
    filename = f"重庆市绿色低碳产品目录_{release.name}.{fmt}"
    return FileResponse(path, media_type=EXPORT_TYPES[fmt], filename=filename)


@router.get(
    "/releases/{ref}/export", responses={**_ERRORS, 200: {"content": {t: {} for t in EXPORT_TYPES.values()}}},
    response_class=FileResponse, summary="The official table of a release (XLSX or CSV)",
)  # fmt: skip
def export(
    ref: str, _: Curator, store: StoreDep, background: BackgroundTasks,
    format: Annotated[str, Query(description="xlsx or csv")] = "xlsx",
) -> FileResponse:  # fmt: skip
    """Columns 序号, 商品编码, 商品名称, 类别, 覆盖范围/ex说明, 依据/参考清单, 备注; no cell can run as a formula."""
    return export_file(store, ref, format, background)
