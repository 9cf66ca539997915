"""The login pages over real HTTP with a real OpenID Provider playing Okta."""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import sqlalchemy as sa

from backend.domain import connections, users
from backend.store.models import BrowserSession, LoginTransaction
from backend.store.models.base import utcnow
from tests.backend.sso.kit import Browser, mock_okta
from tests.helpers.servers import bind_loopback


def new_email(domain: str = "acme.test") -> str:
    return f"ed-{secrets.token_hex(4)}@{domain}"


def start_login(backend, browser, email: str) -> httpx.Response:
    page = browser.get(backend.url + "/login")
    return browser.submit_email(page, email)


def state_of(to_okta: httpx.Response) -> str:
    return parse_qs(urlsplit(to_okta.headers["location"]).query)["state"][0]


def assert_page(response: httpx.Response, status: int, *phrases: str) -> None:
    assert response.status_code == status, response.text
    assert "text/html" in response.headers["content-type"]
    text = response.text.replace("&#39;", "'")
    for phrase in phrases:
        assert phrase in text, f"{phrase!r} not on the page"


def test_dashboard_sign_in_starts_a_session(backend, browser):
    email = new_email()
    backend.provision(email)
    to_okta = start_login(backend, browser, email)
    okta_url = to_okta.headers["location"]
    query = parse_qs(urlsplit(okta_url).query)
    assert okta_url.startswith(backend.okta.url + "/oauth2/authorize?")
    assert query["login_hint"] == [email]
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert query["redirect_uri"] == [backend.url + "/login/callback"]
    back = browser.okta_login(to_okta, email)
    done = browser.get(back.headers["location"])
    assert done.status_code == 303 and done.headers["location"] == "/dashboard"
    cookie = next(
        v
        for k, v in done.headers.multi_items()
        if k == "set-cookie" and v.startswith("qt_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    with backend.rt.db.read() as s:
        user = users.find_for_login(s, backend.connection_id, email)
        assert user is not None and user.last_sign_in_at is not None
        assert (
            s.scalar(
                sa.select(sa.func.count())
                .select_from(BrowserSession)
                .where(BrowserSession.user_id == user.id)
            )
            == 1
        )


def test_each_sign_in_gets_a_new_session_id(backend, browser):
    email = new_email()
    backend.provision(email)
    ids = []
    for _ in range(2):
        back = browser.okta_login(start_login(backend, browser, email), email)
        browser.get(back.headers["location"])
        ids.append(browser.client.cookies.get("qt_session"))
    assert ids[0] != ids[1]
    with backend.rt.db.read() as s:
        live = s.scalar(
            sa.select(sa.func.count())
            .select_from(BrowserSession)
            .where(
                BrowserSession.revoked_at.is_(None),
                BrowserSession.user_id.in_(
                    sa.select(BrowserSession.user_id).where(BrowserSession.revoked_at.is_not(None))
                ),
            )
        )
    assert live == 1


def test_login_continues_to_next(backend, browser):
    email = new_email()
    backend.provision(email)
    page = browser.get(backend.url + "/login?next=%2Fdashboard%2Fusers")
    back = browser.okta_login(browser.submit_email(page, email), email)
    done = browser.get(back.headers["location"])
    assert done.headers["location"] == "/dashboard/users"


@pytest.mark.parametrize("nxt", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_next_never_leaves_the_site(backend, browser, nxt):
    email = new_email()
    backend.provision(email)
    page = browser.get(backend.url + "/login?" + urlencode({"next": nxt}))
    back = browser.okta_login(browser.submit_email(page, email), email)
    assert browser.get(back.headers["location"]).headers["location"] == "/dashboard"


def test_startlogin_from_the_okta_tile(backend, browser):
    domain = f"tile{secrets.token_hex(2)}.test"
    with mock_okta() as tile_okta:  # the only connection with this issuer: no Connection ID
        _, conn = backend.new_org(domain, issuer=tile_okta.url)
        email = new_email(domain)
        backend.provision(email, connection_id=conn)
        r = browser.get(
            backend.url
            + "/startlogin?"
            + urlencode(
                {
                    "iss": tile_okta.url,
                    "login_hint": email,
                    "target_link_uri": backend.url + "/dashboard/users",
                }
            )
        )
        assert r.status_code == 303 and r.headers["location"].startswith(tile_okta.url)
        assert parse_qs(urlsplit(r.headers["location"]).query)["login_hint"] == [email]
        back = browser.okta_login(r, email)
        assert browser.get(back.headers["location"]).headers["location"] == "/dashboard/users"


def test_startlogin_needs_the_connection_id_when_an_issuer_is_shared(backend, browser):
    backend.new_org(f"shared{secrets.token_hex(2)}.test")  # a second connection, same Okta
    r = browser.get(backend.url + "/startlogin?" + urlencode({"iss": backend.okta.url}))
    assert_page(r, 400, "must name the Connection ID")


def test_startlogin_with_connection_id_and_foreign_target(backend, browser):
    email = new_email()
    backend.provision(email)
    r = browser.get(
        backend.url
        + "/startlogin?"
        + urlencode(
            {
                "iss": backend.okta.url,
                "connection": backend.connection_id,
                "target_link_uri": "https://evil.example/phish",
            }
        )
    )
    back = browser.okta_login(r, email)
    assert browser.get(back.headers["location"]).headers["location"] == "/dashboard"


def test_startlogin_by_post(backend, browser):
    data = {"iss": backend.okta.url, "connection": backend.connection_id}
    r = browser.client.post(backend.url + "/startlogin", data=data)
    assert r.status_code == 303 and r.headers["location"].startswith(backend.okta.url)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"iss": "https://unknown.okta.example"},
        {"iss": "http://127.0.0.1:9/", "connection": "conn_nope"},
        {"connection": "conn_nope"},
    ],
    ids=["no-iss", "unknown-issuer", "unknown-connection", "connection-without-iss"],
)
def test_startlogin_refuses_unknown_issuers(backend, browser, params):
    r = browser.get(backend.url + "/startlogin?" + urlencode(params))
    assert_page(r, 400, "not connected to Quickture")


