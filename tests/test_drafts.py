"""Draft candidates from classified trade files: clustering, codes, trade evidence, ranking, rebuilds."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from classifier.classify import OUTPUT_COLUMNS
from classifier.curation import Actor, decide, get_entry, list_audit, list_entries
from classifier.drafts import build_draft, priority
from classifier.errors import GreentradeError, InputFileError
from classifier.releases import create_release

INPUT_COLUMNS = ["记录号", "年月", "进出口", "商品编码", "商品名称", "美元"]
CURATOR = Actor("王审核")
DRAFTER = Actor("draft bot")
EVIDENCE = {"CES": "850440 ex 清洁能源：光伏逆变器", "ELEC": "850440 ex 功率半导体模块", "NEV": "870380 全部"}


def record(name, code="8504401400", category="CES", *, hs6=None, usd="1000", flow="出口", month="2026-10",
           confidence="0.900", review="false", status="ok"):  # fmt: skip
    """One classified row, as ``greentrade classify`` writes it."""
    return {
        "年月": month,
        "进出口": flow,
        "商品编码": code,
        "商品名称": name,
        "美元": usd,
        "hs6": hs6 if hs6 is not None else code[:6],
        "hs_valid": "true",
        "category": category,
        "category_zh": "",
        "confidence": confidence,
        "basis": "hs_ex_text",
        "flags": "",
        "ref_lists": "",
        "evidence": EVIDENCE.get(category, ""),
        "hs_suggestions": "",
        "needs_review": review,
        "status": status,
        "reject_reason": "" if status == "ok" else "hs_code and name are both empty",
    }


def write_classified(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, [*INPUT_COLUMNS, *OUTPUT_COLUMNS])
        writer.writeheader()
        for number, row in enumerate(rows, start=1):
            writer.writerow({"记录号": f"R{number:04d}", **row})
    return path


def draft(store, catalogue, tmp_path, rows, name="classified.csv"):  # type: ignore[no-untyped-def]
    return build_draft(store, catalogue, [write_classified(tmp_path / name, rows)], actor=DRAFTER)


def by_name(store) -> dict:  # type: ignore[no-untyped-def]
    return {e.product_name: e for e in list_entries(store, limit=500).items}


# Clustering and codes


def test_near_duplicate_names_of_one_code_are_one_candidate(store, catalogue, tmp_path):
    summary = draft(store, catalogue, tmp_path, [
        record("组串式光伏逆变器"), record("组串式光伏逆变器"), record("组串式光伏逆变器 50kW"), record("組串式 光伏逆變器"),
        record("储能变流器 PCS"),
    ])  # fmt: skip
    assert (summary.rows, summary.rows_used, summary.candidates, summary.created) == (5, 5, 2, 2)
    entries = by_name(store)
    assert sorted(entries) == ["储能变流器 PCS", "组串式光伏逆变器"]
    inverter = entries["组串式光伏逆变器"]
    assert inverter.records == 4
    assert set(inverter.example_names) == {"组串式光伏逆变器", "组串式光伏逆变器 50kW", "組串式 光伏逆變器"}
    assert inverter.example_names[0] == "组串式光伏逆变器"  # the heaviest name names the entry


def test_same_name_under_two_codes_stays_two_candidates(store, catalogue, tmp_path):
    draft(store, catalogue, tmp_path, [record("光伏逆变器"), record("光伏逆变器", code="8504409999")])
    assert sorted(e.code for e in list_entries(store).items) == ["8504401400", "8504409999"]


@pytest.mark.parametrize(
    ("declared", "hs6", "code"),
    [
        ("8504401400", "850440", "8504401400"),  # national code agrees with the subheading used
        ("85044014", "850440", "85044014"),
        ("8504.40.1400", "850440", "8504401400"),
        ("850440", "850440", "850440"),
        ("8504401400", "854143", "854143"),  # the classifier used another subheading
        ("", "854143", "854143"),  # name-only record
        ("85x44014", "850440", "850440"),  # unreadable declared code
    ],
)
def test_national_code_is_used_when_it_agrees_with_hs6(store, catalogue, tmp_path, declared, hs6, code):
    draft(store, catalogue, tmp_path, [record("光伏逆变器", code=declared, hs6=hs6)])
    (entry,) = list_entries(store).items
    assert (entry.code, entry.hs6) == (code, hs6)


def test_trade_evidence_by_direction_and_month(store, catalogue, tmp_path):
    draft(store, catalogue, tmp_path, [
        record("组串式光伏逆变器", usd="1,000.50", flow="出口", month="2026-09"),
        record("组串式光伏逆变器", usd="2000", flow="E", month="202610"),
        record("组串式光伏逆变器", usd="500", flow="进口", month="2026/10/08"),
        record("组串式光伏逆变器", usd="", flow="转口", month=""),
    ])  # fmt: skip
    (entry,) = list_entries(store).items
    assert (entry.value_usd, entry.value_export_usd, entry.value_import_usd) == (3500.5, 3000.5, 500.0)
    assert (entry.records, entry.records_export, entry.records_import) == (4, 2, 1)
    assert entry.months == ("2026-09", "2026-10")
    assert entry.example_names == ("组串式光伏逆变器",)


def test_proposal_takes_category_coverage_and_keywords_from_the_catalogue(store, catalogue, tmp_path):
    draft(
        store,
        catalogue,
        tmp_path,
        [record("组串式光伏逆变器"), record("纯电动乘用车", code="8703800010", category="NEV")],
    )
    entries = by_name(store)
    inverter, car = entries["组串式光伏逆变器"], entries["纯电动乘用车"]
    assert (inverter.category, inverter.coverage, inverter.proposed_category, inverter.proposed_coverage) == (
        "CES", "ex", "CES", "ex",
    )  # fmt: skip
    assert inverter.ex_description == "光伏逆变器、储能变流器（PCS）" and "光伏逆变器" in inverter.keywords
    assert (car.category, car.coverage, car.ex_description) == ("NEV", "full", "")
    assert inverter.evidence == EVIDENCE["CES"] and inverter.status == "candidate" and inverter.version == 1


def test_clusters_without_a_green_row_are_not_candidates(store, catalogue, tmp_path):
    summary = draft(store, catalogue, tmp_path, [
        record("手机充电器", category="NONE"), record("手机充电器", category="NONE"),
        record("热轧钢板", code="7208510000", category="NONE"),
    ])  # fmt: skip
    assert (summary.rows_used, summary.candidates) == (3, 0)
    assert list_entries(store).total == 0


def test_a_cluster_with_some_green_rows_is_proposed_with_a_lower_confidence(store, catalogue, tmp_path):
    draft(store, catalogue, tmp_path, [
        record("光伏逆变器", usd="3000", confidence="0.800"), record("光伏逆变器", usd="999", category="NONE"),
    ])  # fmt: skip
    (entry,) = list_entries(store).items
    assert entry.category == "CES"
    assert entry.confidence == pytest.approx(0.8 * 3001 / 4001, abs=1e-3)  # weighted by value + 1 per record
    assert entry.records == 2


def test_rejected_rows_and_rows_without_a_name_are_ignored(store, catalogue, tmp_path):
    summary = draft(store, catalogue, tmp_path, [
        record("光伏逆变器"), record("光伏逆变器", usd="99999", status="rejected"), record("储能变流器", status="rejected"),
        record("", usd="5000"), record("光伏组件", code="", hs6=""),
    ])  # fmt: skip
    assert (summary.rows, summary.rows_used) == (5, 1)
    (entry,) = list_entries(store).items
    assert (entry.product_name, entry.value_usd, entry.records) == ("光伏逆变器", 1000.0, 1)


# Ranking


@pytest.mark.parametrize(
    ("higher", "lower"),
    [
        ((1_000_000, 10, 0.40), (1_000, 10, 0.99)),  # large and uncertain over small and certain
        ((1_000_000, 10, 0.40), (1_000_000, 10, 0.95)),  # same trade, the doubtful first
        ((0, 50, 0.9), (0, 5, 0.9)),  # lines without a value still count
    ],
)
def test_priority_weighs_trade_by_uncertainty(higher, lower):
    assert priority(*higher) > priority(*lower)


def test_large_uncertain_candidate_ranks_above_small_certain_one(store, catalogue, tmp_path):
    draft(store, catalogue, tmp_path, [
        record("光伏组件", code="8541430000", usd="500", confidence="0.990"),
        record("组串式光伏逆变器", usd="900000", confidence="0.450", review="true"),
    ])  # fmt: skip
    page = list_entries(store)
    assert [e.product_name for e in page.items] == ["组串式光伏逆变器", "光伏组件"]
    top = page.items[0]
    assert top.priority == priority(900000, 1, 0.45)
    assert top.review_share == 1.0


# Rebuilds


def test_rebuilding_from_the_same_file_only_refreshes(store, catalogue, tmp_path):
    rows = [record("组串式光伏逆变器"), record("储能变流器"), record("光伏组件", code="8541430000")]
    first = draft(store, catalogue, tmp_path, rows)
    ids = {e.product_name: (e.id, e.version) for e in list_entries(store).items}
    second = draft(store, catalogue, tmp_path, rows)
    assert (first.created, first.refreshed) == (3, 0)
    assert (second.created, second.refreshed, second.redrafted, second.candidates) == (0, 3, 0, 3)
    assert {e.product_name: (e.id, e.version) for e in list_entries(store).items} == ids
    assert second.by_change == {"new": 3, "changed": 0, "in_release": 0}


def test_rebuild_adds_new_trade_to_the_entry_of_a_similar_name(store, catalogue, tmp_path):
    draft(store, catalogue, tmp_path, [record("组串式光伏逆变器")], name="october.csv")
    (before,) = list_entries(store).items
    summary = draft(
        store, catalogue, tmp_path, [record("组串式光伏逆变器 100kW", usd="3000", month="2026-11")], name="november.csv"
    )
    (after,) = list_entries(store).items
    assert (summary.created, summary.refreshed) == (0, 1)
    assert (after.id, after.product_name, after.version) == (before.id, "组串式光伏逆变器", 1)
    assert (after.value_usd, after.months) == (3000.0, ("2026-11",))  # the evidence is the latest build's


def test_rebuild_with_a_new_proposal_redrafts_an_undecided_candidate(store, catalogue, tmp_path):
    draft(store, catalogue, tmp_path, [record("光伏逆变器模块")])
    (entry,) = list_entries(store).items
    summary = draft(store, catalogue, tmp_path, [record("光伏逆变器模块", category="ELEC")])
    after = get_entry(store, entry.id)
    assert summary.redrafted == 1
    assert (after.category, after.proposed_category, after.version, after.updated_by) == ("ELEC", "ELEC", 2, "draft bot")  # fmt: skip
    (event_,) = list_audit(store, action="entry.redraft").items
    assert event_.entity_id == str(entry.id)
    assert event_.details["changes"]["category"] == ["CES", "ELEC"]


def test_rebuild_leaves_an_accepted_entry_as_curated_and_shows_it_changed(store, catalogue, tmp_path):
    draft(store, catalogue, tmp_path, [record("光伏逆变器模块")])
    (entry,) = list_entries(store).items
    accepted = decide(store, entry.id, action="accept", version=1, rationale="光伏逆变器", actor=CURATOR,
                      changes={"keywords": "光伏逆变器", "remarks": "核定"})  # fmt: skip
    create_release(store, "2026-10", actor=CURATOR)
    assert get_entry(store, entry.id).change == "in_release"

    summary = draft(store, catalogue, tmp_path, [record("光伏逆变器模块", category="ELEC", usd="5000")])
    after = get_entry(store, entry.id)
    assert summary.redrafted == 0 and summary.by_change["changed"] == 1
    assert after.curated() == accepted.curated() and after.version == accepted.version
    assert (after.proposed_category, after.value_usd, after.change) == ("ELEC", 5000.0, "changed")
    assert list_audit(store, action="entry.redraft").total == 0


def test_rebuild_of_the_same_data_keeps_a_curators_edit_of_a_candidate(store, catalogue, tmp_path):
    rows = [record("光伏逆变器模块")]
    draft(store, catalogue, tmp_path, rows)
    (entry,) = list_entries(store).items
    edited = decide(store, entry.id, action="edit", version=1, rationale="实为储能变流器", actor=CURATOR,
                    changes={"category": "EEP", "keywords": "变流器"})  # fmt: skip
    summary = draft(store, catalogue, tmp_path, rows)
    after = get_entry(store, entry.id)
    assert summary.redrafted == 0
    assert (after.category, after.keywords, after.version) == ("EEP", ("变流器",), edited.version)


def test_each_build_writes_one_audit_event(store, catalogue, tmp_path):
    rows = [record("组串式光伏逆变器"), record("储能变流器")]
    draft(store, catalogue, tmp_path, rows)
    draft(store, catalogue, tmp_path, rows)
    events = list_audit(store, action="draft.build").items
    assert [(e.actor, e.entity) for e in events] == [("draft bot", "draft")] * 2
    assert {k: events[0].details[k] for k in ("rows", "candidates", "created", "refreshed")} == {
        "rows": 2, "candidates": 2, "created": 0, "refreshed": 2,
    }  # fmt: skip
    assert events[0].details["files"] == [str(tmp_path / "classified.csv")]


# Refused input


@pytest.mark.parametrize(
    ("columns", "missing"),
    [
        (INPUT_COLUMNS, ["category", "confidence", "status", "hs6", "needs_review", "evidence"]),
        ([*INPUT_COLUMNS, *OUTPUT_COLUMNS[:9]], ["status", "needs_review"]),
    ],
)
def test_an_unclassified_file_is_refused_naming_it_and_the_missing_columns(
    store, catalogue, tmp_path, columns, missing
):
    path = tmp_path / "raw.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([columns, ["x"] * len(columns)])
    message = f"{path}: not a classified file, columns {missing} are missing; run `greentrade classify` on it first"
    with pytest.raises(InputFileError, match=re.escape(message)):
        build_draft(store, catalogue, [path], actor=DRAFTER)
    assert list_audit(store).total == 0


@pytest.mark.parametrize("similarity", [49, 101])
def test_similarity_out_of_range_is_refused(store, catalogue, similarity):
    with pytest.raises(GreentradeError, match=rf"similarity should be 50 to 100 \(rapidfuzz ratio\), got {similarity}"):
        build_draft(store, catalogue, [], actor=DRAFTER, similarity=similarity)


# End to end


@pytest.fixture(scope="module")
def classified_example(classifier, tmp_path_factory) -> Path:
    """The first 300 rows of the example customs file (GBK), classified by the session's small model."""
    folder = tmp_path_factory.mktemp("example")
    lines = (Path(__file__).parents[1] / "examples" / "customs_2026-10.csv").read_bytes().splitlines(keepends=True)
    source = folder / "customs.csv"
    source.write_bytes(b"".join(lines[:301]))
    target = folder / "classified.csv"
    classifier.classify_file(source, target)
    return target


def test_draft_from_a_real_classified_file(store, catalogue, classified_example):
    summary = build_draft(store, catalogue, [classified_example], actor=DRAFTER)
    assert summary.rows == 300 and 0 < summary.candidates == summary.created
    entries = list_entries(store, limit=500).items
    assert len(entries) == summary.candidates
    for entry in entries:
        assert entry.category in ("NEV", "ELEC", "MAT", "EEP", "CES", "CON", "REC"), entry
        assert 0 <= entry.confidence <= 1, entry
        assert entry.months == ("2026-10",), entry
        assert entry.records == entry.records_export + entry.records_import > 0, entry
    assert [e.priority for e in entries] == sorted((e.priority for e in entries), reverse=True)
