"""The classification verbs of the CLI, end to end on the bundled example batch."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from classifier.records import read_record_chunks

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(("source", "suffix"), [("customs_2026-10.csv", ".xlsx"), ("customs_2026-10.xlsx", ".csv")])
def test_classify_the_bundled_batch(cli, small_model, tmp_path, source, suffix):
    target = tmp_path / f"out{suffix}"
    code, out = cli("classify", str(EXAMPLES / source), "-o", str(target), "--model", str(small_model), "--json")
    assert code == 0, out
    summary = json.loads(out)
    result = pd.concat(read_record_chunks(target))
    original = pd.concat(read_record_chunks(EXAMPLES / source))
    assert summary["rows"] == len(result) == len(original)
    assert list(result["记录号"]) == list(original["记录号"])
    assert set(result["status"]) == {"ok", "rejected"}
    assert summary["rejected"] == int((result["status"] == "rejected").sum())
    assert {"CES", "NEV", "REC"} <= set(summary["green_share"])
    assert (result.loc[result["status"] == "rejected", "reject_reason"] != "").all()


def test_classify_text(cli, small_model):
    _, out = cli(
        "classify", "--text", "组串式光伏逆变器 50kW", "--code", "8504401400", "--model", str(small_model), "--json"
    )
    result = json.loads(out)
    assert (result["category"], result["basis"]) == ("CES", "hs_ex_text")


def test_classify_text_prints_fields(cli, small_model):
    code, out = cli("classify", "--text", "光伏组件 550W", "--model", str(small_model))
    assert code == 0 and "category" in out and "CES" in out


def test_suggest_hs(cli, small_model):
    _, out = cli("suggest-hs", "锂离子蓄电池 48V 100Ah", "--model", str(small_model), "--json")
    assert json.loads(out)[0]["hs6"] == "850760"


def test_evaluate_prints_the_figures(cli, small_model):
    _, out = cli("evaluate", "--model", str(small_model), "--json")
    figures = json.loads(out)
    assert 0 <= figures["hs_suggestions"]["hs6_top1"] <= figures["hs_suggestions"]["hs6_top3"] <= 1
    assert 0 <= figures["calibration_ece"] <= 1


def test_classify_needs_input_and_output(cli):
    code, out = cli("classify", "somefile.csv")
    assert code != 0 and "give INPUT and -o OUTPUT" in out
