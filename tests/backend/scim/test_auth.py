"""The SCIM hot-path token check answers exactly as ``scim_tokens.authenticate`` does."""

from __future__ import annotations

from backend.domain import connections, scim_tokens
from backend.runtime import Runtime
from backend.scim import auth
from tests.backend.scim.conftest import make_tenant


def test_same_answers_as_the_domain_function(runtime: Runtime) -> None:
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

    def both(token: str) -> tuple[object, object]:
        with runtime.db.read() as s:
            return auth.authenticate(s, token), scim_tokens.authenticate(s, token)

    for token in candidates:
        fast, slow = both(token)
        assert fast == slow, token
    fast, _ = both(tenant.token)
    assert fast is not None and fast.connection_id == tenant.connection_id
    assert fast.org_id == tenant.org_id and fast.display_prefix == tenant.prefix
    with runtime.db.write() as s:
        connections.delete_connection(s, tenant.connection_id, actor="test")
    assert both(tenant.token) == (None, None)
