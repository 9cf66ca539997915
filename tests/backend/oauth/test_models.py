import pytest

from backend.oauth.models import ClientView, is_loopback_redirect


@pytest.mark.parametrize(
    ("uri", "ok"),
    [
        ("http://127.0.0.1:53682/callback", True),
        ("http://[::1]:53682/callback", True),
        ("http://127.0.0.1/callback", False),
        ("http://localhost:53682/callback", False),
        ("https://127.0.0.1:53682/callback", False),
        ("http://127.0.0.1:53682/callback/", False),
        ("http://127.0.0.1:53682/callback?a=1", False),
        ("http://127.0.0.1:53682/callback#f", False),
        ("http://user@127.0.0.1:53682/callback", False),
        ("http://127.0.0.2:53682/callback", False),
        ("http://127.0.0.1:99999/callback", False),
        ("http://127.0.0.1.evil.example:80/callback", False),
    ],
)
def test_loopback_redirect(uri, ok):
    assert is_loopback_redirect(uri) is ok


def test_other_clients_match_exactly():
    c = ClientView("web", "Web", True, False, ("https://app.example/cb",), "openid")
    assert c.check_redirect_uri("https://app.example/cb")
    assert not c.check_redirect_uri("https://app.example/cb/")
    assert c.get_default_redirect_uri() == "https://app.example/cb"


def test_scope_is_narrowed_to_what_the_client_may_have():
    c = ClientView("p", "P", True, True, (), "openid profile email offline_access")
    assert c.get_allowed_scope("openid admin") == "openid"
    assert c.get_allowed_scope(None) == "openid profile email offline_access"
