"""The request log for the connection-health page, and the token's last-use stamp, both
written after the response; the log keeps the newest ``KEEP`` rows per connection."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from backend.runtime import Runtime
from backend.scim import ScimApi, requestlog
from backend.store.models import Connection, ScimRequest, ScimToken
from tests.backend.scim.conftest import Scim


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)  # allow-sleep


def test_requests_are_logged_and_the_token_touched(
    client: Scim, runtime: Runtime, scim_app: tuple[str, ScimApi]
) -> None:
    client.http.headers["User-Agent"] = "Okta SCIM Client 1.0.0"
    uid = client.create_user("ada@acme.test")["id"]
    client.get(f"/Users/{uid}")
    client.post(
        "/Users", {"userName": "ada@acme.test", "name": {"givenName": "a", "familyName": "b"}}
    )

    def logged() -> list[tuple[str, str, int, str, str]]:
        with runtime.db.read() as s:
            return [
                tuple(r)
                for r in s.execute(
                    sa.select(
                        ScimRequest.method,
                        ScimRequest.path,
                        ScimRequest.status,
                        ScimRequest.user_agent,
                        ScimRequest.token_prefix,
                    ).order_by(ScimRequest.id)
                )
            ]

    wait_for(lambda: len(logged()) == 3)  # flushed by the delayed write, no request needed
    assert logged() == [
        ("POST", "/scim/v2/Users", 201, "Okta SCIM Client 1.0.0", client.tenant.prefix),
        ("GET", f"/scim/v2/Users/{uid}", 200, "Okta SCIM Client 1.0.0", client.tenant.prefix),
        ("POST", "/scim/v2/Users", 409, "Okta SCIM Client 1.0.0", client.tenant.prefix),
    ]
    with runtime.db.read() as s:
        used = s.execute(sa.select(ScimToken.last_used_at, ScimToken.last_used_by)).one()
        first = s.scalar(sa.select(Connection.first_scim_request_at))
        times = list(s.scalars(sa.select(ScimRequest.at).order_by(ScimRequest.id)))
    now = datetime.now(UTC)
    assert times == sorted(times) and all(now - timedelta(minutes=1) < t <= now for t in times)
    assert used.last_used_at is not None and used.last_used_by == "Okta SCIM Client 1.0.0"
    assert first is not None


def test_the_log_keeps_the_newest_rows(
    client: Scim, runtime: Runtime, scim_app: tuple[str, ScimApi], monkeypatch
) -> None:
    monkeypatch.setattr(requestlog, "KEEP", 12)
    api = scim_app[1]
    for i in range(20):
        client.get("/Users", params={"count": 0, "startIndex": i + 1})
    api.requests.wait_idle()
    with runtime.db.read() as s:
        kept = s.scalars(sa.select(ScimRequest.id).order_by(ScimRequest.id)).all()
        paths = s.scalars(sa.select(ScimRequest.path)).all()
    assert len(kept) == 12 and len(paths) == 12
    with runtime.db.read() as s:
        newest = s.scalar(sa.select(sa.func.max(ScimRequest.id)))
    assert kept[-1] == newest and kept[0] == newest - 11  # the newest twelve, not any twelve


async def test_a_burst_buffers_only_each_connections_newest_rows(
    runtime: Runtime, monkeypatch
) -> None:
    """However many requests arrive between two writes, the buffer holds each connection's
    newest ``KEEP`` (older ones would be trimmed anyway) and each token's newest use."""
    from datetime import UTC, datetime

    from backend.domain.scim_tokens import ScimAuth
    from backend.store.runners import open_runner

    monkeypatch.setattr(requestlog, "KEEP", 5)
    runner = open_runner(runtime.db)
    log = requestlog.RequestLog(runtime.db, runner)
    a = ScimAuth("ta", "qtscim_aaaaaa", "ca", "o", None)
    b = ScimAuth("tb", "qtscim_bbbbbb", "cb", "o", datetime(2026, 1, 1, tzinfo=UTC))
    try:
        for i in range(40):
            log.add(a, "get", "GET", f"/scim/v2/Users/a{i}", 200, f"agent-{i}")
        log.add(b, "get", "GET", "/scim/v2/Users/b0", 404, "other")
        rows, used = log._take()
        assert [r.path for r in rows if r.auth is a] == [
            f"/scim/v2/Users/a{i}" for i in range(35, 40)
        ]
        assert [r.path for r in rows if r.auth is b] == ["/scim/v2/Users/b0"]
        assert [r.at for r in rows] == sorted(r.at for r in rows)  # written in arrival order
        assert {(u[0].token_id, u[2]) for u in used} == {("ta", "agent-39"), ("tb", "other")}
        assert log._take() == ([], [])  # taken once
    finally:
        log.wait_idle()
        await runner.aclose()
