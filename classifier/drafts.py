"""Draft catalogue candidates from classified trade records (``greentrade draft build``).

Records are grouped by code (the declared national 8/10-digit code when it agrees with the
subheading used, else the HS6) and by product name; within a code, near-duplicate names
(``组串式光伏逆变器`` and ``组串式光伏逆变器 50kW``) are clustered with rapidfuzz, blocked by code,
so each comparison is against a handful of names, not thousands. A cluster with any record
classified green becomes a candidate entry with its trade evidence: value and count by direction,
months seen, example names, the proposed category and coverage, confidence and evidence.

A rebuild finds the entries already drafted (same code, similar name) and refreshes their
evidence; the proposal of an undecided candidate follows the new data (its version moves on, so a
curator working on the old proposal gets a conflict), while a decided entry keeps what curators
decided and shows as ``changed`` when the data now proposes another category.

Rows are deduplicated chunk by chunk before any Python loop: a month of declarations repeats the
same lines many times.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz, process
from sqlalchemy import bindparam, insert, select, update

from classifier.catalogue import Catalogue
from classifier.codes import parse_code
from classifier.curation import GREEN, Actor, list_entries, name_key, record_event
from classifier.errors import GreentradeError, InputFileError
from classifier.records import (
    ERROR_COLUMN,
    ROW_COLUMN,
    ColumnMap,
    match_columns,
    parse_amount,
    parse_direction,
    parse_month,
    read_record_chunks,
)
from classifier.store import Store, catalogue_entries, decisions, utcnow

SIMILARITY = 85
"""rapidfuzz ratio (0-100) at or above which two product names of one code are one product."""
EXAMPLES = 5
NEEDED = ("category", "confidence", "status", "hs6", "needs_review", "evidence")


def priority(value_usd: float, records: int, confidence: float) -> float:
    """What a candidate matters to the catalogue: its trade weight times its uncertainty.

    The weight is the value in US dollars plus 1 per record (so lines declared without a value
    still count); ``1.5 - confidence`` makes an uncertain candidate weigh up to three times a
    certain one of the same value, so curators see the large and doubtful first.

    >>> priority(1_000_000, 10, 0.95) < priority(1_000_000, 10, 0.40)
    True
    """
    return round((value_usd + records) * (1.5 - confidence), 2)


@dataclass
class _Name:
    """Everything one (code, name key) gathered from the files."""

    names: Counter[str] = field(default_factory=Counter)
    weight: float = 0.0
    value: Counter[str] = field(default_factory=Counter)
    records: Counter[str] = field(default_factory=Counter)
    months: set[str] = field(default_factory=set)
    category_weight: Counter[str] = field(default_factory=Counter)
    confidence_weight: Counter[str] = field(default_factory=Counter)
    review: int = 0
    evidence: Counter[str] = field(default_factory=Counter)

    def merge(self, other: _Name) -> None:
        self.names.update(other.names)
        self.weight += other.weight
        self.value.update(other.value)
        self.records.update(other.records)
        self.months |= other.months
        self.category_weight.update(other.category_weight)
        self.confidence_weight.update(other.confidence_weight)
        self.review += other.review
        self.evidence.update(other.evidence)


@dataclass(frozen=True)
class DraftSummary:
    """What a draft build did."""

    files: tuple[str, ...]
    rows: int
    rows_used: int
    candidates: int
    created: int
    refreshed: int
    redrafted: int
    by_change: dict[str, int]


def _code(declared: str, hs6: str) -> str:
    try:
        digits = parse_code(declared)
    except GreentradeError:
        return hs6
    return digits if len(digits) in (8, 10) and digits[:6] == hs6 else hs6


def _per_distinct(values: pd.Series, func: Callable[[str], object]) -> pd.Series:
    """``values.map(func)`` with ``func`` called once per distinct value: declarations repeat."""
    distinct = values.unique()
    return values.map(dict(zip(distinct, map(func, distinct), strict=True)))


def _gather(path: Path, groups: dict[tuple[str, str], _Name], *, sheet: str | None) -> tuple[int, int]:
    """Add one classified file's rows to ``groups``; returns (rows read, rows used)."""
    rows = used = 0
    columns: ColumnMap | None = None
    for chunk in read_record_chunks(path, sheet=sheet):
        rows += len(chunk)
        if columns is None:
            found = [c for c in chunk.columns if c not in (ROW_COLUMN, ERROR_COLUMN)]
            missing = [c for c in NEEDED if c not in found]
            if missing:
                raise InputFileError(
                    f"{path}: not a classified file, columns {missing} are missing; run `greentrade classify` on it first"
                )
            columns = match_columns(found, source=str(path))
        all_names = columns.text(chunk, "name")
        ok = (chunk["status"] == "ok") & (chunk["hs6"].fillna("").str.len() == 6) & (all_names != "")
        if not ok.any():
            continue
        frame = chunk[ok]
        names = all_names[ok].str.replace("\x00", "", regex=False)  # PostgreSQL text cannot hold NUL
        hs6 = frame["hs6"].astype(str)
        declared = columns.text(frame, "hs_code")
        keys = _per_distinct(names, name_key)
        codes = _per_distinct(declared + "|" + hs6, lambda pair: _code(*pair.split("|")))
        table = pd.DataFrame(
            {
                "code": codes,
                "key": keys,
                "name": names.str.strip(),
                "direction": _per_distinct(columns.text(frame, "direction"), lambda v: parse_direction(v) or "unknown"),
                "month": _per_distinct(columns.text(frame, "month"), parse_month),
                "category": frame["category"].astype(str),
                "evidence": frame["evidence"].fillna("").astype(str),
                "value": _per_distinct(columns.text(frame, "value_usd"), parse_amount),
                "confidence": pd.to_numeric(frame["confidence"], errors="coerce").fillna(0.0),
                "review": (frame["needs_review"].astype(str).str.lower() == "true").astype(int),
            }
        )
        table["weight"] = table["value"].clip(lower=0) + 1.0
        table["confidence_weight"] = table["confidence"] * table["weight"]
        by = ["code", "key", "name", "direction", "month", "category", "evidence"]
        summed = table.groupby(by, sort=False).agg(
            value=("value", "sum"),
            records=("value", "size"),
            weight=("weight", "sum"),
            confidence_weight=("confidence_weight", "sum"),
            review=("review", "sum"),
        )
        for (code, key, name, direction, month, category, evidence), row in zip(
            summed.index, summed.itertuples(index=False), strict=True
        ):
            group = groups.setdefault((code, key), _Name())
            group.names[name] += row.weight
            group.weight += row.weight
            group.value[direction] += row.value
            group.records[direction] += row.records
            if month:
                group.months.add(month)
            group.category_weight[category] += row.weight
            group.confidence_weight[category] += row.confidence_weight
            group.review += row.review
            if category in GREEN and evidence:
                group.evidence[evidence] += row.weight
        used += int(ok.sum())
    return rows, used


