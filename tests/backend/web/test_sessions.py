"""Browser sessions: server-side, hashed at rest, idle and absolute timeouts, revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import Response

from backend.domain import admins, connections, orgs, users
from backend.store.models import BrowserSession, ScimUser
from backend.web import sessions


def _request(cookie: str | None) -> Request:
    headers = [(b"cookie", f"{sessions.COOKIE}={cookie}".encode())] if cookie else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


@pytest.fixture
def people(runtime):
    with runtime.db.write() as s:
        org = orgs.create_org(s, "Acme", ["acme.com"], actor="t")
        conn = connections.create_connection(
            s,
            runtime.box,
            org_id=org.id,
            issuer="a.okta.com",
            client_id="x",
            client_secret="s",
            actor="t",
        )
        user = ScimUser(
            connection_id=conn.id,
            org_id=org.id,
            user_name="ada@acme.com",
            user_name_norm="ada@acme.com",
            email="ada@acme.com",
            email_norm="ada@acme.com",
            given_name="Ada",
            family_name="Lovelace",
            seq=1,
        )
        s.add(user)
        admin = admins.create_admin(
            s, org_id=org.id, email="it@acme.com", password="x" * 12, actor="t"
        )
        s.flush()
        return org.id, user.id, admin.id, conn.id


def test_user_session_roundtrip_and_cookie_flags(runtime, people):
    org_id, user_id, _, _ = people
    with runtime.db.write() as s:
        value, _ = sessions.start(s, org_id=org_id, user_id=user_id)
    with runtime.db.read() as s:
        assert s.scalar(sa.select(BrowserSession.id_hash)) != value  # only the hash is kept
    view = sessions.current(runtime, _request(value))
    assert view is not None and view.user_id == user_id and view.name == "Ada Lovelace"
    assert not view.is_admin
    response = Response()
    sessions.attach(response, value, runtime.settings)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert sessions.current(runtime, _request("forged")) is None
    assert sessions.current(runtime, _request(None)) is None


def test_each_sign_in_gets_a_new_id(runtime, people):
    org_id, user_id, _, _ = people
    with runtime.db.write() as s:
        a, _ = sessions.start(s, org_id=org_id, user_id=user_id)
        b, _ = sessions.start(s, org_id=org_id, user_id=user_id)
    assert a != b


def test_admin_session_and_sso_user_with_admin_email(runtime, people):
    org_id, user_id, admin_id, _ = people
    with runtime.db.write() as s:
        value, _ = sessions.start(s, org_id=org_id, admin_id=admin_id)
        s.get(ScimUser, user_id).email = "it@acme.com"
        sso, _ = sessions.start(s, org_id=org_id, user_id=user_id)
    assert sessions.current(runtime, _request(value)).is_admin
    assert sessions.current(runtime, _request(sso)).is_admin


def test_end_revoke_deactivate_and_timeouts(runtime, people):
    org_id, user_id, _, conn_id = people
    with runtime.db.write() as s:
        ended, _ = sessions.start(s, org_id=org_id, user_id=user_id)
        idle, _ = sessions.start(s, org_id=org_id, user_id=user_id)
        old, _ = sessions.start(s, org_id=org_id, user_id=user_id)
        live, _ = sessions.start(s, org_id=org_id, user_id=user_id)
    sessions.end(runtime, _request(ended))
    assert sessions.current(runtime, _request(ended)) is None
    with runtime.db.write() as s:
        rows = {r.id_hash: r for r in s.scalars(sa.select(BrowserSession))}
        by_cookie = {c: rows[sessions._hash(c)] for c in (idle, old)}
        by_cookie[idle].last_seen_at -= sessions.IDLE_TIMEOUT + timedelta(seconds=1)
        by_cookie[old].expires_at = by_cookie[old].created_at
    assert sessions.current(runtime, _request(idle)) is None
    assert sessions.current(runtime, _request(old)) is None
    assert sessions.current(runtime, _request(live)) is not None
    with runtime.db.write() as s:
        s.get(ScimUser, user_id).active = False
    assert sessions.current(runtime, _request(live)) is None
    with runtime.db.write() as s:
        s.get(ScimUser, user_id).active = True
        users.revoke_access(s, user_id)
    assert sessions.current(runtime, _request(live)) is None


def test_secure_cookie_on_https(runtime):
    from dataclasses import replace

    response = Response()
    sessions.attach(response, "v", replace(runtime.settings, base_url="https://q.example"))
    assert "secure" in response.headers["set-cookie"].lower()
