"""Users and audit log pages, in-process: paging, search, deactivation through the shared
service (sessions and refresh tokens end), and the audit filters."""

from __future__ import annotations

import sqlalchemy as sa

from backend.store.models import BrowserSession, ScimUser
from tests.backend.dashboard.browser import make_connection, make_org, make_user
from tests.backend.dashboard.conftest import csrf_token, sign_in
from tests.backend.dashboard.test_access import _admin


async def test_deactivate_returns_to_the_same_search_and_ends_sessions(web, runtime):
    org = make_org(runtime, "Acme", ("acme.test",))
    cid = make_connection(runtime, org, issuer="https://acme.okta.com")
    ada = make_user(runtime, org, cid, "ada@acme.test", "Ada Lovelace")
    with runtime.db.write() as s:
        from backend.web import sessions

        sessions.start(s, org_id=org, user_id=ada)
    sign_in(web, runtime, org, admin_id=_admin(runtime, org, "it@acme.test"))
    token = await csrf_token(web, "/dashboard/users")
    r = await web.post(
        f"/dashboard/users/{ada}/deactivate",
        data={"csrf_token": token, "back": "/dashboard/users?q=ada&page=1&done=old&evil=1"},
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/dashboard/users?q=ada&page=1&done=ada%40acme.test"
    with runtime.db.read() as s:
        assert s.get(ScimUser, ada).active is False
        live = s.scalar(
            sa.select(sa.func.count())
            .select_from(BrowserSession)
            .where(BrowserSession.user_id == ada, BrowserSession.revoked_at.is_(None))
        )
    assert live == 0
    page = await web.get("/dashboard/users?status=inactive")
    assert "Ada Lovelace" in page.text and "1 user" in page.text


async def test_users_paging_and_search(web, runtime):
    org = make_org(runtime, "Acme", ("acme.test",))
    cid = make_connection(runtime, org, issuer="https://acme.okta.com")
    for n in range(27):
        make_user(runtime, org, cid, f"e{n:02}@acme.test", f"Editor {n:02}")
    sign_in(web, runtime, org, admin_id=_admin(runtime, org, "it@acme.test"))
    first = await web.get("/dashboard/users")
    assert "Page 1 of 2" in first.text and "Editor 24" in first.text
    assert "Editor 25" not in first.text and "page=2" in first.text
    second = await web.get("/dashboard/users?page=2")
    assert "Editor 25" in second.text and "Editor 26" in second.text
    found = await web.get("/dashboard/users?q=E07%40ACME")
    assert "Editor 07" in found.text and "Editor 08" not in found.text
    assert (await web.get("/dashboard/users?page=zz&status=bogus")).status_code == 200


async def test_audit_filter_by_kind(web, runtime):
    org = make_org(runtime, "Acme", ("acme.test",))
    make_connection(runtime, org, issuer="https://acme.okta.com")
    sign_in(web, runtime, org, admin_id=_admin(runtime, org, "it@acme.test"))
    everything = await web.get("/dashboard/audit")
    assert "Created a connection" in everything.text and "Added an email domain" in everything.text
    only = await web.get("/dashboard/audit?action=connection.")
    assert "Created a connection" in only.text and "Added an email domain" not in only.text
    assert (await web.get("/dashboard/audit?action=<script>&before=x")).status_code == 200