def _cluster(groups: dict[tuple[str, str], _Name], similarity: int) -> dict[tuple[str, str], _Name]:
    """Merge near-duplicate names within each code; the heaviest name of a cluster is its key."""
    by_code: dict[str, list[tuple[str, _Name]]] = defaultdict(list)
    for (code, key), group in groups.items():
        by_code[code].append((key, group))
    clusters: dict[tuple[str, str], _Name] = {}
    for code, members in by_code.items():
        members.sort(key=lambda m: (-m[1].weight, m[0]))
        heads: list[str] = []
        for key, group in members:
            best = process.extractOne(key, heads, scorer=fuzz.ratio, score_cutoff=similarity) if heads else None
            if best is None:
                heads.append(key)
                clusters[(code, key)] = group
            else:
                clusters[(code, best[0])].merge(group)
    return clusters


def _proposal(catalogue: Catalogue, code: str, group: _Name) -> dict[str, object] | None:
    """The candidate's fields, or None when no record of the cluster was classified green."""
    green = {c: w for c, w in group.category_weight.items() if c in GREEN}
    if not green:
        return None
    category = max(sorted(green), key=green.__getitem__)
    share = green[category] / group.weight
    confidence = round(group.confidence_weight[category] / green[category] * share, 3)
    entry = catalogue.lookup(code[:6])
    mappings = [m for m in entry.mappings if m.category == category]
    coverage = "full" if any(m.coverage == "full" for m in mappings) else "ex"
    examples = [name for name, _ in group.names.most_common(EXAMPLES)]
    joined = " ".join(name_key(n) for n in group.names)
    keywords = dict.fromkeys(k for m in mappings for k in m.keywords_zh if k.lower() in joined)
    records = sum(group.records.values())
    value = sum(group.value.values())
    return {
        "hs6": code[:6],
        "product_name": examples[0][:400],
        "category": category,
        "coverage": coverage,
        "ex_description": next((m.ex_description_zh for m in mappings if m.coverage == "ex"), "")
        if coverage == "ex"
        else "",
        "keywords": ";".join(keywords),
        "flags": ";".join(dict.fromkeys(entry.flag_codes)),
        "ref_lists": ";".join(dict.fromkeys(entry.list_codes)),
        "sources": ";".join(dict.fromkeys(s for m in mappings for s in m.source)),
        "proposed_category": category,
        "proposed_coverage": coverage,
        "confidence": confidence,
        "review_share": round(group.review / records, 3) if records else 0.0,
        "evidence": group.evidence.most_common(1)[0][0] if group.evidence else "",
        "example_names": json.dumps(examples, ensure_ascii=False),
        "months": ";".join(sorted(group.months)),
        "value_usd": round(value, 2),
        "value_export_usd": round(group.value["export"], 2),
        "value_import_usd": round(group.value["import"], 2),
        "records": records,
        "records_export": group.records["export"],
        "records_import": group.records["import"],
        "priority": priority(value, records, confidence),
    }


