"""Reading tables in customs encodings and formats, writing them safely."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifier.errors import InputFileError
from classifier.records import read_records
from classifier.tables import defuse_formula, detect_encoding, sniff_format, write_table

ROWS = "商品编码,商品名称\n85414300,光伏组件\n07020000,番茄\n"


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_csv_encoding_is_detected_from_content(tmp_path, encoding, detected):
    path = tmp_path / "in.txt"
    path.write_bytes(ROWS.encode(encoding))
    assert detect_encoding(path) == detected
    frame = read_records(path)
    assert list(frame["商品编码"]) == ["85414300", "07020000"]
    assert frame["商品名称"][0] == "光伏组件"


def test_xlsx_named_csv_is_read_as_xlsx(tmp_path):
    path = tmp_path / "really_xlsx.csv"
    pd.DataFrame({"商品编码": ["01012100"], "商品名称": ["马"]}).to_excel(path, index=False, engine="openpyxl")
    assert sniff_format(path) == "xlsx"
    assert read_records(path)["商品编码"][0] == "01012100"


def test_parquet_round_trip(tmp_path):
    frame = pd.DataFrame({"hs_code": ["0702"], "name": ["番茄"]})
    write_table(frame, tmp_path / "t.parquet")
    assert read_records(tmp_path / "t.parquet").to_dict("list") == frame.to_dict("list")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(InputFileError, match=r"nope\.csv: file not found"):
        read_records(tmp_path / "nope.csv")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formulas_are_defused_on_export(tmp_path, fmt):
    frame = pd.DataFrame({"name": ['=HYPERLINK("http://evil","x")', "-5", "+cmd|' /C calc'!A0", "光伏"]})
    path = write_table(frame, tmp_path / f"out.{fmt}")
    back = read_records(path)["name"].tolist()
    assert back == ['\'=HYPERLINK("http://evil","x")', "-5", "'+cmd|' /C calc'!A0", "光伏"]


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    def boom(self, path, *args, **kwargs):
        Path(path).write_text("half a fi")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    target = tmp_path / "out.csv"
    with pytest.raises(OSError, match="disk full"):
        write_table(pd.DataFrame({"a": ["1"]}), target)
    assert list(tmp_path.iterdir()) == []


@given(st.text(max_size=30))
def test_defused_text_never_starts_a_formula(text):
    out = defuse_formula(text)
    if out.startswith(("=", "+", "-", "@", "\t", "\r")):
        assert re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", out), out
