"""Reading real customs files: column aliases, encodings, formats, chunks and broken rows."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifier.errors import InputFileError
from classifier.records import (
    ALIASES,
    ERROR_COLUMN,
    ROW_COLUMN,
    RecordWriter,
    match_columns,
    parse_amount,
    parse_direction,
    parse_month,
    read_record_chunks,
)
from tests.conftest import DATA


@pytest.mark.parametrize(
    ("column", "role"),
    [("商品编码", "hs_code"), ("ＨＳ编码", "hs_code"), ("HS Code", "hs_code"), ("hs_code", "hs_code"), ("商品名称", "name"),
     ("Product", "name"), ("金额（美元）", "value_usd"), ("贸易国（地区）", "partner"), (" 规格型号 ", "spec"), ("进出口标志", "direction")],
)  # fmt: skip
def test_aliases_ignore_width_case_and_spaces(column, role):
    assert match_columns([column, "商品名称" if role != "name" else "商品编码"]).get(role) == column


def test_unknown_columns_are_listed_when_nothing_matches():
    with pytest.raises(InputFileError, match=r"no HS code column .* columns found: \['编号', '数值'\]"):
        match_columns(["编号", "数值"], source="x.csv")


@given(st.sampled_from(sorted({a for aliases in ALIASES.values() for a in aliases})), st.sampled_from(["", " ", "　"]))
def test_every_alias_matches_with_any_padding_or_case(alias, pad):
    role = next(r for r, aliases in ALIASES.items() if alias in aliases)
    columns = [pad + alias.upper() + pad]
    if role not in ("hs_code", "name"):
        columns.append("商品名称")
    assert match_columns(columns).get(role) == columns[0]


def test_gb18030_csv_with_chinese_headers_streams_in_order():
    chunks = list(read_record_chunks(DATA / "records_gb18030.csv", chunk_rows=3))
    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    frame = pd.concat(chunks)
    assert list(frame[ROW_COLUMN]) == list(range(1, 11))
    assert frame["商品名称"].iloc[0] == "单晶硅光伏组件"
    assert frame["商品编码"].iloc[0] == "8541430000"


def test_broken_rows_are_kept_and_marked():
    frame = pd.concat(read_record_chunks(DATA / "broken_rows.csv"))
    assert len(frame) == 4
    errors = list(frame[ERROR_COLUMN])
    assert errors[0] == "" and errors[3] == ""
    assert errors[1] == "line 3: 4 fields where the header has 3"
    assert errors[2] == "line 4: 1 fields where the header has 3"


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_xlsx_and_parquet_read_like_csv(tmp_path, suffix):
    source = pd.DataFrame(
        {"商品编码": ["08045020", "8541430000"], "商品名称": ["芒果", "光伏组件"], "美元": [1.5, 2.0]}
    )
    path = tmp_path / f"in{suffix}"
    if suffix == ".xlsx":
        source.to_excel(path, index=False)
    else:
        source.astype(str).to_parquet(path)
    frame = pd.concat(read_record_chunks(path, chunk_rows=1))
    assert list(frame["商品编码"]) == ["08045020", "8541430000"]
    assert list(frame[ROW_COLUMN]) == [1, 2]


def test_missing_sheet_is_named(tmp_path):
    path = tmp_path / "in.xlsx"
    pd.DataFrame({"商品名称": ["x"]}).to_excel(path, index=False, sheet_name="十月")
    with pytest.raises(InputFileError, match=r"no sheet '九月'; sheets are \['十月'\]"):
        list(read_record_chunks(path, sheet="九月"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_writer_is_atomic_and_formula_safe(tmp_path, fmt):
    target = tmp_path / f"out.{fmt}"
    writer = RecordWriter(target)
    writer.write(pd.DataFrame({"name": ['=HYPERLINK("http://x","y")', "光伏"], "n": ["1", "-2"]}))
    assert not target.exists()
    writer.close()
    back = pd.concat(read_record_chunks(target))
    expected = ['=HYPERLINK("http://x","y")'] if fmt == "parquet" else ['\'=HYPERLINK("http://x","y")']
    assert list(back["name"]) == [*expected, "光伏"]
    assert list(back["n"]) == ["1", "-2"]


def test_aborted_writer_leaves_nothing(tmp_path):
    writer = RecordWriter(tmp_path / "out.csv")
    writer.write(pd.DataFrame({"a": ["1"]}))
    writer.abort()
    assert list(tmp_path.iterdir()) == []


# Months, directions and amounts: whatever the cell holds, a clean value or an empty one, never an error

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
years, months = st.integers(1990, 2100), st.integers(1, 12)


@given(st.text())
def test_parse_month_gives_a_month_or_nothing_for_any_text(value):
    month = parse_month(value)
    assert month == "" or MONTH.match(month)


@given(st.from_regex(r"\s*\d{4}\s*[-/.年]?\s*\d{1,2}(\d{2})?([日月/ T].*)?", fullmatch=True))
def test_parse_month_on_date_like_text_gives_a_month_or_nothing(value):
    month = parse_month(value)
    assert month == "" or MONTH.match(month)


@pytest.mark.parametrize(
    "template", ["{y}-{m:02d}", "{y}{m:02d}", "{y}/{m}/8", "{y}年{m}月", "{y}.{m:02d}", " {y}-{m:02d}-28 10:00"]
)
@given(year=years, month=months)
def test_parse_month_reads_back_every_month_it_writes(template, year, month):
    assert parse_month(template.format(y=year, m=month)) == f"{year}-{month:02d}"


@given(st.one_of(st.text(), st.none(), st.integers(), st.floats(allow_nan=True)))
def test_parse_direction_gives_export_import_or_nothing(value):
    assert parse_direction(value) in ("export", "import", "")


@given(st.sampled_from(["出口", "进口", "E", "I", "export", "Import"]), st.sampled_from(["", " ", "　"]))
def test_parse_direction_ignores_padding_and_case(word, pad):
    assert parse_direction(pad + word.upper() + pad) == parse_direction(word) != ""


@given(st.text())
def test_parse_amount_never_raises_and_is_finite_for_any_text(value):
    amount = parse_amount(value)
    assert isinstance(amount, float) and math.isfinite(amount)


@given(st.sampled_from(["nan", "inf", "-Infinity", "1e999"]) | st.from_regex(r"[+-]?\d{300,400}", fullmatch=True))
def test_parse_amount_of_overflowing_or_non_numbers_is_zero_or_finite(value):
    assert math.isfinite(parse_amount(value))


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_parse_amount_reads_numbers_with_separators_and_currency(number):
    text = f"US$ {number:,.2f}"
    assert parse_amount(text) == pytest.approx(float(number))
