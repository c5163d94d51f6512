"""Releases: creation rules, frozen content, lookup, diff, official export, and classification pinned to one."""

from __future__ import annotations

import codecs
import csv
import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from classifier.curation import Actor, add_entry, decide
from classifier.errors import InvalidRequestError, NotFoundError
from classifier.releases import (
    OFFICIAL_COLUMNS,
    ReleaseRules,
    create_release,
    diff_releases,
    export_release,
    get_release,
    list_releases,
    load_release_entries,
)

WANG = Actor("王审核")
EVIL = '=HYPERLINK("http://evil","x")'


def accepted(store, code, name, category="CES", coverage="ex", **changes):  # type: ignore[no-untyped-def]
    entry = add_entry(store, code=code, product_name=name, category=category, coverage=coverage)
    return decide(store, entry.id, action="accept", version=1, rationale="收录", actor=WANG, changes=changes or None)


def rejected(store, code, name, category="CON"):  # type: ignore[no-untyped-def]
    entry = add_entry(store, code=code, product_name=name, category=category, coverage="ex")
    return decide(store, entry.id, action="reject", version=1, rationale="不收录", actor=WANG)


# Creating


def test_release_freezes_every_decided_entry_but_no_candidate(store):
    inverter = accepted(store, "85044014", "组串式光伏逆变器", keywords="光伏逆变器")
    bag = rejected(store, "39232100", "普通塑料购物袋")
    add_entry(store, code="854143", product_name="光伏组件", category="CES", coverage="full")
    release = create_release(store, "2026-12", actor=WANG, note="  第一版 ")
    assert (release.number, release.name, release.note, release.created_by, release.entries) == (
        1, "2026-12", "第一版", "王审核", 2,
    )  # fmt: skip
    assert len(release.sha256) == 64
    frozen = load_release_entries(store, release)
    assert [(e.entry_id, e.status, e.version) for e in frozen] == [(bag.id, "rejected", 2), (inverter.id, "accepted", 2)]  # fmt: skip
    assert frozen[1].keywords == ("光伏逆变器",)
    assert [e.entry_id for e in load_release_entries(store, release, status="accepted")] == [inverter.id]


def test_release_needs_an_accepted_entry(store):
    rejected(store, "39232100", "普通塑料购物袋")
    with pytest.raises(InvalidRequestError, match="no entry has been accepted yet: a release needs at least one"):
        create_release(store, "2026-12", actor=WANG)
    assert list_releases(store) == []


def test_release_name_is_unique(store):
    accepted(store, "85044014", "组串式光伏逆变器")
    create_release(store, "2026-12", actor=WANG)
    with pytest.raises(InvalidRequestError, match="a release named '2026-12' exists already; releases never change"):
        create_release(store, "2026-12", actor=WANG)
    assert [r.name for r in list_releases(store)] == ["2026-12"]


@pytest.mark.parametrize("name", ["", "2026 12", "a/b", "x" * 51, "v1;drop", "../etc"])
def test_release_name_is_checked(store, name):
    accepted(store, "85044014", "组串式光伏逆变器")
    with pytest.raises(InvalidRequestError, match=r"release name .* should be 1-50 letters, digits, '\.', '-' or '_'"):
        create_release(store, name, actor=WANG)


@pytest.mark.parametrize("name", ["2026-12", "v1.0_rc", "十二月版", "x" * 50])
def test_release_names_that_are_accepted(store, name):
    accepted(store, "85044014", "组串式光伏逆变器")
    assert create_release(store, name, actor=WANG).name == name


def test_later_decisions_do_not_change_a_release(store):
    inverter = accepted(store, "85044014", "组串式光伏逆变器")
    first = create_release(store, "2026-11", actor=WANG)
    before = load_release_entries(store, first)
    decide(
        store,
        inverter.id,
        action="edit",
        version=2,
        rationale="改名",
        actor=WANG,
        changes={"product_name": "光伏逆变器"},
    )
    accepted(store, "854143", "光伏组件", coverage="full")
    second = create_release(store, "2026-12", actor=WANG)
    assert load_release_entries(store, first) == before
    assert [e.product_name for e in before] == ["组串式光伏逆变器"]
    assert [e.product_name for e in load_release_entries(store, second)] == ["光伏逆变器", "光伏组件"]
    assert get_release(store, 1) == first and first.sha256 != second.sha256


# Finding


