"""The review page for policy staff (审核页面): server-rendered HTML in Chinese over the curation library.

Sign in with a curator token; it is kept in an HttpOnly, SameSite=Strict cookie limited to
``/review``, so another site can neither read it nor make the browser send it with a forged form.
Every page is plain HTML with forms (no build step, no script needed); a decision posts the version
it was made on, so two curators on one entry get the same protection as the API (the second sees
the entry as it now is, and a message).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.deps import CatalogueDep, DbId, JobsDep, StoreDep
from api.routes.curation import draft_from_batches, export_file
from classifier import curation, releases
from classifier.catalogue import SPEC_CATEGORIES
from classifier.curation import Actor
from classifier.errors import ConflictError, GreentradeError, InvalidRequestError, NotFoundError
from classifier.tokens import Token, verify_token

router = APIRouter(prefix="/review", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
COOKIE = "greentrade_review"
PAGE_SIZE = 50

STATUS_ZH = {"candidate": "待审核", "accepted": "已收录", "rejected": "不收录"}
CHANGE_ZH = {"new": "新增", "changed": "有变化", "in_release": "已在现行版本"}
ACTION_ZH = {"accept": "收录", "reject": "不收录", "edit": "修改"}
COVERAGE_ZH = {"full": "全部", "ex": "部分（ex）"}
templates.env.globals.update(
    STATUS_ZH=STATUS_ZH, CHANGE_ZH=CHANGE_ZH, ACTION_ZH=ACTION_ZH, COVERAGE_ZH=COVERAGE_ZH,
    GREEN=curation.GREEN, CATEGORIES=SPEC_CATEGORIES,
)  # fmt: skip


def _session(request: Request) -> Token | None:
    secret = request.cookies.get(COOKIE)
    token = verify_token(request.app.state.store, secret) if secret else None
    if token is None or not token.allows("curator"):
        return None
    request.state.token_id = token.id  # for the request log
    return token


def _signed_in(request: Request) -> Token:
    """The signed-in curator; anyone else is sent to the sign-in page, and back here after it."""
    token = _session(request)
    if token is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        login = f"/review/login?{urlencode({'next': target})}"
        raise HTTPException(status.HTTP_303_SEE_OTHER, "sign in first", headers={"Location": login})
    return token


SignedIn = Annotated[Token, Depends(_signed_in)]


def _page(request: Request, name: str, token: Token | None, code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("notice", request.query_params.get("notice", ""))
    catalogue = request.app.state.catalogue
    names = {c: catalogue.category_name(c) for c in SPEC_CATEGORIES} if catalogue is not None else {}
    return templates.TemplateResponse(request, name, {"user": token, "CATEGORY_ZH": names, **context}, status_code=code)


def _safe_next(target: str) -> str:
    """Only a path of this page: never an address elsewhere (open redirect)."""
    return target if target.startswith("/review") and not target.startswith("//") else "/review"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/review") -> HTMLResponse:
    return _page(request, "review/login.html", None, next=_safe_next(next), error="")


@router.post("/login", response_model=None)
def login(
    request: Request, token: Annotated[str, Form(max_length=200)], next: Annotated[str, Form()] = "/review"
) -> Response:
    found = verify_token(request.app.state.store, token.strip())
    if found is None or not found.allows("curator"):
        error = "令牌无效或已吊销" if found is None else f"此令牌的角色为 {found.role}，审核需要 curator（审核员）角色"
        return _page(
            request, "review/login.html", None, status.HTTP_401_UNAUTHORIZED, next=_safe_next(next), error=error
        )
    response = RedirectResponse(_safe_next(next), status.HTTP_303_SEE_OTHER)
    secure = request.url.scheme == "https"
    response.set_cookie(
        COOKIE, token.strip(), httponly=True, samesite="strict", path="/review", secure=secure, max_age=8 * 3600
    )
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/review/login", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path="/review")
    return response


def _filters(request: Request) -> dict[str, Any]:
    q = request.query_params
    return {
        "status": q.get("status", "candidate"),
        "category": q.get("category", ""),
        "code": q.get("code", ""),
        "change": q.get("change", ""),
        "q": q.get("q", ""),
        "sort": q.get("sort", "priority"),
    }


@router.get("", response_class=HTMLResponse, response_model=None)
def queue(request: Request, token: SignedIn, store: StoreDep, page: int = 1) -> Response:
    """The candidate queue, filtered, most important first."""
    filters = _filters(request)
    page = max(page, 1)
    try:
        found = curation.list_entries(
            store, status=filters["status"] if filters["status"] != "all" else None,
            category=filters["category"] or None, code=filters["code"] or None, change=filters["change"] or None,
            q=filters["q"] or None, sort=filters["sort"], limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
        )  # fmt: skip
        error = ""
    except GreentradeError as exc:
        found, error = curation.Page([], 0, PAGE_SIZE, 0), str(exc)
    query = urlencode({k: v for k, v in filters.items() if v})
    return _page(
        request, "review/queue.html", token, found=found, filters=filters, page=page, query=query, error=error,
        pages=max(1, -(-found.total // PAGE_SIZE)),
    )  # fmt: skip


def _entry_page(
    request: Request, store: Any, token: Token, entry_id: int, code: int = 200, **extra: Any
) -> HTMLResponse:
    entry = curation.get_entry(store, entry_id)
    history = curation.list_decisions(store, entry_id=entry_id, limit=curation.MAX_PAGE).items
    return _page(
        request,
        "review/entry.html",
        token,
        code,
        entry=entry,
        history=history,
        back=request.query_params.get("back", ""),
        **extra,
    )


@router.get("/entries/{entry_id}", response_class=HTMLResponse, response_model=None)
def entry(request: Request, entry_id: DbId, token: SignedIn, store: StoreDep) -> Response:
    try:
        return _entry_page(request, store, token, entry_id)
    except NotFoundError as exc:
        return _page(request, "review/message.html", token, status.HTTP_404_NOT_FOUND, message=str(exc))


@router.post("/entries/{entry_id}/decide", response_model=None)
def decide(
    request: Request,
    entry_id: DbId,
    token: SignedIn,
    store: StoreDep,
    action: Annotated[str, Form()],
    version: Annotated[int, Form()],
    rationale: Annotated[str, Form(max_length=4000)] = "",
    category: Annotated[str, Form()] = "",
    coverage: Annotated[str, Form()] = "",
    product_name: Annotated[str, Form(max_length=400)] = "",
    ex_description: Annotated[str, Form(max_length=2000)] = "",
    keywords: Annotated[str, Form(max_length=4000)] = "",
    remarks: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Apply a decision; changed fields only (the form sends the entry's values back as they were)."""
    before = curation.get_entry(store, entry_id)
    sent = {"category": category, "coverage": coverage, "product_name": product_name,
            "ex_description": ex_description, "keywords": keywords, "remarks": remarks}  # fmt: skip
    now = before.curated()
    now["keywords"] = ";".join(before.keywords)
    changes = {
        k: v.strip()
        for k, v in sent.items()
        if v.strip() != str(now[k]).strip() and (v.strip() or k in ("ex_description", "remarks", "keywords"))
    }
    try:
        after = curation.decide(
            store, entry_id, action=action, version=version, rationale=rationale, actor=Actor(token.name, token.id),
            changes=changes,
        )  # fmt: skip
    except (ConflictError, InvalidRequestError) as exc:
        stale = isinstance(exc, ConflictError)
        return _entry_page(
            request,
            store,
            token,
            entry_id,
            status.HTTP_409_CONFLICT if stale else status.HTTP_422_UNPROCESSABLE_CONTENT,
            error=f"未保存：{exc}" + ("（此条目已被他人修改，请查看当前内容后重新决定）" if stale else ""),
            form=sent | {"rationale": rationale},
        )
    back = request.query_params.get("back", "")
    notice = f"已{ACTION_ZH[action]}：{after.code} {after.product_name}（版本 {after.version}）"
    target = f"/review?{back}&" if back else "/review?"
    return RedirectResponse(target + urlencode({"notice": notice}), status.HTTP_303_SEE_OTHER)


