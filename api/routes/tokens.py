"""API tokens (admin role)."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import Admin, DbId, StoreDep
from api.schemas import ErrorOut, TokenIn, TokenOut
from classifier.tokens import Token, create_token, list_tokens, revoke_token

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])
_ERRORS = {401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}}


def token_out(token: Token) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        role=token.role,
        prefix=token.prefix,
        created_at=token.created_at.isoformat() + "Z",
        revoked_at=token.revoked_at.isoformat() + "Z" if token.revoked_at else None,
        token=token.secret or None,
    )


@router.get("", response_model=list[TokenOut], responses=_ERRORS, summary="All tokens (no secrets)")
def list_all(_: Admin, store: StoreDep) -> list[TokenOut]:
    return [token_out(t) for t in list_tokens(store)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TokenOut, responses=_ERRORS, summary="New token")
def create(body: TokenIn, _: Admin, store: StoreDep) -> TokenOut:
    """The secret is in the answer once; only its hash is kept."""
    return token_out(create_token(store, body.name, body.role))


@router.delete("/{token_id}", response_model=TokenOut, responses=_ERRORS, summary="Revoke a token")
def revoke(token_id: DbId, _: Admin, store: StoreDep) -> TokenOut:
    return token_out(revoke_token(store, token_id))
