"""Editors and admins in a real browser: an editor downloads a release (the checksum matches)
and is refused the admin pages; an admin finds, pages and deactivates users and reads the audit
log."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.domain import audit
from backend.releases import store
from backend.store.models import Organization
from tests.backend.dashboard import browser as harness
from tests.backend.dashboard.browser import (
    make_admin,
    make_connection,
    make_org,
    make_user,
    sha256_of,
    shot,
    sign_in_admin,
    sign_in_user,
)

pytestmark = pytest.mark.browser

# The shared fixtures, by name.
browser = harness.browser
server = harness.server
context = harness.context


def publish(server, tmp_path: Path, product: str, platform: str, version: str, notes: str = ""):
    source = tmp_path / f"quickture-{product}-{platform}-{version}.zip"
    source.write_bytes(hashlib.sha512(version.encode()).digest() * 4096)
    return store.publish(
        server.rt,
        product=product,
        platform=platform,
        version=version,
        source=source,
        notes=notes,
        actor="cli",
    )


def test_editor_downloads_the_latest_release_and_the_checksum_matches(server, context, tmp_path):
    org = make_org(server.rt, "Acme Post", ("acme.test",))
    cid = make_connection(server.rt, org, issuer="https://acme.okta.com")
    editor = make_user(server.rt, org, cid, "ada@acme.test", "Ada Lovelace")
    publish(server, tmp_path, "avid", "macos", "2.4.0", "First release.")
    newest = publish(server, tmp_path, "avid", "macos", "2.4.1", "Faster scene detection.")
    publish(server, tmp_path, "premiere", "windows", "1.9.0", "Premiere 2026 support.")
    sign_in_user(context, server, org, editor)
    page = context.new_page()
    page.goto("/dashboard")
    nav = page.inner_text("nav")
    assert "Downloads" in nav and "SSO Management" not in nav and "Users" not in nav
    card = page.locator("#release-avid-macos")
    assert "2.4.1" in card.inner_text() and "Faster scene detection." in card.inner_text()
    shown_sha = card.locator(".sha").inner_text()
    assert shown_sha == newest.sha256
    assert "Older versions (1)" in page.inner_text("main")
    shot(page, "downloads-editor")

    with page.expect_download() as info:
        card.locator("a", has_text="Download for macOS").click()
    saved = tmp_path / "downloaded.zip"
    info.value.save_as(saved)
    assert info.value.suggested_filename == newest.filename
    assert sha256_of(saved) == shown_sha == newest.sha256

    # The licence lapses: no download links, and the file itself is refused
    with server.rt.db.write() as s:
        s.execute(
            sa.update(Organization).where(Organization.id == org).values(license_active=False)
        )
    page.reload()
    assert "licence is not active" in page.inner_text("main")
    assert page.locator("a", has_text="Download for").count() == 0
    refused = page.request.get(f"/downloads/{newest.id}")
    assert refused.status == 403
    shot(page, "downloads-licence-inactive")


def test_signed_out_browser_is_sent_to_sign_in_for_a_download(server, context, tmp_path):
    release = publish(server, tmp_path, "premiere", "macos", "1.0.0")
    page = context.new_page()
    response = page.request.get(f"/downloads/{release.id}", max_redirects=0)
    assert response.status == 303
    assert response.headers["location"].startswith("/login?next=/downloads/")


def test_editor_is_refused_the_admin_pages(server, context):
    org = make_org(server.rt, "Acme Post", ("acme.test",))
    cid = make_connection(server.rt, org, issuer="https://acme.okta.com")
    editor = make_user(server.rt, org, cid, "ada@acme.test", "Ada Lovelace")
    sign_in_user(context, server, org, editor)
    page = context.new_page()
    for path in (
        "/dashboard/sso",
        "/dashboard/setup",
        "/dashboard/users",
        "/dashboard/audit",
        f"/dashboard/sso/{cid}",
        f"/dashboard/sso/{cid}/health",
        "/dashboard/setup/domains",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        assert "For your IT admins only" in page.inner_text("main"), path
    shot(page, "editor-refused")
    # A forged form post is refused too, and changes nothing
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    r = page.request.post(
        f"/dashboard/sso/{cid}/delete", form={"csrf_token": token, "confirm": cid}
    )
    assert r.status == 403
    page.goto("/dashboard/sso")  # still there for its admins: the editor just cannot see it
    with server.rt.db.read() as s:
        from backend.domain import connections

        assert [c.id for c in connections.list_connections(s, org)] == [cid]


def test_admin_searches_pages_and_deactivates_users(server, context, browser):
    org = make_org(server.rt, "Acme Post", ("acme.test",))
    email = make_admin(server.rt, org)
    cid = make_connection(server.rt, org, issuer="https://acme.okta.com")
    ada = make_user(server.rt, org, cid, "ada@acme.test", "Ada Lovelace")
    for n in range(30):
        make_user(server.rt, org, cid, f"editor{n:02}@acme.test", f"Editor {n:02}")
    other = make_org(server.rt, "Other Co", ("other.test",))
    other_cid = make_connection(server.rt, other, issuer="https://other.okta.com")
    make_user(server.rt, other, other_cid, "eve@other.test", "Eve Other")

    # Ada is signed in elsewhere
    ada_context = browser.new_context(base_url=server.url)
    sign_in_user(ada_context, server, org, ada)
    ada_page = ada_context.new_page()
    ada_page.goto("/dashboard")
    assert ada_page.url.endswith("/dashboard")

    page = context.new_page()
    sign_in_admin(page, email)
    page.click("nav >> text=Users")
    assert "31 users" in page.inner_text("main")
    assert "Eve Other" not in page.inner_text("main")
    assert "Page 1 of 2" in page.inner_text(".pager")
    shot(page, "users")
    page.click("text=Next →")
    assert "Page 2 of 2" in page.inner_text(".pager")
    assert len(page.locator("tbody tr").all()) == 6

    page.fill("#q", "lovelace")
    page.click("button:has-text('Search')")
    rows = page.locator("tbody tr").all()
    assert len(rows) == 1 and "ada@acme.test" in rows[0].inner_text()
    page.once("dialog", lambda d: d.accept())
    rows[0].locator("button", has_text="Deactivate").click()
    page.wait_for_url("**done=*")
    assert "deactivated and signed out everywhere" in page.inner_text("[role=status]")
    assert "Deactivated" in page.inner_text("tbody")
    shot(page, "users-deactivated")

    # Ada's session ended at once
    ada_page.goto("/dashboard")
    assert "/login" in ada_page.url
    ada_context.close()

    # ...and the audit log says who did it
    page.click("nav >> text=Audit log")
    page.select_option("#action", "user.")
    page.click("button:has-text('Filter')")
    first = page.locator("tbody tr").first.inner_text()
    assert "user.deactivate" in first and email in first and "sessions_revoked: 1" in first
    shot(page, "audit-log")

    # Signing out (the sign-in code's POST /logout) ends the admin's session too
    page.click("button:has-text('Sign out')")
    page.wait_for_load_state()
    page.goto("/dashboard/users")
    assert "/login" in page.url


def test_audit_log_pages_and_filters_by_actor(server, context):
    org = make_org(server.rt, "Acme Post", ("acme.test",))
    email = make_admin(server.rt, org)
    with server.rt.db.write() as s:
        for n in range(60):
            audit.record(
                s,
                actor="qtscim_abc123",
                action="user.create",
                target_type="user",
                target_id=f"u{n:02}",
                org_id=org,
                user_name=f"u{n:02}@acme.test",
            )
    page = context.new_page()
    sign_in_admin(page, email)
    page.goto("/dashboard/audit")
    assert len(page.locator("tbody tr").all()) == 50
    page.click("text=Older entries →")
    older = page.inner_text("tbody")
    assert "u00" in older and "u59" not in older
    page.click("text=← Newest")
    page.fill("#actor", email)
    page.click("button:has-text('Filter')")
    assert "qtscim_abc123" not in page.inner_text("tbody")
    assert "admin.sign_in" in page.inner_text("tbody")
