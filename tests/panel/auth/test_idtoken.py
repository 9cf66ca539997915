import time

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from panel.auth.errors import IdTokenInvalid
from panel.auth.idtoken import UnknownKey, validate_id_token

ISS = "https://q.example.com"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
JWKS = {"keys": [KEY.as_dict(private=False)]}
NOW = 1_800_000_000


def token(key=KEY, header=None, **overrides) -> str:
    claims = {"iss": ISS, "aud": "quickture-panel", "sub": "u1", "nonce": "n1",
              "iat": NOW, "exp": NOW + 300, "email": "ada@acme.test", **overrides}  # fmt: skip
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(header or {"alg": "RS256", "kid": "k1"}, claims, key)


def check(id_token: str, nonce: str | None = "n1", now: float = NOW):
    return validate_id_token(
        id_token, JWKS, issuer=ISS, client_id="quickture-panel", nonce=nonce, now=lambda: now
    )


def test_valid_token_gives_the_identity():
    claims = check(token())
    assert (claims.sub, claims.email) == ("u1", "ada@acme.test")


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "https://evil.example"},
        {"aud": "someone-else"},
        {"nonce": "replayed"},
        {"nonce": None},
        {"exp": NOW - 3600},
        {"sub": None},
    ],
    ids=["iss", "aud", "nonce", "no-nonce", "expired", "no-sub"],
)
def test_bad_claims_are_refused(overrides):
    with pytest.raises(IdTokenInvalid):
        check(token(**overrides))


def test_signature_by_another_key_is_refused():
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(IdTokenInvalid, match="signature"):
        check(token(key=other))


def test_unknown_kid_is_its_own_error_so_the_caller_can_refetch():
    other = RSAKey.generate_key(2048, parameters={"kid": "k2"})
    with pytest.raises(UnknownKey):
        check(token(key=other, header={"alg": "RS256", "kid": "k2"}))


def test_hs256_and_none_are_refused():
    secret = OctKey.import_key(b"x" * 32)
    with pytest.raises(IdTokenInvalid):
        check(token(key=secret, header={"alg": "HS256", "kid": "k1"}))
    unsigned = token().rsplit(".", 1)[0] + "."
    with pytest.raises(IdTokenInvalid):
        check(unsigned)


def test_refresh_tokens_need_no_nonce():
    assert check(token(nonce=None), nonce=None).sub == "u1"


def test_uses_the_injected_clock_not_the_wall_clock():
    assert time.time() < NOW  # the token is "from the future" for the wall clock
    with pytest.raises(IdTokenInvalid):
        check(token(), now=NOW + 3600)
