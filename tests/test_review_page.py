"""The review page in a real headless Chromium, against the app served live on loopback.

A curator signs in with a token, decides two candidates, creates a release and downloads the
official export; a second curator on a stale page is told, not overwritten.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from api.main import create_app
from classifier.curation import add_entry, get_entry, list_audit
from classifier.releases import OFFICIAL_COLUMNS
from classifier.settings import Settings
from classifier.store import Store
from classifier.tokens import create_token

pytestmark = pytest.mark.slow

EVIL = '=HYPERLINK("http://evil.example","点我")全生物降解购物袋'


@pytest.fixture
def site(tmp_path, live_app):
    """(base URL, store, curator token) of a live app holding three candidates."""
    settings = Settings(data_dir=tmp_path / "data", model_path=tmp_path / "no-model.joblib")
    base = live_app(create_app(settings, run_jobs=False))
    store = Store.open(settings.db_url)
    candidates = [
        ("85044014", "组串式光伏逆变器", "CES", "ex", 900_000.0, 0.55, ["组串式光伏逆变器", "组串式光伏逆变器 50kW"]),
        ("39232100", EVIL, "CON", "ex", 400_000.0, 0.80, [EVIL]),
        ("85076000", "储能用锂离子电池系统", "CES", "ex", 100_000.0, 0.95, ["储能电池柜"]),
    ]
    for code, name, category, coverage, value, confidence, examples in candidates:
        add_entry(
            store, code=code, product_name=name, category=category, coverage=coverage, value_usd=value,
            value_export_usd=value, records=3, records_export=3, confidence=confidence, months="2026-10",
            priority=value * (1.5 - confidence), example_names=json.dumps(examples, ensure_ascii=False),
        )  # fmt: skip
    return base, store, create_token(store, "王审核", "curator").secret


def _sign_in(page, base: str, token: str) -> None:
    page.goto(f"{base}/review")
    assert "/review/login" in page.url
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/review")


def _decide(page, name: str, action: str, rationale: str, **fields: str) -> None:
    page.click(f"table a:has-text('{name}')")
    for field, value in fields.items():
        if field in ("category", "coverage"):
            page.select_option(f"select[name={field}]", value)
        else:
            page.fill(f"input[name={field}]", value)
    page.fill("textarea[name=rationale]", rationale)
    page.click(f"button[name=action][value={action}]")
    page.wait_for_selector("div.notice")


def test_curator_decides_releases_and_downloads_the_export(page, site, tmp_path):
    base, store, token = site
    _sign_in(page, base, token)
    rows = page.locator("table tbody tr")
    assert rows.count() == 3
    assert "组串式光伏逆变器" in rows.nth(0).inner_text()  # the largest, least certain first

    _decide(
        page, "组串式光伏逆变器", "accept", "组串式光伏逆变器用于光伏发电，属清洁能源装备", keywords="光伏逆变器;组串式"
    )
    assert "已收录" in page.inner_text("div.notice")
    _decide(page, "全生物降解购物袋", "accept", "全生物降解材质，符合绿色消费品", category="CON")
    assert page.locator("table tbody tr").count() == 1  # two left the queue

    page.click("header a:has-text('版本发布')")
    page.fill("input[name=name]", "2026-12")
    page.fill("input[name=note]", "首版草案")
    page.click("button:has-text('发布新版本')")
    assert "已发布第 1 版 2026-12" in page.inner_text("div.notice")

    with page.expect_download() as download:
        page.click("a:has-text('导出 Excel')")
    xlsx = tmp_path / "export.xlsx"
    download.value.save_as(xlsx)
    assert download.value.suggested_filename.endswith("2026-12.xlsx")
    sheet = load_workbook(xlsx).worksheets[0]
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert table[0] == OFFICIAL_COLUMNS
    assert {row[1] for row in table[1:]} == {"85044014", "39232100"}
    evil = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == "39232100")[2]
    assert evil.data_type == "s" and not str(evil.value).startswith("=")

    with page.expect_download() as download:
        page.click("a:has-text('导出 CSV')")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    header, *lines = list(csv.reader(text.splitlines()))
    assert header == OFFICIAL_COLUMNS and len(lines) == 2
    assert all(not cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)

    page.click("header a:has-text('审计日志')")
    log = page.inner_text("table")
    assert "组串式光伏逆变器用于光伏发电，属清洁能源装备" in log and "全生物降解材质，符合绿色消费品" in log
    assert "release.create" in log
    decided = list_audit(store, action="entry.decide").items
    assert {e.actor for e in decided} == {"王审核"} and len(decided) == 2


def test_a_stale_page_is_told_and_nothing_is_overwritten(browser, site):
    base, store, token = site
    first, second = browser.new_page(), browser.new_page()  # two curators, two cookie jars
    try:
        for page in (first, second):
            _sign_in(page, base, token)
            page.click("table a:has-text('储能用锂离子电池系统')")
        first.fill("textarea[name=rationale]", "储能系统属清洁能源及储能")
        first.click("button[name=action][value=accept]")
        first.wait_for_selector("div.notice")

        second.fill("textarea[name=rationale]", "暂不收录")
        second.click("button[name=action][value=reject]")
        alert = second.inner_text("div.error")
        assert "已被他人修改" in alert
        entry = next(e for e in [get_entry(store, i) for i in (1, 2, 3)] if e.product_name == "储能用锂离子电池系统")
        assert entry.status == "accepted" and entry.version == 2
        assert "暂不收录" in second.input_value("textarea[name=rationale]")  # the rationale typed is kept
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize(
    ("role", "message"), [("analyst", "审核需要 curator"), (None, "令牌无效")], ids=["analyst token", "wrong token"]
)
def test_sign_in_needs_a_curator_token(page, site, role, message):
    base, store, _ = site
    token = create_token(store, "统计员", role).secret if role else "gt_not-a-token"
    page.goto(f"{base}/review/login")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    assert message in page.inner_text("div.error")
    page.goto(f"{base}/review/releases")
    assert "/review/login" in page.url
