"""Releases: numbered, immutable snapshots of the curated catalogue, their diffs and official export.

``create_release`` freezes every decided entry (accepted and rejected) as it is at that moment; the
database refuses any later change to a release's rows (:data:`classifier.store.APPEND_ONLY`). The
official table lists the accepted entries; the rejected ones stay in the release because they are
decisions too: classification pinned to a release (:class:`ReleaseRules`) uses both, so a product
curators rejected is not classified green by its code's prior.

>>> from classifier.store import Store
>>> from classifier.curation import Actor, add_entry, decide
>>> store = Store.open("sqlite://")
>>> e = add_entry(store, code="850440", product_name="光伏逆变器", category="CES", coverage="ex", keywords="光伏逆变器")
>>> _ = decide(store, e.id, action="accept", version=1, rationale="清洁能源装备", actor=Actor("王审核"))
>>> release = create_release(store, "2026-12", actor=Actor("王审核"))
>>> release.number, release.entries
(1, 1)
>>> official_rows(load_release_entries(store, release))[0]["商品名称"]
'光伏逆变器'
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from rapidfuzz import fuzz
from sqlalchemy import func, insert, select

from classifier.catalogue import Catalogue
from classifier.codes import format_code, parse_code
from classifier.curation import EDITABLE, Actor, name_key, record_event, split_list
from classifier.errors import GreentradeError, InvalidRequestError, NotFoundError
from classifier.fuse import Decision
from classifier.store import Store, catalogue_entries, release_entries, releases, utcnow
from classifier.tables import atomic_path, defuse_formula, write_table

OFFICIAL_COLUMNS = ["序号", "商品编码", "商品名称", "类别", "覆盖范围/ex说明", "依据/参考清单", "备注"]
FLAG_NAMES = {
    "HEHE": "两高产品（出口受限）",
    "CBAM": "欧盟CBAM附件一",
    "ODS": "消耗臭氧层物质/HFCs（进出口许可）",
    "PLASTIC": "不可降解一次性塑料",
}
_NAME = re.compile(r"^[\w.\-]{1,50}$")
_FROZEN = ("code", "hs6", "name_key", *EDITABLE, "flags", "ref_lists", "sources", "status", "version")


@dataclass(frozen=True)
class Release:
    """A numbered release: its name, who made it and when, how many entries, and a content hash."""

    number: int
    name: str
    note: str
    created_at: datetime
    created_by: str
    entries: int
    sha256: str


@dataclass(frozen=True)
class ReleaseEntry:
    """An entry as frozen in a release."""

    entry_id: int
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


@dataclass(frozen=True)
class ReleaseDiff:
    """What changed in the official list from release ``a`` to release ``b``."""

    a: Release
    b: Release
    added: list[ReleaseEntry]
    removed: list[ReleaseEntry]
    changed: list[tuple[ReleaseEntry, ReleaseEntry, dict[str, tuple[Any, Any]]]]


def _release(row: Any) -> Release:
    values = dict(row._mapping)
    values["number"] = values.pop("id")
    return Release(**values)


def _release_entry(row: Any) -> ReleaseEntry:
    values = {k: v for k, v in row._mapping.items() if k != "release_id"}
    for name in ("keywords", "flags", "ref_lists", "sources"):
        values[name] = split_list(values[name])
    return ReleaseEntry(**values)


def create_release(store: Store, name: str, *, actor: Actor, note: str = "") -> Release:
    """Freeze the decided entries into a new numbered release (at least one must be accepted)."""
    if not _NAME.match(name):
        raise InvalidRequestError(
            f"release name {name!r} should be 1-50 letters, digits, '.', '-' or '_' (e.g. 2026-12)"
        )
    if name == "latest" or name.isdigit():
        # Both would be read as something else: "latest" as the newest release, digits as a number.
        raise InvalidRequestError(
            f"release name {name!r} is taken to mean a release number or the newest; say e.g. 2026-12"
        )
    e = catalogue_entries.c
    with store.begin() as conn:
        if conn.scalar(select(releases.c.id).where(releases.c.name == name)) is not None:
            raise InvalidRequestError(
                f"a release named {name!r} exists already; releases never change, choose a new name"
            )
        rows = [
            dict(r._mapping)
            for r in conn.execute(
                select(*(getattr(e, c) for c in ("id", *_FROZEN))).where(e.status != "candidate").order_by(e.id)
            )
        ]
        if not any(r["status"] == "accepted" for r in rows):
            raise InvalidRequestError("no entry has been accepted yet: a release needs at least one accepted entry")
        content = json.dumps(rows, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
        sha = hashlib.sha256(content).hexdigest()
        number = conn.execute(
            insert(releases).values(
                name=name, note=note.strip(), created_at=utcnow(), created_by=actor.name, entries=len(rows), sha256=sha
            )
        ).inserted_primary_key[0]
        conn.execute(insert(release_entries), [{"release_id": number, "entry_id": r.pop("id"), **r} for r in rows])
        accepted = sum(r["status"] == "accepted" for r in rows)
        record_event(
            conn,
            actor,
            "release.create",
            "release",
            name,
            f"release {number} {name}: {accepted} accepted, {len(rows) - accepted} rejected",
            {"number": number, "sha256": sha, "note": note},
        )
        return _release(conn.execute(select(releases).where(releases.c.id == number)).one())


def list_releases(store: Store) -> list[Release]:
    """Every release, newest first."""
    with store.begin() as conn:
        return [_release(r) for r in conn.execute(select(releases).order_by(releases.c.id.desc()))]


def get_release(store: Store, ref: str | int) -> Release:
    """A release by name or number; ``latest`` is the newest."""
    with store.begin() as conn:
        if str(ref) == "latest":
            query = select(releases).where(releases.c.id == select(func.max(releases.c.id)).scalar_subquery())
        elif re.fullmatch(r"[0-9]{1,9}", str(ref)) and not _named(conn, str(ref)):  # ASCII, and fits an INTEGER
            query = select(releases).where(releases.c.id == int(ref))
        else:
            query = select(releases).where(releases.c.name == str(ref))
        row = conn.execute(query).first()
    if row is None:
        raise NotFoundError(f"no release {ref!r}" if str(ref) != "latest" else "no release has been created yet")
    return _release(row)


def _named(conn: Any, name: str) -> bool:
    return conn.scalar(select(releases.c.id).where(releases.c.name == name)) is not None


def load_release_entries(store: Store, release: Release, *, status: str | None = None) -> list[ReleaseEntry]:
    """A release's entries ordered by code; ``status='accepted'`` gives the official list."""
    query = select(release_entries).where(release_entries.c.release_id == release.number)
    if status:
        query = query.where(release_entries.c.status == status)
    with store.begin() as conn:
        rows = conn.execute(query.order_by(release_entries.c.code, release_entries.c.name_key)).all()
    return [_release_entry(r) for r in rows]


