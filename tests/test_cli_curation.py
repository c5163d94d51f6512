"""The curation workflow at the command line: draft, entries, decisions, releases, audit, backups.

Every command's help text is checked by ``test_every_command_has_help`` in ``test_cli.py``.
"""

from __future__ import annotations

import json
import sys

import pytest
from openpyxl import load_workbook

from api import cli as cli_module
from classifier.errors import ConflictError, InputFileError, InvalidRequestError
from classifier.releases import OFFICIAL_COLUMNS

COLUMNS = (
    "记录号,年月,进出口,商品编码,商品名称,美元,hs6,hs_valid,category,category_zh,confidence,basis,flags,ref_lists,"
    "evidence,hs_suggestions,needs_review,status,reject_reason"
)
ROWS = [
    "R1,202610,出口,8504401400,组串式光伏逆变器,120000,850440,True,CES,清洁能源及储能,0.62,hs_ex_text,,CLEG,"
    "850440 ex: 光伏逆变器,850440:0.91,True,ok,",
    "R2,202611,出口,8504401400,组串式光伏逆变器 50kW,80000,850440,True,CES,清洁能源及储能,0.70,hs_ex_text,,CLEG,"
    "850440 ex: 光伏逆变器,850440:0.93,False,ok,",
    "R3,202610,出口,870380,纯电动乘用车,900000,870380,True,NEV,智能网联新能源汽车及关键零部件,0.97,hs_full,,NEW3,"
    "870380 full,870380:0.99,False,ok,",
    "R4,202610,进口,7208100000,热轧钢卷,50000,720810,True,NONE,非绿色低碳,0.90,hs_full,HEHE;CBAM,CBAM,,720810:0.8,"
    "False,ok,",
    "R5,202610,出口,85AB,光伏组件,10,,False,,,,,,,,,True,rejected,商品编码 '85AB' is not a code",
]


