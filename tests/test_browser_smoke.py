"""A real headless Chromium against apps served live on loopback: the plumbing that browser tests rely on."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

from api.main import create_app
from classifier.settings import Settings

CSV = "\ufeffcode,名称\n8504401400,组串式光伏逆变器\n".encode()
CSV_NAME = "绿色目录.csv"


def test_healthz_in_browser(live_app, page, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", model_path=tmp_path / "missing.joblib")
    base = live_app(create_app(settings, run_jobs=False))

    response = page.goto(f"{base}/healthz")

    assert response is not None and response.ok
    assert response.json() == {"status": "ok"}
    assert '"status":"ok"' in page.inner_text("body").replace(" ", "")


def _download_app() -> FastAPI:
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return (
            '<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>导出</title></head>'
            '<body><h1>绿色低碳贸易目录</h1><a id="export" href="/export.csv">下载目录</a></body></html>'
        )

    @app.get("/export.csv")
    def export() -> Response:
        disposition = f"attachment; filename=\"catalogue.csv\"; filename*=UTF-8''{quote(CSV_NAME)}"
        return Response(CSV, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition})

    return app


def test_download_and_chinese_text(live_app, page, tmp_path: Path) -> None:
    base = live_app(_download_app())
    page.goto(base)

    assert page.title() == "导出"
    assert page.inner_text("h1") == "绿色低碳贸易目录"
    with page.expect_download() as info:
        page.click("#export")
    download = info.value

    assert download.failure() is None
    assert download.suggested_filename == CSV_NAME
    assert Path(download.path()).read_bytes() == CSV
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.read_bytes() == CSV
