"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Catalogue and model are loaded", responses={503: {"description": "still loading"}})
def readyz(request: Request, response: Response) -> dict[str, object]:
    state = request.app.state
    ready = state.classifier is not None
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return {
        "status": "ready" if ready else "loading",
        "catalogue_codes": len(state.catalogue.nodes) if state.catalogue is not None else 0,
        "model_sha256": state.classifier.card.get("sha256") if ready else None,
        "load_error": state.load_error,
    }
