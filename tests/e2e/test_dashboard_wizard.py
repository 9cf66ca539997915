"""The SSO Setup Wizard in a real browser: from an empty organization to Complete Setup, with
Okta played by ``oidc-provider-mock`` (discovery) and a scripted SCIM client (the first request
with the new token), and the page turning to "Okta connected" by itself."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from backend.domain import connections
from tests.backend.dashboard import browser as harness
from tests.backend.dashboard.browser import (
    ADMIN_PASSWORD,
    Server,
    make_admin,
    make_org,
    shot,
)
from tests.helpers.servers import bind_loopback

pytestmark = pytest.mark.browser

# The shared fixtures, by name.
browser = harness.browser
server = harness.server
context = harness.context


@pytest.fixture
def okta() -> Iterator[str]:
    with harness.okta_mock() as issuer:
        yield issuer


def okta_calls_scim(server: Server, token: str) -> None:
    """What Okta's Test API Credentials does: a user lookup with the bearer token."""
    r = httpx.get(
        server.url + "/scim/v2/Users",
        params={"filter": 'userName eq "okta.test@acme.test"', "startIndex": 1, "count": 2},
        headers={"Authorization": f"Bearer {token}", "User-Agent": "Okta SCIM Client 1.0.0"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["totalResults"] == 0


def test_wizard_from_empty_organization_to_complete_setup(server, context, okta):
    org = make_org(server.rt, "Acme Post")
    email = make_admin(server.rt, org)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto("/dashboard/sso")  # signed out: to the SSO sign-in page, which links to ours
    page.wait_for_url(re.compile(r"/login\?next="))
    page.click("text=Sign in with your password")
    page.wait_for_url(re.compile(r"/admin/login\?next="))
    shot(page, "admin-login")
    page.fill("#email", email)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/sso")
    assert "Connect your Okta" in page.inner_text("main")
    page.click("nav >> text=Downloads")
    shot(page, "dashboard-admin-start")
    page.click("text=Start the SSO Setup Wizard")

    # Step 1: domains (a public provider is refused with a reason)
    page.wait_for_url("**/dashboard/setup/domains")
    page.fill("#domain", "gmail.com")
    page.click("text=Add domain")
    assert "public email provider" in page.inner_text("[role=alert]")
    page.fill("#domain", "acme.test")
    page.click("text=Add domain")
    assert "acme.test" in page.inner_text("table")
    shot(page, "wizard-1-domains")
    page.click("text=Continue to sign-in (OIDC)")

    # Step 2: OIDC, with the two URIs to copy; a dead issuer is refused in plain words
    page.wait_for_url("**/dashboard/setup/oidc")
    assert page.input_value("#redirect-uri") == server.url + "/login/callback"
    assert page.input_value("#initiate-uri") == server.url + "/startlogin"
    page.click("[data-copy='#redirect-uri']")
    assert page.evaluate("navigator.clipboard.readText()") == server.url + "/login/callback"
    dead = bind_loopback()
    dead_port = dead.getsockname()[1]
    dead.close()
    page.fill("#issuer", f"http://127.0.0.1:{dead_port}")
    page.fill("#client_id", "0oa-quickture")
    page.fill("#client_secret", "okta-client-secret")
    page.click("text=Check and save")
    alert = page.inner_text("[role=alert]")
    assert "could not reach" in alert and "openid-configuration" in alert
    shot(page, "wizard-2-oidc-error")
    with server.rt.db.read() as s:
        assert connections.list_connections(s, org) == []
    page.fill("#issuer", okta)
    page.fill("#client_secret", "okta-client-secret")
    page.click("text=Check and save")

    # Step 3: SCIM; resumable: leaving and coming back lands on this step
    page.wait_for_url("**/scim")
    cid = page.url.split("/")[-2]
    page.goto("/dashboard")
    page.click("text=Resume the SSO Setup Wizard")
    page.wait_for_url(f"**/dashboard/setup/{cid}/scim")
    assert "Generate a token above" in page.inner_text("#scim-status")
    page.click("text=Generate SCIM token")
    assert "only time" in page.inner_text("[role=alert]")
    assert page.get_attribute("#new-token", "type") == "password"  # hidden until Show
    page.click("text=Copy token")
    token = page.evaluate("navigator.clipboard.readText()")
    assert token.startswith("qtscim_") and token == page.input_value("#new-token")
    assert "Waiting for Okta" in page.inner_text("#scim-status")
    shot(page, "wizard-3-scim-token")

    okta_calls_scim(server, token)
    page.wait_for_selector("#scim-status [data-done]", timeout=10_000)
    status = page.inner_text("#scim-status")
    assert "Okta connected: Test API Credentials received at" in status
    shot(page, "wizard-3-scim-connected")
    page.click("text=Continue to assigning users")

    # Step 4: assign, then Complete Setup
    page.wait_for_url(f"**/dashboard/setup/{cid}/assign")
    assert "Assignments" in page.inner_text("main")
    shot(page, "wizard-4-assign")
    page.click("text=Complete Setup")
    page.wait_for_url(re.compile(r"/dashboard/sso\?completed="))
    assert "Setup complete" in page.inner_text("main")
    assert cid in page.inner_text("table") and "Active" in page.inner_text("table")
    shot(page, "sso-management")

    with server.rt.db.read() as s:
        conn = connections.get_connection(s, cid, org_id=org)
    assert conn.is_complete and conn.issuer == okta and conn.has_client_secret
    assert conn.first_scim_request_at is not None
