"""The HTTP API through FastAPI's test client: roles, limits, bad input, batches, catalogue."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pandas as pd
import pytest

from classifier.store import batch_jobs, utcnow
from tests.conftest import DATA, auth

EXAMPLE = DATA.parent.parent / "examples" / "customs_2026-10.csv"


def run_queued(client) -> None:
    jobs, classifier = client.app.state.jobs, client.app.state.classifier
    while (job := jobs.claim()) is not None:
        jobs.run(job, classifier)


def test_health_and_readiness(api):
    client, _ = api
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["catalogue_codes"] > 6000 and ready["model_sha256"]


@pytest.mark.parametrize(
    ("method", "path", "role", "expected"),
    [
        ("get", "/v1/hs/854143", None, 401),
        ("get", "/v1/hs/854143", "bad", 401),
        ("get", "/v1/hs/854143", "analyst", 200),
        ("post", "/v1/classify", None, 401),
        ("get", "/v1/tokens", "analyst", 403),
        ("get", "/v1/tokens", "curator", 403),
        ("get", "/v1/tokens", "admin", 200),
    ],
)
def test_roles(api, method, path, role, expected):
    client, tokens = api
    headers = auth(tokens.get(role, "gt_not_a_token")) if role else {}
    kwargs = {"json": {"商品名称": "光伏组件"}} if method == "post" else {}
    response = getattr(client, method)(path, headers=headers, **kwargs)
    assert response.status_code == expected
    if expected in (401, 403):
        body = response.json()
        assert body["error"] and body["request_id"] and "Traceback" not in response.text


def test_open_reads_setting_lets_reads_through(api_settings):
    from fastapi.testclient import TestClient

    from api.main import create_app

    api_settings.open_reads = True
    with TestClient(create_app(api_settings, run_jobs=False)) as client:
        assert client.get("/v1/hs/854143").status_code == 200
        assert client.post("/v1/classify", json={"name": "x"}).status_code == 401


def test_classify_one_record_with_chinese_field_names(api):
    client, tokens = api
    body = {"记录号": "A1", "商品编码": "8504401400", "商品名称": "组串式光伏逆变器", "规格型号": "50kW"}
    response = client.post("/v1/classify", json=body, headers=auth(tokens["analyst"]))
    assert response.status_code == 200
    record = response.json()["records"][0]
    assert (record["record_id"], record["category"], record["basis"], record["hs6"]) == (
        "A1",
        "CES",
        "hs_ex_text",
        "850440",
    )
    assert record["flags"] == [] and "CLEG" in record["ref_lists"]


def test_classify_a_list_keeps_order_and_rejects_with_reasons(api):
    client, tokens = api
    body = [{"hs_code": "720810", "name": "热轧卷板"}, {"name": ""}, {"name": "纯电动乘用车"}]
    records = client.post("/v1/classify", json=body, headers=auth(tokens["analyst"])).json()["records"]
    assert [r["status"] for r in records] == ["ok", "rejected", "ok"]
    assert set(records[0]["flags"]) == {"HEHE", "CBAM"}
    assert records[1]["reject_reason"] == "hs_code and name are both empty"


def test_too_many_records_is_413(api):
    client, tokens = api
    response = client.post("/v1/classify", json=[{"name": "x"}] * 21, headers=auth(tokens["analyst"]))
    assert response.status_code == 413 and "upload a batch file instead" in response.json()["error"]


def test_bad_record_is_422_with_row_and_field(api):
    client, tokens = api
    response = client.post("/v1/classify", json=[{"name": "ok"}, {"name": "x" * 3000}], headers=auth(tokens["analyst"]))
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert (problem["row"], problem["field"]) == (1, "name")
    assert "row 1" in response.json()["error"]


def test_batch_upload_progress_and_download(api):
    client, tokens = api
    with EXAMPLE.open("rb") as fh:
        created = client.post(
            "/v1/batches", files={"file": ("customs.csv", fh, "text/csv")}, headers=auth(tokens["analyst"])
        )
    assert created.status_code == 202
    job = created.json()
    assert (job["state"], job["rows_total"]) == ("queued", 3000)
    run_queued(client)
    done = client.get(f"/v1/batches/{job['id']}", headers=auth(tokens["analyst"])).json()
    assert (done["state"], done["rows_done"], done["rows_rejected"]) == ("done", 3000, 1)
    assert done["model_sha256"] and set(done["links"]) == {"self", "csv", "xlsx", "parquet"}
    for fmt in ("csv", "xlsx", "parquet"):
        response = client.get(f"/v1/batches/{job['id']}/result?format={fmt}", headers=auth(tokens["analyst"]))
        assert response.status_code == 200
        reader = {"csv": pd.read_csv, "xlsx": pd.read_excel, "parquet": pd.read_parquet}[fmt]
        result = (
            reader(io.BytesIO(response.content), dtype=str)
            if fmt != "parquet"
            else reader(io.BytesIO(response.content))
        )
        assert len(result) == 3000 and "category" in result.columns


def test_result_before_done_is_404(api):
    client, tokens = api
    with EXAMPLE.open("rb") as fh:
        job = client.post("/v1/batches", files={"file": ("c.csv", fh)}, headers=auth(tokens["analyst"])).json()
    response = client.get(f"/v1/batches/{job['id']}/result", headers=auth(tokens["analyst"]))
    assert response.status_code == 404 and "it is queued" in response.json()["error"]


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (b"\x00\x01\x02garbage\xff\xfe" * 10, 422, "cannot tell the text encoding|no HS code column"),
        ("编号,数值\n1,2\n".encode(), 422, r"no HS code column .* columns found: \['编号', '数值'\]"),
        (b"", 422, "the file is empty"),
        (("商品名称\n" + "光伏组件\n" * 6000).encode(), 413, "6,000 rows is more than the limit of 5,000 rows"),
        (b"a" * (1 << 20) + b"\na\n" * 100, 413, "larger than the limit of 1 MB"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(api, content, status, message):
    client, tokens = api
    response = client.post("/v1/batches", files={"file": ("upload.csv", content)}, headers=auth(tokens["analyst"]))
    assert response.status_code == status
    assert pytest.importorskip("re").search(message, response.json()["error"])
    assert "/tmp" not in response.json()["error"]


def test_huge_declared_upload_is_413_before_reading(api):
    client, tokens = api
    headers = {
        **auth(tokens["analyst"]),
        "content-length": str(200 << 20),
        "content-type": "multipart/form-data; boundary=x",
    }
    response = client.post("/v1/batches", content=b"--x--", headers=headers)
    assert response.status_code == 413


def test_interrupted_job_is_requeued_then_failed(api):
    client, tokens = api
    jobs = client.app.state.jobs
    with EXAMPLE.open("rb") as fh:
        job_id = client.post("/v1/batches", files={"file": ("c.csv", fh)}, headers=auth(tokens["analyst"])).json()["id"]
    for attempt in range(1, 4):
        assert jobs.claim().id == job_id
        # The worker died: no heartbeat since long ago.
        with jobs.store.begin() as conn:
            conn.execute(batch_jobs.update().values(heartbeat_at=utcnow() - timedelta(minutes=5)))
        recovered = jobs.recover()[0]
        expected = "queued" if attempt < 3 else "failed"
        assert recovered.state == expected, recovered
    assert "interrupted 3 times" in jobs.get(job_id).error


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/v1/hs/8541.43", 200),
        ("/v1/hs/85", 200),
        ("/v1/hs/8541.99", 404),
        ("/v1/hs/85A1", 422),
        ("/v1/batches/nope", 404),
    ],
)
def test_codes_and_jobs_lookup(api, path, status):
    client, tokens = api
    response = client.get(path, headers=auth(tokens["analyst"]))
    assert response.status_code == status
    if status != 200:
        assert response.json()["error"]


def test_search_catalogue_and_suggest(api):
    client, tokens = api
    headers = auth(tokens["analyst"])
    search = client.get("/v1/hs/search", params={"q": "光伏逆变器", "page_size": 3}, headers=headers).json()
    assert search["items"][0]["code"] == "850440" and search["page_size"] == 3
    listing = client.get("/v1/catalogue", params={"category": "NEV", "coverage": "full"}, headers=headers).json()
    assert listing["total"] > 3 and all(r["category"] == "NEV" for r in listing["items"])
    flagged = client.get("/v1/catalogue", params={"list": "NEW3"}, headers=headers).json()
    assert {r["code"] for r in flagged["items"]} >= {"854143", "870380"}
    suggestions = client.get("/v1/suggest-hs", params={"text": "锂离子蓄电池 48V"}, headers=headers).json()
    assert suggestions[0]["hs6"] == "850760"


def test_catalogue_filters_that_match_nothing_give_an_empty_page(api):
    # Found by schemathesis in CI: once a filter left no rows, the next list filter raised KeyError.
    client, tokens = api
    params = {"category": "REC", "coverage": "ex", "flag": "CBAM", "list": "ACCTS", "page": 1000}
    response = client.get("/v1/catalogue", params=params, headers=auth(tokens["analyst"]))
    assert response.status_code == 200
    assert response.json()["items"] == [] and response.json()["total"] == 0


def test_tokens_lifecycle_over_http(api):
    client, tokens = api
    admin = auth(tokens["admin"])
    created = client.post("/v1/tokens", json={"name": "platform", "role": "analyst"}, headers=admin).json()
    assert created["token"].startswith("gt_")
    assert client.get("/v1/hs/85", headers=auth(created["token"])).status_code == 200
    assert client.delete(f"/v1/tokens/{created['id']}", headers=admin).json()["revoked_at"]
    assert client.get("/v1/hs/85", headers=auth(created["token"])).status_code == 401
    assert client.delete("/v1/tokens/999", headers=admin).status_code == 404


def test_internal_errors_hide_the_trace(api, monkeypatch):
    client, tokens = api

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(client.app.state.classifier, "classify_many", boom)
    from fastapi.testclient import TestClient

    quiet = TestClient(client.app, raise_server_exceptions=False)  # answer as a deployed server would
    response = quiet.post("/v1/classify", json={"name": "x"}, headers=auth(tokens["analyst"]))
    assert response.status_code == 500
    assert "secret internals" not in response.text and response.json()["request_id"]


def test_request_id_is_echoed_and_logged(api, caplog):
    client, tokens = api
    with caplog.at_level(logging.INFO, logger="greentrade.api"):
        logging.getLogger("greentrade.api").propagate = True
        response = client.get("/v1/hs/85", headers={**auth(tokens["analyst"]), "X-Request-ID": "req-123"})
        logging.getLogger("greentrade.api").propagate = False
    assert response.headers["X-Request-ID"] == "req-123"
    logged = [r for r in caplog.records if getattr(r, "fields", {}).get("request_id") == "req-123"]
    assert logged and logged[0].fields["status"] == 200 and logged[0].fields["path"] == "/v1/hs/85"


def test_openapi_documents_every_endpoint(api):
    client, _ = api
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/v1/classify", "/v1/batches", "/v1/batches/{job_id}", "/v1/batches/{job_id}/result", "/v1/hs/{code}",
            "/v1/hs/search", "/v1/catalogue", "/v1/suggest-hs", "/v1/tokens", "/healthz", "/readyz"} <= paths  # fmt: skip
    assert "ErrorOut" in schema["components"]["schemas"]
    assert client.get("/docs").status_code == 200


def test_the_server_classifies_with_the_release_it_pinned_and_says_so(api_settings):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from classifier.curation import Actor, add_entry, decide
    from classifier.releases import create_release
    from classifier.store import Store
    from classifier.tokens import create_token

    store = Store.open(api_settings.db_url)
    entry = add_entry(store, code="85044014", product_name="组串式光伏逆变器", category="CES", coverage="ex",
                      keywords="光伏逆变器")  # fmt: skip
    decide(store, entry.id, action="accept", version=1, rationale="清洁能源装备", actor=Actor("王审核"))
    create_release(store, "2026-12", actor=Actor("王审核"))
    token = create_token(store, "analyst", "analyst").secret

    app = create_app(api_settings.model_copy(update={"release": "latest"}), run_jobs=False)
    with TestClient(app) as client:
        body = client.post(
            "/v1/classify",
            json=[
                {"hs_code": "8504401400", "name": "组串式光伏逆变器 50kW"},
                {"hs_code": "8504401400", "name": "手机充电器"},
            ],
            headers=auth(token),
        ).json()
    assert body["release"] == "2026-12" and len(body["model_sha256"]) == 64
    inverter, charger = body["records"]
    assert (inverter["basis"], inverter["category"], inverter["needs_review"]) == ("curated", "CES", False)
    assert "2026-12" in inverter["evidence"]
    assert charger["basis"] != "curated"