@pytest.fixture
def two_releases(store):  # type: ignore[no-untyped-def]
    accepted(store, "85044014", "组串式光伏逆变器")
    first = create_release(store, "2026-11", actor=WANG)
    second = create_release(store, "2026-12", actor=WANG)
    return first, second


@pytest.mark.parametrize(("ref", "number"), [("2026-11", 1), ("2026-12", 2), (1, 1), ("2", 2), ("latest", 2)])
def test_get_release_by_name_number_or_latest(store, two_releases, ref, number):
    assert get_release(store, ref) == two_releases[number - 1]


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("2027-01", r"no release '2027-01'"),
        (9, r"no release 9"),
        ("²", r"no release '²'"),
        ("9" * 20, r"no release '9{20}'"),
    ],
)
def test_unknown_release_is_not_found(store, two_releases, ref, message):
    with pytest.raises(NotFoundError, match=message):
        get_release(store, ref)


def test_latest_release_before_any_is_not_found(store):
    with pytest.raises(NotFoundError, match="no release has been created yet"):
        get_release(store, "latest")


def test_list_releases_newest_first(store, two_releases):
    assert list_releases(store) == [two_releases[1], two_releases[0]]


# Diff


def test_diff_lists_added_removed_and_changed_entries(store):
    inverter = accepted(store, "85044014", "组串式光伏逆变器", keywords="光伏逆变器")
    module = accepted(store, "854143", "光伏组件", coverage="full")
    bag = rejected(store, "39232100", "全生物降解购物袋")
    create_release(store, "2026-11", actor=WANG)
    decide(store, inverter.id, action="edit", version=2, rationale="补充", actor=WANG, changes={"keywords": "逆变器"})
    decide(store, module.id, action="reject", version=2, rationale="改列他处", actor=WANG)
    decide(store, bag.id, action="accept", version=2, rationale="可降解", actor=WANG)
    car = accepted(store, "87038000", "纯电动乘用车", category="NEV", coverage="full")
    create_release(store, "2026-12", actor=WANG)

    diff = diff_releases(store, "2026-11", "latest")
    assert (diff.a.number, diff.b.number) == (1, 2)
    assert [e.entry_id for e in diff.added] == [bag.id, car.id]
    assert [e.entry_id for e in diff.removed] == [module.id]
    assert [(old.entry_id, new.entry_id, fields) for old, new, fields in diff.changed] == [
        (inverter.id, inverter.id, {"keywords": (("光伏逆变器",), ("逆变器",))})
    ]


def test_diff_of_a_release_with_itself_is_empty(store, two_releases):
    diff = diff_releases(store, 1, 1)
    assert (diff.added, diff.removed, diff.changed) == ([], [], [])


# Official export


@pytest.fixture
def official(store):  # type: ignore[no-untyped-def]
    accepted(store, "85044014", "组串式光伏逆变器", keywords="光伏逆变器;组串式逆变器")
    accepted(store, "39232100", EVIL, category="CON")
    rejected(store, "854143", "光伏组件")
    return create_release(store, "2026-12", actor=WANG, note="=1+1")


def test_xlsx_export_has_the_official_columns_and_an_about_sheet(store, official, tmp_path):
    path = export_release(store, official, tmp_path / "目录.xlsx")
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == OFFICIAL_COLUMNS
    assert [row[:2] for row in rows[1:]] == [["1", "39232100"], ["2", "85044014"]]  # rejected entries stay out
    assert rows[2][4] == "ex：仅限组串式光伏逆变器；关键词：光伏逆变器、组串式逆变器"
    about = dict(workbook["说明"].iter_rows(values_only=True))
    assert about["版本名 name"] == "2026-12" and about["条目数 entries"] == 2
    assert about["内容校验 sha256"] == official.sha256


def test_xlsx_export_writes_formulas_as_text(store, official, tmp_path):
    workbook = load_workbook(export_release(store, official, tmp_path / "目录.xlsx"))
    cell = workbook.worksheets[0]["C2"]
    assert cell.data_type == "s" and not cell.value.startswith("=")
    assert cell.value == "'" + EVIL
    note = next(row[1] for row in workbook["说明"].iter_rows() if row[0].value == "说明 note")
    assert note.data_type == "s" and not note.value.startswith("=")


def test_csv_export_is_utf8_with_bom_chinese_headers_and_defused(store, official, tmp_path):
    path = export_release(store, official, tmp_path / "目录.csv")
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == OFFICIAL_COLUMNS
    assert rows[1][2] == "'" + EVIL and rows[2][2] == "组串式光伏逆变器"


