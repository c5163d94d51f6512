"""API tokens with roles: created once, shown once, stored only as a SHA-256 hash.

Roles are ordered: ``analyst`` (classify, read) < ``curator`` (also change the catalogue) <
``admin`` (also manage tokens). A token of a higher role may do everything a lower one may.

>>> from classifier.store import Store
>>> store = Store.open("sqlite://")
>>> token = create_token(store, "statistics platform", "analyst")
>>> verify_token(store, token.secret).role
'analyst'
>>> verify_token(store, "gt_wrong") is None
True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from classifier.errors import GreentradeError, NotFoundError
from classifier.store import Store, api_tokens, utcnow

ROLES = ("analyst", "curator", "admin")


@dataclass(frozen=True)
class Token:
    """A token's record; ``secret`` is set only when the token has just been created."""

    id: int
    name: str
    role: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None
    secret: str = ""

    def allows(self, role: str) -> bool:
        """Whether this token's role is ``role`` or above it."""
        return self.revoked_at is None and ROLES.index(self.role) >= ROLES.index(role)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(store: Store, name: str, role: str) -> Token:
    """Make a new token; the returned ``secret`` is the only copy of it."""
    if role not in ROLES:
        raise GreentradeError(f"role {role!r} should be one of {list(ROLES)}")
    if not name.strip():
        raise GreentradeError("a token needs a name saying who or what uses it")
    # Checked here, not left to the database: SQLite would store any length, PostgreSQL refuses both.
    if len(name.strip()) > api_tokens.c.name.type.length or "\x00" in name:
        raise GreentradeError(
            f"a token name should be at most {api_tokens.c.name.type.length} characters, without NUL characters"
        )
    secret = "gt_" + secrets.token_urlsafe(32)
    now = utcnow()
    with store.begin() as conn:
        result = conn.execute(
            insert(api_tokens).values(
                name=name.strip(), role=role, token_hash=_hash(secret), prefix=secret[:10], created_at=now
            )
        )
        token_id = int(result.inserted_primary_key[0])
    return Token(token_id, name.strip(), role, secret[:10], now, None, secret)


def verify_token(store: Store, secret: str) -> Token | None:
    """The token for ``secret`` if it exists and is not revoked, else None."""
    if not secret:
        return None
    digest = _hash(secret)
    with store.begin() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.token_hash == digest)).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return Token(row.id, row.name, row.role, row.prefix, row.created_at, row.revoked_at)


def list_tokens(store: Store) -> list[Token]:
    """Every token, revoked ones included, without secrets."""
    with store.begin() as conn:
        rows = conn.execute(select(api_tokens).order_by(api_tokens.c.id)).all()
    return [Token(r.id, r.name, r.role, r.prefix, r.created_at, r.revoked_at) for r in rows]


def revoke_token(store: Store, token_id: int) -> Token:
    """Revoke a token by id; it stops working at once."""
    with store.begin() as conn:
        changed = conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        ).rowcount
    if not changed:
        if token_id not in {t.id for t in list_tokens(store)}:
            raise NotFoundError(f"no token with id {token_id}")
        raise GreentradeError(f"token {token_id} is already revoked")
    return next(t for t in list_tokens(store) if t.id == token_id)
