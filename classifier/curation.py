"""Catalogue entries and the curators' decisions on them, every change kept in an append-only audit log.

An entry is one product of the draft catalogue: a code (national 8/10 digits, or HS6) and a
cluster of product names seen in trade. It starts as a ``candidate`` (see :mod:`classifier.drafts`)
and a curator ``accept``\\ s it, ``reject``\\ s it, or ``edit``\\ s its category, coverage, ex
description, keywords, name or remarks, always with a rationale.

Concurrent curators never overwrite each other silently: every entry carries a ``version``; a
decision names the version it was made on, and if the entry has moved on since, it is refused with
:class:`~classifier.errors.ConflictError` holding the entry as it is now. The entry, its decision and
the audit event are written in one transaction, so a crash leaves all three or none.

>>> from classifier.store import Store
>>> store = Store.open("sqlite://")
>>> entry = add_entry(store, code="85044014", product_name="组串式光伏逆变器", category="CES", coverage="ex")
>>> entry.status, entry.version
('candidate', 1)
>>> decided = decide(store, entry.id, action="accept", version=1, rationale="光伏逆变器属清洁能源装备",
...                  actor=Actor("王审核"))
>>> decided.status, decided.version
('accepted', 2)
>>> decide(store, entry.id, action="reject", version=1, rationale="stale", actor=Actor("李审核"))
Traceback (most recent call last):
...
classifier.errors.ConflictError: entry 1 is at version 2, not 1: 王审核 changed it at ...; reload it and decide again
>>> [e.action for e in list_audit(store).items]
['entry.decide', 'entry.create']
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, and_, case, func, insert, literal, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from classifier.catalogue import SPEC_CATEGORIES
from classifier.codes import parse_code
from classifier.errors import ConflictError, InvalidRequestError, NotFoundError
from classifier.normalise import normalise
from classifier.store import Store, audit_log, catalogue_entries, decisions, release_entries, releases, utcnow
from classifier.training_data import TrainingText

STATUSES = ("candidate", "accepted", "rejected")
ACTIONS = {"accept": "accepted", "reject": "rejected", "edit": None}
"""A decision's action and the status it leaves the entry in (``edit`` keeps the status)."""
EDITABLE = ("product_name", "category", "coverage", "ex_description", "keywords", "remarks")
COVERAGES = ("full", "ex")
CHANGES = ("new", "changed", "in_release")
GREEN = tuple(c for c in SPEC_CATEGORIES if c != "NONE")
MAX_PAGE = 500

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """Who did something: a token's name (API and review page) or a person at the command line."""

    name: str
    token_id: int | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a filtered list, with the total the filter matches."""

    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class CatalogueEntry:
    """An entry as curators see it: the curated fields, its status and version, and the trade evidence."""

    id: int
    code: str
    hs6: str
    name_key: str
    product_name: str
    category: str
    coverage: str
    ex_description: str
    keywords: tuple[str, ...]
    flags: tuple[str, ...]
    ref_lists: tuple[str, ...]
    sources: tuple[str, ...]
    remarks: str
    status: str
    version: int
    proposed_category: str
    proposed_coverage: str
    confidence: float
    review_share: float
    evidence: str
    example_names: tuple[str, ...]
    months: tuple[str, ...]
    value_usd: float
    value_export_usd: float
    value_import_usd: float
    records: int
    records_export: int
    records_import: int
    priority: float
    drafted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    updated_by: str
    change: str = "new"
    """Against the newest release: ``new`` (not in it), ``changed`` (differs from it, or the trade
    data now proposes another category) or ``in_release``."""

    def curated(self) -> dict[str, Any]:
        """The fields a decision may change, and the status: the before/after of a decision."""
        values = {name: getattr(self, name) for name in (*EDITABLE, "status")}
        values["keywords"] = list(self.keywords)
        return values


@dataclass(frozen=True)
class DecisionRecord:
    """One curator's decision: who, when, what, why, and the entry before and after."""

    id: int
    entry_id: int
    action: str
    rationale: str
    actor: str
    token_id: int | None
    at: datetime
    version_before: int
    version_after: int
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True)
class AuditEvent:
    """A line of the audit log: an action, who did it and when, on what, and its properties."""

    id: int
    at: datetime
    actor: str
    token_id: int | None
    action: str
    entity: str
    entity_id: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def split_list(value: str) -> tuple[str, ...]:
    """``;``-joined text (as stored and as written in spreadsheets) to a tuple, blanks dropped.

    >>> split_list("光伏逆变器; 储能变流器;;")
    ('光伏逆变器', '储能变流器')
    """
    return tuple(part.strip() for part in value.replace("；", ";").split(";") if part.strip())


