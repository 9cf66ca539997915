"""The SCIM token check (``scim_tokens.authenticate``, precompiled for the hot path): only a
live token of a live connection authenticates, and only as its own connection."""

from __future__ import annotations

from backend.domain import connections, scim_tokens
from backend.runtime import Runtime
from tests.backend.scim.conftest import make_tenant


def test_only_live_tokens_authenticate_as_their_own_connection(runtime: Runtime) -> None:
    tenant = make_tenant(runtime)
    other = make_tenant(runtime, "Other", "other.test")
    candidates = [
        tenant.token,
        other.token,
        tenant.token + "x",
        tenant.token[:-1],
        "",
        "qtscim_",
        "Bearer " + tenant.token,
        tenant.token.upper(),
        "x" * 300,
        scim_tokens.TOKEN_PREFIX + "y" * 300,
    ]

    def check(token: str) -> object:
        with runtime.db.read() as s:
            return scim_tokens.authenticate(s, token)

    for token in candidates[2:]:
        assert check(token) is None, token
    theirs = check(other.token)
    assert theirs is not None and theirs.connection_id != tenant.connection_id
    ours = check(tenant.token)
    assert ours is not None and ours.connection_id == tenant.connection_id
    assert ours.org_id == tenant.org_id and ours.display_prefix == tenant.prefix
    with runtime.db.write() as s:
        connections.delete_connection(s, tenant.connection_id, actor="test")
    assert check(tenant.token) is None
