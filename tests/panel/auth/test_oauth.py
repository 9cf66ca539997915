import httpx
import pytest
from joserfc.jwk import RSAKey

from panel.auth.errors import (
    BackendMisconfigured,
    BackendUnreachable,
    IdTokenInvalid,
    SessionEnded,
    TokenRefused,
)
from panel.auth.oauth import OAuthClient
from panel.auth.request import new_auth_request
from tests.panel.fakes import BACKEND, FakeBackend


def client_for(fake: FakeBackend, url: str = BACKEND) -> OAuthClient:
    return OAuthClient(httpx.Client(transport=fake.transport()), url, clock=fake.clock)


def signed_in(fake: FakeBackend, oauth: OAuthClient):
    request = new_auth_request(oauth.metadata(), "http://127.0.0.1:4444/callback")
    redirect = fake.authorize(request.url)
    code = httpx.URL(redirect).params["code"]
    return oauth.exchange_code(code, request), request


def test_code_exchange_validates_the_id_token(fake):
    oauth = client_for(fake)
    tokens, _ = signed_in(fake, oauth)
    assert tokens.identity.sub == "user-1"
    assert tokens.refresh_token and tokens.access_token
    assert tokens.access_token not in repr(tokens) and tokens.refresh_token not in repr(tokens)


def test_wrong_verifier_is_refused(fake):
    oauth = client_for(fake)
    request = new_auth_request(oauth.metadata(), "http://127.0.0.1:4444/callback")
    code = httpx.URL(fake.authorize(request.url)).params["code"]
    forged = type(request)(
        request.url, request.redirect_uri, request.state, request.nonce, "x" * 50
    )
    with pytest.raises(TokenRefused) as info:
        oauth.exchange_code(code, forged)
    assert info.value.error == "invalid_grant" and not isinstance(info.value, SessionEnded)


def test_nonce_mismatch_is_refused(fake):
    fake.id_token_tamper = lambda claims: {**claims, "nonce": "someone-elses"}
    with pytest.raises(IdTokenInvalid):
        signed_in(fake, client_for(fake))


def test_rotated_signing_key_is_fetched_again(fake):
    oauth = client_for(fake)
    signed_in(fake, oauth)  # caches the JWKS
    fake.key = RSAKey.generate_key(2048, parameters={"kid": "k2"})
    tokens, _ = signed_in(fake, oauth)
    assert tokens.identity.sub == "user-1"
    assert fake.calls.count("GET /oauth/jwks") == 2


def test_refresh_rotates_and_reuse_is_refused(fake):
    oauth = client_for(fake)
    tokens, _ = signed_in(fake, oauth)
    fresh = oauth.refresh(tokens.refresh_token)
    assert fresh.refresh_token != tokens.refresh_token
    with pytest.raises(SessionEnded) as info:
        oauth.refresh(tokens.refresh_token)
    assert info.value.reason == "revoked"
    with pytest.raises(SessionEnded):  # the whole family went with it
        oauth.refresh(fresh.refresh_token)


def test_refresh_for_a_deactivated_user_says_so(fake):
    oauth = client_for(fake)
    tokens, _ = signed_in(fake, oauth)
    fake.user_state = "deactivated"
    with pytest.raises(SessionEnded) as info:
        oauth.refresh(tokens.refresh_token)
    assert info.value.reason == "deactivated"


def test_revoke_ends_the_family(fake):
    oauth = client_for(fake)
    tokens, _ = signed_in(fake, oauth)
    oauth.revoke(tokens.refresh_token)
    assert not fake.live_families()


def test_offline_and_server_errors_are_unreachable(fake):
    oauth = client_for(fake)
    fake.down = True
    with pytest.raises(BackendUnreachable):
        oauth.metadata()
    five_hundred = OAuthClient(
        httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503))),
        BACKEND,
        clock=fake.clock,
    )
    with pytest.raises(BackendUnreachable):
        five_hundred.metadata()


def test_a_site_that_is_not_quickture_is_misconfigured(fake):
    html = httpx.MockTransport(lambda r: httpx.Response(200, text="<html>hello</html>"))
    with pytest.raises(BackendMisconfigured):
        OAuthClient(httpx.Client(transport=html), BACKEND, clock=fake.clock).metadata()
    with pytest.raises(BackendMisconfigured, match="issuer"):
        client_for(fake, url="http://127.0.0.1:9999").metadata()
