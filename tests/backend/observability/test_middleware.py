"""The request middleware: request ids, one JSON line per request with nothing secret in it,
and the HTTP metrics, on a tiny app per test."""

from __future__ import annotations

import json
import logging
import os
import uuid

import pytest
from prometheus_client import REGISTRY
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from backend.observability.middleware import RequestObservabilityMiddleware, valid_request_id


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def captured() -> ListHandler:
    return ListHandler()


def make_client(handler: ListHandler) -> TestClient:
    logger = logging.getLogger(f"test.requests.{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

    async def echo_id(request: Request) -> JSONResponse:
        return JSONResponse({"request_id": request.scope["state"]["request_id"]})

    async def user(request: Request) -> PlainTextResponse:
        return PlainTextResponse("user " + str(request.path_params))

    async def callback(request: Request) -> PlainTextResponse:
        await request.body()
        return PlainTextResponse("ok")

    async def boom(request: Request) -> PlainTextResponse:
        raise RuntimeError("kaboom")

    app = Starlette(
        routes=[
            Route("/api/v1/echo", echo_id),
            Route("/scim/v2/Users/{user_id}", user),
            Route("/login/callback", callback, methods=["GET", "POST"]),
            Route("/dashboard/boom", boom),
            Mount("/scim/v3", routes=[Route("/Groups/{group_id}", user)]),
        ],
        middleware=[Middleware(RequestObservabilityMiddleware, logger=logger)],
    )
    return TestClient(app, raise_server_exceptions=False)


def test_a_valid_incoming_request_id_is_kept_and_echoed(captured: ListHandler) -> None:
    r = make_client(captured).get("/api/v1/echo", headers={"X-Request-ID": "lb-7f3a.42:x_y"})
    assert r.headers["X-Request-ID"] == "lb-7f3a.42:x_y"
    assert r.json() == {"request_id": "lb-7f3a.42:x_y"}
    assert json.loads(captured.lines[-1])["request_id"] == "lb-7f3a.42:x_y"


@pytest.mark.parametrize("bad", ["", "has space", "x" * 129, "-leading-dash", 'quote"d', "ü"])
def test_an_unusable_request_id_is_replaced_by_a_new_one(captured: ListHandler, bad: str) -> None:
    headers = {"X-Request-ID": bad.encode("utf-8")} if bad else {}
    r = make_client(captured).get("/api/v1/echo", headers=headers)
    new = r.headers["X-Request-ID"]
    assert new != bad and len(new) == 32 and valid_request_id(new)
    assert json.loads(captured.lines[-1])["request_id"] == new


def test_ids_differ_between_requests(captured: ListHandler) -> None:
    client = make_client(captured)
    ids = {client.get("/api/v1/echo").headers["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5


def test_one_json_line_per_request_with_the_expected_fields(captured: ListHandler) -> None:
    make_client(captured).get("/scim/v2/Users/4f0e9a")
    assert len(captured.lines) == 1
    line = json.loads(captured.lines[0])
    assert line["event"] == "request"
    assert line["method"] == "GET"
    assert line["family"] == "scim"
    assert line["route"] == "/scim/v2/Users/{user_id}"  # the template, not the id
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["client"] == "testclient"
    assert line["pid"] == os.getpid()
    assert line["ts"].endswith("+00:00")
    assert "4f0e9a" not in captured.lines[0]


def test_secrets_never_reach_the_log(captured: ListHandler) -> None:
    client = make_client(captured)
    client.post(
        "/login/callback?code=CODE-SECRET&state=STATE-SECRET&login_hint=ada%40acme.test",
        headers={"Authorization": "Bearer TOKEN-SECRET", "Cookie": "qt_session=COOKIE-SECRET"},
        content=b"client_secret=BODY-SECRET",
    )
    client.get("/nowhere?access_token=QUERY-SECRET")
    text = "\n".join(captured.lines)
    assert len(captured.lines) == 2
    for secret in ("CODE-SECRET", "STATE-SECRET", "ada", "TOKEN-SECRET", "Bearer",
                   "COOKIE-SECRET", "BODY-SECRET", "QUERY-SECRET", "?"):  # fmt: skip
        assert secret not in text
    unmatched = json.loads(captured.lines[1])
    assert (unmatched["route"], unmatched["status"], unmatched["family"]) == (
        "/nowhere",
        404,
        "other",
    )


def test_an_exception_is_logged_and_counted_as_500(captured: ListHandler) -> None:
    before = (
        REGISTRY.get_sample_value(
            "quickture_http_requests_total",
            {"family": "dashboard", "method": "GET", "status": "500"},
        )
        or 0.0
    )
    r = make_client(captured).get("/dashboard/boom")
    assert r.status_code == 500
    line = json.loads(captured.lines[-1])
    assert (line["status"], line["family"]) == (500, "dashboard")
    assert "kaboom" not in captured.lines[-1]
    after = REGISTRY.get_sample_value(
        "quickture_http_requests_total", {"family": "dashboard", "method": "GET", "status": "500"}
    )
    assert after == before + 1


def test_requests_are_counted_and_timed_by_family(captured: ListHandler) -> None:
    labels = {"family": "api", "method": "GET", "status": "200"}
    count_before = REGISTRY.get_sample_value("quickture_http_requests_total", labels) or 0.0
    hist_before = (
        REGISTRY.get_sample_value(
            "quickture_http_request_duration_seconds_count", {"family": "api"}
        )
        or 0.0
    )
    client = make_client(captured)
    for _ in range(3):
        client.get("/api/v1/echo")
    assert REGISTRY.get_sample_value("quickture_http_requests_total", labels) == count_before + 3
    assert (
        REGISTRY.get_sample_value(
            "quickture_http_request_duration_seconds_count", {"family": "api"}
        )
        == hist_before + 3
    )


def test_an_unknown_method_is_not_a_new_label(captured: ListHandler) -> None:
    make_client(captured).request("BREW", "/api/v1/echo")
    assert (
        REGISTRY.get_sample_value(
            "quickture_http_requests_total", {"family": "api", "method": "BREW", "status": "405"}
        )
        is None
    )
    assert (REGISTRY.get_sample_value(
        "quickture_http_requests_total", {"family": "api", "method": "OTHER", "status": "405"}
    ) or 0) >= 1  # fmt: skip


def test_non_http_scopes_pass_through() -> None:
    seen: list[str] = []

    async def inner(scope, receive, send):  # type: ignore[no-untyped-def]
        seen.append(scope["type"])

    import asyncio

    mw = RequestObservabilityMiddleware(inner, logger=logging.getLogger("test.lifespan"))
    asyncio.run(mw({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert seen == ["lifespan"]


def test_a_route_inside_a_mount_is_logged_with_its_prefix(captured: ListHandler) -> None:
    make_client(captured).get("/scim/v3/Groups/g-77")
    line = json.loads(captured.lines[-1])
    assert line["route"] == "/scim/v3/Groups/{group_id}"
    assert "g-77" not in captured.lines[-1]


def test_with_its_own_handler_a_turn_of_the_loop_writes_its_lines_together(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Nobody configured logging: the observer writes to stderr itself, every line a request
    of one turn of the event loop in one write, before the next turn; off the loop at once."""
    import asyncio
    import io
    import sys

    from backend.observability.middleware import LOGGER_NAME, RequestObserver

    stream = io.StringIO()
    logger = logging.getLogger(LOGGER_NAME)
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    monkeypatch.setattr(logger, "handlers", [])
    observer = RequestObserver()
    scope = {"type": "http", "method": "GET", "path": "/scim/v2/Users/u1", "headers": []}

    async def one_turn() -> tuple[str, str]:
        for status in (200, 404, 201):
            observer.finish(scope, observer.start(scope), status, 0.001)
        before = stream.getvalue()
        await asyncio.sleep(0)  # the turn ends: its lines are written
        return before, stream.getvalue()

    before, after = asyncio.run(one_turn())
    assert before == ""
    lines = after.splitlines()
    assert [json.loads(line)["status"] for line in lines] == [200, 404, 201]
    assert all(json.loads(line)["route"] == "/scim/v2/Users/u1" for line in lines)

    observer.finish(scope, observer.start(scope), 204, 0.001)  # no loop running
    assert json.loads(stream.getvalue().splitlines()[-1])["status"] == 204


def test_the_log_time_is_what_isoformat_writes_across_seconds(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from backend.observability import middleware
    from backend.observability.middleware import RequestObserver

    observer = RequestObserver(logger=logging.getLogger("test.stamp"))
    for now in (1764892800.0, 1764892800.0005, 1764892800.9999, 1764892801.25, 1764892800.5,
                1801234567.123456):  # fmt: skip
        monkeypatch.setattr(middleware.time, "time", lambda now=now: now)
        expected = datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")
        assert observer._stamp() == expected, now
