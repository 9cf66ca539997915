"""The authorization server over real HTTP: the panel's PKCE flow and every refusal."""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet

from backend.store.models import OAuthCode, RefreshToken
from backend.store.models.base import utcnow
from tests.backend.sso import kit
from tests.backend.sso.kit import PANEL, Browser, Panel


def user(backend, **kw) -> str:
    email = f"ed-{secrets.token_hex(4)}@acme.test"
    backend.provision(email, **kw)
    return email


def signed_in_code(backend, browser, panel: Panel | None = None) -> tuple[Panel, str, str]:
    email = user(backend)
    panel = panel or Panel(backend.url)
    back = browser.sign_in(panel.authorize_url(), email, stop_at=panel.redirect_uri)
    return panel, panel.code_from(back), email


def tokens_for(backend, browser) -> tuple[Panel, dict, str]:
    panel, code, email = signed_in_code(backend, browser)
    r = panel.exchange(code)
    assert r.status_code == 200, r.text
    return panel, r.json(), email


def error_of(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


def test_panel_signs_in_and_gets_tokens(backend, browser):
    panel, tokens, email = tokens_for(backend, browser)
    assert tokens["token_type"] == "Bearer"
    assert 0 < tokens["expires_in"] <= 600
    assert tokens["refresh_token"].startswith("qtrt_")
    jwks = kit.get(backend.url + "/oauth/jwks").json()
    id_token = jwt.decode(tokens["id_token"], KeySet.import_key_set(jwks))
    claims = id_token.claims
    assert claims["iss"] == backend.url
    assert claims["aud"] == [PANEL]
    assert claims["nonce"] == panel.nonce
    assert claims["email"] == email
    assert claims["exp"] > claims["iat"]
    access = jwt.decode(tokens["access_token"], KeySet.import_key_set(jwks)).claims
    assert access["sub"] == claims["sub"]
    assert access["org"] == backend.org_id
    assert access["aud"] == backend.url + "/api/v1"
    assert set(access["scope"].split()) == {"openid", "profile", "email", "offline_access"}
    assert access["exp"] - access["iat"] <= 600 and access["jti"]
    me = panel.me(tokens["access_token"])
    assert me.status_code == 200 and me.json()["user_name"] == email
    info = kit.get(
        backend.url + "/oauth/userinfo",
        headers={"Authorization": "Bearer " + tokens["access_token"]},
    )
    assert info.status_code == 200
    assert info.json()["sub"] == claims["sub"] and info.json()["email"] == email


def test_without_a_session_authorize_goes_through_login(backend, browser):
    panel = Panel(backend.url)
    r = browser.get(panel.authorize_url())
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=%2Foauth%2Fauthorize%3F")


def test_second_authorize_with_a_session_skips_login(backend, browser):
    panel, code, _ = signed_in_code(backend, browser)
    again = Panel(backend.url, port=50001)
    r = browser.get(again.authorize_url())
    assert again.code_from(r) != code


def test_refresh_rotates_and_reuse_revokes_the_family(backend, browser):
    panel, tokens, _ = tokens_for(backend, browser)
    first = tokens["refresh_token"]
    r = panel.refresh(first)
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first and "access_token" in second
    assert panel.me(second["access_token"]).status_code == 200
    reuse = panel.refresh(first)
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant" and reuse.json()["reason"] == "revoked"
    # the whole family is gone: the newest refresh token and the access tokens too
    assert panel.refresh(second["refresh_token"]).json()["error"] == "invalid_grant"
    me = panel.me(second["access_token"])
    assert me.status_code == 401 and me.json()["reason"] == "revoked"


def test_code_is_single_use_and_replay_revokes_its_tokens(backend, browser):
    panel, code, _ = signed_in_code(backend, browser)
    first = panel.exchange(code)
    assert first.status_code == 200
    replay = panel.exchange(code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert panel.refresh(first.json()["refresh_token"]).status_code == 400
    me = panel.me(first.json()["access_token"])
    assert me.status_code == 401 and me.json()["reason"] == "revoked"


def test_expired_code_is_refused(backend, browser):
    panel, code, _ = signed_in_code(backend, browser)
    with backend.rt.db.write() as s:
        s.execute(sa.update(OAuthCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    r = panel.exchange(code)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    assert "expired" in r.json()["error_description"]


def test_codes_live_sixty_seconds(backend, browser):
    signed_in_code(backend, browser)
    with backend.rt.db.read() as s:
        row = s.scalars(sa.select(OAuthCode).order_by(OAuthCode.created_at.desc())).first()
        assert row.expires_at - row.created_at == timedelta(seconds=60)


def test_pkce_mismatch_is_refused(backend, browser):
    panel, code, _ = signed_in_code(backend, browser)
    r = panel.exchange(code, verifier=secrets.token_urlsafe(48))
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_missing_verifier_is_refused(backend, browser):
    panel, code, _ = signed_in_code(backend, browser)
    r = panel.exchange(code, verifier=None)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_redirect_uri_must_match_the_code(backend, browser):
    panel, code, _ = signed_in_code(backend, browser)
    r = panel.exchange(code, redirect_uri="http://127.0.0.1:50002/callback")
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_challenge_method": "plain"},
        {"code_challenge_method": None},
        {"code_challenge": None, "code_challenge_method": None},
    ],
    ids=["plain", "no-method", "no-challenge"],
)
def test_pkce_s256_is_required(backend, browser, overrides):
    panel, _, _ = signed_in_code(backend, browser)  # signed in, so only PKCE can fail
    if overrides.get("code_challenge_method") == "plain":
        overrides["code_challenge"] = panel.verifier
    r = browser.get(panel.authorize_url(**overrides))
    assert r.status_code == 302
    assert r.headers["location"].startswith(panel.redirect_uri + "?")
    err = error_of(r.headers["location"])
    assert err["error"] == ["invalid_request"] and err["state"] == [panel.state]
    assert "code" not in err


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://evil.example:8080/callback",
        "http://localhost:8080/callback",
        "https://127.0.0.1:8080/callback",
        "http://127.0.0.1:8080/other",
        "http://127.0.0.1/callback",
        "http://127.0.0.1:8080/callback?x=1",
        None,
    ],
)
def test_bad_redirect_uri_is_an_error_page_never_a_redirect(backend, browser, redirect_uri):
    signed_in_code(backend, browser)
    r = browser.get(Panel(backend.url).authorize_url(redirect_uri=redirect_uri))
    assert r.status_code == 400
    assert "location" not in r.headers
    assert "text/html" in r.headers["content-type"]


