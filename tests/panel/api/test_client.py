import httpx
import pytest

from panel.api.client import ApiClient
from panel.api.errors import Offline, ServerError, SignedOut
from tests.panel.fakes import BACKEND, release

ME = {
    "id": "u1", "user_name": "ada@acme.test", "email": "ada@acme.test",
    "display_name": None, "given_name": "Ada", "family_name": "Lovelace", "locale": None,
    "organization": {"id": "o1", "name": "Acme Post"}, "connection_id": "conn_x",
    "dashboard_url": BACKEND + "/dashboard",
}  # fmt: skip


class Tokens:
    def __init__(self):
        self.current = "t1"
        self.refreshes = 0

    def access_token(self):
        return self.current

    def refresh_after_401(self, rejected):
        self.refreshes += 1
        self.current = f"t{self.refreshes + 1}"
        return self.current


def client(handler, tokens=None, sleeps=None):
    sleeps = [] if sleeps is None else sleeps
    return ApiClient(
        httpx.Client(transport=httpx.MockTransport(handler)),
        BACKEND,
        tokens or Tokens(),
        retries=3,
        backoff=0.5,
        sleep=sleeps.append,
    )


def test_me_is_typed_and_sends_the_bearer_token():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=ME)

    me = client(handler).me()
    assert me.name == "Ada Lovelace" and me.organization.name == "Acme Post"
    assert seen[0].headers["Authorization"] == "Bearer t1"
    assert seen[0].url == BACKEND + "/api/v1/me"


def test_latest_releases_with_platform():
    def handler(request):
        assert request.url.params["platform"] == "macos"
        return httpx.Response(200, json={"releases": [release("avid", "2.4.1")]})

    (r,) = client(handler).latest_releases("macos")
    assert (r.product, r.version, r.size) == ("avid", "2.4.1", 1024)


def test_retries_with_backoff_then_succeeds():
    answers = iter([httpx.Response(503), "refused", httpx.Response(200, json=ME)])
    sleeps = []

    def handler(request):
        answer = next(answers)
        if answer == "refused":
            raise httpx.ConnectError("refused", request=request)
        return answer

    assert client(handler, sleeps=sleeps).me().id == "u1"
    assert sleeps == [0.5, 1.0]


def test_offline_after_the_retries():
    def handler(request):
        raise httpx.ConnectError("refused", request=request)

    sleeps = []
    with pytest.raises(Offline):
        client(handler, sleeps=sleeps).me()
    assert len(sleeps) == 3


def test_server_error_is_not_retried_unless_transient():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(500)

    with pytest.raises(ServerError) as info:
        client(handler).me()
    assert info.value.status == 500 and len(calls) == 1


def test_expired_refreshes_once_then_retries():
    tokens = Tokens()

    def handler(request):
        if request.headers["Authorization"] == "Bearer t1":
            return httpx.Response(401, json={"error": "invalid_token", "reason": "expired"})
        return httpx.Response(200, json=ME)

    assert client(handler, tokens).me().id == "u1"
    assert tokens.refreshes == 1


def test_expired_twice_is_signed_out():
    tokens = Tokens()

    def handler(request):
        return httpx.Response(401, json={"error": "invalid_token", "reason": "expired"})

    with pytest.raises(SignedOut) as info:
        client(handler, tokens).me()
    assert info.value.reason == "expired" and tokens.refreshes == 1


@pytest.mark.parametrize("reason", ["deactivated", "not_provisioned", "revoked", "invalid"])
def test_other_401_reasons_sign_out_without_refreshing(reason):
    tokens = Tokens()

    def handler(request):
        return httpx.Response(401, json={"error": "invalid_token", "reason": reason})

    with pytest.raises(SignedOut) as info:
        client(handler, tokens).me()
    assert info.value.reason == reason and tokens.refreshes == 0


def test_a_401_without_a_body_is_invalid():
    with pytest.raises(SignedOut) as info:
        client(lambda r: httpx.Response(401)).me()
    assert info.value.reason == "invalid"


def test_unexpected_shapes_are_server_errors():
    with pytest.raises(ServerError):
        client(lambda r: httpx.Response(200, json={"id": 1})).me()
    with pytest.raises(ServerError):
        client(lambda r: httpx.Response(200, text="<html>")).me()
    with pytest.raises(ServerError):
        client(lambda r: httpx.Response(200, json={"nope": []})).latest_releases()