_PROPOSED = ("category", "coverage", "ex_description", "keywords")


def build_draft(
    store: Store,
    catalogue: Catalogue,
    paths: Sequence[Path],
    *,
    actor: Actor,
    similarity: int = SIMILARITY,
    sheet: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> DraftSummary:
    """Read classified files, cluster their products and write candidates to the store.

    Everything of one build is written in one transaction, with one ``draft.build`` audit event.
    """
    if not 50 <= similarity <= 100:
        raise GreentradeError(f"similarity should be 50 to 100 (rapidfuzz ratio), got {similarity}")
    groups: dict[tuple[str, str], _Name] = {}
    rows = used = 0
    for path in paths:
        read, kept = _gather(Path(path), groups, sheet=sheet)
        rows, used = rows + read, used + kept
        progress(f"{path}: {read} rows, {kept} classified with a product name")
    clusters = _cluster(groups, similarity)
    proposals = {k: p for k, g in clusters.items() if (p := _proposal(catalogue, k[0], g)) is not None}
    now = utcnow()
    redrafted = 0
    e = catalogue_entries.c
    with store.begin() as conn:
        codes = sorted({code for code, _ in proposals})
        existing: dict[str, dict[str, dict[str, object]]] = defaultdict(dict)
        edited: set[int] = set()  # candidates a curator has edited: their fields are curators' now
        for start in range(0, len(codes), 500):
            query = select(catalogue_entries).where(e.code.in_(codes[start : start + 500]))
            for row in conn.execute(query):
                existing[row.code][row.name_key] = dict(row._mapping)
            decided = select(decisions.c.entry_id).join(catalogue_entries, decisions.c.entry_id == e.id)
            edited.update(conn.scalars(decided.where(e.code.in_(codes[start : start + 500])).distinct()))
        seen: set[int] = set()
        inserts: list[dict[str, object]] = []
        refreshes: list[dict[str, object]] = []
        heaviest_first = sorted(proposals.items(), key=lambda kv: (-kv[1]["value_usd"] - kv[1]["records"], kv[0]))
        for (code, key), fields in heaviest_first:
            known = existing[code]
            match = process.extractOne(key, list(known), scorer=fuzz.ratio, score_cutoff=similarity) if known else None
            if match is None:
                inserts.append({
                    "code": code, "name_key": key, **fields, "status": "candidate", "version": 1, "drafted_at": now,
                    "created_at": now, "updated_at": now, "updated_by": actor.name,
                })  # fmt: skip
                continue
            entry = known[match[0]]
            if entry["id"] in seen:
                continue  # two clusters of this build met one entry: the heavier one speaks for it
            seen.add(entry["id"])
            evidence = {k: v for k, v in fields.items() if k not in (*_PROPOSED, "product_name")}
            moved = {k: (entry[k], fields[k]) for k in _PROPOSED if entry[k] != fields[k]}
            if entry["status"] == "candidate" and entry["id"] not in edited and moved:
                # Its version moves on, so a curator deciding on the old proposal gets a conflict;
                # the version in the WHERE leaves alone an entry decided meanwhile.
                done = conn.execute(
                    update(catalogue_entries)
                    .where(e.id == entry["id"], e.version == entry["version"])
                    .values(**evidence, **{k: fields[k] for k in _PROPOSED}, drafted_at=now,
                            version=entry["version"] + 1, updated_at=now, updated_by=actor.name)
                )  # fmt: skip
                if done.rowcount == 1:
                    summary = f"{code} {entry['product_name']}: new proposal from trade data"
                    record_event(conn, actor, "entry.redraft", "entry", entry["id"], summary, {"changes": moved})
                    redrafted += 1
                    continue
            refreshes.append({"_id": entry["id"], **evidence, "drafted_at": now})
        if inserts:
            conn.execute(insert(catalogue_entries), inserts)
        if refreshes:
            columns = {k: bindparam(k) for k in refreshes[0] if k != "_id"}
            conn.execute(update(catalogue_entries).where(e.id == bindparam("_id")).values(**columns), refreshes)
        created, refreshed = len(inserts), len(refreshes) + redrafted
        summary_details = {
            "files": [str(p) for p in paths],
            "rows": rows,
            "rows_used": used,
            "candidates": len(proposals),
            "created": created,
            "refreshed": refreshed,
            "redrafted": redrafted,
            "similarity": similarity,
        }
        record_event(
            conn,
            actor,
            "draft.build",
            "draft",
            now.strftime("%Y%m%dT%H%M%S"),
            f"{len(proposals)} candidates from {len(paths)} file(s)",
            summary_details,
        )
    by_change = {
        change: list_entries(store, change=change, limit=1).total for change in ("new", "changed", "in_release")
    }
    return DraftSummary(tuple(map(str, paths)), rows, used, len(proposals), created, refreshed, redrafted, by_change)