@pytest.fixture
def classified(tmp_path):
    path = tmp_path / "customs_2026-10.classified.csv"
    path.write_text("\n".join([COLUMNS, *ROWS]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def drafted(cli, classified):
    """The draft built; returns the candidates' ids by code."""
    code, out = cli("draft", "build", str(classified), "--by", "起草人")
    assert code == 0, out
    _, out = cli("entries", "list", "--status", "candidate", "--json")
    return {e["code"]: e["id"] for e in json.loads(out)["items"]}


def _accept(cli, entry_id, version=1, rationale="属于绿色产品"):
    code, out = cli(
        "entries", "decide", str(entry_id), "--action", "accept", "--version", str(version),
        "--rationale", rationale, "--by", "王审核",
    )  # fmt: skip
    assert code == 0, out
    return out


def test_draft_build_summarises_and_ranks(cli, classified):
    code, out = cli("draft", "build", str(classified))
    assert code == 0, out
    assert "rows read 读取行数:        5 (4 classified with a product name)" in out
    assert "candidates 候选条目:       2 (new 2, refreshed 0, re-proposed 0)" in out
    assert "top 2 candidates to review" in out and "纯电动乘用车" in out


def test_draft_build_json_and_rebuild_refreshes(cli, classified):
    cli("draft", "build", str(classified))
    code, out = cli("draft", "build", str(classified), "--json", "--top", "1")
    summary = json.loads(out[out.index("{") :])
    assert code == 0 and (summary["candidates"], summary["created"], summary["refreshed"]) == (2, 0, 2)
    assert len(summary["top"]) == 1


def test_draft_build_refuses_an_unclassified_file(cli, tmp_path):
    raw = tmp_path / "raw.csv"
    raw.write_text("商品编码,商品名称\n850440,光伏逆变器\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="not a classified file"):
        cli("draft", "build", str(raw))


def test_entries_list_json(cli, drafted):
    code, out = cli("entries", "list", "--status", "candidate", "--json")
    data = json.loads(out)
    assert code == 0 and data["total"] == 2
    inverter = next(e for e in data["items"] if e["code"] == "8504401400")
    assert inverter["product_name"] == "组串式光伏逆变器"  # the two spellings are one product
    assert (inverter["category"], inverter["coverage"], inverter["version"], inverter["status"]) == (
        "CES",
        "ex",
        1,
        "candidate",
    )
    assert inverter["records"] == 2 and inverter["value_usd"] == 200_000
    assert inverter["months"] == ["2026-10", "2026-11"] and inverter["updated_by"] == "起草人"


def test_entries_list_text_and_filters(cli, drafted):
    code, out = cli("entries", "list", "--category", "NEV")
    assert code == 0 and out.startswith("1 entries; showing 1-1") and "纯电动乘用车" in out
    _, out = cli("entries", "list", "--code", "8504", "--json")
    assert [e["code"] for e in json.loads(out)["items"]] == ["8504401400"]


def test_entries_list_rejects_a_bad_filter(cli, drafted):
    with pytest.raises(InvalidRequestError, match="status should be one of"):
        cli("entries", "list", "--status", "done")


def test_entries_show(cli, drafted):
    code, out = cli("entries", "show", str(drafted["8504401400"]))
    assert code == 0
    assert "组串式光伏逆变器" in out and "v1" in out
    assert "months 月份: 2026-10, 2026-11" in out and "proposed 建议: CES ex" in out


def test_entries_decide_then_show_history(cli, drafted):
    entry_id = drafted["870380"]
    out = _accept(cli, entry_id, rationale="纯电动汽车属新能源汽车")
    assert "v2" in out and "accepted" in out
    _, out = cli("entries", "show", str(entry_id), "--json")
    shown = json.loads(out)
    assert (shown["status"], shown["version"], shown["updated_by"]) == ("accepted", 2, "王审核")
    assert [(d["action"], d["actor"], d["rationale"]) for d in shown["decisions"]] == [
        ("accept", "王审核", "纯电动汽车属新能源汽车")
    ]
    _, out = cli("entries", "show", str(entry_id))
    assert "王审核: accept v1->v2: 纯电动汽车属新能源汽车" in out


def test_entries_decide_edit_with_keywords(cli, drafted):
    entry_id = drafted["8504401400"]
    code, out = cli(
        "entries", "decide", str(entry_id), "--action", "edit", "--version", "1", "--rationale", "补关键词",
        "--keywords", "光伏逆变器; 组串式", "--remarks", "并网型",
    )  # fmt: skip
    assert code == 0, out
    _, out = cli("entries", "show", str(entry_id), "--json")
    shown = json.loads(out)
    assert shown["keywords"] == ["光伏逆变器", "组串式"] and shown["remarks"] == "并网型"
    assert shown["status"] == "candidate" and shown["version"] == 2


def test_stale_version_is_a_conflict(cli, drafted):
    entry_id = drafted["870380"]
    _accept(cli, entry_id)
    with pytest.raises(ConflictError, match="is at version 2, not 1: 王审核 changed it"):
        _accept(cli, entry_id)


def test_console_entry_point_turns_a_conflict_into_exit_2(cli, drafted, monkeypatch, capsys):
    entry_id = str(drafted["870380"])
    _accept(cli, entry_id)
    argv = ["greentrade", "entries", "decide", entry_id, "--action", "reject", "--version", "1", "--rationale", "x"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_:
        cli_module.main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error 错误: entry {entry_id} is at version 2, not 1: 王审核 changed it at ")
    assert "reload it and decide again" in err and "Traceback" not in err
    _, out = cli("entries", "show", entry_id, "--json")
    assert json.loads(out)["status"] == "accepted"


def test_decide_needs_a_rationale(cli, drafted):
    with pytest.raises(InvalidRequestError, match="needs a rationale"):
        cli("entries", "decide", str(drafted["870380"]), "--action", "accept", "--version", "1", "--rationale", " ")


def test_release_create_list_diff_export(cli, drafted, tmp_path):
    _accept(cli, drafted["8504401400"])
    code, out = cli("release", "create", "--name", "2026-12", "--note", "十二月", "--by", "王审核")
    assert code == 0 and out.startswith("release 1 2026-12: 1 decided entries, sha256 ")
    _accept(cli, drafted["870380"])
    cli("release", "create", "--name", "2027-01")

    code, out = cli("release", "list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert "2027-01" in lines[0] and "2026-12" in lines[1] and "王审核  十二月" in lines[1]
    _, out = cli("release", "list", "--json")
    assert [r["name"] for r in json.loads(out)] == ["2027-01", "2026-12"]

    code, out = cli("release", "diff", "2026-12", "2027-01")
    assert code == 0
    assert out.splitlines()[0] == "2026-12 -> 2027-01: 1 added, 0 removed, 0 changed"
    assert "+ 870380     NEV  纯电动乘用车" in out
    _, out = cli("release", "diff", "1", "latest", "--json")
    assert [e["code"] for e in json.loads(out)["added"]] == ["870380"]

    target = tmp_path / "x.xlsx"
    code, out = cli("release", "export", "2026-12", "-o", str(target))
    assert code == 0 and f"release 1 2026-12 written to {target}" in out
    rows = list(load_workbook(target)["目录"].iter_rows(values_only=True))
    assert list(rows[0]) == OFFICIAL_COLUMNS and rows[1][1:3] == ("8504401400", "组串式光伏逆变器")
    assert len(rows) == 2


def test_release_create_refuses_a_duplicate_name(cli, drafted):
    _accept(cli, drafted["870380"])
    cli("release", "create", "--name", "2026-12")
    with pytest.raises(InvalidRequestError, match="exists already"):
        cli("release", "create", "--name", "2026-12")


def test_audit_json(cli, drafted):
    _accept(cli, drafted["870380"], rationale="纯电动汽车属新能源汽车")
    code, out = cli("audit", "--json")
    data = json.loads(out)
    assert code == 0 and [e["action"] for e in data["items"]] == ["entry.decide", "draft.build"]
    decision = data["items"][0]
    assert decision["actor"] == "王审核" and decision["details"]["rationale"] == "纯电动汽车属新能源汽车"
    assert data["items"][1]["actor"] == "起草人"
    _, out = cli("audit", "--action", "draft.build")
    assert "起草人" in out and "entry.decide" not in out


def test_db_backup_and_restore(cli, drafted, tmp_path):
    backup = tmp_path / "backup.db"
    code, out = cli("db", "backup", str(backup))
    assert code == 0 and out.startswith(f"backup written to {backup}") and backup.is_file()
    _accept(cli, drafted["870380"])

    code, out = cli("db", "restore", str(backup), "--yes")
    assert code == 0 and f"restored {backup} into sqlite:///" in out
    _, out = cli("entries", "show", str(drafted["870380"]), "--json")
    assert json.loads(out)["version"] == 1
    _, out = cli("audit", "--json")
    assert [e["action"] for e in json.loads(out)["items"]] == ["db.restore", "draft.build"]


def test_db_restore_asks_first(cli, drafted, tmp_path):
    backup = tmp_path / "backup.db"
    cli("db", "backup", str(backup))
    _accept(cli, drafted["870380"])
    code, out = cli("db", "restore", str(backup))  # no input: the confirmation is declined
    assert code == 1 and "Aborted" in out
    _, out = cli("entries", "show", str(drafted["870380"]), "--json")
    assert json.loads(out)["version"] == 2


def test_db_restore_refuses_a_file_that_is_not_a_backup(cli, drafted, tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_text("not a database", encoding="utf-8")
    with pytest.raises(InputFileError, match="not a greentrade database backup"):
        cli("db", "restore", str(bogus), "--yes")
    _, out = cli("entries", "list", "--json")
    assert json.loads(out)["total"] == 2


def test_db_migrate(cli):
    code, out = cli("db", "migrate")
    assert code == 0 and out.startswith("schema at version ")
