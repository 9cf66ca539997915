from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.domain import connections, orgs
from backend.sso import transactions
from backend.store.models import LoginTransaction
from backend.store.models.base import utcnow


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/dashboard/users?x=1", "/dashboard/users?x=1"),
        ("/oauth/authorize?client_id=a", "/oauth/authorize?client_id=a"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example/", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("dashboard", "/dashboard"),
        ("/a\r\nSet-Cookie: x", "/dashboard"),
        ("", "/dashboard"),
        (None, "/dashboard"),
        ("/" + "a" * 2001, "/dashboard"),
    ],
)
def test_safe_return_to(value, expected):
    assert transactions.safe_return_to(value) == expected


@pytest.fixture
def conn_id(runtime) -> str:
    with runtime.db.write() as s:
        org = orgs.create_org(s, "Acme", ["acme.test"], actor="t")
        return connections.create_connection(
            s,
            runtime.box,
            org_id=org.id,
            issuer="https://acme.okta.example",
            client_id="c",
            client_secret="s",
            actor="t",
        ).id


def begin(runtime, conn_id: str, binding: str) -> transactions.NewLogin:
    with runtime.db.write() as s:
        return transactions.begin(
            s,
            binding=binding,
            connection_id=conn_id,
            issuer="https://acme.okta.example",
            email_hint="a@acme.test",
            return_to="/dashboard",
        )


def test_consume_once(runtime, conn_id):
    binding = transactions.new_binding()
    new = begin(runtime, conn_id, binding)
    with runtime.db.write() as s:
        pending = transactions.consume(s, state=new.state, binding=binding)
    assert pending is not None
    assert pending.nonce == new.nonce and pending.code_verifier == new.code_verifier
    assert pending.issuer == "https://acme.okta.example" and pending.connection_id == conn_id
    with runtime.db.write() as s:
        assert transactions.consume(s, state=new.state, binding=binding) is None


def test_other_browser_cannot_consume(runtime, conn_id):
    new = begin(runtime, conn_id, transactions.new_binding())
    with runtime.db.write() as s:
        assert transactions.consume(s, state=new.state, binding=transactions.new_binding()) is None
        assert transactions.consume(s, state=new.state, binding=None) is None


def test_expired_cannot_be_consumed(runtime, conn_id):
    binding = transactions.new_binding()
    new = begin(runtime, conn_id, binding)
    with runtime.db.write() as s:
        s.execute(sa.update(LoginTransaction).values(expires_at=utcnow() - timedelta(seconds=1)))
    with runtime.db.write() as s:
        assert transactions.consume(s, state=new.state, binding=binding) is None


def test_state_is_stored_hashed_and_lifetime_is_short(runtime, conn_id):
    new = begin(runtime, conn_id, transactions.new_binding())
    with runtime.db.read() as s:
        row = s.scalars(sa.select(LoginTransaction)).one()
        assert new.state not in row.state_hash
        assert row.expires_at - row.created_at == transactions.LOGIN_LIFETIME
    assert timedelta(minutes=10) >= transactions.LOGIN_LIFETIME
