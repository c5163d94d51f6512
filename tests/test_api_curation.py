"""The curation API (/v1/curation) through the real app: roles, the review queue, decisions with
versions, releases and their exports, the audit log."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from classifier.curation import Actor, add_entry, decide
from classifier.releases import OFFICIAL_COLUMNS, create_release
from tests.conftest import auth

BASE = "/v1/curation"
CURATOR = "test curator"  # the name the `api` fixture gives the curator's token

# Seeded candidates: priority orders the queue (inverter, ev, storage, bag, modules).
ENTRIES = {
    "inverter": {
        "code": "85044014", "product_name": "组串式光伏逆变器", "category": "CES", "coverage": "ex",
        "value_usd": 4_000_000.0, "confidence": 0.55, "priority": 5_000_000.0, "records": 40,
    },
    "ev": {
        "code": "870380", "product_name": "纯电动乘用车", "category": "NEV", "coverage": "full",
        "value_usd": 9_000_000.0, "confidence": 0.95, "priority": 4_000_000.0, "records": 12,
    },
    "storage": {
        "code": "85076000", "product_name": "储能用锂离子蓄电池", "category": "CES", "coverage": "ex",
        "value_usd": 2_000_000.0, "confidence": 0.70, "priority": 3_000_000.0, "records": 30,
    },
    "bag": {
        "code": "392321", "product_name": "全生物降解购物袋", "category": "CON", "coverage": "ex",
        "keywords": "全生物降解;PBAT", "value_usd": 50_000.0, "confidence": 0.40, "priority": 60_000.0,
        "records": 5,
    },
    "modules": {
        "code": "854143", "product_name": "光伏组件", "category": "CES", "coverage": "full",
        "value_usd": 30_000.0, "confidence": 0.99, "priority": 20_000.0, "records": 2,
    },
}  # fmt: skip


@pytest.fixture
def seeded(api):
    """(client, tokens, ids by key) with the ENTRIES as candidates."""
    client, tokens = api
    store = client.app.state.store
    ids = {key: add_entry(store, actor=Actor("draft"), **fields).id for key, fields in ENTRIES.items()}
    return client, tokens, ids


@pytest.fixture
def released(seeded):
    """The seeded store with `ev` and `bag` accepted and frozen in release 2026-11."""
    client, tokens, ids = seeded
    store = client.app.state.store
    for key in ("ev", "bag"):
        decide(store, ids[key], action="accept", version=1, rationale="seed", actor=Actor("王审核"))
    create_release(store, "2026-11", actor=Actor("王审核"))
    return client, tokens, ids


def _decide(client, tokens, entry_id, **body):
    return client.post(f"{BASE}/entries/{entry_id}/decisions", json=body, headers=auth(tokens["curator"]))


def _get(client, tokens, path, **params):
    return client.get(f"{BASE}{path}", params=params, headers=auth(tokens["curator"]))


# -- roles -------------------------------------------------------------------------------------------

ACCEPT = {"action": "accept", "version": 1, "rationale": "光伏逆变器属清洁能源装备"}
ROUTES = [
    ("get", "/candidates", None, 200),
    ("get", "/entries", None, 200),
    ("get", "/entries/{id}", None, 200),
    ("post", "/entries/{id}/decisions", ACCEPT, 200),
    ("get", "/decisions", None, 200),
    ("get", "/audit", None, 200),
    ("get", "/releases", None, 200),
    ("post", "/releases", {"name": "2026-12"}, 201),
    ("get", "/releases/{ref}", None, 200),
    ("get", "/releases/{a}/diff/{b}", None, 200),
    ("get", "/releases/{ref}/export", None, 200),
    ("post", "/drafts", {"batch_ids": ["no-such-job"]}, 404),  # a curator gets past the role check
]
PATH_VALUES = {"{ref}": "2026-11", "{a}": "2026-11", "{b}": "latest"}


def test_the_role_table_covers_every_curation_route(api):
    client, _ = api
    served = {
        (method, path.removeprefix(BASE).replace("{entry_id}", "{id}"))
        for path, operations in client.get("/openapi.json").json()["paths"].items()
        if path.startswith(f"{BASE}/")
        for method in operations
    }
    assert served == {(method, path) for method, path, _, _ in ROUTES}


@pytest.mark.parametrize(("role", "expected"), [(None, 401), ("bad", 401), ("analyst", 403), ("curator", None)])
@pytest.mark.parametrize(("method", "template", "body", "success"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_roles(released, method, template, body, success, role, expected):
    client, tokens, ids = released
    path = template.replace("{id}", str(ids["inverter"]))
    for placeholder, value in PATH_VALUES.items():
        path = path.replace(placeholder, value)
    headers = auth(tokens.get(role, "gt_not_a_token")) if role else {}
    response = client.request(method, f"{BASE}{path}", json=body, headers=headers)
    assert response.status_code == (expected or success), response.text
    if expected:
        assert response.json()["error"] and response.json()["request_id"]


def test_an_admin_may_curate(seeded):
    client, tokens, ids = seeded
    response = client.post(f"{BASE}/entries/{ids['inverter']}/decisions", json=ACCEPT, headers=auth(tokens["admin"]))
    assert response.status_code == 200 and response.json()["updated_by"] == "test admin"


# -- the review queue --------------------------------------------------------------------------------


def test_candidates_come_most_important_first(seeded):
    client, tokens, _ = seeded
    page = _get(client, tokens, "/candidates").json()
    assert [e["product_name"] for e in page["items"]] == [ENTRIES[k]["product_name"] for k in ENTRIES]
    assert (page["total"], page["page"], page["page_size"]) == (5, 1, 50)


@pytest.mark.parametrize(
    ("page", "expected"), [(1, ["inverter", "ev"]), (2, ["storage", "bag"]), (3, ["modules"]), (4, [])]
)
def test_candidates_are_paged(seeded, page, expected):
    client, tokens, _ = seeded
    found = _get(client, tokens, "/candidates", page=page, page_size=2).json()
    assert [e["product_name"] for e in found["items"]] == [ENTRIES[k]["product_name"] for k in expected]
    assert (found["total"], found["page"], found["page_size"]) == (5, page, 2)


FILTERS = [
    ({"category": "NEV"}, ["ev"]),
    ({"category": "CES"}, ["inverter", "storage", "modules"]),
    ({"code": "8504"}, ["inverter"]),
    ({"code": "8541.43"}, ["modules"]),
    ({"q": "光伏"}, ["inverter", "modules"]),
    ({"q": "PBAT"}, ["bag"]),  # a keyword
    ({"q": "100%"}, []),  # LIKE wildcards are literal
    ({"change": "new"}, list(ENTRIES)),
    ({"change": "in_release"}, []),
    ({"needs_review": "true"}, ["inverter", "bag"]),
    ({"sort": "value"}, ["ev", "inverter", "storage", "bag", "modules"]),
    ({"sort": "confidence"}, ["bag", "inverter", "storage", "ev", "modules"]),
    ({"sort": "code"}, ["bag", "inverter", "storage", "modules", "ev"]),
    ({"category": "CES", "sort": "value", "page_size": 2}, ["inverter", "storage"]),
]


@pytest.mark.parametrize(("params", "expected"), FILTERS, ids=[str(p) for p, _ in FILTERS])
def test_candidates_filter_and_sort(seeded, params, expected):
    client, tokens, _ = seeded
    found = _get(client, tokens, "/candidates", **params).json()
    assert [e["product_name"] for e in found["items"]] == [ENTRIES[k]["product_name"] for k in expected]


@pytest.mark.parametrize("q", ['"', "[", '", "'])
def test_search_does_not_match_json_punctuation(api, q):
    client, tokens = api
    add_entry(client.app.state.store, code="850440", product_name="光伏逆变器", category="CES", coverage="ex",
              example_names='["光伏逆变器", "组串式逆变器"]')  # fmt: skip
    assert _get(client, tokens, "/candidates", q=q).json()["total"] == 0


def test_decided_entries_leave_the_queue_and_show_their_change(released):
    client, tokens, _ = released
    queue = _get(client, tokens, "/candidates").json()
    assert queue["total"] == 3 and {e["status"] for e in queue["items"]} == {"candidate"}
    in_release = _get(client, tokens, "/entries", change="in_release").json()
    assert sorted(e["product_name"] for e in in_release["items"]) == sorted(
        ENTRIES[k]["product_name"] for k in ("ev", "bag")
    )
    assert _get(client, tokens, "/entries", status="accepted").json()["total"] == 2


BAD_FILTERS = [
    ("/candidates", {"category": "XYZ"}, "category should be one of"),
    ("/candidates", {"category": "nev"}, "category should be one of"),
    ("/candidates", {"change": "old"}, "change should be one of"),
    ("/candidates", {"sort": "random"}, "sort should be one of"),
    ("/candidates", {"code": "85a4"}, "only digits"),
    ("/candidates", {"code": "12345678901"}, "at most 10 digits"),
    ("/candidates", {"needs_review": "maybe"}, "needs_review"),
    ("/candidates", {"page": 0}, "page"),
    ("/candidates", {"page": 10**20}, "page"),
    ("/candidates", {"page_size": 501}, "page_size"),
    ("/entries", {"status": "done"}, "status should be one of"),
    ("/decisions", {"entry_id": "x"}, "entry_id"),
    ("/decisions", {"entry_id": 10**20}, "entry_id"),
    ("/audit", {"page_size": 0}, "page_size"),
]


@pytest.mark.parametrize(("path", "params", "message"), BAD_FILTERS, ids=[f"{p} {q}" for p, q, _ in BAD_FILTERS])
def test_bad_filter_values_are_422(seeded, path, params, message):
    client, tokens, _ = seeded
    response = _get(client, tokens, path, **params)
    assert response.status_code == 422, response.text
    assert message in response.json()["error"]


@pytest.mark.parametrize("entry_id", ["999", "99999999999999999999", "x"])
def test_unknown_or_impossible_entry_id_is_a_client_error(seeded, entry_id):
    client, tokens, _ = seeded
    assert _get(client, tokens, f"/entries/{entry_id}").status_code in (404, 422)
    assert _decide(client, tokens, entry_id, **ACCEPT).status_code in (404, 422)


# -- decisions ---------------------------------------------------------------------------------------


def test_accept_moves_the_version_on(seeded):
    client, tokens, ids = seeded
    response = _decide(client, tokens, ids["inverter"], **ACCEPT)
    assert response.status_code == 200
    entry = response.json()
    assert (entry["status"], entry["version"], entry["updated_by"]) == ("accepted", 2, CURATOR)


def test_entry_shows_its_decisions_newest_first(seeded):
    client, tokens, ids = seeded
    edit = {"action": "edit", "version": 1, "rationale": "只收并网逆变器", "changes": {"remarks": "并网型"}}
    assert _decide(client, tokens, ids["inverter"], **edit).status_code == 200
    assert _decide(client, tokens, ids["inverter"], **{**ACCEPT, "version": 2}).status_code == 200
    detail = _get(client, tokens, f"/entries/{ids['inverter']}").json()
    assert detail["version"] == 3 and detail["remarks"] == "并网型"
    history = detail["decisions"]
    assert [(d["action"], d["version_before"], d["version_after"]) for d in history] == [
        ("accept", 2, 3),
        ("edit", 1, 2),
    ]
    assert history[1]["before"]["remarks"] == "" and history[1]["after"]["remarks"] == "并网型"
    assert history[0]["after"]["status"] == "accepted" and {d["actor"] for d in history} == {CURATOR}
    assert history[1]["rationale"] == "只收并网逆变器"


def _counts(client, tokens):
    return (
        _get(client, tokens, "/decisions").json()["total"],
        _get(client, tokens, "/audit").json()["total"],
    )


def test_stale_version_is_409_with_the_current_entry_and_writes_nothing(seeded):
    client, tokens, ids = seeded
    assert _decide(client, tokens, ids["inverter"], **ACCEPT).status_code == 200
    before = _get(client, tokens, f"/entries/{ids['inverter']}").json()
    counts = _counts(client, tokens)

    stale = _decide(client, tokens, ids["inverter"], action="reject", version=1, rationale="不属于绿色产品")
    assert stale.status_code == 409
    body = stale.json()
    assert set(body) == {"error", "detail", "request_id"}
    assert "is at version 2, not 1" in body["error"] and CURATOR in body["error"]
    current = body["detail"]["current"]
    assert (current["id"], current["version"], current["status"]) == (ids["inverter"], 2, "accepted")
    assert body["request_id"] == stale.headers["x-request-id"]
    assert _get(client, tokens, f"/entries/{ids['inverter']}").json() == before
    assert _counts(client, tokens) == counts


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "accept", "version": 1}, "rationale: Field required"),
        ({**ACCEPT, "rationale": ""}, "rationale: String should have at least 1 character"),
        ({**ACCEPT, "rationale": "   "}, "needs a rationale"),
        ({**ACCEPT, "action": "approve"}, "action should be one of"),
        ({**ACCEPT, "version": "one"}, "version"),
        ({**ACCEPT, "changes": {"status": "accepted"}}, "changes.status: Extra inputs are not permitted"),
        ({**ACCEPT, "changes": {"hs6": "850440"}}, "changes.hs6: Extra inputs are not permitted"),
        ({**ACCEPT, "who": "me"}, "who: Extra inputs are not permitted"),
        ({**ACCEPT, "changes": {"category": "NONE"}}, "to keep a product out of the catalogue, reject it"),
        ({**ACCEPT, "changes": {"coverage": "part"}}, "coverage should be 'full'"),
        ({**ACCEPT, "changes": {"product_name": " "}}, "product_name cannot be empty"),
        ({**ACCEPT, "changes": {"keywords": "光伏"}}, "changes.keywords"),
        ({"action": "edit", "version": 1, "rationale": "nothing"}, "an edit needs at least one change"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_invalid_decisions_are_422_and_write_nothing(seeded, body, message):
    client, tokens, ids = seeded
    counts = _counts(client, tokens)
    response = _decide(client, tokens, ids["inverter"], **body)
    assert response.status_code == 422, response.text
    assert message in response.json()["error"]
    assert _counts(client, tokens) == counts
    assert _get(client, tokens, f"/entries/{ids['inverter']}").json()["version"] == 1


def test_edit_with_a_keyword_list(seeded):
    client, tokens, ids = seeded
    changes = {"keywords": [" 光伏逆变器", "组串式", ""], "ex_description": "仅限光伏并网逆变器", "category": "CES"}
    response = _decide(client, tokens, ids["inverter"], action="edit", version=1, rationale="补关键词", changes=changes)
    assert response.status_code == 200
    entry = response.json()
    assert entry["keywords"] == ["光伏逆变器", "组串式"]
    assert (entry["ex_description"], entry["status"], entry["version"]) == ("仅限光伏并网逆变器", "candidate", 2)
    assert _get(client, tokens, "/candidates", q="组串式").json()["total"] == 1


def test_accept_with_changes_accepts_the_edited_entry(seeded):
    client, tokens, ids = seeded
    body = {**ACCEPT, "changes": {"category": "EEP", "coverage": "full"}}
    entry = _decide(client, tokens, ids["storage"], **body).json()
    assert (entry["status"], entry["category"], entry["coverage"]) == ("accepted", "EEP", "full")


def test_decisions_filter_by_entry_and_actor(seeded):
    client, tokens, ids = seeded
    _decide(client, tokens, ids["inverter"], **ACCEPT)
    _decide(client, tokens, ids["ev"], **{**ACCEPT, "action": "reject"})
    decide(client.app.state.store, ids["bag"], action="accept", version=1, rationale="cli", actor=Actor("王审核"))
    assert _get(client, tokens, "/decisions").json()["total"] == 3
    found = _get(client, tokens, "/decisions", entry_id=ids["ev"]).json()
    assert found["total"] == 1 and [d["entry_id"] for d in found["items"]] == [ids["ev"]]
    assert found["items"][0]["action"] == "reject"
    assert _get(client, tokens, "/decisions", actor="王审核").json()["total"] == 1
    assert _get(client, tokens, "/decisions", entry_id=ids["modules"]).json() == {
        "items": [], "total": 0, "page": 1, "page_size": 50,
    }  # fmt: skip


def test_audit_log_records_the_decision_by_the_tokens_name(seeded):
    client, tokens, ids = seeded
    _decide(client, tokens, ids["inverter"], **ACCEPT)
    log = _get(client, tokens, "/audit", action="entry.decide").json()
    assert log["total"] == 1
    event = log["items"][0]
    assert (event["actor"], event["entity"], event["entity_id"]) == (CURATOR, "entry", str(ids["inverter"]))
    assert event["details"]["rationale"] == ACCEPT["rationale"] and event["details"]["version"] == 2
    assert event["details"]["changes"] == {"status": ["candidate", "accepted"]}
    assert ACCEPT["rationale"] in event["summary"]
    newest_first = [e["action"] for e in _get(client, tokens, "/audit").json()["items"]]
    assert newest_first == ["entry.decide"] + ["entry.create"] * 5
    assert _get(client, tokens, "/audit", actor=CURATOR, entity_id=str(ids["ev"])).json()["total"] == 0


# -- releases ----------------------------------------------------------------------------------------


def test_create_release(released):
    client, tokens, ids = released
    _decide(client, tokens, ids["inverter"], **ACCEPT)
    response = client.post(
        f"{BASE}/releases", json={"name": "2026-12", "note": "十二月"}, headers=auth(tokens["curator"])
    )
    assert response.status_code == 201
    release = response.json()
    assert (release["number"], release["name"], release["entries"], release["created_by"]) == (2, "2026-12", 3, CURATOR)
    assert release["note"] == "十二月" and len(release["sha256"]) == 64
    assert release["links"]["csv"] == f"{BASE}/releases/2/export?format=csv"
    assert client.get(release["links"]["xlsx"], headers=auth(tokens["curator"])).status_code == 200
    names = [r["name"] for r in _get(client, tokens, "/releases").json()]
    assert names == ["2026-12", "2026-11"]
    audit = _get(client, tokens, "/audit", action="release.create").json()["items"]
    assert audit[0]["actor"] == CURATOR and audit[0]["entity_id"] == "2026-12"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "2026-11"}, "exists already"),
        ({"name": "2026 12"}, "should be 1-50 letters"),
        ({"name": ""}, "name: String should have at least 1 character"),
        ({"name": "x" * 51}, "name: String should have at most 50 characters"),
        ({"name": "2026-12", "author": "me"}, "author: Extra inputs are not permitted"),
    ],
)
def test_bad_release_is_422(released, body, message):
    client, tokens, _ = released
    response = client.post(f"{BASE}/releases", json=body, headers=auth(tokens["curator"]))
    assert response.status_code == 422 and message in response.json()["error"]
    assert len(_get(client, tokens, "/releases").json()) == 1


def test_latest_is_not_a_release_name(released):
    client, tokens, _ = released
    response = client.post(f"{BASE}/releases", json={"name": "latest"}, headers=auth(tokens["curator"]))
    assert response.status_code == 422


def test_release_needs_an_accepted_entry(seeded):
    client, tokens, _ = seeded
    response = client.post(f"{BASE}/releases", json={"name": "2026-12"}, headers=auth(tokens["curator"]))
    assert response.status_code == 422 and "no entry has been accepted yet" in response.json()["error"]


@pytest.mark.parametrize("ref", ["2026-11", "1", "latest"])
def test_get_release_by_name_number_or_latest(released, ref):
    client, tokens, _ = released
    release = _get(client, tokens, f"/releases/{ref}").json()
    assert (release["number"], release["name"], release["entries"], release["created_by"]) == (
        1,
        "2026-11",
        2,
        "王审核",
    )


@pytest.mark.parametrize("ref", ["2026-10", "2", "0"])
def test_unknown_release_is_404(released, ref):
    client, tokens, _ = released
    for path in (f"/releases/{ref}", f"/releases/{ref}/export", f"/releases/{ref}/diff/latest"):
        response = _get(client, tokens, path)
        assert response.status_code == 404 and repr(ref) in response.json()["error"]


# Were 500s: get_release took str.isdigit() refs (superscripts) and 20 digits for release numbers.
@pytest.mark.parametrize("ref", ["²", "9" * 20])
def test_digit_like_release_refs_are_404(released, ref):
    client, tokens, _ = released
    assert _get(client, tokens, f"/releases/{ref}").status_code == 404


def test_release_diff(released):
    client, tokens, ids = released
    store = client.app.state.store
    actor = Actor("王审核")
    decide(store, ids["inverter"], action="accept", version=1, rationale="r", actor=actor)
    decide(store, ids["bag"], action="reject", version=2, rationale="r", actor=actor)
    decide(store, ids["ev"], action="edit", version=2, rationale="r", actor=actor, changes={"remarks": "含增程式"})
    create_release(store, "2026-12", actor=actor)
    diff = _get(client, tokens, "/releases/2026-11/diff/2026-12").json()
    assert (diff["a"], diff["b"]) == ("2026-11", "2026-12")
    assert [e["product_name"] for e in diff["added"]] == ["组串式光伏逆变器"]
    assert [e["product_name"] for e in diff["removed"]] == ["全生物降解购物袋"]
    assert diff["removed"][0]["keywords"] == ["全生物降解", "PBAT"]
    assert diff["changed"] == [
        {
            "entry_id": ids["ev"],
            "code": "870380",
            "product_name": "纯电动乘用车",
            "fields": {"remarks": ["", "含增程式"]},
        }
    ]
    same = _get(client, tokens, "/releases/1/diff/1").json()
    assert same["added"] == same["removed"] == same["changed"] == []


def _filename(response) -> str:
    return response.headers["content-disposition"]


def test_export_xlsx(released):
    client, tokens, _ = released
    response = _get(client, tokens, "/releases/2026-11/export", format="xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert quote("重庆市绿色低碳产品目录_2026-11.xlsx") in _filename(response)
    assert _filename(response).startswith("attachment;")
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["目录"].iter_rows(values_only=True))
    assert list(rows[0]) == OFFICIAL_COLUMNS
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [
        ("1", "392321", "全生物降解购物袋"),
        ("2", "870380", "纯电动乘用车"),
    ]
    about = dict(book["说明"].iter_rows(values_only=True))
    assert about["版本名 name"] == "2026-11" and about["条目数 entries"] == 2


def test_export_csv(released):
    client, tokens, _ = released
    response = _get(client, tokens, "/releases/1/export", format="csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert quote("重庆市绿色低碳产品目录_2026-11.csv") in _filename(response)
    assert response.content.startswith(b"\xef\xbb\xbf\xe5\xba\x8f\xe5\x8f\xb7")  # BOM, then 序号
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == OFFICIAL_COLUMNS and rows[0][0] == "序号"
    assert [r[1] for r in rows[1:]] == ["392321", "870380"]
    assert rows[1][4].startswith("ex：仅限全生物降解购物袋；关键词：全生物降解、PBAT")


def test_export_defuses_formulas(seeded):
    client, tokens, ids = seeded
    store = client.app.state.store
    evil = '=HYPERLINK("http://x","y")'
    decide(
        store, ids["ev"], action="accept", version=1, rationale="r", actor=Actor("a"), changes={"product_name": evil}
    )
    create_release(store, "2026-12", actor=Actor("a"))
    text = _get(client, tokens, "/releases/latest/export", format="csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    book = load_workbook(io.BytesIO(_get(client, tokens, "/releases/latest/export").content))
    assert book["目录"]["C2"].value == "'" + evil and book["目录"]["C2"].data_type == "s"


@pytest.mark.parametrize("fmt", ["pdf", "XLSX", ""])
def test_export_bad_format_is_422(released, fmt):
    client, tokens, _ = released
    response = _get(client, tokens, "/releases/2026-11/export", format=fmt)
    assert response.status_code == 422 and "format should be one of ['csv', 'xlsx']" in response.json()["error"]


# -- the schema ----------------------------------------------------------------------------------------


def test_openapi_lists_the_curation_routes(api):
    client, _ = api
    schema = client.get("/openapi.json").json()
    paths = {p for p in schema["paths"] if p.startswith(BASE)}
    assert paths == {
        f"{BASE}{p}"
        for p in ("/candidates", "/entries", "/entries/{entry_id}", "/entries/{entry_id}/decisions", "/decisions",
                  "/audit", "/releases", "/releases/{ref}", "/releases/{a}/diff/{b}", "/releases/{ref}/export",
                  "/drafts")
    }  # fmt: skip
    decide_op = schema["paths"][f"{BASE}/entries/{{entry_id}}/decisions"]["post"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(decide_op["responses"])
    assert decide_op["tags"] == ["curation"]
    export_op = schema["paths"][f"{BASE}/releases/{{ref}}/export"]["get"]
    assert "text/csv; charset=utf-8" in export_op["responses"]["200"]["content"]


# -- drafts from batch results -----------------------------------------------------------------------


def test_draft_from_a_finished_batch_then_again_refreshes_only(api):
    from tests.test_api import EXAMPLE, run_queued

    client, tokens = api
    with EXAMPLE.open("rb") as fh:
        job = client.post("/v1/batches", files={"file": ("customs.csv", fh)}, headers=auth(tokens["analyst"])).json()
    queued = client.post(f"{BASE}/drafts", json={"batch_ids": [job["id"]]}, headers=auth(tokens["curator"]))
    assert queued.status_code == 404 and "no result yet" in queued.json()["error"]

    run_queued(client)
    first = client.post(f"{BASE}/drafts", json={"batch_ids": [job["id"]]}, headers=auth(tokens["curator"])).json()
    assert first["rows"] == 3000 and first["candidates"] > 100 and first["created"] == first["candidates"]
    assert _get(client, tokens, "/candidates").json()["total"] == first["candidates"]
    again = client.post(f"{BASE}/drafts", json={"batch_ids": [job["id"], job["id"]]}, headers=auth(tokens["curator"]))
    assert again.json()["created"] == 0 and again.json()["refreshed"] == first["candidates"]
    events = _get(client, tokens, "/audit", action="draft.build").json()["items"]
    assert len(events) == 2 and events[0]["actor"] == "test curator" and job["id"] in events[0]["details"]["files"][0]


def test_review_page_drafts_from_a_finished_batch(api):
    from tests.test_api import EXAMPLE, run_queued

    client, tokens = api
    with EXAMPLE.open("rb") as fh:
        job = client.post("/v1/batches", files={"file": ("十月.csv", fh)}, headers=auth(tokens["analyst"])).json()
    run_queued(client)
    assert client.post("/review/login", data={"token": tokens["curator"]}, follow_redirects=False).status_code == 303
    page = client.get("/review/drafts")
    assert page.status_code == 200 and job["id"] in page.text and "十月.csv" in page.text

    built = client.post("/review/drafts", data={"batch_ids": [job["id"]]}, follow_redirects=False)
    assert built.status_code == 303 and "notice=" in built.headers["location"]
    queue = client.get(built.headers["location"])
    assert "已从 1 个批次" in queue.text and "待审核候选条目" in queue.text
    assert _get(client, tokens, "/candidates").json()["total"] > 100

    missing = client.post("/review/drafts", data={"batch_ids": ["no-such-job"]})
    assert missing.status_code == 422 and "未生成" in missing.text