def test_startlogin_refuses_a_connection_of_another_issuer(backend, browser):
    r = browser.get(
        backend.url
        + "/startlogin?"
        + urlencode({"iss": "https://other.okta.example", "connection": backend.connection_id})
    )
    assert_page(r, 400, "not connected to Quickture")


def test_unknown_domain(backend, browser):
    r = start_login(backend, browser, "ed@nowhere.example")
    assert_page(r, 400, "not set up for Quickture", "nowhere.example")


def test_not_an_email(backend, browser):
    assert_page(start_login(backend, browser, "not an email"), 400, "not an email address")


def test_organization_without_finished_connection(backend, browser):
    backend.new_org("unfinished.test", state="scim")
    r = start_login(backend, browser, new_email("unfinished.test"))
    assert_page(r, 400, "Single sign-on is not finished")


def test_state_mismatch(backend, browser):
    email = new_email()
    backend.provision(email)
    back = browser.okta_login(start_login(backend, browser, email), email)
    query = parse_qs(urlsplit(back.headers["location"]).query)
    forged = (
        backend.url
        + "/login/callback?"
        + urlencode({"code": query["code"][0], "state": "not-the-state"})
    )
    assert_page(browser.get(forged), 400, "This sign-in has expired")


def test_callback_in_another_browser_is_refused(backend, browser):
    email = new_email()
    backend.provision(email)
    back = browser.okta_login(start_login(backend, browser, email), email)
    with Browser() as victim:  # login CSRF: the attacker's callback URL in someone else's browser
        assert_page(victim.get(back.headers["location"]), 400, "This sign-in has expired")


