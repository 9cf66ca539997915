"""Connection health in a real browser: red for a dead issuer and an empty set-up, green with
``oidc-provider-mock`` playing Okta (discovery, JWKS and a client-credentials probe that tells a
good secret from a bad one)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from backend.domain import connections, scim_tokens
from backend.store.models import ScimRequest, ScimToken
from tests.backend.dashboard import browser as harness
from tests.backend.dashboard.browser import (
    make_admin,
    make_connection,
    make_org,
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
    with harness.okta_mock(require_client_registration=True) as issuer:
        yield issuer


def scim_headers(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "User-Agent": "Okta SCIM Client 1.0.0",
        "Content-Type": "application/scim+json",
    }


def okta_provisions(base: str, token: str, emails: list[str]) -> None:
    """What Okta does when people are assigned: look each up, then create them."""
    for email in emails:
        found = httpx.get(
            base + "/scim/v2/Users",
            params={"filter": f'userName eq "{email}"'},
            headers=scim_headers(token),
        )
        assert found.status_code == 200 and found.json()["totalResults"] == 0, found.text
        given, family = email.split("@")[0].title(), "Tester"
        made = httpx.post(
            base + "/scim/v2/Users",
            headers=scim_headers(token),
            json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": email,
                "active": True,
                "name": {"givenName": given, "familyName": family},
                "emails": [{"primary": True, "value": email, "type": "work"}],
                "displayName": f"{given} {family}",
            },
        )
        assert made.status_code == 201, made.text


def user_id(base: str, token: str, email: str) -> str:
    found = httpx.get(
        base + "/scim/v2/Users",
        params={"filter": f'userName eq "{email}"'},
        headers=scim_headers(token),
    )
    return str(found.json()["Resources"][0]["id"])


def wait_for_request_log(server, cid: str, at_least: int) -> None:
    """The SCIM server writes its request log about once a second: wait for it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with server.rt.db.read() as s:
            logged = s.scalar(
                sa.select(sa.func.count())
                .select_from(ScimRequest)
                .where(ScimRequest.connection_id == cid)
            )
            used = s.scalar(sa.select(ScimToken.last_used_by))
        if logged >= at_least and used:
            return
        time.sleep(0.1)  # allow-sleep
    raise AssertionError(f"the SCIM request log has {logged} rows, not {at_least}")


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
    okta_provisions(server.url, token, ["ada@acme.test", "bob@acme.test"])
    deactivate = httpx.patch(
        server.url + "/scim/v2/Users/" + user_id(server.url, token, "bob@acme.test"),
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": False}}],
        },
        headers=scim_headers(token),
    )
    assert deactivate.status_code == 200, deactivate.text
    wait_for_request_log(server, cid, 5)

    page = context.new_page()
    sign_in_admin(page, email)
    page.goto(f"/dashboard/sso/{cid}/health")
    got = checks(page)
    assert set(got.values()) == {"OK"}, got
    assert "All good" in page.inner_text("#overall")
    main = page.inner_text("main")
    assert "by Okta SCIM Client 1.0.0" in main
    assert "2 provisioned, 1 active" in main
    assert "POST /scim/v2/Users" in main and "PATCH /scim/v2/Users/" in main
    shot(page, "health-green")

    # A wrong secret is told apart from a right one: Manage refuses to save it...
    page.goto(f"/dashboard/sso/{cid}")
    page.fill("#client_secret", "not-the-secret")
    page.click("text=Save changes")
    assert "Okta rejected the Client ID or Client Secret" in page.inner_text("[role=alert]")
    with server.rt.db.read() as s:
        assert (
            connections.reveal_client_secret(s, server.rt.box, cid) == registered["client_secret"]
        )
    # ...and when it changes on Okta's side (here: in our database), the health page says so
    with server.rt.db.write() as s:
        connections.update_connection(
            s, server.rt.box, cid, actor="test", client_secret="not-the-secret"
        )
    page.goto(f"/dashboard/sso/{cid}/health")
    got = checks(page)
    assert got["Client ID and Client Secret"] == "Problem"
    assert "rejected the Client ID or Client Secret" in page.inner_text("main")
    shot(page, "health-bad-secret")
