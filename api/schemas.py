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
