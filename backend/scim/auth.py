"""The SCIM bearer token check on the hot path.

The same rule as ``backend.domain.scim_tokens.authenticate`` (the ``qtscim_`` prefix, a
length cap, the SHA-256 of the token looked up with its connection's organization, a
constant-time comparison of the digests), run as one precompiled query on the request's own
transaction (see ``sql``): the domain function's SQLAlchemy execution costs more than the rest
of a SCIM read. ``tests/backend/scim/test_auth.py`` holds the two to the same answers.
"""

from __future__ import annotations

import hmac

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.domain.scim_tokens import TOKEN_PREFIX, ScimAuth, hash_token
from backend.scim.sql import Query
from backend.store.models import Connection, ScimToken

__all__ = ["authenticate"]

_LOOKUP = Query(
    sa.select(ScimToken.id, ScimToken.token_hash, ScimToken.display_prefix,
              ScimToken.connection_id, ScimToken.last_used_at, Connection.org_id)
    .join(Connection, Connection.id == ScimToken.connection_id)
    .where(ScimToken.token_hash == sa.bindparam("digest"))
)  # fmt: skip


def authenticate(session: Session, token: str) -> ScimAuth | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hash_token(token)
    row = _LOOKUP.first(session, digest=digest)
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return ScimAuth(
        token_id=row.id,
        display_prefix=row.display_prefix,
        connection_id=row.connection_id,
        org_id=row.org_id,
        last_used_at=row.last_used_at,
    )
