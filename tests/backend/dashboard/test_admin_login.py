"""The local admin password form: sign-in, a new session, audit, the database rate limit."""

from __future__ import annotations

from backend.dashboard import admin_login
from backend.domain import admins, audit
from backend.web import sessions
from tests.backend.dashboard.browser import ADMIN_PASSWORD, make_admin, make_org
from tests.backend.dashboard.conftest import csrf_token


async def _post(web, email: str, password: str, next_url: str = ""):
    token = await csrf_token(web)
    return await web.post(
        "/admin/login",
        data={"csrf_token": token, "email": email, "password": password, "next": next_url},
    )


async def test_right_password_signs_in_and_is_audited(web, runtime):
    org = make_org(runtime, "Acme", ("acme.test",))
    make_admin(runtime, org, "it@acme.test")
    r = await _post(web, "IT@acme.test", ADMIN_PASSWORD, "/dashboard/users")
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/users"
    assert r.cookies.get(sessions.COOKIE)
    assert (await web.get("/dashboard/users")).status_code == 200
    with runtime.db.read() as s:
        actions = [e.action for e in audit.list_entries(s, org)]
    assert actions[0] == "admin.sign_in"


async def test_wrong_password_and_unsafe_next(web, runtime):
    org = make_org(runtime, "Acme", ("acme.test",))
    make_admin(runtime, org, "it@acme.test")
    r = await _post(web, "it@acme.test", "wrong password!")
    assert r.status_code == 401 and "do not match" in r.text
    assert sessions.COOKIE not in r.cookies
    r = await _post(web, "it@acme.test", ADMIN_PASSWORD, "//evil.example/")
    assert r.headers["location"] == "/dashboard"


async def test_rate_limit_per_email_holds_even_for_the_right_password(web, runtime, monkeypatch):
    monkeypatch.setattr(admin_login, "PER_EMAIL", 3)  # each attempt costs an argon2 hash
    org = make_org(runtime, "Acme", ("acme.test",))
    make_admin(runtime, org, "it@acme.test")
    for _ in range(admin_login.PER_EMAIL):
        assert (await _post(web, "it@acme.test", "guess guess guess")).status_code == 401
    r = await _post(web, "it@acme.test", ADMIN_PASSWORD)
    assert r.status_code == 429 and "Too many sign-in attempts" in r.text
    assert sessions.COOKIE not in r.cookies
    # Another admin from the same address is not locked out by it
    with runtime.db.write() as s:
        admins.create_admin(
            s, org_id=org, email="two@acme.test", password=ADMIN_PASSWORD, actor="test"
        )
    assert (await _post(web, "two@acme.test", ADMIN_PASSWORD)).status_code == 303


async def test_form_needs_csrf(web, runtime):
    org = make_org(runtime, "Acme", ("acme.test",))
    make_admin(runtime, org, "it@acme.test")
    await csrf_token(web)
    r = await web.post("/admin/login", data={"email": "it@acme.test", "password": ADMIN_PASSWORD})
    assert r.status_code == 403
