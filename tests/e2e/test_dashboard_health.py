"""Connection health in a real browser: red for a dead issuer and an empty set-up, green with
``oidc-provider-mock`` playing Okta (discovery, JWKS and a client-credentials probe that tells a
good secret from a bad one)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import httpx
import pytest

from backend.domain import scim_tokens
from backend.store.models import ScimRequest
from tests.backend.dashboard import browser as harness
from tests.backend.dashboard.browser import (
    make_admin,
    make_connection,
    make_org,
    make_user,
    shot,
    sign_in_admin,
)
from tests.helpers.servers import bind_loopback

pytestmark = pytest.mark.browser

# The shared fixtures, by name.
browser = harness.browser
server = harness.server
context = harness.context


@pytest.fixture
def okta() -> Iterator[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # it imports authlib.jose
        from oidc_provider_mock import run_server_in_thread
    with run_server_in_thread(require_client_registration=True) as srv:
        yield f"http://127.0.0.1:{srv.server_port}"


def checks(page) -> dict[str, str]:
    """Each check's title and verdict badge, as shown."""
    out = {}
    for item in page.locator(".check").all():
        out[item.locator("strong").first.inner_text()] = item.locator(".badge").inner_text()
    return out


def test_health_is_red_for_a_dead_issuer(server, context):
    dead = bind_loopback()
    issuer = f"http://127.0.0.1:{dead.getsockname()[1]}"
    dead.close()
    org = make_org(server.rt, "Acme Post")  # no domains either
    email = make_admin(server.rt, org)
    cid = make_connection(server.rt, org, issuer=issuer)
    page = context.new_page()
    sign_in_admin(page, email)
    page.goto("/dashboard/sso")
    page.get_by_role("link", name="Health", exact=True).click()
    page.wait_for_url(f"**/dashboard/sso/{cid}/health")
    assert "Something is wrong" in page.inner_text("#overall")
    got = checks(page)
    assert got["Okta discovery document"] == "Problem"
    assert got["Client ID and Client Secret"] == "Not checked"
    assert got["SCIM token"] == "Problem"
    assert got["Email domains"] == "Problem"
    assert "could not reach" in page.inner_text("main")
    assert "What to do" in page.inner_text("main")
    shot(page, "health-red")


def test_health_is_green_with_okta_answering(server, context, okta):
    registered = httpx.post(
        okta + "/oauth2/clients", json={"redirect_uris": [server.url + "/login/callback"]}
    ).json()
    org = make_org(server.rt, "Acme Post", ("acme.test",))
    email = make_admin(server.rt, org)
    cid = make_connection(
        server.rt,
        org,
        issuer=okta,
        client_id=registered["client_id"],
        secret=registered["client_secret"],
    )
    with server.rt.db.write() as s:
        token = scim_tokens.create_token(s, cid, actor="test").token
    with server.rt.db.write() as s:
        auth = scim_tokens.authenticate(s, token)
        assert auth is not None
        scim_tokens.touch(s, auth, "Okta SCIM Client 1.0.0")
        for path, status in (("/scim/v2/Users", 200), ("/scim/v2/Users", 201)):
            s.add(
                ScimRequest(
                    connection_id=cid,
                    token_prefix=auth.display_prefix,
                    method="POST" if status == 201 else "GET",
                    path=path,
                    status=status,
                    user_agent="Okta SCIM Client 1.0.0",
                )
            )
    make_user(server.rt, org, cid, "ada@acme.test", "Ada Lovelace")
    make_user(server.rt, org, cid, "bob@acme.test", "Bob Moog", active=False)

    page = context.new_page()
    sign_in_admin(page, email)
    page.goto(f"/dashboard/sso/{cid}/health")
    got = checks(page)
    assert set(got.values()) == {"OK"}, got
    assert "All good" in page.inner_text("#overall")
    main = page.inner_text("main")
    assert "by Okta SCIM Client 1.0.0" in main
    assert "2 provisioned, 1 active" in main
    assert "POST /scim/v2/Users" in main
    shot(page, "health-green")

    # A wrong secret is told apart from a right one
    page.goto(f"/dashboard/sso/{cid}")
    page.fill("#client_secret", "not-the-secret")
    page.click("text=Save changes")
    page.wait_for_url("**?done=saved")
    page.goto(f"/dashboard/sso/{cid}/health")
    got = checks(page)
    assert got["Client ID and Client Secret"] == "Problem"
    assert "rejected the Client ID or Client Secret" in page.inner_text("main")