def test_callback_is_single_use(backend, browser):
    email = new_email()
    backend.provision(email)
    back = browser.okta_login(start_login(backend, browser, email), email)
    assert browser.get(back.headers["location"]).status_code == 303
    assert_page(browser.get(back.headers["location"]), 400, "This sign-in has expired")


def test_expired_login_transaction(backend, browser):
    email = new_email()
    backend.provision(email)
    back = browser.okta_login(start_login(backend, browser, email), email)
    with backend.rt.db.write() as s:
        s.execute(sa.update(LoginTransaction).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert_page(browser.get(back.headers["location"]), 400, "This sign-in has expired")


def test_wrong_nonce(backend, browser):
    email = new_email()
    backend.provision(email)
    back = browser.okta_login(start_login(backend, browser, email), email)
    with backend.rt.db.write() as s:  # the ID token now carries another login's nonce
        s.execute(
            sa.update(LoginTransaction)
            .where(LoginTransaction.used_at.is_(None))
            .values(nonce="some-other-login-nonce")
        )
    assert_page(browser.get(back.headers["location"]), 400, "could not be verified", "'nonce'")


def test_issuer_mix_up_is_refused(backend, browser):
    email = new_email()
    backend.provision(email)
    with mock_okta() as other:
        to_okta = start_login(backend, browser, email)
        state = state_of(to_okta)
        # The attacker's provider answers our callback with its own code for our state.
        evil = browser.client.post(
            other.url
            + "/oauth2/authorize?"
            + urlencode(
                {
                    "response_type": "code",
                    "client_id": "attacker",
                    "state": state,
                    "redirect_uri": backend.url + "/login/callback",
                    "scope": "openid email",
                }
            ),
            data={"sub": email},
        )
        location = evil.headers["location"] + "&" + urlencode({"iss": other.url})
        assert_page(browser.get(location), 400, "wrong identity provider", other.url)


def test_issuer_mix_up_without_iss_parameter_fails_at_the_right_issuer(backend, browser):
    email = new_email()
    backend.provision(email)
    with mock_okta() as other:
        to_okta = start_login(backend, browser, email)
        evil = browser.client.post(
            other.url
            + "/oauth2/authorize?"
            + urlencode(
                {
                    "response_type": "code",
                    "client_id": "attacker",
                    "state": state_of(to_okta),
                    "redirect_uri": backend.url + "/login/callback",
                    "scope": "openid email",
                }
            ),
            data={"sub": email},
        )
        # the code is sent only to the connection's own issuer, which does not know it
        r = browser.get(evil.headers["location"])
        assert_page(r, 502, "could not reach your organization's Okta")
        assert browser.client.cookies.get("qt_session") is None


def test_unassigned_user(backend, browser):
    email = new_email()  # authenticated by Okta, never provisioned over SCIM
    back = browser.okta_login(start_login(backend, browser, email), email)
    assert_page(browser.get(back.headers["location"]), 403, "not assigned to Quickture", email)


def test_user_of_another_connection_is_not_assigned(backend, browser):
    email = new_email()
    _, other_conn = backend.new_org(f"other{secrets.token_hex(2)}.test")
    backend.provision(email, connection_id=other_conn)
    back = browser.okta_login(start_login(backend, browser, email), email)
    assert_page(browser.get(back.headers["location"]), 403, "not assigned to Quickture")


def test_deactivated_user(backend, browser):
    email = new_email()
    backend.provision(email, active=False)
    back = browser.okta_login(start_login(backend, browser, email), email)
    assert_page(browser.get(back.headers["location"]), 403, "deactivated")


def test_email_typed_differs_from_okta_user(backend, browser):
    typed, actual = new_email(), new_email()
    backend.provision(typed)
    backend.provision(actual)
    back = browser.okta_login(start_login(backend, browser, typed), actual)
    assert_page(browser.get(back.headers["location"]), 403, "as someone else", typed, actual)


def test_matches_primary_email_when_user_name_differs(backend, browser):
    email = new_email()
    backend.provision("00u-login-" + secrets.token_hex(3), email=email)
    back = browser.okta_login(start_login(backend, browser, email), email)
    assert browser.get(back.headers["location"]).headers["location"] == "/dashboard"


def test_provider_down(backend, browser):
    sock = bind_loopback()  # a port nobody answers on
    port = sock.getsockname()[1]
    sock.close()
    domain = f"down{secrets.token_hex(2)}.test"
    backend.new_org(domain, issuer=f"http://127.0.0.1:{port}")
    r = start_login(backend, browser, new_email(domain))
    assert_page(r, 502, "could not reach your organization's Okta", "ConnectError")


def test_provider_answers_access_denied(backend, browser):
    email = new_email()
    backend.provision(email)
    to_okta = start_login(backend, browser, email)
    denied = browser.client.post(to_okta.headers["location"], data={"action": "deny"})
    location = denied.headers["location"]
    assert "error=access_denied" in location
    if "state=" not in location:  # the mock drops state on errors; Okta sends it back
        location += "&" + urlencode({"state": state_of(to_okta)})
    assert_page(browser.get(location), 400, "Okta did not sign you in", "access_denied")


def test_provider_error_description_is_escaped(backend, browser):
    email = new_email()
    to_okta = start_login(backend, browser, email)
    r = browser.get(
        backend.url
        + "/login/callback?"
        + urlencode(
            {
                "state": state_of(to_okta),
                "error": "access_denied",
                "error_description": "<script>alert(1)</script> User is not assigned",
            }
        )
    )
    assert_page(r, 400, "User is not assigned")
    assert "<script>alert" not in r.text


def test_deleted_connection_during_login(backend, browser):
    domain = f"gone{secrets.token_hex(2)}.test"
    _, conn = backend.new_org(domain)
    email = new_email(domain)
    backend.provision(email, connection_id=conn)
    to_okta = start_login(backend, browser, email)
    back = browser.okta_login(to_okta, email)
    with backend.rt.db.write() as s:
        connections.delete_connection(s, conn, actor="test")
    assert_page(browser.get(back.headers["location"]), 400, "This sign-in has expired")


def test_login_form_needs_csrf(backend, browser):
    browser.get(backend.url + "/login")
    r = browser.client.post(backend.url + "/login", data={"email": new_email()})
    assert_page(r, 400, "This form has expired")


def test_logout_ends_the_session(backend, browser):
    email = new_email()
    backend.provision(email)
    back = browser.okta_login(start_login(backend, browser, email), email)
    browser.get(back.headers["location"])
    page = browser.get(backend.url + "/logout")
    assert_page(page, 200, email)
    from tests.backend.sso.kit import csrf_of

    r = browser.client.post(backend.url + "/logout", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/login?signed_out=1"
    with backend.rt.db.read() as s:
        assert (
            s.scalar(
                sa.select(sa.func.count())
                .select_from(BrowserSession)
                .where(
                    BrowserSession.revoked_at.is_(None),
                    BrowserSession.user_id
                    == sa.select(BrowserSession.user_id)
                    .order_by(BrowserSession.created_at.desc())
                    .limit(1)
                    .scalar_subquery(),
                )
            )
            == 0
        )
    assert_page(browser.get(backend.url + "/login?signed_out=1"), 200, "You are signed out")


def test_logout_without_csrf_is_refused(backend, browser):
    r = browser.client.post(backend.url + "/logout", data={})
    assert_page(r, 400, "This form has expired")


def test_startlogin_hint_from_okta_is_not_an_email_check(backend, browser):
    """Okta's login_hint is its username; the tile login must not fail on a different email."""
    email = new_email()
    backend.provision(email)
    params = {"iss": backend.okta.url, "connection": backend.connection_id, "login_hint": "ada"}
    r = browser.get(backend.url + "/startlogin?" + urlencode(params))
    back = browser.okta_login(r, email)
    assert browser.get(back.headers["location"]).headers["location"] == "/dashboard"
