"""The catalogue and HS nomenclature: look up, search, list."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query

from api.deps import CatalogueDep, Reader
from api.schemas import ErrorOut, Page, SearchHitOut
from classifier.catalogue_report import catalogue_table, describe_entry

router = APIRouter(prefix="/v1", tags=["catalogue"])
_ERRORS = {401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}}
PageNumber = Annotated[int, Query(ge=1, le=100_000, description="1-based page number")]
PageSize = Annotated[int, Query(ge=1, le=200)]


@router.get(
    "/hs/search", response_model=Page[SearchHitOut], responses=_ERRORS, summary="Search HS names and green keywords"
)
def search(
    q: Annotated[str, Query(min_length=1, max_length=200, description="Chinese or English words")],
    _: Reader,
    catalogue: CatalogueDep,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Page[SearchHitOut]:
    """Exact substring matches first, then fuzzy ones (rapidfuzz), best first."""
    hits = catalogue.search(q, limit=min(page * page_size, 1000))
    chosen = hits[(page - 1) * page_size : page * page_size]
    items = [
        SearchHitOut(code=h.code, name_zh=h.name_zh, name_en=h.name_en, score=h.score, method=h.method) for h in chosen
    ]
    return Page[SearchHitOut](items=items, total=len(hits), page=page, page_size=page_size)


@router.get("/hs/{code}", responses=_ERRORS, summary="One code: path, names, categories, coverage, flags, lists")
def lookup(code: str, _: Reader, catalogue: CatalogueDep) -> dict[str, Any]:
    return describe_entry(catalogue, catalogue.lookup(code))


@router.get(
    "/catalogue", response_model=Page[dict[str, Any]], responses=_ERRORS, summary="The green catalogue, filtered"
)
def list_catalogue(
    _: Reader,
    catalogue: CatalogueDep,
    category: Annotated[str | None, Query(pattern="^(NEV|ELEC|MAT|EEP|CES|CON|REC)$")] = None,
    flag: Annotated[str | None, Query(pattern="^(HEHE|CBAM|ODS|PLASTIC)$")] = None,
    ref_list: Annotated[
        str | None, Query(alias="list", pattern="^(APEC54|CLEG|WTO_FRIENDS|TESSD|ACCTS|NEW3|CBAM)$")
    ] = None,
    coverage: Annotated[str | None, Query(pattern="^(full|ex)$")] = None,
    page: PageNumber = 1,
    page_size: PageSize = 50,
) -> Page[dict[str, Any]]:
    """One row per subheading and green category, as `greentrade catalogue export` writes it."""
    table = catalogue_table(catalogue)
    if category:
        table = table[table["category"] == category]
    if coverage:
        table = table[table["coverage"] == coverage]
    if flag:
        table = table[_has_item(table["flags"], flag)]
    if ref_list:
        table = table[_has_item(table["ref_lists"], ref_list)]
    rows = table.iloc[(page - 1) * page_size : page * page_size].to_dict(orient="records")
    return Page[dict[str, Any]](items=rows, total=len(table), page=page, page_size=page_size)


def _has_item(column: pd.Series, item: str) -> pd.Series:
    """Rows whose ``;``-joined list holds ``item``, as a boolean mask even when ``column`` is empty.

    (A mask built with ``map`` on an empty column has dtype object, and pandas then reads it as a
    list of column names: the filter would drop every column instead of every row.)
    """
    return column.str.split(";").map(lambda items: item in items).astype(bool)
