"""The ``greentrade`` command line, in-process and through the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from api.cli import app
from classifier.records import read_records
from tests.conftest import DATA


def test_show_pv_modules(cli):
    code, out = cli("catalogue", "show", "854143")
    assert code == 0
    assert "CES 清洁能源及储能, full" in out
    assert "NEW3" in out and "APEC54" in out and "CLEG" in out


def test_show_ex_code_says_what_is_green(cli):
    code, out = cli("catalogue", "show", "8504.40")
    assert code == 0 and ", ex: " in out and "逆变器" in out


def test_show_json_carries_flags(cli):
    _, out = cli("catalogue", "show", "7208.10", "--json")
    data = json.loads(out)
    assert {f["flag"] for f in data["flags"]} >= {"HEHE", "CBAM"}
    assert [p["code"] for p in data["path"]] == ["72", "7208", "720810"]


def test_search_ranks_the_keyword_first(cli):
    _, out = cli("catalogue", "search", "光伏逆变器", "--json")
    assert json.loads(out)[0]["code"] == "850440"


def test_stats_counts_every_level(cli):
    _, out = cli("catalogue", "stats", "--json")
    data = json.loads(out)
    assert data["nomenclature"]["chapter"]["rows"] == 96
    assert data["nomenclature"]["heading"]["rows"] == data["nomenclature"]["heading"]["name_zh"]
    assert data["flags"]["CBAM"] > 200 and data["flags"]["ODS"] > 30


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_writes_the_green_catalogue(cli, tmp_path, fmt):
    target = tmp_path / f"cat.{fmt}"
    code, out = cli("catalogue", "export", "--format", fmt, "-o", str(target))
    assert code == 0, out
    table = read_records(target)
    pv = table[table["code"] == "854143"].iloc[0]
    assert pv["category"] == "CES" and pv["coverage"] == "full"


def test_check_passes_on_shipped_data(cli):
    code, out = cli("catalogue", "check")
    assert code == 0 and "catalogue OK" in out


def test_import_then_show_national_code(cli, data_dir):
    code, out = cli("catalogue", "import-nomenclature", str(DATA / "national_codes_gbk.csv"))
    assert code == 0
    assert "imported 3; skipped 4" in out and "duplicate" in out
    assert (data_dir / "nomenclature" / "national_codes.csv").is_file()


def _help_targets():
    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        yield [name]
        for sub in getattr(command, "commands", {}):
            yield [name, sub]


@pytest.mark.parametrize("words", list(_help_targets()), ids=" ".join)
def test_every_command_has_help(cli, words):
    code, out = cli(*words, "--help")
    assert code == 0 and "Usage" in out
    import typer.main

    command = typer.main.get_command(app)
    for word in words:
        command = command.commands[word]
    assert command.help, f"{' '.join(words)} has no help text"


def test_console_script_turns_errors_into_one_line(tmp_path):
    exe = shutil.which("greentrade") or str(__import__("pathlib").Path(sys.executable).with_name("greentrade"))
    result = subprocess.run([exe, "catalogue", "show", "8541.99"], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("error 错误: subheading 8541.99 is not in HS 2022")
    assert "Traceback" not in result.stderr
