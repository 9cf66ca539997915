"""Who sees what: sign-in redirects, editors refused, no organization sees another's data."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.dashboard.access import safe_next
from backend.domain import admins, connections, scim_tokens
from backend.store.models import Admin, Connection
from tests.backend.dashboard.browser import make_connection, make_org, make_user
from tests.backend.dashboard.conftest import csrf_token, sign_in


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/dashboard/sso", "/dashboard/sso"),
        ("//evil.example/x", "/dashboard"),
        ("https://evil.example", "/dashboard"),
        ("/\\evil", "/dashboard"),
        (None, "/dashboard"),
    ],
)
def test_safe_next(value, expected):
    assert safe_next(value) == expected


async def test_signed_out_is_sent_to_login_with_next(web):
    r = await web.get("/dashboard/users?q=ada")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/dashboard/users%3Fq%3Dada"


def _admin(rt, org_id: str, email: str) -> str:
    with rt.db.write() as s:
        return admins.create_admin(
            s, org_id=org_id, email=email, password="x" * 12, actor="test"
        ).id


async def test_editor_gets_403_on_every_admin_page(web, runtime):
    org = make_org(runtime, "Acme", ("acme.test",))
    cid = make_connection(runtime, org, issuer="https://acme.okta.com")
    sign_in(web, runtime, org, user_id=make_user(runtime, org, cid, "ada@acme.test", "Ada L"))
    for path in (
        "/dashboard/sso",
        f"/dashboard/sso/{cid}",
        f"/dashboard/sso/{cid}/health",
        "/dashboard/setup",
        "/dashboard/setup/oidc",
        "/dashboard/users",
        "/dashboard/audit",
        f"/dashboard/setup/{cid}/scim/status",
    ):
        r = await web.get(path)
        assert r.status_code == 403, path
        assert "For your IT admins only" in r.text
    assert (await web.get("/dashboard")).status_code == 200


async def test_sso_user_with_a_local_admins_email_is_an_admin(web, runtime):
    org = make_org(runtime, "Acme", ("acme.test",))
    cid = make_connection(runtime, org, issuer="https://acme.okta.com")
    _admin(runtime, org, "it@acme.test")
    sign_in(web, runtime, org, user_id=make_user(runtime, org, cid, "it@acme.test", "It Admin"))
    assert (await web.get("/dashboard/sso")).status_code == 200


async def test_admin_never_reaches_another_organizations_connection(web, runtime):
    acme = make_org(runtime, "Acme", ("acme.test",))
    theirs = make_connection(runtime, acme, issuer="https://acme.okta.com")
    with runtime.db.write() as s:
        token = scim_tokens.create_token(s, theirs, actor="test")
    victim_user = make_user(runtime, acme, theirs, "ada@acme.test", "Ada L")
    other = make_org(runtime, "Other", ("other.test",))
    sign_in(web, runtime, other, admin_id=_admin(runtime, other, "it@other.test"))

    listing = await web.get("/dashboard/sso")
    assert theirs not in listing.text and "Start the SSO Setup Wizard" in listing.text
    for path in (
        f"/dashboard/sso/{theirs}",
        f"/dashboard/sso/{theirs}/health",
        f"/dashboard/setup/{theirs}/scim",
        f"/dashboard/setup/{theirs}/oidc",
    ):
        r = await web.get(path)
        assert r.status_code == 404, path
        assert "acme.okta.com" not in r.text
    users = await web.get("/dashboard/users")
    assert "ada@acme.test" not in users.text

    token_value = await csrf_token(web, "/dashboard/sso")
    for path, data in (
        (f"/dashboard/sso/{theirs}/delete", {"confirm": theirs}),
        (f"/dashboard/sso/{theirs}/tokens", {}),
        (f"/dashboard/sso/{theirs}/tokens/{token.info.id}/delete", {}),
        (f"/dashboard/sso/{theirs}", {"issuer": "https://evil.okta.com", "client_id": "x"}),
        (f"/dashboard/users/{victim_user}/deactivate", {}),
        (f"/dashboard/setup/{theirs}/complete", {}),
    ):
        r = await web.post(path, data={"csrf_token": token_value, **data})
        assert r.status_code == 404, path
    with runtime.db.read() as s:
        conn = connections.get_connection(s, theirs)
        assert conn.issuer == "https://acme.okta.com" and conn.live_tokens == 1
        assert conn.setup_state == "complete"
        assert s.scalar(sa.select(sa.func.count()).select_from(Connection)) == 1


async def test_forms_without_the_csrf_token_are_refused(web, runtime):
    org = make_org(runtime, "Acme", ("acme.test",))
    cid = make_connection(runtime, org, issuer="https://acme.okta.com")
    sign_in(web, runtime, org, admin_id=_admin(runtime, org, "it@acme.test"))
    await csrf_token(web, "/dashboard/sso")
    r = await web.post(f"/dashboard/sso/{cid}/delete", data={"confirm": cid})
    assert r.status_code == 403 and "did not accept this form" in r.text
    r = await web.post(f"/dashboard/sso/{cid}/tokens", data={"csrf_token": "x" * 43})
    assert r.status_code == 403
    with runtime.db.read() as s:
        assert connections.get_connection(s, cid).live_tokens == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(Admin)) == 1
