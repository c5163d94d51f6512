"""Curation on every backend: entries, decisions with versions, conflicts, the append-only history, listing."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError

from classifier.curation import (
    Actor,
    add_entry,
    decide,
    decision_texts,
    get_entry,
    list_audit,
    list_decisions,
    list_entries,
)
from classifier.errors import ConflictError, InvalidCodeError, InvalidRequestError
from classifier.releases import create_release
from classifier.store import audit_log

WANG = Actor("王审核", token_id=7)
LI = Actor("李审核")


def _inverter(store, **fields):
    return add_entry(store, code="85044014", product_name="组串式光伏逆变器", category="CES", coverage="ex", **fields)


def _count(store, table) -> int:
    with store.begin() as conn:
        return conn.scalar(select(func.count()).select_from(table))


# Adding and deciding


def test_added_entry_is_a_candidate_at_version_1(store):
    entry = add_entry(
        store, code="8504.4014", product_name=" 组串式光伏逆变器 ", category="CES", coverage="ex", actor=LI
    )
    assert (entry.code, entry.hs6, entry.product_name) == ("85044014", "850440", "组串式光伏逆变器")
    assert (entry.status, entry.version, entry.change, entry.updated_by) == ("candidate", 1, "new", "李审核")
    assert [(e.action, e.actor, e.entity_id) for e in list_audit(store).items] == [
        ("entry.create", "李审核", str(entry.id))
    ]


@pytest.mark.parametrize(
    ("code", "message"),
    [("8504", r"code '8504' should have 6, 8 or 10 digits"), ("85a440", r"HS code '85a440' contains 'a'")],
)
def test_added_entry_needs_a_full_code(store, code, message):
    with pytest.raises((InvalidRequestError, InvalidCodeError), match=message):
        add_entry(store, code=code, product_name="光伏逆变器", category="CES", coverage="ex")


DECISIONS = [
    # action, changes, status after, fields after
    ("accept", None, "accepted", {"category": "CES", "coverage": "ex"}),
    ("reject", None, "rejected", {"category": "CES", "coverage": "ex"}),
    ("edit", {"coverage": "full", "keywords": ["组串式", " 逆变器 "]}, "candidate", {"coverage": "full", "keywords": ("组串式", "逆变器")}),
    ("accept", {"category": "EEP", "remarks": "节能"}, "accepted", {"category": "EEP", "remarks": "节能"}),
]  # fmt: skip


@pytest.mark.parametrize(("action", "changes", "status", "fields"), DECISIONS)
def test_decision_sets_status_fields_and_version(store, action, changes, status, fields):
    entry = _inverter(store)
    after = decide(store, entry.id, action=action, version=1, rationale=" 属清洁能源装备 ", actor=WANG, changes=changes)
    assert (after.status, after.version, after.updated_by) == (status, 2, "王审核")
    assert {name: getattr(after, name) for name in fields} == fields
    assert get_entry(store, entry.id) == after


@pytest.mark.parametrize(("action", "changes", "status", "fields"), DECISIONS)
def test_decision_keeps_before_and_after(store, action, changes, status, fields):
    entry = _inverter(store)
    decide(store, entry.id, action=action, version=1, rationale="属清洁能源装备", actor=WANG, changes=changes)
    (record,) = list_decisions(store, entry_id=entry.id).items
    assert (record.action, record.rationale, record.actor, record.token_id) == (action, "属清洁能源装备", "王审核", 7)
    assert (record.version_before, record.version_after) == (1, 2)
    assert record.before == entry.curated()
    assert record.after == get_entry(store, entry.id).curated()


def test_decision_writes_an_audit_event_with_its_rationale(store):
    entry = _inverter(store)
    decide(store, entry.id, action="edit", version=1, rationale="仅限并网型", actor=WANG, changes={"remarks": "并网"})
    event_ = list_audit(store, action="entry.decide").items[0]
    assert (event_.actor, event_.token_id, event_.entity, event_.entity_id) == ("王审核", 7, "entry", str(entry.id))
    assert event_.summary == "edit 85044014 组串式光伏逆变器: 仅限并网型"
    assert event_.details == {"action": "edit", "rationale": "仅限并网型", "version": 2, "changes": {"remarks": ["", "并网"]}}  # fmt: skip


INVALID_DECISIONS = [
    ("accept", "", None, "a decision needs a rationale"),
    ("accept", "   ", None, "a decision needs a rationale"),
    ("approve", "ok", None, r"action should be one of \['accept', 'edit', 'reject'\], got 'approve'"),
    ("edit", "ok", None, r"an edit needs at least one change among \['product_name', 'category'"),
    ("edit", "ok", {"remarks": None}, "an edit needs at least one change"),
    ("edit", "ok", {"category": "CES", "keywords": ""}, r"an edit needs at least one change: entry \d+ has these values already"),
    ("edit", "ok", {"category": "XYZ"}, r"category should be one of \['NEV', .*\], got 'XYZ'"),
    ("accept", "ok", {"category": "NONE"}, r"got 'NONE'; to keep a product out of the catalogue, reject it"),
    ("edit", "ok", {"coverage": "partial"}, r"coverage should be 'full' \(the whole code\) or 'ex' .*, got 'partial'"),
    ("edit", "ok", {"product_name": "  "}, "product_name cannot be empty"),
    ("edit", "ok", {"status": "accepted"}, r"cannot change \['status'\]: a decision may change \['product_name'"),
]  # fmt: skip


@pytest.mark.parametrize(("action", "rationale", "changes", "message"), INVALID_DECISIONS)
def test_invalid_decision_is_refused_and_changes_nothing(store, action, rationale, changes, message):
    entry = _inverter(store)
    with pytest.raises(InvalidRequestError, match=message):
        decide(store, entry.id, action=action, version=1, rationale=rationale, actor=WANG, changes=changes)
    assert get_entry(store, entry.id) == entry
    assert list_decisions(store).total == 0


def test_stale_version_is_a_conflict_holding_the_entry_now_and_writes_nothing(store):
    entry = _inverter(store)
    accepted = decide(store, entry.id, action="accept", version=1, rationale="清洁能源", actor=WANG)
    audit_before = _count(store, audit_log)
    stale = rf"entry {entry.id} is at version 2, not 1: 王审核 changed it at .* UTC; reload it and decide again"
    with pytest.raises(ConflictError, match=stale) as caught:
        decide(store, entry.id, action="reject", version=1, rationale="非光伏用", actor=LI)
    assert caught.value.current == accepted
    assert get_entry(store, entry.id) == accepted
    assert list_decisions(store).total == 1
    assert _count(store, audit_log) == audit_before


def test_two_curators_deciding_one_version_at_once_only_one_wins(store):
    """Both curators have read the entry before either writes: the versioned UPDATE decides, round after round."""
    entry = _inverter(store)
    rounds = 4
    both_read = threading.Barrier(2, timeout=20)

    @event.listens_for(store.engine, "before_cursor_execute")
    def hold_before_update(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        is_update = statement.lstrip().upper().startswith("UPDATE CATALOGUE_ENTRIES")
        if is_update and threading.current_thread().name.startswith("curator"):
            both_read.wait()

    def attempt(version: int, actor: Actor, action: str):  # type: ignore[no-untyped-def]
        try:
            return decide(store, entry.id, action=action, version=version, rationale="并发", actor=actor)
        except ConflictError as exc:
            return exc

    try:
        for version in range(1, rounds + 1):
            with ThreadPoolExecutor(2, thread_name_prefix="curator") as pool:
                results = list(pool.map(attempt, [version, version], [WANG, LI], ["accept", "reject"]))
            winners = [r for r in results if not isinstance(r, ConflictError)]
            losers = [r for r in results if isinstance(r, ConflictError)]
            assert len(winners) == 1 and len(losers) == 1, results
            assert winners[0].version == version + 1
            assert losers[0].current == winners[0] == get_entry(store, entry.id)
    finally:
        event.remove(store.engine, "before_cursor_execute", hold_before_update)
    assert list_decisions(store, entry_id=entry.id).total == rounds
    assert list_audit(store, action="entry.decide").total == rounds
    assert get_entry(store, entry.id).version == rounds + 1


# The history cannot be rewritten


@pytest.mark.parametrize("table", ["audit_log", "releases", "release_entries"])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET {column} = {column}", "DELETE FROM {table}"])
def test_history_tables_refuse_update_and_delete(store, table, statement):
    entry = _inverter(store)
    decide(store, entry.id, action="accept", version=1, rationale="清洁能源", actor=WANG)
    create_release(store, "2026-12", actor=WANG)
    column = {"audit_log": "summary", "releases": "note", "release_entries": "remarks"}[table]
    with store.begin() as conn:
        rows = conn.scalar(text(f"SELECT count(*) FROM {table}"))
    assert rows > 0
    with pytest.raises(DBAPIError, match=f"{table} is append-only"), store.begin() as conn:
        conn.execute(text(statement.format(table=table, column=column)))
    with store.begin() as conn:
        assert conn.scalar(text(f"SELECT count(*) FROM {table}")) == rows


# Listing


def _examples(*names: str) -> str:
    return json.dumps(names, ensure_ascii=False)


@pytest.fixture
def entries(store):
    """Five entries, two of them decided, by short name."""
    made = {
        "inverter": add_entry(store, code="85044014", product_name="组串式光伏逆变器", category="CES", coverage="ex",
                              keywords="光伏逆变器", example_names=_examples("组串式光伏逆变器", "组串式逆变器 50kW"),
                              value_usd=5e6, confidence=0.9, review_share=0.0, priority=3e6),
        "storage": add_entry(store, code="8507600010", product_name="储能电池柜", category="CES", coverage="ex",
                             value_usd=2e6, confidence=0.5, review_share=0.2, priority=2e6),
        "car": add_entry(store, code="87038000", product_name="纯电动乘用车", category="NEV", coverage="full",
                         value_usd=9e6, confidence=0.95, review_share=0.0, priority=5e6),
        "bag": add_entry(store, code="39232100", product_name="全生物降解购物袋", category="CON", coverage="ex",
                         value_usd=1e5, confidence=0.4, review_share=0.0, priority=1e5),
        "module": add_entry(store, code="854143", product_name="光伏组件", category="CES", coverage="full",
                            value_usd=3e6, confidence=0.8, review_share=0.1, priority=4e6),
    }  # fmt: skip
    made["car"] = decide(store, made["car"].id, action="accept", version=1, rationale="新能源汽车", actor=WANG)
    made["bag"] = decide(store, made["bag"].id, action="reject", version=1, rationale="普通塑料袋", actor=WANG)
    return made


def _names(page, entries) -> list[str]:
    by_id = {e.id: name for name, e in entries.items()}
    return [by_id[e.id] for e in page.items]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["car", "module", "inverter", "storage", "bag"]),
        ({"status": "accepted"}, ["car"]),
        ({"status": "rejected"}, ["bag"]),
        ({"status": "candidate"}, ["module", "inverter", "storage"]),
        ({"category": "CES"}, ["module", "inverter", "storage"]),
        ({"code": "8504"}, ["inverter"]),
        ({"code": "85"}, ["module", "inverter", "storage"]),
        ({"code": "8504.40"}, ["inverter"]),
        ({"q": "逆变器"}, ["inverter"]),
        ({"q": "50kW"}, ["inverter"]),
        ({"q": "光伏"}, ["module", "inverter"]),
        ({"q": "   "}, ["car", "module", "inverter", "storage", "bag"]),
        ({"q": "100%"}, []),
        ({"needs_review": True}, ["module", "storage", "bag"]),
        ({"needs_review": False}, ["car", "inverter"]),
        ({"change": "new"}, ["car", "module", "inverter", "storage", "bag"]),
        ({"change": "in_release"}, []),
        ({"category": "CES", "needs_review": True, "code": "8507"}, ["storage"]),
    ],
)
def test_list_entries_filters(store, entries, filters, expected):
    page = list_entries(store, **filters)
    assert _names(page, entries) == expected
    assert page.total == len(expected)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("priority", ["car", "module", "inverter", "storage", "bag"]),
        ("value", ["car", "inverter", "module", "storage", "bag"]),
        ("confidence", ["bag", "storage", "module", "inverter", "car"]),
        ("code", ["bag", "inverter", "storage", "module", "car"]),
    ],
)
def test_list_entries_sorts(store, entries, sort, expected):
    assert _names(list_entries(store, sort=sort), entries) == expected


def test_list_entries_sorted_by_update_puts_the_latest_decision_first(store, entries):
    decide(
        store, entries["storage"].id, action="edit", version=1, rationale="补充", actor=LI, changes={"remarks": "户用"}
    )
    assert _names(list_entries(store, sort="updated", limit=1), entries) == ["storage"]


@pytest.mark.parametrize(
    ("offset", "expected"), [(0, ["car", "module"]), (2, ["inverter", "storage"]), (4, ["bag"]), (6, [])]
)
def test_list_entries_pages_keep_the_total(store, entries, offset, expected):
    page = list_entries(store, limit=2, offset=offset)
    assert _names(page, entries) == expected
    assert (page.total, page.limit, page.offset) == (5, 2, offset)


@pytest.mark.parametrize(
    ("filters", "error", "message"),
    [
        ({"status": "open"}, InvalidRequestError, r"status should be one of \['accepted', 'candidate', 'rejected'\], got 'open'"),
        ({"category": "GREEN"}, InvalidRequestError, r"category should be one of \[.*'NONE'.*\], got 'GREEN'"),
        ({"change": "old"}, InvalidRequestError, r"change should be one of \['changed', 'in_release', 'new'\], got 'old'"),
        ({"sort": "name"}, InvalidRequestError, r"sort should be one of \['code', 'confidence', 'priority', 'updated', 'value'\], got 'name'"),
        ({"limit": 0}, InvalidRequestError, r"limit should be 1 to 500 and offset 0 or more, got 0 and 0"),
        ({"limit": 501}, InvalidRequestError, r"limit should be 1 to 500 .*, got 501 and 0"),
        ({"offset": -1}, InvalidRequestError, r"got 50 and -1"),
        ({"code": "85x"}, InvalidCodeError, r"HS code '85x' contains 'x'"),
    ],
)  # fmt: skip
def test_list_entries_refuses_invalid_filters(store, filters, error, message):
    with pytest.raises(error, match=message):
        list_entries(store, **filters)


def test_change_follows_releases_and_later_edits(store):
    entry = _inverter(store)
    decide(store, entry.id, action="accept", version=1, rationale="清洁能源", actor=WANG)
    assert get_entry(store, entry.id).change == "new"
    create_release(store, "2026-11", actor=WANG)
    assert get_entry(store, entry.id).change == "in_release"
    decide(
        store, entry.id, action="edit", version=2, rationale="补充关键词", actor=WANG, changes={"keywords": "逆变器"}
    )
    assert get_entry(store, entry.id).change == "changed"
    assert [e.id for e in list_entries(store, change="changed").items] == [entry.id]
    create_release(store, "2026-12", actor=WANG)
    assert get_entry(store, entry.id).change == "in_release"


def test_entry_added_after_a_release_is_new(store):
    entry = _inverter(store)
    decide(store, entry.id, action="accept", version=1, rationale="清洁能源", actor=WANG)
    create_release(store, "2026-11", actor=WANG)
    later = add_entry(store, code="854143", product_name="光伏组件", category="CES", coverage="full")
    assert [(e.id, e.change) for e in list_entries(store, sort="code").items] == [
        (entry.id, "in_release"),
        (later.id, "new"),
    ]


# Training texts from decisions


def test_decision_texts_label_accepted_with_their_category_and_rejected_with_none(store, entries):
    texts = decision_texts(store)
    assert [(t.text, t.hs6, t.category, t.source) for t in texts] == [
        ("纯电动乘用车", "870380", "NEV", "decision"),
        ("全生物降解购物袋", "392321", "NONE", "decision"),
    ]
    assert texts[0].group == f"870380|decision|{entries['car'].id}"


def test_decision_texts_include_example_names_once_and_skip_undecided_edits(store):
    entry = _inverter(store, example_names=_examples("组串式光伏逆变器", "组串式逆变器  50kW"))
    decide(store, entry.id, action="edit", version=1, rationale="补充", actor=WANG, changes={"remarks": "并网"})
    assert decision_texts(store) == []
    decide(store, entry.id, action="accept", version=2, rationale="清洁能源", actor=WANG)
    assert [(t.text, t.category) for t in decision_texts(store)] == [
        ("组串式光伏逆变器", "CES"),
        ("组串式逆变器 50kW", "CES"),
    ]


def test_nul_characters_are_dropped_so_every_backend_stores_the_text(store):
    entry = _inverter(store)
    after = decide(store, entry.id, action="edit", version=1, rationale="备注\x00说明", actor=WANG,
                   changes={"remarks": "出口\x00欧盟", "keywords": ["光伏\x00逆变器"]})  # fmt: skip
    assert (after.remarks, after.keywords) == ("出口欧盟", ("光伏逆变器",))
    assert list_decisions(store, entry_id=entry.id).items[0].rationale == "备注说明"
    assert list_entries(store, q="\x00逆变器").total == 1