def _releases_page(request: Request, store: Any, token: Token, code: int = 200, error: str = "") -> HTMLResponse:
    return _page(
        request, "review/releases.html", token, code, found=releases.list_releases(store), error=error,
        accepted=curation.list_entries(store, status="accepted", limit=1).total,
        rejected=curation.list_entries(store, status="rejected", limit=1).total,
        changes=curation.list_entries(store, change="changed", limit=1).total,
    )  # fmt: skip


@router.get("/releases", response_class=HTMLResponse)
def release_list(request: Request, token: SignedIn, store: StoreDep) -> HTMLResponse:
    return _releases_page(request, store, token)


@router.post("/releases", response_model=None)
def release_create(
    request: Request,
    token: SignedIn,
    store: StoreDep,
    name: Annotated[str, Form(max_length=50)],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        release = releases.create_release(store, name.strip(), actor=Actor(token.name, token.id), note=note)
    except InvalidRequestError as exc:
        return _releases_page(request, store, token, status.HTTP_422_UNPROCESSABLE_CONTENT, f"未发布：{exc}")
    notice = f"已发布第 {release.number} 版 {release.name}（{release.entries} 条已决定条目）"
    return RedirectResponse("/review/releases?" + urlencode({"notice": notice}), status.HTTP_303_SEE_OTHER)


def _done_jobs(jobs: Any) -> list[Any]:
    return [j for j in jobs.list(limit=100) if j.state == "done"]


@router.get("/drafts", response_class=HTMLResponse)
def drafts_page(request: Request, token: SignedIn, jobs: JobsDep) -> HTMLResponse:
    """Finished batch jobs, to draft candidates from (what ``greentrade draft build`` does with files)."""
    return _page(request, "review/drafts.html", token, found=_done_jobs(jobs))


@router.post("/drafts", response_model=None)
def drafts_build(
    request: Request,
    token: SignedIn,
    store: StoreDep,
    jobs: JobsDep,
    catalogue: CatalogueDep,
    batch_ids: Annotated[list[str], Form(max_length=50)],
) -> Response:
    try:
        summary = draft_from_batches(store, jobs, catalogue, batch_ids, Actor(token.name, token.id))
    except GreentradeError as exc:
        code = status.HTTP_422_UNPROCESSABLE_CONTENT
        return _page(request, "review/drafts.html", token, code, found=_done_jobs(jobs), error=f"未生成：{exc}")
    notice = (
        f"已从 {len(summary.files)} 个批次（{summary.rows_used} 行）生成候选条目 {summary.candidates} 条："
        f"新增 {summary.created}，更新 {summary.refreshed}"
    )
    return RedirectResponse("/review?" + urlencode({"notice": notice}), status.HTTP_303_SEE_OTHER)


@router.get("/releases/diff", response_class=HTMLResponse, response_model=None)
def release_diff(request: Request, token: SignedIn, store: StoreDep, a: str, b: str) -> Response:
    try:
        diff = releases.diff_releases(store, a, b)
    except NotFoundError as exc:
        return _page(request, "review/message.html", token, status.HTTP_404_NOT_FOUND, message=str(exc))
    return _page(request, "review/diff.html", token, diff=diff)


@router.get("/releases/{ref}/export", response_model=None)
def release_export(
    request: Request, ref: str, token: SignedIn, store: StoreDep, background: BackgroundTasks, format: str = "xlsx"
) -> Response:
    try:
        return export_file(store, ref, format, background)
    except GreentradeError as exc:
        return _page(request, "review/message.html", token, status.HTTP_404_NOT_FOUND, message=str(exc))


@router.get("/audit", response_class=HTMLResponse, response_model=None)
def audit(
    request: Request,
    token: SignedIn,
    store: StoreDep,
    page: int = 1,
    action: str = "",
    actor: str = "",
    entity_id: str = "",
) -> Response:
    page = max(page, 1)
    found = curation.list_audit(
        store, action=action or None, actor=actor or None, entity_id=entity_id or None, limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )  # fmt: skip
    query = urlencode({k: v for k, v in {"action": action, "actor": actor, "entity_id": entity_id}.items() if v})
    return _page(
        request, "review/audit.html", token, found=found, page=page, query=query,
        filters={"action": action, "actor": actor, "entity_id": entity_id}, pages=max(1, -(-found.total // PAGE_SIZE)),
    )  # fmt: skip
