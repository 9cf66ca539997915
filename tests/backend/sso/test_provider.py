"""The relying party's pure parts and its discovery/JWKS cache, with a mock transport."""

from __future__ import annotations

import time

import httpx2
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from backend.sso.errors import InvalidIdToken, IssuerMismatch, ProviderUnavailable
from backend.sso.provider import (
    ClientConfig,
    Providers,
    check_id_token_claims,
    choose_auth_method,
    parse_metadata,
)

ISSUER = "https://acme.okta.example"
CLIENT = "0oa-client"


def discovery(**over: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "issuer": ISSUER,
        "authorization_endpoint": ISSUER + "/oauth2/v1/authorize",
        "token_endpoint": ISSUER + "/oauth2/v1/token",
        "jwks_uri": ISSUER + "/oauth2/v1/keys",
    }
    doc.update(over)
    return doc


def claims(**over: object) -> dict[str, object]:
    now = int(time.time())
    c: dict[str, object] = {
        "iss": ISSUER,
        "sub": "00u1",
        "aud": CLIENT,
        "iat": now,
        "exp": now + 300,
        "nonce": "n-1",
    }
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def check(c: dict[str, object], nonce: str = "n-1") -> dict[str, object]:
    return check_id_token_claims(
        c, {"alg": "RS256"}, issuer=ISSUER, client_id=CLIENT, nonce=nonce, access_token=None
    )


def test_valid_claims_pass():
    assert check(claims())["sub"] == "00u1"


@pytest.mark.parametrize(
    ("over", "error"),
    [
        ({"iss": "https://evil.okta.example"}, IssuerMismatch),
        ({"aud": "someone-else"}, InvalidIdToken),
        ({"exp": int(time.time()) - 600}, InvalidIdToken),
        ({"iat": int(time.time()) + 3600}, InvalidIdToken),
        ({"nonce": "n-2"}, InvalidIdToken),
        ({"nonce": None}, InvalidIdToken),
        ({"sub": None}, InvalidIdToken),
    ],
    ids=["iss", "aud", "exp", "iat-future", "nonce", "nonce-missing", "sub-missing"],
)
def test_bad_claims_are_refused(over, error):
    with pytest.raises(error):
        check(claims(**over))


def test_discovery_must_name_our_issuer():
    with pytest.raises(ProviderUnavailable, match="names the issuer"):
        parse_metadata(ISSUER, discovery(issuer="https://other.example"))


def test_discovery_must_have_endpoints():
    with pytest.raises(ProviderUnavailable, match="token_endpoint"):
        parse_metadata(ISSUER, discovery(token_endpoint=None))
    with pytest.raises(ProviderUnavailable):
        parse_metadata(ISSUER, ["not", "an", "object"])


@pytest.mark.parametrize(
    ("supported", "chosen"),
    [
        (None, "client_secret_basic"),
        (["client_secret_post"], "client_secret_post"),
        (["client_secret_post", "client_secret_basic"], "client_secret_basic"),
        (["private_key_jwt", "client_secret_post"], "client_secret_post"),
    ],
)
def test_token_endpoint_auth_method_follows_metadata(supported, chosen):
    assert choose_auth_method(supported) == chosen
    md = parse_metadata(ISSUER, discovery(token_endpoint_auth_methods_supported=supported))
    assert md.token_endpoint_auth_method == chosen


def test_no_secret_method_is_refused():
    with pytest.raises(ProviderUnavailable):
        choose_auth_method(["private_key_jwt"])


class FakeOkta:
    """Discovery, keys and a token endpoint behind an httpx2 mock transport."""

    def __init__(self) -> None:
        self.keys = [RSAKey.generate_key(2048, private=True, auto_kid=True)]
        self.requests: list[httpx2.Request] = []

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if request.url.path == "/.well-known/openid-configuration":
            return httpx2.Response(200, json=discovery())
        if request.url.path == "/oauth2/v1/keys":
            return httpx2.Response(
                200, json={"keys": [k.as_dict(private=False) for k in self.keys]}
            )
        return httpx2.Response(404)

    def sign(self, c: dict[str, object]) -> str:
        key = self.keys[-1]
        return jwt.encode({"alg": "RS256", "kid": key.kid}, c, key)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


def providers_for(fake: FakeOkta) -> Providers:
    return Providers(client_kwargs={"transport": httpx2.MockTransport(fake.handler)})


CFG = ClientConfig(
    issuer=ISSUER,
    client_id=CLIENT,
    client_secret="s",
    redirect_uri="https://auth.quickture.example/login/callback",
)


def test_discovery_and_keys_are_cached():
    fake = FakeOkta()
    providers = providers_for(fake)
    md = providers.metadata(ISSUER)
    for _ in range(3):
        providers.verify_id_token(
            CFG, providers.metadata(ISSUER), fake.sign(claims()), nonce="n-1", access_token=None
        )
    assert fake.paths().count("/.well-known/openid-configuration") == 1
    assert fake.paths().count("/oauth2/v1/keys") == 1
    assert md.issuer == ISSUER


def test_unknown_kid_refetches_the_keys():
    fake = FakeOkta()
    providers = providers_for(fake)
    md = providers.metadata(ISSUER)
    providers.verify_id_token(CFG, md, fake.sign(claims()), nonce="n-1", access_token=None)
    fake.keys.append(RSAKey.generate_key(2048, private=True, auto_kid=True))  # Okta rotates
    out = providers.verify_id_token(CFG, md, fake.sign(claims()), nonce="n-1", access_token=None)
    assert out["sub"] == "00u1"
    assert fake.paths().count("/oauth2/v1/keys") == 2


def test_a_token_signed_by_a_stranger_is_refused():
    fake = FakeOkta()
    providers = providers_for(fake)
    md = providers.metadata(ISSUER)
    stranger = RSAKey.generate_key(2048, private=True)
    stranger_token = jwt.encode({"alg": "RS256", "kid": fake.keys[0].kid}, claims(), stranger)
    with pytest.raises(InvalidIdToken, match="signature"):
        providers.verify_id_token(CFG, md, stranger_token, nonce="n-1", access_token=None)


def test_unsigned_token_is_refused():
    fake = FakeOkta()
    providers = providers_for(fake)
    md = providers.metadata(ISSUER)
    import base64
    import json

    def b64(d: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    token = b64({"alg": "none"}) + "." + b64(claims()) + "."
    with pytest.raises(InvalidIdToken):
        providers.verify_id_token(CFG, md, token, nonce="n-1", access_token=None)


def test_authorization_url_carries_state_nonce_pkce_and_hint():
    fake = FakeOkta()
    providers = providers_for(fake)
    md = providers.metadata(ISSUER)
    url = providers.authorization_url(
        CFG, md, state="st", nonce="nn", code_verifier="v" * 64, login_hint="ada@acme.test"
    )
    q = httpx2.URL(url).params
    assert q["state"] == "st" and q["nonce"] == "nn" and q["login_hint"] == "ada@acme.test"
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert q["redirect_uri"] == CFG.redirect_uri and q["client_id"] == CLIENT
    assert q["response_type"] == "code" and "openid" in q["scope"].split()


def test_unreachable_provider():
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    providers = Providers(client_kwargs={"transport": httpx2.MockTransport(refuse)})
    with pytest.raises(ProviderUnavailable, match="ConnectError"):
        providers.metadata(ISSUER)


def test_discovery_http_error():
    providers = Providers(
        client_kwargs={
            "transport": httpx2.MockTransport(lambda r: httpx2.Response(500, text="oops"))
        }
    )
    with pytest.raises(ProviderUnavailable, match="HTTP 500"):
        providers.metadata(ISSUER)
