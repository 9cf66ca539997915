"""Connection health verdicts, with Okta scripted through ``httpx.MockTransport``."""

from __future__ import annotations

from datetime import timedelta

import httpx
import sqlalchemy as sa

from backend.dashboard import health
from backend.domain import scim_tokens
from backend.store.models import ScimRequest, ScimToken
from backend.store.models.base import utcnow
from tests.backend.dashboard.browser import make_connection, make_org, make_user
from tests.backend.dashboard.conftest import discovery

ISSUER = "https://acme.okta.com"


def okta(token_error: str = "invalid_grant") -> httpx.Client:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(200, json=discovery(ISSUER))
        if request.url.path.endswith("/keys"):
            return httpx.Response(200, json={"keys": [{"kty": "RSA"}]})
        return httpx.Response(
            401 if token_error == "invalid_client" else 400, json={"error": token_error}
        )

    return httpx.Client(transport=httpx.MockTransport(handle))


def report(rt, cid, org, client):
    with rt.db.read() as s:
        facts = health.gather(rt, s, cid, org)
    return health.run(facts, client, "http://127.0.0.1:8000/login/callback")


def verdicts(rep) -> dict[str, str]:
    return {c.title: c.verdict for c in rep.checks}


def test_everything_green(runtime):
    org = make_org(runtime, "Acme", ("acme.test",))
    cid = make_connection(runtime, org, issuer=ISSUER)
    with runtime.db.write() as s:
        tok = scim_tokens.create_token(s, cid, actor="t").token
        scim_tokens.touch(s, scim_tokens.authenticate(s, tok), "Okta SCIM Client 1.0.0")
        s.add(
            ScimRequest(
                connection_id=cid,
                token_prefix="qtscim_x",
                method="GET",
                path="/scim/v2/Users",
                status=200,
            )
        )
    make_user(runtime, org, cid, "ada@acme.test", "Ada L")
    rep = report(runtime, cid, org, okta())
    assert set(verdicts(rep).values()) == {"ok"} and rep.verdict == "ok"


def test_bad_secret_failed_requests_and_a_quiet_token(runtime):
    org = make_org(runtime, "Acme", ("acme.test",))
    cid = make_connection(runtime, org, issuer=ISSUER)
    with runtime.db.write() as s:
        tok = scim_tokens.create_token(s, cid, actor="t").token
        auth = scim_tokens.authenticate(s, tok)
        scim_tokens.touch(s, auth, "Okta SCIM Client 1.0.0")
        s.execute(sa.update(ScimToken).values(last_used_at=utcnow() - timedelta(days=30)))
        s.add(
            ScimRequest(
                connection_id=cid,
                token_prefix="qtscim_x",
                method="GET",
                path="/scim/v2/Users",
                status=200,
            )
        )
        s.add(
            ScimRequest(
                connection_id=cid,
                token_prefix="qtscim_x",
                method="PUT",
                path="/scim/v2/Users/1",
                status=400,
            )
        )
    rep = report(runtime, cid, org, okta("invalid_client"))
    got = verdicts(rep)
    assert got["Client ID and Client Secret"] == "bad"
    assert got["Recent SCIM requests"] == "bad"  # the latest failed
    assert got["SCIM token"] == "warn"  # used, but not for a month
    assert got["Users provisioned"] == "warn"
    assert rep.verdict == "bad"
    advice = {c.title: c.advice for c in rep.checks}
    assert "General tab" in advice["Client ID and Client Secret"]


def test_unknown_token_endpoint_answer_is_a_warning(runtime):
    org = make_org(runtime, "Acme", ("acme.test",))
    cid = make_connection(runtime, org, issuer=ISSUER)
    rep = report(runtime, cid, org, okta("temporarily_unavailable"))
    assert verdicts(rep)["Client ID and Client Secret"] == "warn"


def test_gather_on_sqlite_and_postgresql(any_runtime):
    org = make_org(any_runtime, "Acme", ("acme.test",))
    cid = make_connection(any_runtime, org, issuer=ISSUER)
    make_user(any_runtime, org, cid, "ada@acme.test", "Ada L")
    make_user(any_runtime, org, cid, "bob@acme.test", "Bob M", active=False)
    with any_runtime.db.write() as s:
        for status in (200, 201):
            s.add(
                ScimRequest(
                    connection_id=cid,
                    token_prefix="qtscim_x",
                    method="GET",
                    path="/scim/v2/Users",
                    status=status,
                )
            )
    with any_runtime.db.read() as s:
        facts = health.gather(any_runtime, s, cid, org)
    assert (facts.users, facts.active_users) == (2, 1)
    assert [r.status for r in facts.requests] == [201, 200]
    assert facts.client_secret == "s3cret" and facts.domains == ("acme.test",)