def test_ipv6_loopback_redirect_is_accepted(backend, browser):
    signed_in_code(backend, browser)
    panel = Panel(backend.url)
    r = browser.get(panel.authorize_url(redirect_uri="http://[::1]:50003/callback"))
    assert r.status_code == 302
    assert r.headers["location"].startswith("http://[::1]:50003/callback?code=")


def test_unknown_client_is_an_error_page(backend, browser):
    r = browser.get(Panel(backend.url).authorize_url(client_id="not-a-client"))
    assert r.status_code == 400 and "location" not in r.headers


def test_implicit_flow_is_refused(backend, browser):
    panel, _, _ = signed_in_code(backend, browser)
    r = browser.get(panel.authorize_url(response_type="token"))
    assert r.status_code == 302
    assert error_of(r.headers["location"])["error"] == ["unsupported_response_type"]


@pytest.mark.parametrize(
    "data",
    [
        {"grant_type": "password", "username": "a@acme.test", "password": "x"},
        {"grant_type": "client_credentials"},
        {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "x"},
    ],
)
def test_other_grants_are_refused(backend, data):
    r = kit.post(backend.url + "/oauth/token", data={**data, "client_id": PANEL})
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"


def test_revoking_a_refresh_token_ends_the_sign_in(backend, browser):
    panel, tokens, _ = tokens_for(backend, browser)
    r = kit.post(
        backend.url + "/oauth/revoke",
        data={
            "token": tokens["refresh_token"],
            "token_type_hint": "refresh_token",
            "client_id": PANEL,
        },
    )
    assert r.status_code == 200
    assert panel.refresh(tokens["refresh_token"]).status_code == 400
    me = panel.me(tokens["access_token"])
    assert me.status_code == 401 and me.json()["reason"] == "revoked"


def test_revoking_an_access_token_ends_its_family(backend, browser):
    panel, tokens, _ = tokens_for(backend, browser)
    r = kit.post(
        backend.url + "/oauth/revoke", data={"token": tokens["access_token"], "client_id": PANEL}
    )
    assert r.status_code == 200
    assert panel.me(tokens["access_token"]).json()["reason"] == "revoked"


def test_revoking_an_unknown_token_is_ok(backend):
    r = kit.post(backend.url + "/oauth/revoke", data={"token": "nope", "client_id": PANEL})
    assert r.status_code == 200


def test_discovery_documents(backend):
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        doc = kit.get(backend.url + path).json()
        assert doc["issuer"] == backend.url
        assert doc["authorization_endpoint"] == backend.url + "/oauth/authorize"
        assert doc["token_endpoint"] == backend.url + "/oauth/token"
        assert doc["revocation_endpoint"] == backend.url + "/oauth/revoke"
        assert doc["jwks_uri"] == backend.url + "/oauth/jwks"
        assert doc["code_challenge_methods_supported"] == ["S256"]
        assert doc["response_types_supported"] == ["code"]
        assert doc["grant_types_supported"] == ["authorization_code", "refresh_token"]


def test_rotation_keeps_the_old_key_published(backend, browser):
    panel, before, _ = tokens_for(backend, browser)
    with backend.rt.db.write() as s:
        from backend.oauth.keys import KeyStore

        new_kid = KeyStore(backend.rt.box).rotate(s)
    kids = {k["kid"] for k in kit.get(backend.url + "/oauth/jwks").json()["keys"]}
    old_kid = jwt.decode(
        before["access_token"], KeySet.import_key_set(kit.get(backend.url + "/oauth/jwks").json())
    ).header["kid"]
    assert {old_kid, new_kid} <= kids
    assert panel.me(before["access_token"]).status_code == 200  # the old key still verifies
    with Browser() as other:  # another editor, another browser
        _, after, _ = tokens_for(backend, other)
    header = jwt.decode(
        after["access_token"], KeySet.import_key_set(kit.get(backend.url + "/oauth/jwks").json())
    ).header
    assert header["kid"] == new_kid


def test_refresh_tokens_are_stored_hashed(backend, browser):
    _, tokens, _ = tokens_for(backend, browser)
    with backend.rt.db.read() as s:
        stored = set(s.scalars(sa.select(RefreshToken.token_hash)))
    assert tokens["refresh_token"] not in stored
