"""The FastAPI application: assembled from one router per resource, over the classifier library.

``create_app()`` is the factory ``greentrade serve`` hands to uvicorn (one app per worker process).
Each process opens the store (applying migrations), loads the catalogue and the model once, and runs
a background thread that takes queued batch jobs. Errors reach clients as JSON with a message and
the request id, never a stack trace; every request is logged as one JSON line.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse

from api.routes import batches, catalogue, classify, curation, health, review, tokens
from classifier.batches import BatchJobs
from classifier.catalogue import cached_catalogue
from classifier.errors import (
    CodeNotFoundError,
    ConflictError,
    GreentradeError,
    InputFileError,
    InvalidCodeError,
    InvalidRequestError,
    LimitExceededError,
    ModelError,
    NotFoundError,
)
from classifier.settings import Settings, get_settings

log = logging.getLogger("greentrade.api")

# Library errors -> HTTP status, most specific first.
_STATUS: list[tuple[type[GreentradeError], int]] = [
    (CodeNotFoundError, status.HTTP_404_NOT_FOUND),
    (NotFoundError, status.HTTP_404_NOT_FOUND),
    (InvalidCodeError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (InputFileError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (InvalidRequestError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (ConflictError, status.HTTP_409_CONFLICT),
    (LimitExceededError, status.HTTP_413_CONTENT_TOO_LARGE),
    (ModelError, status.HTTP_503_SERVICE_UNAVAILABLE),
    (GreentradeError, status.HTTP_400_BAD_REQUEST),
]


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "msg": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        return json.dumps(line, ensure_ascii=False)


def _setup_logging() -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_JsonFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def _load_classifier(app: FastAPI, settings: Settings) -> None:
    from classifier.classify import Classifier

    try:
        app.state.classifier = Classifier.load(settings.model_path, catalogue_dir=settings.catalogue_dir)
        app.state.catalogue = app.state.classifier.catalogue
        if settings.release and settings.release != "none":
            from classifier.releases import ReleaseRules

            app.state.classifier.pin_release(ReleaseRules.load(app.state.store, settings.release))
    except GreentradeError as exc:
        app.state.load_error = str(exc)
        log.error("model not loaded", extra={"fields": {"error": str(exc)}})


def _run_jobs(app: FastAPI, stop: threading.Event) -> None:
    """Take queued batch jobs one at a time until the app stops."""
    jobs: BatchJobs = app.state.jobs
    while not stop.is_set():
        try:
            jobs.recover()
            job = jobs.claim() if app.state.classifier is not None else None
            if job is None:
                stop.wait(1.0)
                continue
            log.info(
                "batch started", extra={"fields": {"job": job.id, "rows": job.rows_total, "attempt": job.attempts}}
            )
            done = jobs.run(job, app.state.classifier)
            log.info("batch ended", extra={"fields": {"job": done.id, "state": done.state, "error": done.error}})
        except Exception:  # the worker must survive anything one job does
            log.exception("batch worker error")
            stop.wait(1.0)


def create_app(settings: Settings | None = None, *, run_jobs: bool = True) -> FastAPI:
    """Build the app. ``settings`` defaults to the environment's; ``run_jobs=False`` leaves the
    batch queue to other processes (tests drive it by hand)."""
    settings = settings or get_settings()
    _setup_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from classifier.store import Store

        app.state.store = Store.open(settings.db_url)
        app.state.jobs = BatchJobs(
            app.state.store,
            settings.batches_dir,
            max_rows=settings.max_batch_rows,
            max_bytes=settings.max_upload_mb << 20,
        )
        national = settings.national_codes_path
        app.state.catalogue = cached_catalogue(settings.catalogue_dir, national if national.is_file() else None)
        _load_classifier(app, settings)
        stop = threading.Event()
        worker = threading.Thread(target=_run_jobs, args=(app, stop), name="batch-worker", daemon=True)
        if run_jobs:
            worker.start()
        log.info("started", extra={"fields": {"pid": os.getpid(), "database": settings.db_url.split("://")[0]}})
        yield
        stop.set()
        if worker.is_alive():
            worker.join(timeout=5)

    app = FastAPI(
        title="greentrade",
        version="0.1.0",
        summary="Chongqing green low-carbon trade catalogue: classification, HS search, batch jobs",
        description=(
            "Classify customs trade records into the green taxonomy of the Chongqing catalogue, look up and "
            "search HS 2022 codes, and run batch files. Authenticate with `Authorization: Bearer <token>` "
            "(tokens: `greentrade tokens create`). Errors are JSON: `{error, detail, request_id}`."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.classifier = None
    app.state.catalogue = None
    app.state.load_error = None
    for router in (
        health.router,
        classify.router,
        catalogue.router,
        batches.router,
        tokens.router,
        curation.router,
        review.router,
    ):
        app.include_router(router)
    # People who open the server's address in a browser want the review page.
    app.add_api_route("/", lambda: RedirectResponse("/review"), include_in_schema=False)
    _add_middleware(app, settings)
    _add_error_handlers(app)
    return app


def _request_id(request: Request) -> str:
    return getattr(request.state, "request_id", "-")


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    limit = (settings.max_upload_mb << 20) + (1 << 20)  # the file plus its multipart envelope

    @app.middleware("http")
    async def request_log(request: Request, call_next):  # type: ignore[no-untyped-def]
        request.state.request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex[:16]
        start = time.perf_counter()
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            response: Any = JSONResponse(
                {"error": f"upload is larger than the limit of {settings.max_upload_mb} MB", "detail": None,
                 "request_id": request.state.request_id},
                status_code=status.HTTP_413_CONTENT_TOO_LARGE,
            )  # fmt: skip
        else:
            response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        fields = {
            "request_id": request.state.request_id,
            "method": request.method,
            "path": request.url.path,
            "status": response.status_code,
            "ms": round((time.perf_counter() - start) * 1000, 1),
            "token_id": getattr(request.state, "token_id", None),
        }
        log.info("request", extra={"fields": fields})
        return response


def _error(
    request: Request, code: int, message: str, detail: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": message, "detail": detail, "request_id": _request_id(request)}
    return JSONResponse(body, status_code=code, headers=headers)


def _is_type_tag(part: object) -> bool:
    """Pydantic names the member of a union in an error's location (``list[RecordIn]``)."""
    return isinstance(part, str) and (part == "RecordIn" or part.startswith("list["))


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GreentradeError)
    async def library_error(request: Request, exc: GreentradeError) -> JSONResponse:
        code = next(code for kind, code in _STATUS if isinstance(exc, kind))
        if isinstance(exc, ConflictError) and exc.current is not None:
            from classifier.curation import as_dict

            return _error(request, code, str(exc), {"current": as_dict(exc.current)})
        return _error(request, code, str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        errors = exc.errors()
        # A body that may be one record or a list fails both ways; report the way it was sent.
        branch = "list[" if isinstance(getattr(exc, "body", None), list) else "RecordIn"
        if any(_is_type_tag(p) for err in errors for p in err.get("loc", ())):
            errors = [e for e in errors if any(str(p).startswith(branch) for p in e.get("loc", ()))] or errors
        for err in errors:
            loc = [p for p in err.get("loc", ()) if p != "body" and not _is_type_tag(p)]
            row = next((p for p in loc if isinstance(p, int)), None)
            fields = [str(p) for p in loc if not isinstance(p, int)]
            problems.append({"row": row, "field": ".".join(fields) or None, "reason": err.get("msg", "invalid")})
        summary = "; ".join(
            f"{'row ' + str(p['row']) + ', ' if p['row'] is not None else ''}{p['field'] or 'body'}: {p['reason']}"
            for p in problems[:5]
        )
        return _error(request, status.HTTP_422_UNPROCESSABLE_CONTENT, f"invalid request: {summary}", problems)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error", extra={"fields": {"request_id": _request_id(request)}})
        return _error(
            request, status.HTTP_500_INTERNAL_SERVER_ERROR, "internal error; the request id is in the server log"
        )
