"""Classification end to end on real-shaped files: every row out, in order, classified or rejected."""

from __future__ import annotations

import pandas as pd
import pytest

from classifier.classify import OUTPUT_COLUMNS
from classifier.records import match_columns, read_record_chunks
from tests.conftest import DATA


@pytest.fixture(scope="module")
def classified(classifier, tmp_path_factory):
    target = tmp_path_factory.mktemp("out") / "classified.csv"
    summary = classifier.classify_file(DATA / "records_gb18030.csv", target, chunk_rows=4)
    return summary, pd.concat(read_record_chunks(target))


def test_every_row_comes_out_in_order_with_its_columns(classified):
    summary, out = classified
    assert summary.rows == len(out) == 10
    assert list(out["报关单号+项号"]) == [f"A{i:03d}" for i in range(1, 11)]
    assert set(OUTPUT_COLUMNS) <= set(out.columns)
    assert summary.rejected == 1 and summary.distinct <= 9


def _row(out, record_id):
    return out[out["报关单号+项号"] == record_id].iloc[0]


@pytest.mark.parametrize(
    ("record_id", "category", "basis", "flags"),
    [
        ("A001", "CES", "hs_full", ""),
        ("A002", "CES", "hs_ex_text", ""),
        ("A003", "NONE", "hs_ex_no_text", ""),
        ("A004", "NONE", "hs_none", "CBAM;HEHE"),
        ("A009", "NONE", "hs_none", "ODS"),
        ("A010", "CON", "hs_ex_text", ""),
    ],
)
def test_decisions_on_declared_codes(classified, record_id, category, basis, flags):
    row = _row(classified[1], record_id)
    assert (row["category"], row["basis"], row["status"]) == (category, basis, "ok")
    assert set(filter(None, row["flags"].split(";"))) == set(filter(None, flags.split(";")))
    assert row["category_zh"] and row["evidence"]


def test_name_only_record_gets_a_category_from_text(classified):
    row = _row(classified[1], "A005")
    assert (row["category"], row["basis"], row["hs_valid"]) == ("NEV", "text", "false")
    assert row["hs_suggestions"].split(";")[0].startswith("8703")


def test_invalid_code_is_reviewed_and_empty_row_rejected_with_reason(classified):
    out = classified[1]
    invalid = _row(out, "A006")
    assert (invalid["hs_valid"], invalid["needs_review"], invalid["status"]) == ("false", "true", "ok")
    empty = _row(out, "A007")
    assert (empty["status"], empty["reject_reason"]) == ("rejected", "hs_code and name are both empty")


def test_duplicates_get_identical_results(classified):
    out = classified[1]
    assert _row(out, "A001")[OUTPUT_COLUMNS].equals(_row(out, "A008")[OUTPUT_COLUMNS])


def test_confidence_is_a_probability(classified):
    values = classified[1]["confidence"].astype(float)
    assert values.between(0, 1).all()


def test_broken_rows_are_rejected_not_lost(classifier, tmp_path):
    summary = classifier.classify_file(DATA / "broken_rows.csv", tmp_path / "out.parquet")
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert summary.rows == len(out) == 4
    assert list(out["status"]) == ["ok", "rejected", "rejected", "ok"]
    assert out["reject_reason"].iloc[1] == "row 2: malformed line (line 3: 4 fields where the header has 3)"


def test_xlsx_in_xlsx_out(classifier, tmp_path):
    source = tmp_path / "in.xlsx"
    pd.DataFrame({"HS编码": ["8541430000", "0804502000"], "品名": ["光伏组件", "芒果干"]}).to_excel(source, index=False)
    summary = classifier.classify_file(source, tmp_path / "out.xlsx")
    out = pd.read_excel(tmp_path / "out.xlsx", dtype=str)
    assert summary.rows == 2 and next(iter(out["category"])) == "CES"


def test_output_column_clash_keeps_the_input(classifier):
    frame = pd.DataFrame({"商品名称": ["光伏组件"], "category": ["analyst note"]})
    out = classifier.classify_frame(frame, match_columns(list(frame.columns)))
    assert out["input_category"].iloc[0] == "analyst note" and out["category"].iloc[0] == "CES"


def test_one_record_and_suggestions(classifier):
    result = classifier.classify_one(name="纯电动乘用车 5座")
    assert result["category"] == "NEV" and result["status"] == "ok"
    assert classifier.suggest_hs("锂离子蓄电池 48V 100Ah")[0][0] == "850760"
    assert classifier.suggest_hs("---") == []
