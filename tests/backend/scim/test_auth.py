"""The SCIM token check (``scim_tokens.authenticate``, precompiled for the hot path): only a
live token of a live connection authenticates, and only as its own connection."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from backend.domain import connections, scim_tokens
from backend.runtime import Runtime
from backend.scim import users
from backend.store.group_commit import GroupCommitWriter
from tests.backend.scim.conftest import Scim, Tenant, make_tenant


def candidates(tenant: Tenant, other: Tenant) -> list[str]:
    """The two live tokens first, then near misses that must not authenticate."""
    return [
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


def test_only_live_tokens_authenticate_as_their_own_connection(runtime: Runtime) -> None:
    tenant = make_tenant(runtime)
    other = make_tenant(runtime, "Other", "other.test")

    def check(token: str) -> object:
        with runtime.db.read() as s:
            return scim_tokens.authenticate(s, token)

    for token in candidates(tenant, other)[2:]:
        assert check(token) is None, token
    theirs = check(other.token)
    assert theirs is not None and theirs.connection_id != tenant.connection_id
    ours = check(tenant.token)
    assert ours is not None and ours.connection_id == tenant.connection_id
    assert ours.org_id == tenant.org_id and ours.display_prefix == tenant.prefix
    with runtime.db.write() as s:
        connections.delete_connection(s, tenant.connection_id, actor="test")
    assert check(tenant.token) is None


def test_the_one_statement_lookups_authenticate_as_authenticate_does(
    runtime: Runtime, client: Scim
) -> None:
    """``users.get_authenticated``, ``users.lookup_authenticated`` and (before an update)
    ``users.lock_authenticated`` check the token in the read's own statement: same verdict as
    ``authenticate`` for every candidate, and the row only from the token's own connection."""
    ours = client.create_user("ada@acme.test")
    other = make_tenant(runtime, "Other", "other.test")
    tenant = client.tenant
    for token in candidates(tenant, other):
        with runtime.db.read() as s:
            expected = scim_tokens.authenticate(s, token)
            got, row = users.get_authenticated(s, token, ours["id"])
            looked, page = users.lookup_authenticated(
                s, token, "ADA@acme.test", start_index=1, count=100
            )
            locker, locked = users.lock_authenticated(s, token, ours["id"])
        assert got == expected and looked == expected and locker == expected, token
        mine = expected is not None and expected.connection_id == tenant.connection_id
        assert (row is not None) == mine and (page.total == 1) == mine, token
        assert locked == row, token
        if mine:
            assert row.id == ours["id"] and page.rows[0].id == ours["id"]
    with runtime.db.read() as s:
        auth, row = users.get_authenticated(s, tenant.token, "0" * 32)
        assert users.lock_authenticated(s, tenant.token, "0" * 32) == (auth, None)
        _, later = users.lookup_authenticated(s, tenant.token, "ada@acme.test",
                                              start_index=2, count=100)  # fmt: skip
    assert auth is not None and row is None
    assert later.total == 1 and list(later.rows) == []  # past the only match


async def test_in_a_batch_a_token_is_checked_once_and_a_deleted_one_fails_the_next(
    runtime: Runtime,
) -> None:
    """Within one group-commit batch (which holds the write lock) the verdict is read once per
    token; a deletion committed after it is seen by the next batch."""
    tenant = make_tenant(runtime)
    other = make_tenant(runtime, "Other", "other.test")
    writer = GroupCommitWriter(runtime.db.engine)
    reads: list[str] = []

    def trace(statement: str) -> None:
        if "FROM scim_tokens" in statement:
            reads.append(statement)

    def check(token: str):  # type: ignore[no-untyped-def]
        def job(conn: sa.Connection) -> object:
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            dbapi.set_trace_callback(trace)  # type: ignore[attr-defined]
            return scim_tokens.authenticate(conn, token)

        return job

    try:
        verdicts = await asyncio.gather(
            *(writer.run(check(t), bounded=True) for t in [tenant.token] * 3 + [other.token])
        )
        assert len(reads) == 2  # one read per token
        with runtime.db.write() as s:
            connections.delete_connection(s, tenant.connection_id, actor="test")
        after = await writer.run(check(tenant.token), bounded=True)
    finally:
        await writer.aclose()
    assert [v.connection_id for v in verdicts] == [tenant.connection_id] * 3 + [other.connection_id]
    assert after is None
    assert len(reads) == 3