def name_key(name: str) -> str:
    """The key that groups spellings of one product name: product words, simplified, lower-case.

    >>> name_key("組串式 光伏逆變器") == name_key("组串式光伏逆变器")
    True
    """
    norm = normalise(name)
    return (norm.words.replace(" ", "") or name.strip().lower())[:400]


def record_event(
    conn: Connection,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    summary: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Append an event to the audit log, inside the caller's transaction."""
    conn.execute(
        insert(audit_log).values(
            at=utcnow(),
            actor=actor.name,
            token_id=actor.token_id,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            summary=summary,
            details=json.dumps(details or {}, ensure_ascii=False, default=str),
        )
    )


# -- reading ------------------------------------------------------------------------------------------


def _latest_release() -> Any:
    return select(func.max(releases.c.id)).scalar_subquery()


def _change_column() -> ColumnElement[str]:
    e, r = catalogue_entries.c, release_entries.c
    differs = or_(
        *(getattr(r, name) != getattr(e, name) for name in (*EDITABLE, "status")),
        and_(e.proposed_category != "", e.proposed_category != e.category),
    )
    return case((r.entry_id.is_(None), literal("new")), (differs, literal("changed")), else_=literal("in_release"))


def _entries_query() -> Any:
    change = _change_column().label("change")
    joined = catalogue_entries.outerjoin(
        release_entries,
        and_(release_entries.c.entry_id == catalogue_entries.c.id, release_entries.c.release_id == _latest_release()),
    )
    return select(catalogue_entries, change).select_from(joined), change


def _entry(row: Any) -> CatalogueEntry:
    values = dict(row._mapping)
    for name in ("keywords", "flags", "ref_lists", "sources", "months"):
        values[name] = split_list(values[name])
    values["example_names"] = tuple(json.loads(values["example_names"] or "[]"))
    return CatalogueEntry(**values)


_SORTS = {
    "priority": (catalogue_entries.c.priority.desc(), catalogue_entries.c.records.desc()),
    "value": (catalogue_entries.c.value_usd.desc(), catalogue_entries.c.records.desc()),
    "confidence": (catalogue_entries.c.confidence.asc(), catalogue_entries.c.value_usd.desc()),
    "code": (catalogue_entries.c.code.asc(), catalogue_entries.c.name_key.asc()),
    "updated": (catalogue_entries.c.updated_at.desc(),),
}


def _check_choice(name: str, value: str | None, allowed: tuple[str, ...] | dict[str, Any]) -> None:
    if value is not None and value not in allowed:
        raise InvalidRequestError(f"{name} should be one of {sorted(allowed)}, got {value!r}")


def _page_bounds(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidRequestError(f"limit should be 1 to {MAX_PAGE} and offset 0 or more, got {limit} and {offset}")


def list_entries(
    store: Store,
    *,
    status: str | None = None,
    category: str | None = None,
    code: str | None = None,
    change: str | None = None,
    q: str | None = None,
    needs_review: bool | None = None,
    sort: str = "priority",
    limit: int = 50,
    offset: int = 0,
) -> Page[CatalogueEntry]:
    """Entries matching every filter given, most important first by default.

    ``code`` matches by prefix (``8504`` finds every entry under heading 85.04); ``q`` finds a
    word in the name, examples, keywords or ex description; ``needs_review`` keeps entries whose
    records a person should look at (low confidence, or some rows flagged for review).

    The default ``priority`` order puts first what matters most to the catalogue: trade value
    weighted by uncertainty (:func:`classifier.drafts.priority`).
    """
    _check_choice("status", status, STATUSES)
    _check_choice("category", category, SPEC_CATEGORIES)
    _check_choice("change", change, CHANGES)
    _check_choice("sort", sort, _SORTS)
    _page_bounds(limit, offset)
    query, change_column = _entries_query()
    e = catalogue_entries.c
    conditions: list[ColumnElement[bool]] = []
    if status:
        conditions.append(e.status == status)
    if category:
        conditions.append(e.category == category)
    if code:
        conditions.append(e.code.startswith(parse_code(code), autoescape=True))
    if change:
        conditions.append(change_column == change)
    if q and q.replace("\x00", "").strip():
        word = q.replace("\x00", "").strip()
        columns = [column.contains(word, autoescape=True) for column in (e.product_name, e.keywords, e.ex_description)]
        if re.search(r"\w", word):
            # Example names are stored as JSON: look for the word as JSON writes it, and never for
            # punctuation alone, which would match the JSON itself.
            columns.append(e.example_names.contains(json.dumps(word, ensure_ascii=False)[1:-1], autoescape=True))
        conditions.append(or_(*columns))
    if needs_review is not None:
        uncertain = or_(e.confidence < 0.6, e.review_share > 0)
        conditions.append(uncertain if needs_review else ~uncertain)
    query = query.where(*conditions)
    with store.begin() as conn:
        total = conn.scalar(select(func.count()).select_from(query.subquery()))
        rows = conn.execute(query.order_by(*_SORTS[sort], e.id).limit(limit).offset(offset)).all()
    return Page([_entry(row) for row in rows], int(total or 0), limit, offset)


def _get(conn: Connection, entry_id: int) -> CatalogueEntry:
    query, _ = _entries_query()
    row = conn.execute(query.where(catalogue_entries.c.id == entry_id)).first()
    if row is None:
        raise NotFoundError(f"catalogue entry {entry_id} does not exist")
    return _entry(row)


def get_entry(store: Store, entry_id: int) -> CatalogueEntry:
    """One entry by its id (:class:`NotFoundError` if there is none)."""
    with store.begin() as conn:
        return _get(conn, entry_id)


# -- writing ------------------------------------------------------------------------------------------


def _validate_changes(changes: dict[str, Any]) -> dict[str, str]:
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidRequestError(f"cannot change {unknown}: a decision may change {list(EDITABLE)}")
    clean: dict[str, str] = {}
    for name, value in changes.items():
        if value is None:
            continue
        if name == "keywords":
            value = ";".join(split_list(value if isinstance(value, str) else ";".join(map(str, value))))
        value = str(value).replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL
        if name == "category" and value not in GREEN:
            raise InvalidRequestError(
                f"category should be one of {list(GREEN)}, got {value!r}; to keep a product out of the catalogue, reject it"
            )
        if name == "coverage" and value not in COVERAGES:
            raise InvalidRequestError(
                f"coverage should be 'full' (the whole code) or 'ex' (only the described goods), got {value!r}"
            )
        if name == "product_name" and not value:
            raise InvalidRequestError("product_name cannot be empty")
        clean[name] = value
    return clean


def add_entry(
    store: Store,
    *,
    code: str,
    product_name: str,
    category: str,
    coverage: str,
    actor: Actor | None = None,
    **fields: Any,
) -> CatalogueEntry:
    """Create a candidate entry by hand (drafts create theirs from trade data)."""
    actor = actor or Actor("greentrade")
    digits = parse_code(code)
    if len(digits) not in (6, 8, 10):
        raise InvalidRequestError(f"code {code!r} should have 6, 8 or 10 digits")
    values = _validate_changes({"product_name": product_name, "category": category, "coverage": coverage})
    now = utcnow()
    row = {
        "code": digits,
        "hs6": digits[:6],
        "name_key": name_key(product_name),
        **values,
        "status": "candidate",
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "updated_by": actor.name,
        **fields,
    }
    with store.begin() as conn:
        entry_id = conn.execute(insert(catalogue_entries).values(**row)).inserted_primary_key[0]
        record_event(conn, actor, "entry.create", "entry", entry_id, f"{digits} {product_name}", {"category": category})
        return _get(conn, entry_id)


def decide(
    store: Store,
    entry_id: int,
    *,
    action: str,
    version: int,
    rationale: str,
    actor: Actor,
    changes: dict[str, Any] | None = None,
) -> CatalogueEntry:
    """Accept, reject or edit an entry made at ``version``; returns the entry after the decision.

    ``changes`` may set any of :data:`EDITABLE` (an ``accept`` with changes accepts the edited
    entry). Raises :class:`ConflictError` with the current entry when ``version`` is stale, and
    :class:`InvalidRequestError` without a rationale or with an unknown action or value.
    """
    _check_choice("action", action, ACTIONS)
    rationale = (rationale or "").replace("\x00", "")
    if not rationale.strip():
        raise InvalidRequestError("a decision needs a rationale: say why, for the audit log and the next curator")
    values = _validate_changes(changes or {})
    if action == "edit" and not values:
        raise InvalidRequestError(f"an edit needs at least one change among {list(EDITABLE)}")
    with store.begin() as conn:
        before = _get(conn, entry_id)
        if before.version != version:
            raise ConflictError(
                f"entry {entry_id} is at version {before.version}, not {version}: {before.updated_by} changed it at "
                f"{before.updated_at:%Y-%m-%d %H:%M:%S} UTC; reload it and decide again",
                current=before,
            )
        status = ACTIONS[action] or before.status
        if status == "accepted" and values.get("category", before.category) not in GREEN:
            raise InvalidRequestError(f"entry {entry_id} has no green category to accept; set one in the changes")
        now = utcnow()
        # The version in the WHERE makes the check and the write one step: of two curators who
        # read version 3, only the first UPDATE matches; the second changes no row.
        done = conn.execute(
            update(catalogue_entries)
            .where(catalogue_entries.c.id == entry_id, catalogue_entries.c.version == version)
            .values(**values, status=status, version=version + 1, updated_at=now, updated_by=actor.name)
        )
        if done.rowcount != 1:
            current = _get(conn, entry_id)
            raise ConflictError(
                f"entry {entry_id} was changed by {current.updated_by} at the same moment; reload it and decide again",
                current=current,
            )
        after = _get(conn, entry_id)
        fields_before, fields_after = before.curated(), after.curated()
        conn.execute(
            insert(decisions).values(
                entry_id=entry_id,
                action=action,
                rationale=rationale.strip(),
                actor=actor.name,
                token_id=actor.token_id,
                at=now,
                version_before=version,
                version_after=version + 1,
                before=json.dumps(fields_before, ensure_ascii=False),
                after=json.dumps(fields_after, ensure_ascii=False),
            )
        )
        changed = {k: [fields_before[k], v] for k, v in fields_after.items() if fields_before[k] != v}
        if action == "edit" and not changed:  # raised inside the transaction: nothing of it is kept
            raise InvalidRequestError(f"an edit needs at least one change: entry {entry_id} has these values already")
        record_event(
            conn,
            actor,
            "entry.decide",
            "entry",
            entry_id,
            f"{action} {after.code} {after.product_name}: {rationale.strip()}",
            {"action": action, "rationale": rationale.strip(), "version": version + 1, "changes": changed},
        )
    return after


# -- history --------------------------------------------------------------------------------------------


def _decision(row: Any) -> DecisionRecord:
    values = dict(row._mapping)
    values["before"] = json.loads(values["before"])
    values["after"] = json.loads(values["after"])
    return DecisionRecord(**values)


def list_decisions(
    store: Store, *, entry_id: int | None = None, actor: str | None = None, limit: int = 50, offset: int = 0
) -> Page[DecisionRecord]:
    """Decisions, newest first, of one entry and/or one curator."""
    _page_bounds(limit, offset)
    query = select(decisions)
    if entry_id is not None:
        query = query.where(decisions.c.entry_id == entry_id)
    if actor:
        query = query.where(decisions.c.actor == actor)
    with store.begin() as conn:
        total = conn.scalar(select(func.count()).select_from(query.subquery()))
        rows = conn.execute(query.order_by(decisions.c.id.desc()).limit(limit).offset(offset)).all()
    return Page([_decision(r) for r in rows], int(total or 0), limit, offset)


def list_audit(
    store: Store,
    *,
    action: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[AuditEvent]:
    """The audit log, newest first, filtered by action (``entry.decide``...), entity or actor."""
    _page_bounds(limit, offset)
    query = select(audit_log)
    for column, value in (
        (audit_log.c.action, action),
        (audit_log.c.entity, entity),
        (audit_log.c.entity_id, entity_id),
        (audit_log.c.actor, actor),
    ):
        if value:
            query = query.where(column == value)
    with store.begin() as conn:
        total = conn.scalar(select(func.count()).select_from(query.subquery()))
        rows = conn.execute(query.order_by(audit_log.c.id.desc()).limit(limit).offset(offset)).all()
    events = [AuditEvent(**{**r._mapping, "details": json.loads(r.details or "{}")}) for r in rows]
    return Page(events, int(total or 0), limit, offset)


def as_dict(item: Any) -> dict[str, Any]:
    """A dataclass of this module as plain JSON-ready values (times in ISO 8601, UTC)."""
    values = asdict(item)
    for key, value in values.items():
        if isinstance(value, datetime):
            values[key] = value.isoformat() + "Z"
        elif isinstance(value, tuple):
            values[key] = list(value)
    return values


def decision_texts(store: Store) -> list[TrainingText]:
    """Curators' decisions as labelled training texts: each decided entry's name and example names.

    An accepted entry labels its texts with its category, a rejected one with ``NONE``; ``greentrade
    train`` adds them to the training data (source ``decision``) and the model card counts them.
    """
    e = catalogue_entries.c
    decided = select(decisions.c.entry_id).distinct()
    query = select(catalogue_entries).where(e.status != "candidate", e.id.in_(decided)).order_by(e.id)
    with store.begin() as conn:
        rows = conn.execute(query).all()
    texts = []
    for row in rows:
        category = row.category if row.status == "accepted" else "NONE"
        for text in dict.fromkeys([row.product_name, *json.loads(row.example_names or "[]")]):
            texts.append(
                TrainingText(" ".join(text.split()), row.hs6, category, "decision", f"{row.hs6}|decision|{row.id}")
            )
    return texts
