"""``/api/v1/me`` and the bearer check: losing access the moment Okta or an admin says so."""

from __future__ import annotations

import secrets
import time

import httpx
import pytest
import sqlalchemy as sa
from joserfc.jwk import RSAKey

from backend.domain import connections, users
from backend.oauth.keys import KeyStore, SigningKeyInfo
from backend.oauth.tokens import encode_access_token
from backend.store.models import BrowserSession, RefreshToken, ScimUser
from tests.backend.sso import kit
from tests.backend.sso.kit import PANEL, Browser, Panel


def signed_in(
    backend, *, connection_id: str | None = None, domain: str = "acme.test"
) -> tuple[Panel, dict, str, Browser]:
    email = f"ed-{secrets.token_hex(4)}@{domain}"
    user_id = backend.provision(email, connection_id=connection_id)
    browser = Browser()
    panel = Panel(backend.url)
    back = browser.sign_in(panel.authorize_url(), email, stop_at=panel.redirect_uri)
    r = panel.exchange(panel.code_from(back))
    assert r.status_code == 200, r.text
    return panel, r.json(), user_id, browser


def refused(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"] == "invalid_token" and body["reason"] == reason
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


def test_me_returns_the_profile(backend):
    panel, tokens, user_id, browser = signed_in(backend)
    with browser:
        body = panel.me(tokens["access_token"]).json()
    assert body["id"] == user_id
    assert body["display_name"] == "Ada Lovelace"
    assert body["given_name"] == "Ada" and body["family_name"] == "Lovelace"
    assert body["organization"] == {"id": backend.org_id, "name": "Acme Post"}
    assert body["connection_id"] == backend.connection_id
    assert body["dashboard_url"] == backend.url + "/dashboard"
    assert body["email"] == body["user_name"]


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "invalid"),
        ("Bearer", "invalid"),
        ("Bearer not.a.jwt", "invalid"),
        ("Basic abc", "invalid"),
    ],
)
def test_missing_or_malformed_token(backend, header, reason):
    headers = {"Authorization": header} if header else {}
    refused(kit.get(backend.url + "/api/v1/me", headers=headers), reason)


def test_expired_token(backend):
    panel, tokens, user_id, browser = signed_in(backend)
    browser.client.close()
    with backend.rt.db.write() as s:
        key = KeyStore(backend.rt.box).current(s)
    old, _ = encode_access_token(
        key,
        issuer=backend.url,
        sub=user_id,
        org=backend.org_id,
        scope="openid",
        client_id=PANEL,
        sid=None,
        now=int(time.time()) - 3600,
    )
    refused(panel.me(old), "expired")


def test_token_signed_by_an_unknown_key(backend):
    panel, tokens, user_id, browser = signed_in(backend)
    browser.client.close()
    stranger = RSAKey.generate_key(2048, private=True, auto_kid=True)
    key = SigningKeyInfo(kid=stranger.kid or "x", alg="RS256", private=stranger)
    forged, _ = encode_access_token(
        key,
        issuer=backend.url,
        sub=user_id,
        org=backend.org_id,
        scope="openid",
        client_id=PANEL,
        sid=None,
    )
    refused(panel.me(forged), "invalid")


def test_deactivation_ends_access_at_once(backend):
    panel, tokens, user_id, browser = signed_in(backend)
    with browser:
        assert panel.me(tokens["access_token"]).status_code == 200
        with backend.rt.db.write() as s:  # SCIM active:false and the Dashboard both call this
            users.deactivate_user(s, user_id, actor="okta")
        refused(panel.me(tokens["access_token"]), "deactivated")
        r = panel.refresh(tokens["refresh_token"])
        assert r.status_code == 400
        assert r.json()["error"] == "invalid_grant" and r.json()["reason"] == "deactivated"
        # the browser session is gone too: /oauth/authorize sends the browser to /login
        again = Panel(backend.url, port=50010)
        assert browser.get(again.authorize_url()).headers["location"].startswith("/login")
    with backend.rt.db.read() as s:
        assert (
            s.scalar(
                sa.select(sa.func.count())
                .select_from(RefreshToken)
                .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            )
            == 0
        )
        assert (
            s.scalar(
                sa.select(sa.func.count())
                .select_from(BrowserSession)
                .where(BrowserSession.user_id == user_id, BrowserSession.revoked_at.is_(None))
            )
            == 0
        )


def test_inactive_flag_alone_is_enough(backend):
    """Even if nothing was revoked, the check reads the account on every call."""
    panel, tokens, user_id, browser = signed_in(backend)
    browser.client.close()
    with backend.rt.db.write() as s:
        s.execute(sa.update(ScimUser).where(ScimUser.id == user_id).values(active=False))
    refused(panel.me(tokens["access_token"]), "deactivated")


def test_reactivated_user_can_use_a_new_sign_in(backend):
    panel, tokens, user_id, browser = signed_in(backend)
    browser.client.close()
    with backend.rt.db.write() as s:
        users.deactivate_user(s, user_id, actor="okta")
        users.reactivate_user(s, user_id, actor="okta")
    # the old sign-in stays revoked
    refused(panel.me(tokens["access_token"]), "revoked")


def test_deleted_connection_ends_access(backend):
    _, conn = backend.new_org(f"del{secrets.token_hex(2)}.test")
    with backend.rt.db.read() as s:
        domain = s.scalar(
            sa.text(
                "SELECT domain FROM org_domains d JOIN connections c ON c.org_id = d.org_id "
                "WHERE c.id = :c"
            ),
            {"c": conn},
        )
    panel, tokens, user_id, browser = signed_in(backend, connection_id=conn, domain=domain)
    with browser:
        with backend.rt.db.write() as s:
            connections.delete_connection(s, conn, actor="admin@acme.test")
        refused(panel.me(tokens["access_token"]), "not_provisioned")
        r = panel.refresh(tokens["refresh_token"])
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
        again = Panel(backend.url, port=50011)
        assert browser.get(again.authorize_url()).headers["location"].startswith("/login")


def test_deleted_user_is_not_provisioned(backend):
    panel, tokens, user_id, browser = signed_in(backend)
    browser.client.close()
    with backend.rt.db.write() as s:
        users.delete_user(s, user_id, actor="okta")
    refused(panel.me(tokens["access_token"]), "not_provisioned")


def test_userinfo_uses_the_same_check(backend):
    panel, tokens, user_id, browser = signed_in(backend)
    browser.client.close()
    with backend.rt.db.write() as s:
        users.deactivate_user(s, user_id, actor="okta")
    r = kit.get(
        backend.url + "/oauth/userinfo",
        headers={"Authorization": "Bearer " + tokens["access_token"]},
    )
    refused(r, "deactivated")


def test_scim_deactivation_ends_access_at_once(backend):
    """Okta's Deactivate Users (SCIM PATCH active:false) with an unexpired access token."""
    panel, tokens, user_id, browser = signed_in(backend)
    with browser:
        assert panel.me(tokens["access_token"]).status_code == 200
        backend.deactivate(user_id)
        refused(panel.me(tokens["access_token"]), "deactivated")
        r = panel.refresh(tokens["refresh_token"])
        assert r.status_code == 400 and r.json()["reason"] == "deactivated"
        again = Panel(backend.url, port=50012)
        assert browser.get(again.authorize_url()).headers["location"].startswith("/login")


def test_scim_delete_ends_access(backend):
    panel, tokens, user_id, browser = signed_in(backend)
    browser.client.close()
    assert backend.scim("DELETE", f"/Users/{user_id}").status_code == 204
    refused(panel.me(tokens["access_token"]), "not_provisioned")
