from __future__ import annotations

import time

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from backend.oauth.keys import SigningKeyInfo
from backend.oauth.tokens import AccessTokenError, decode_access_token, encode_access_token

ISSUER = "https://auth.quickture.example"
KEY = RSAKey.generate_key(2048, private=True, auto_kid=True)
INFO = SigningKeyInfo(kid=KEY.kid or "k", alg="RS256", private=KEY)


def encode(**over) -> str:
    args = dict(
        issuer=ISSUER, sub="u1", org="o1", scope="openid", client_id="quickture-panel", sid="f1"
    )
    args.update(over)
    return encode_access_token(INFO, **args)[0]


def decode(token: str, **over):
    return decode_access_token(
        token,
        issuer=over.get("issuer", ISSUER),
        public_key=lambda kid: KEY if kid == KEY.kid else None,
    )


def test_roundtrip():
    claims = decode(encode())
    assert (claims.sub, claims.org, claims.scope, claims.sid) == ("u1", "o1", "openid", "f1")
    assert claims.exp - claims.iat == 600


def test_expired():
    with pytest.raises(AccessTokenError) as err:
        decode(encode(now=int(time.time()) - 3600))
    assert err.value.reason == "expired"


def test_other_issuer_is_invalid():
    with pytest.raises(AccessTokenError) as err:
        decode(encode(issuer="https://evil.example"))
    assert err.value.reason == "invalid"


def test_id_token_is_not_an_access_token():
    now = int(time.time())
    id_token = jwt.encode(
        {"alg": "RS256", "kid": KEY.kid},
        {
            "iss": ISSUER,
            "sub": "u1",
            "aud": ISSUER + "/api/v1",
            "iat": now,
            "exp": now + 60,
            "jti": "x",
            "org": "o1",
            "scope": "",
            "client_id": "c",
        },
        KEY,
    )
    with pytest.raises(AccessTokenError, match="not an access token"):
        decode(id_token)


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c", "x" * 9000])
def test_garbage(token):
    with pytest.raises(AccessTokenError) as err:
        decode(token)
    assert err.value.reason == "invalid"


def test_unknown_kid():
    other = RSAKey.generate_key(2048, private=True, auto_kid=True)
    token = encode_access_token(
        SigningKeyInfo(other.kid or "o", "RS256", other),
        issuer=ISSUER,
        sub="u",
        org="o",
        scope="",
        client_id="c",
        sid=None,
    )[0]
    with pytest.raises(AccessTokenError, match="unknown key"):
        decode(token)