def test_export_refuses_an_unknown_format(store, official, tmp_path):
    with pytest.raises(InvalidRequestError, match=r"目录\.pdf: export format 'pdf' should be xlsx or csv"):
        export_release(store, official, tmp_path / "out" / "目录.pdf")
    assert not (tmp_path / "out").exists()


# Classification pinned to a release


@pytest.fixture(scope="module")
def own_classifier(small_model, catalogue, small_lexicon):  # type: ignore[no-untyped-def]
    """A classifier of this module's own: pinning a release changes it, so the session's is left alone."""
    from classifier.classify import Classifier
    from classifier.model import load_model

    model, card = load_model(small_model)
    return Classifier(catalogue, model, card, lexicon=small_lexicon)


@pytest.fixture
def pinned(store, own_classifier):  # type: ignore[no-untyped-def]
    accepted(store, "85044014", "并网逆变器", coverage="full")
    accepted(store, "8507600010", "户用储能电池柜", keywords="储能集装箱")
    rejected(store, "3923210000", "全生物降解购物袋 PBAT")
    create_release(store, "2026-12", actor=WANG)
    own_classifier.pin_release(ReleaseRules.load(store, "latest"))
    yield own_classifier
    own_classifier.pin_release(None)


@pytest.mark.parametrize(
    ("code", "name", "category"),
    [
        ("85044014", "逆变器 10kW", "CES"),  # full entry: any record of the code
        ("85044014", "", "CES"),
        ("8504401400", "逆变器 10kW", "CES"),  # a 10-digit code under the 8-digit entry
        ("8507600010", "储能集装箱 2MWh", "CES"),  # ex entry: by keyword
        ("8507600010", "户用储能电池柜 10kWh", "CES"),  # ex entry: by a similar name
        ("3923210000", "全生物降解购物袋PBAT", "NONE"),  # curators rejected it
    ],
)
def test_pinned_release_decides_matching_records(pinned, code, name, category):
    result = pinned.classify_one(hs_code=code, name=name)
    assert (result["category"], result["basis"], result["confidence"]) == (category, "curated", "0.950")
    assert "目录版本 2026-12（第1版）" in result["evidence"]
    assert result["needs_review"] == "false"


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("8507600010", "电动自行车锂电池"),  # ex entry, name matches neither keyword nor name
        ("3923210000", "塑料垃圾袋"),  # rejected entry, another product
        ("8504409990", "逆变器 10kW"),  # another national code of the HS6
        ("9999999999", "户用储能电池柜"),  # no valid code
        ("", "户用储能电池柜"),  # no code at all
    ],
)
def test_pinned_release_leaves_other_records_to_the_model(pinned, classifier, code, name):
    result = pinned.classify_one(hs_code=code, name=name)
    assert result["basis"] != "curated"
    assert result == classifier.classify_one(hs_code=code, name=name)


def test_rejected_entry_keeps_a_green_code_out(pinned, classifier):
    unpinned = classifier.classify_one(hs_code="3923210000", name="全生物降解购物袋 PBAT")
    assert unpinned["category"] == "CON"
    assert "不收录（审核否决）" in pinned.classify_one(hs_code="3923210000", name="全生物降解购物袋 PBAT")["evidence"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_classified_file_records_the_release_and_model(pinned, tmp_path, fmt):
    source = tmp_path / "in.csv"
    source.write_text("商品编码,商品名称\n85044014,逆变器 10kW\n8541430000,光伏组件\n", encoding="utf-8")
    target = tmp_path / f"out.{fmt}"
    pinned.classify_file(source, target)
    run = json.loads((tmp_path / f"out.{fmt}.run.json").read_text(encoding="utf-8"))
    assert (run["release"], run["release_number"], run["input"], run["rows"]) == ("2026-12", "1", "in.csv", "2")
    assert run["model_sha256"] == pinned.card["sha256"] and len(run["model_sha256"]) == 64
    if fmt == "xlsx":
        about = dict(load_workbook(target)["运行信息"].iter_rows(values_only=True))
        assert (about["release"], about["model_sha256"]) == ("2026-12", run["model_sha256"])
    if fmt == "parquet":
        import pyarrow.parquet as pq

        about = json.loads(pq.read_schema(target).metadata[b"greentrade"])
        assert (about["release"], about["release_number"]) == ("2026-12", "1")
        assert list(pd.read_parquet(target)["basis"]) == ["curated", "hs_full"]
