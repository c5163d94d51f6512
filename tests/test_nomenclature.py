"""Importing the customs national code table: names land under their subheadings, skips are explained."""

from __future__ import annotations

import pandas as pd
import pytest

from classifier.catalogue import load_catalogue, read_national_codes
from classifier.nomenclature import import_nomenclature
from tests.conftest import DATA, shared_reference


def test_import_reports_every_skip_with_its_reason(catalogue, tmp_path):
    target = tmp_path / "national.csv"
    report = import_nomenclature(DATA / "national_codes_gbk.csv", catalogue, target)
    assert report.rows_read == 7
    assert report.imported == 3
    reasons = {line: reason for line, _, reason in report.skipped}
    assert reasons[4].startswith("not HS 2022: subheading 854140")
    assert reasons[5] == "duplicate: same code as row 1"
    assert reasons[6].startswith("not a national code: 6 digits")
    assert reasons[7].startswith("invalid code:")
    national = read_national_codes(target)
    assert national["85414300"].name_zh == "晶体硅光伏组件"


def test_imported_codes_join_the_catalogue_in_use(catalogue, tmp_path):
    target = tmp_path / "national.csv"
    import_nomenclature(DATA / "national_codes_gbk.csv", catalogue, target)
    cat = load_catalogue(national_codes=target)
    entry = cat.lookup("85414300")
    assert [n.code for n in entry.path] == ["85", "8541", "854143", "85414300"]
    assert entry.node.name_zh == "晶体硅光伏组件"
    assert entry.categories == ("CES",)
    assert not entry.notes


def test_english_edition_completes_the_chinese_one(catalogue, tmp_path):
    target = tmp_path / "national.csv"
    import_nomenclature(DATA / "national_codes_gbk.csv", catalogue, target)
    english = tmp_path / "en.xlsx"
    pd.DataFrame({"CODES": ["85414300"], "DESCRIPTION": ["Crystalline silicon PV modules"]}).to_excel(
        english, index=False
    )
    import_nomenclature(english, catalogue, target)
    node = read_national_codes(target)["85414300"]
    assert (node.name_zh, node.name_en) == ("晶体硅光伏组件", "Crystalline silicon PV modules")


def test_malformed_csv_row_is_skipped_not_fatal(catalogue, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text(
        '商品编码,商品名称\n85414300,光伏组件\n85076000,"锂电池",多余字段\n87038000,纯电动乘用车\n', encoding="utf-8"
    )
    report = import_nomenclature(path, catalogue, tmp_path / "national.csv")
    assert report.imported == 2
    assert report.skipped == [(2, "85076000", "malformed row: line 3: 3 fields where the header has 2")]


def test_table_without_a_code_column_is_refused(catalogue, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("编号,名称\n1,x\n", encoding="utf-8")
    from classifier.errors import InputFileError

    with pytest.raises(
        InputFileError, match=r"bad\.csv: no commodity code \(商品编码\) column; .*found \['编号', '名称'\]"
    ):
        import_nomenclature(path, catalogue, tmp_path / "national.csv")


def test_official_table_imports_under_hs2022(catalogue, tmp_path):
    table = shared_reference() / "nomenclature" / "gacc_hs8_2023_zh.csv"
    report = import_nomenclature(table, catalogue, tmp_path / "national.csv")
    assert report.imported > 8500
    # Every skip is explained, and none is a parsing failure of a well-formed table.
    assert all(reason for _, _, reason in report.skipped)
    assert not [r for _, _, r in report.skipped if r.startswith("invalid code")]
    assert {r.split(":")[0] for _, _, r in report.skipped} <= {"not HS 2022", "duplicate", "malformed row"}
