"""Checking an issuer: discovery, JWKS and the harmless client-credentials probe."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from backend.dashboard import oidc_check
from tests.backend.dashboard.conftest import discovery

ISSUER = "https://acme.okta.com"


def client(handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_discover_reads_the_endpoints():
    def handler(request):
        assert str(request.url) == ISSUER + "/.well-known/openid-configuration"
        return httpx.Response(200, json=discovery(ISSUER))

    found = oidc_check.discover(client(handler), ISSUER)
    assert found.token_endpoint == ISSUER + "/oauth2/v1/token"


@pytest.mark.parametrize(
    ("response", "words"),
    [
        (httpx.Response(404), "answered HTTP 404"),
        (httpx.Response(200, text="<html>"), "did not answer with JSON"),
        (httpx.Response(200, json=discovery("https://other.okta.com")), "names the issuer"),
        (httpx.Response(200, json={"issuer": ISSUER}), "does not list"),
        (httpx.Response(200, json=[1, 2]), "did not answer with an OpenID"),
        (
            httpx.Response(200, json={**discovery(ISSUER), "token_endpoint": "http://x.test/t"}),
            "not https",
        ),
    ],
)
def test_discover_says_what_is_wrong(response, words):
    with pytest.raises(oidc_check.CheckFailed, match=words):
        oidc_check.discover(client(lambda r: response), ISSUER)


def test_unreachable_issuer():
    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(oidc_check.CheckFailed, match="could not reach.*refused or the name"):
        oidc_check.discover(client(refuse), ISSUER)


def test_jwks():
    ok = client(lambda r: httpx.Response(200, json={"keys": [{"kty": "RSA"}, {"kty": "RSA"}]}))
    assert oidc_check.check_jwks(ok, ISSUER + "/keys") == 2
    empty = client(lambda r: httpx.Response(200, json={"keys": []}))
    with pytest.raises(oidc_check.CheckFailed, match="no signing keys"):
        oidc_check.check_jwks(empty, ISSUER + "/keys")


@pytest.mark.parametrize(
    ("status", "body", "accepted"),
    [
        (401, {"error": "invalid_client"}, False),
        (400, {"error": "invalid_client"}, False),
        (400, {"error": "invalid_grant"}, True),
        (400, {"error": "unauthorized_client"}, True),
        (500, {}, None),
    ],
)
def test_probe_tells_a_bad_secret_from_a_good_one(status, body, accepted):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(status, json=body)

    result = oidc_check.probe_client(
        client(handler),
        ISSUER + "/token",
        "0oa id",
        "s:cret",
        "http://127.0.0.1:8000/login/callback",
    )
    assert result.accepted is accepted
    sent = seen[0]
    basic = base64.b64decode(sent.headers["authorization"].split()[1]).decode()
    assert basic == "0oa%20id:s%3Acret"  # RFC 6749 2.3.1 form-encoding
    form = dict(x.split("=", 1) for x in sent.content.decode().split("&"))
    assert form["grant_type"] == "authorization_code" and form["code"].startswith("quickture-")
    assert "s%3Acret" not in json.dumps(form)
