from urllib.parse import parse_qs, urlsplit

import pytest

from panel.auth.errors import AuthorizationDenied, BackendMisconfigured
from panel.auth.pkce import s256_challenge
from panel.auth.request import (
    ProviderMetadata,
    StateMismatch,
    new_auth_request,
    parse_callback,
)

B = "https://q.example.com"
META = ProviderMetadata(B, B + "/oauth/authorize", B + "/oauth/token", B + "/oauth/revoke",
                        B + "/oauth/jwks")  # fmt: skip


def test_authorize_url_carries_pkce_s256_state_nonce_and_scope():
    req = new_auth_request(META, "http://127.0.0.1:5555/callback")
    parts = urlsplit(req.url)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.scheme + "://" + parts.netloc + parts.path == B + "/oauth/authorize"
    assert q == {
        "client_id": "quickture-panel",
        "response_type": "code",
        "redirect_uri": "http://127.0.0.1:5555/callback",
        "scope": "openid profile email offline_access",
        "state": req.state,
        "nonce": req.nonce,
        "code_challenge": s256_challenge(req.code_verifier),
        "code_challenge_method": "S256",
    }
    assert req.code_verifier not in req.url


def test_given_state_is_used():
    assert new_auth_request(META, "http://127.0.0.1:1/callback", state="abc").state == "abc"


def test_callback_checks_state_before_anything_else():
    with pytest.raises(StateMismatch):
        parse_callback({"error": "access_denied", "state": "other"}, "mine")
    with pytest.raises(StateMismatch):
        parse_callback({"code": "c"}, "mine")


def test_callback_code_error_and_missing_code():
    result = parse_callback({"code": "c", "state": "s", "iss": B}, "s")
    assert (result.code, result.iss) == ("c", B)
    with pytest.raises(AuthorizationDenied) as info:
        parse_callback({"error": "access_denied", "error_description": "no", "state": "s"}, "s")
    assert (info.value.error, info.value.description) == ("access_denied", "no")
    with pytest.raises(AuthorizationDenied):
        parse_callback({"state": "s"}, "s")


def test_metadata_must_name_this_backend_as_issuer():
    doc = {"issuer": B, "authorization_endpoint": B + "/a", "token_endpoint": B + "/t",
           "revocation_endpoint": B + "/r", "jwks_uri": B + "/j"}  # fmt: skip
    assert ProviderMetadata.from_json(doc, B + "/").token_endpoint == B + "/t"
    with pytest.raises(BackendMisconfigured, match="issuer"):
        ProviderMetadata.from_json({**doc, "issuer": "https://evil.example"}, B)
    with pytest.raises(BackendMisconfigured, match="revocation_endpoint"):
        ProviderMetadata.from_json({**doc, "revocation_endpoint": None}, B)
    with pytest.raises(BackendMisconfigured):
        ProviderMetadata.from_json(["not", "a", "dict"], B)
