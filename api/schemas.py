"""Request and response models of the HTTP API (SPEC sections 4 and 5)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from classifier.records import match_columns


class RecordIn(BaseModel):
    """One trade record (SPEC section 4). Chinese and other aliases are accepted as field names
    (商品编码, 商品名称, 规格型号...); unknown fields pass through to the answer untouched."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [{"商品编码": "8504401400", "商品名称": "组串式光伏逆变器", "规格型号": "50kW"}]
        },
    )

    record_id: str | None = Field(None, max_length=200, description="报关单号+项号, 记录号")
    hs_code: str | None = Field(
        None, max_length=40, description="商品编码, HS编码, 税号: 6-10 digits, dots/spaces allowed"
    )
    name: str | None = Field(None, max_length=2000, description="商品名称, 品名, product, description")
    spec: str | None = Field(None, max_length=2000, description="规格型号, 申报要素")

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not data:
            return data
        keys = [str(k) for k in data]
        try:
            roles = match_columns(keys).canonical
        except Exception:
            return data  # neither code nor name: the record will be rejected with its reason
        out = {k: v for k, v in data.items() if k not in roles.values()}
        for role, column in roles.items():
            value = data[column]
            # Numbers are fine (codes typed as numbers by a spreadsheet); lists and objects are not.
            out[role] = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        return out


class RecordOut(BaseModel):
    """A classified record (SPEC section 5)."""

    record_id: str | None = None
    hs6: str
    hs_valid: bool
    category: str
    category_zh: str
    confidence: float
    basis: str
    flags: list[str]
    ref_lists: list[str]
    evidence: str
    hs_suggestions: list[str] = Field(description="up to 3 `hs6:score`")
    needs_review: bool
    status: str = Field(description="ok or rejected")
    reject_reason: str


class ClassifyResponse(BaseModel):
    records: list[RecordOut]
    model_sha256: str = Field(default="", description="the model that classified them")
    release: str | None = Field(default=None, description="the catalogue release whose curated entries decided first")


class Suggestion(BaseModel):
    hs6: str
    score: float
    name_zh: str
    name_en: str


class SearchHitOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    score: float
    method: str


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of results: ``items``, the ``total`` count, and the page asked for."""

    items: list[T]
    total: int
    page: int
    page_size: int


class JobOut(BaseModel):
    id: str
    state: str = Field(description="queued, running, done or failed")
    input_name: str
    rows_total: int
    rows_done: int
    rows_rejected: int
    attempts: int
    error: str | None
    created_at: str
    updated_at: str
    model_sha256: str | None
    release: str | None = Field(default=None, description="the catalogue release the job was classified with, if any")
    links: dict[str, str]


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(pattern="^(analyst|curator|admin)$")


class TokenOut(BaseModel):
    id: int
    name: str
    role: str
    prefix: str
    created_at: str
    revoked_at: str | None
    token: str | None = Field(None, description="the secret, shown only once, at creation")


class ErrorOut(BaseModel):
    """Every error answer: a message an analyst can act on, and the request id for the logs."""

    error: str
    detail: Any = None
    request_id: str


# -- curation ------------------------------------------------------------------------------------------


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_ids: list[str] = Field(min_length=1, max_length=50, description="finished batch jobs to draft from")
    similarity: int = Field(default=85, ge=50, le=100, description="rapidfuzz ratio at which two names are one product")


class DraftOut(BaseModel):
    batch_ids: list[str]
    rows: int
    rows_used: int = Field(description="rows classified, with a product name")
    candidates: int
    created: int
    refreshed: int
    redrafted: int = Field(description="undecided candidates whose proposal changed")
    by_change: dict[str, int] = Field(description="all entries against the newest release: new, changed, in_release")


class EntryOut(BaseModel):
    """A catalogue entry: what curators decided, its version, and the trade evidence behind it."""

    id: int
    code: str
    hs6: str
    product_name: str
    category: str
    coverage: str = Field(description="full (the whole code) or ex (only the described goods)")
    ex_description: str
    keywords: list[str]
    flags: list[str]
    ref_lists: list[str]
    sources: list[str]
    remarks: str
    status: str = Field(description="candidate, accepted or rejected")
    version: int = Field(description="send it back with a decision; a stale version gets 409")
    change: str = Field(description="against the newest release: new, changed or in_release")
    proposed_category: str
    proposed_coverage: str
    confidence: float
    review_share: float = Field(description="share of the entry's records flagged needs_review")
    evidence: str
    example_names: list[str]
    months: list[str]
    value_usd: float
    value_export_usd: float
    value_import_usd: float
    records: int
    records_export: int
    records_import: int
    priority: float
    drafted_at: str | None
    created_at: str
    updated_at: str
    updated_by: str


class Changes(BaseModel):
    """Fields a decision may change; leave out what stays."""

    model_config = ConfigDict(extra="forbid")

    product_name: str | None = Field(default=None, max_length=400)
    category: str | None = Field(default=None, description="NEV, ELEC, MAT, EEP, CES, CON or REC")
    coverage: str | None = Field(default=None, description="full or ex")
    ex_description: str | None = Field(default=None, max_length=2000)
    keywords: list[str] | None = Field(default=None, max_length=100)
    remarks: str | None = Field(default=None, max_length=2000)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(description="accept, reject or edit")
    version: int = Field(description="the entry's version the decision was made on")
    rationale: str = Field(min_length=1, max_length=4000, description="why; kept in the audit log")
    changes: Changes = Field(default_factory=Changes)


class DecisionOut(BaseModel):
    id: int
    entry_id: int
    action: str
    rationale: str
    actor: str
    at: str
    version_before: int
    version_after: int
    before: dict[str, Any]
    after: dict[str, Any]


class EntryDetail(EntryOut):
    decisions: list[DecisionOut]


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50, description="e.g. 2026-12")
    note: str = Field(default="", max_length=2000)


class ReleaseOut(BaseModel):
    number: int
    name: str
    note: str
    created_at: str
    created_by: str
    entries: int
    sha256: str
    links: dict[str, str]


class ReleaseEntryOut(BaseModel):
    entry_id: int
    code: str
    product_name: str
    category: str
    coverage: str
    ex_description: str
    keywords: list[str]
    status: str


class ChangedEntryOut(BaseModel):
    entry_id: int
    code: str
    product_name: str
    fields: dict[str, list[Any]] = Field(description="field: [in A, in B]")


class DiffOut(BaseModel):
    a: str
    b: str
    added: list[ReleaseEntryOut]
    removed: list[ReleaseEntryOut]
    changed: list[ChangedEntryOut]


class AuditOut(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    summary: str
    details: dict[str, Any]