def diff_releases(store: Store, a: str | int, b: str | int) -> ReleaseDiff:
    """Entries added to, removed from, and changed in the official list from ``a`` to ``b``."""
    ra, rb = get_release(store, a), get_release(store, b)
    old = {e.entry_id: e for e in load_release_entries(store, ra, status="accepted")}
    new = {e.entry_id: e for e in load_release_entries(store, rb, status="accepted")}
    changed = []
    for entry_id in sorted(old.keys() & new.keys(), key=lambda i: new[i].code):
        fields = {
            name: (getattr(old[entry_id], name), getattr(new[entry_id], name))
            for name in ("code", *EDITABLE)
            if getattr(old[entry_id], name) != getattr(new[entry_id], name)
        }
        if fields:
            changed.append((old[entry_id], new[entry_id], fields))
    return ReleaseDiff(
        ra,
        rb,
        added=[new[i] for i in sorted(new.keys() - old.keys(), key=lambda i: new[i].code)],
        removed=[old[i] for i in sorted(old.keys() - new.keys(), key=lambda i: old[i].code)],
        changed=changed,
    )


# -- the official table ---------------------------------------------------------------------------------


def official_rows(entries: list[ReleaseEntry], catalogue: Catalogue | None = None) -> list[dict[str, str]]:
    """The official-style table of the accepted entries (Chinese headers, :data:`OFFICIAL_COLUMNS`)."""
    from classifier.catalogue import cached_catalogue

    catalogue = catalogue or cached_catalogue()
    rows = []
    for entry in (e for e in entries if e.status == "accepted"):
        if entry.coverage == "full":
            coverage = "全部（整个编码）"
        else:
            detail = entry.ex_description or entry.product_name
            keywords = f"；关键词：{'、'.join(entry.keywords)}" if entry.keywords else ""
            coverage = f"ex：仅限{detail}{keywords}"
        remarks = [FLAG_NAMES.get(f, f) for f in entry.flags]
        if entry.remarks:
            remarks.append(entry.remarks)
        rows.append(
            {
                "序号": str(len(rows) + 1),
                "商品编码": entry.code,
                "商品名称": entry.product_name,
                "类别": catalogue.category_name(entry.category),
                "覆盖范围/ex说明": coverage,
                "依据/参考清单": "；".join(dict.fromkeys((*entry.sources, *entry.ref_lists))),
                "备注": "；".join(remarks),
            }
        )
    return rows


