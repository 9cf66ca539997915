"""The work-email form is rate limited per client address, across processes (in the database).

In its own module: it uses up the limit of 127.0.0.1 on this module's backend."""

from __future__ import annotations

from backend.sso import pages


def test_login_form_is_rate_limited(backend, browser, monkeypatch):
    monkeypatch.setattr(pages, "LOGIN_RATE_LIMIT", 3)
    page = browser.get(backend.url + "/login")
    statuses = [browser.submit_email(page, "ed@nowhere.example").status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    r = browser.submit_email(page, "ed@nowhere.example")
    assert r.status_code == 429 and "Too many sign-in attempts" in r.text
