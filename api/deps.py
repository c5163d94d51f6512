"""Dependencies shared by the routers: settings, store, classifier, batch jobs and token roles.

Everything heavy is created once per process in :func:`api.main.lifespan` and kept on
``app.state``; routes reach it through these ``Annotated`` aliases, so tests can override any of
them with ``app.dependency_overrides``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from classifier.batches import BatchJobs
from classifier.catalogue import Catalogue
from classifier.classify import Classifier
from classifier.settings import Settings
from classifier.store import Store
from classifier.tokens import Token, verify_token

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer gt_...`")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_jobs(request: Request) -> BatchJobs:
    return request.app.state.jobs


def get_catalogue(request: Request) -> Catalogue:
    return request.app.state.catalogue


def get_classifier(request: Request) -> Classifier:
    classifier = request.app.state.classifier
    if classifier is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the model is not loaded yet (see /readyz)")
    return classifier


MAX_DB_INT = 2**63 - 1
DbId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="a row id")]
"""A database row id in a path: beyond 64-bit integers the driver overflows (a 422, not a 500)."""

SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
JobsDep = Annotated[BatchJobs, Depends(get_jobs)]
ClassifierDep = Annotated[Classifier, Depends(get_classifier)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]


def _token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Token | None:
    if credentials is None:
        return None
    token = verify_token(request.app.state.store, credentials.credentials)
    if token is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "invalid or revoked token", headers={"WWW-Authenticate": "Bearer"}
        )
    request.state.token_id = token.id
    return token


def require(role: str, *, read: bool = False):  # type: ignore[no-untyped-def]
    """A dependency that lets through tokens of ``role`` or above (401 without, 403 below).

    With ``read=True`` and the ``open_reads`` setting on, requests without a token pass too.
    """

    # async: a token check is an indexed lookup, cheaper than a hop to the thread pool.
    async def check(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Token | None:
        token = _token(request, credentials)
        if token is None:
            if read and request.app.state.settings.open_reads:
                return None
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "a token is required", headers={"WWW-Authenticate": "Bearer"}
            )
        if not token.allows(role):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {role} role; the token has {token.role}")
        return token

    return check


Reader = Annotated[Token | None, Depends(require("analyst", read=True))]
Analyst = Annotated[Token, Depends(require("analyst"))]
Curator = Annotated[Token, Depends(require("curator"))]
Admin = Annotated[Token, Depends(require("admin"))]
