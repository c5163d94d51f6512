"""Classify records sent as JSON, and suggest HS codes for a text."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query, status

from api.deps import Analyst, ClassifierDep, Reader, SettingsDep
from api.schemas import ClassifyResponse, ErrorOut, RecordIn, RecordOut, Suggestion

router = APIRouter(prefix="/v1", tags=["classify"])
_ERRORS = {401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 413: {"model": ErrorOut}, 422: {"model": ErrorOut}}


def _out(record: RecordIn, result: dict[str, str]) -> RecordOut:
    return RecordOut(
        record_id=record.record_id,
        hs6=result["hs6"],
        hs_valid=result["hs_valid"] == "true",
        category=result["category"],
        category_zh=result["category_zh"],
        confidence=float(result["confidence"]),
        basis=result["basis"],
        flags=[f for f in result["flags"].split(";") if f],
        ref_lists=[f for f in result["ref_lists"].split(";") if f],
        evidence=result["evidence"],
        hs_suggestions=[s for s in result["hs_suggestions"].split(";") if s],
        needs_review=result["needs_review"] == "true",
        status=result["status"],
        reject_reason=result["reject_reason"],
    )


@router.post("/classify", response_model=ClassifyResponse, responses=_ERRORS, summary="Classify one record or a list")
async def classify(
    records: Annotated[RecordIn | list[RecordIn], Body(description="One record, or a list of records")],
    _: Analyst,
    classifier: ClassifierDep,
    settings: SettingsDep,
) -> ClassifyResponse:
    """Every record comes back, in order, classified or rejected with its reason (SPEC section 5).

    Run in the event loop, not the thread pool: a cached record takes microseconds, and a worker
    process per core is how the server scales."""
    batch = records if isinstance(records, list) else [records]
    if len(batch) > settings.max_records_per_request:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{len(batch)} records is more than {settings.max_records_per_request} per request; upload a batch file instead",
        )
    results = classifier.classify_many([(r.hs_code or "", r.name or "", r.spec or "") for r in batch])
    return ClassifyResponse(
        records=[_out(r, res) for r, res in zip(batch, results, strict=True)],
        model_sha256=str(classifier.card.get("sha256", "")),
        release=classifier.rules.release.name if classifier.rules else None,
    )


@router.get("/suggest-hs", response_model=list[Suggestion], responses=_ERRORS, summary="HS 2022 suggestions for a text")
def suggest_hs(
    text: Annotated[str, Query(min_length=1, max_length=2000, description="Product description, Chinese or English")],
    _: Reader,
    classifier: ClassifierDep,
    k: Annotated[int, Query(ge=1, le=20)] = 3,
) -> list[Suggestion]:
    nodes = classifier.catalogue.nodes
    return [
        Suggestion(hs6=code, score=round(score, 4), name_zh=nodes[code].name_zh, name_en=nodes[code].name_en)
        for code, score in classifier.suggest_hs(text, k)
    ]
