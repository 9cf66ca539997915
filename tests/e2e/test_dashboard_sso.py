"""SSO Management in a real browser: generate, copy and delete SCIM tokens with the two-token
limit; edit the connection with a write-only secret; delete the connection with the strong
confirmation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.domain import connections, scim_tokens
from backend.store.models import Connection, ScimUser
from tests.backend.dashboard import browser as harness
from tests.backend.dashboard.browser import (
    count,
    make_admin,
    make_connection,
    make_org,
    make_user,
    shot,
    sign_in_admin,
)

pytestmark = pytest.mark.browser

# The shared fixtures, by name.
browser = harness.browser
server = harness.server
context = harness.context


def test_generate_copy_delete_tokens_and_the_two_token_limit(server, context):
    org = make_org(server.rt, "Acme Post", ("acme.test",))
    email = make_admin(server.rt, org)
    cid = make_connection(server.rt, org, issuer="https://acme.okta.com")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    sign_in_admin(page, email)
    page.click("nav >> text=SSO Management")
    page.get_by_role("link", name="Manage", exact=True).click()
    page.wait_for_url(f"**/dashboard/sso/{cid}")
    assert "No SCIM token" in page.inner_text("main")

    tokens = []
    for n in (1, 2):
        page.click("text=Generate New Token")
        assert "only time" in page.inner_text("#new-token-box")
        assert page.get_attribute("#new-token", "type") == "password"
        page.click("text=Copy token")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("qtscim_") and copied == page.input_value("#new-token")
        with server.rt.db.read() as s:
            assert scim_tokens.authenticate(s, copied) is not None
        tokens.append(copied)
        assert len(page.locator("tbody tr").all()) == n
        if n == 1:
            shot(page, "manage-new-token")

    # Two live tokens: the button is disabled and says why
    button = page.locator("button", has_text="Generate New Token")
    assert button.is_disabled()
    assert "Delete one before generating another" in page.inner_text("main")
    shot(page, "manage-two-tokens")
    # A reload shows only the prefixes, never a token
    page.reload()
    assert tokens[0] not in page.content() and tokens[1] not in page.content()

    page.once("dialog", lambda d: d.accept())
    page.locator("tbody tr").first.locator("button", has_text="Delete").click()
    page.wait_for_url("**?done=deleted")
    assert "Token deleted" in page.inner_text("main")
    assert len(page.locator("tbody tr").all()) == 1
    assert page.locator("button", has_text="Generate New Token").is_enabled()
    with server.rt.db.read() as s:
        assert scim_tokens.authenticate(s, tokens[0]) is None
        assert scim_tokens.authenticate(s, tokens[1]) is not None

    # A dismissed confirmation deletes nothing
    page.once("dialog", lambda d: d.dismiss())
    page.locator("tbody tr").first.locator("button", has_text="Delete").click()
    page.reload()
    assert len(page.locator("tbody tr").all()) == 1


def test_edit_connection_keeps_the_secret_write_only(server, context):
    org = make_org(server.rt, "Acme Post", ("acme.test",))
    email = make_admin(server.rt, org)
    with harness.okta_mock() as okta:  # saving checks the issuer and the secret with Okta
        cid = make_connection(server.rt, org, issuer=okta, secret="first-secret")
        edit_connection(server, context, org, email, cid)


def edit_connection(server, context, org: str, email: str, cid: str) -> None:
    page = context.new_page()
    sign_in_admin(page, email)
    page.goto(f"/dashboard/sso/{cid}")
    assert "first-secret" not in page.content()
    assert page.input_value("#client_secret") == ""
    page.fill("#client_id", "0oa-new-client")
    page.fill("#client_secret", "second-secret")
    page.click("text=Save changes")
    page.wait_for_url("**?done=saved")
    assert page.input_value("#client_id") == "0oa-new-client"
    assert "second-secret" not in page.content()
    shot(page, "manage-connection")
    with server.rt.db.read() as s:
        assert connections.reveal_client_secret(s, server.rt.box, cid) == "second-secret"


def test_delete_connection_needs_the_connection_id_and_states_the_consequence(server, context):
    org = make_org(server.rt, "Acme Post", ("acme.test",))
    email = make_admin(server.rt, org)
    cid = make_connection(server.rt, org, issuer="https://acme.okta.com")
    make_user(server.rt, org, cid, "ada@acme.test", "Ada Lovelace")
    page = context.new_page()
    sign_in_admin(page, email)
    page.goto(f"/dashboard/sso/{cid}")
    zone = page.inner_text(".danger-zone")
    assert "un-assign and re-assign your users to the app in Okta" in zone
    shot(page, "manage-delete-zone")

    page.fill("#confirm", "yes")
    page.click("button:has-text('Delete connection')")
    assert "Type the Connection ID exactly" in page.inner_text(".danger-zone")
    assert count(server.rt, sa.select(sa.func.count()).select_from(Connection)) == 1

    page.fill("#confirm", cid)
    page.click("button:has-text('Delete connection')")
    page.wait_for_url("**/dashboard/sso?removed=*")
    notice = page.inner_text("[role=status]")
    assert cid in notice and "1 provisioned user" in notice and "re-assign" in notice
    shot(page, "sso-after-delete")
    assert count(server.rt, sa.select(sa.func.count()).select_from(Connection)) == 0
    assert count(server.rt, sa.select(sa.func.count()).select_from(ScimUser)) == 0