def export_release(store: Store, release: Release, path: Path, *, fmt: str | None = None) -> Path:
    """Write the official table of a release as XLSX or CSV (UTF-8 with BOM), atomically.

    Every text cell is defused against formula injection: a product name such as
    ``=HYPERLINK(...)`` is written as text and never runs. The XLSX has a second sheet with the
    release's number, name, date, author and content hash.
    """
    path = Path(path)
    fmt = fmt or path.suffix.lower().lstrip(".")
    rows = official_rows(load_release_entries(store, release, status="accepted"))
    if fmt == "csv":
        import pandas as pd

        return write_table(pd.DataFrame(rows, columns=OFFICIAL_COLUMNS, dtype=str), path, fmt="csv")
    if fmt != "xlsx":
        raise InvalidRequestError(f"{path}: export format {fmt!r} should be xlsx or csv")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "目录"
    sheet.append(OFFICIAL_COLUMNS)
    for row in rows:
        sheet.append([defuse_formula(row[c]) for c in OFFICIAL_COLUMNS])
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # text, never a formula, whatever it starts with
            cell.number_format = "@"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for letter, width in zip("ABCDEFG", (6, 14, 36, 30, 48, 30, 36), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    about = workbook.create_sheet("说明")
    for key, value in (
        ("目录", "重庆市绿色低碳优势产业进出口产品目录（草案）"),
        ("版本号 release", release.number),
        ("版本名 name", release.name),
        ("发布时间 created (UTC)", release.created_at.strftime("%Y-%m-%d %H:%M:%S")),
        ("发布人 created by", release.created_by),
        ("条目数 entries", len(rows)),
        ("内容校验 sha256", release.sha256),
        ("说明 note", release.note),
    ):
        about.append([key, defuse_formula(value)])
        about.cell(about.max_row, 2).data_type = "s" if isinstance(value, str) else "n"
    about.column_dimensions["A"].width = 26
    about.column_dimensions["B"].width = 70
    with atomic_path(path) as tmp:
        workbook.save(tmp)
    return path


# -- classification pinned to a release -------------------------------------------------------------------

CURATED_SCORE = 0.95
NAME_MATCH = 85


class ReleaseRules:
    """Curators' decisions of one release, applied to records before the model's rules.

    A record matches an entry of its code (the declared national code, its first 8 digits, or its
    HS6): a ``full``
    accepted entry matches any record of the code; an ``ex`` entry, and a rejected one, only a
    record whose name holds one of its keywords or is close to its name (rapidfuzz ratio ≥ 85 on
    the name keys). The decision then has ``basis = curated``, the entry's category (``NONE`` for a
    rejected product) and confidence 0.95: curators' word, which no calibration can measure yet.
    """

    def __init__(self, release: Release, entries: list[ReleaseEntry]) -> None:
        self.release = release
        self.by_code: dict[str, list[ReleaseEntry]] = {}
        for entry in entries:
            self.by_code.setdefault(entry.code, []).append(entry)

    @classmethod
    def load(cls, store: Store, ref: str | int) -> ReleaseRules:
        release = get_release(store, ref)
        return cls(release, load_release_entries(store, release))

    def match(self, declared: str, hs6: str, name: str) -> ReleaseEntry | None:
        """The release entry deciding this record, or None."""
        try:
            digits = parse_code(declared) if declared.strip() else ""
        except GreentradeError:
            digits = ""
        # The declared code, then its 8-digit and 6-digit parents: an entry of 85044014 covers 8504401400.
        codes = dict.fromkeys(c for c in (digits, digits[:8], hs6) if len(c) in (6, 8, 10) and c.startswith(hs6))
        candidates = [entry for code in codes for entry in self.by_code.get(code, ())] if hs6 else []
        if not candidates:
            return None
        key = name_key(name) if name.strip() else ""
        best: tuple[float, ReleaseEntry] | None = None
        for entry in candidates:
            if entry.status == "accepted" and entry.coverage == "full":
                score = 100.0
            elif key:
                keyword = any(k and k.lower().replace(" ", "") in key for k in entry.keywords)
                score = 100.0 if keyword else fuzz.ratio(key, entry.name_key)
            else:
                continue
            if score >= NAME_MATCH and (best is None or score > best[0]):
                best = (score, entry)
        return best[1] if best else None

    def apply(self, decision: Decision, declared: str, name: str) -> Decision:
        """The decision overruled by a matching entry, or unchanged (records without a valid code too)."""
        if decision.status != "ok" or not decision.hs_valid:
            return decision
        entry = self.match(declared, decision.hs6, name)
        if entry is None:
            return decision
        verdict = "收录" if entry.status == "accepted" else "不收录（审核否决）"
        category = entry.category if entry.status == "accepted" else "NONE"
        flags = decision.flags
        if entry.status == "accepted" and "PLASTIC" in flags and entry.category in ("CON", "MAT"):
            flags = tuple(f for f in flags if f != "PLASTIC")  # curators accepted it as biodegradable
        evidence = f"目录版本 {self.release.name}（第{self.release.number}版）条目 {format_code(entry.code)} {entry.product_name}：{verdict}"
        return Decision(
            hs6=decision.hs6,
            hs_valid=decision.hs_valid,
            category=category,
            score=CURATED_SCORE,
            basis="curated",
            flags=flags,
            ref_lists=decision.ref_lists,
            evidence=evidence,
            suggestions=decision.suggestions,
            needs_review=False,
            status="ok",
        )
