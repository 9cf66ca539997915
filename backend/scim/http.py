"""The ``/scim/v2`` HTTP surface: bearer-token auth, body limits and content types, ETags,
``ListResponse`` paging, and every error as SCIM error JSON (in one place: ``_respond``).

Each request does its database work in one ``Database.read()`` or ``write()`` block on a
worker thread (sync SQLAlchemy), the token check included, so a request costs one
transaction. Discovery documents need no token: they describe the service, not a tenant.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from backend.domain.scim_tokens import ScimAuth, authenticate
from backend.runtime import Runtime
from backend.scim import filter as scim_filter
from backend.scim import groups, paging, projection, quirks, schema, users
from backend.scim.errors import (
    InvalidFilter,
    InvalidSyntax,
    InvalidValue,
    MethodNotAllowed,
    NotSupported,
    PayloadTooLarge,
    ResourceNotFound,
    ScimError,
    Unauthorized,
    UnsupportedMediaType,
)
from backend.scim.requestlog import RequestLog
from backend.scim.resources import etag, render_group, render_user

__all__ = ["MAX_BODY", "ScimApi"]

MAX_BODY = 1024 * 1024
MEDIA_TYPE = "application/scim+json"
JSON_TYPES = ("application/scim+json", "application/json")
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Call:
    """What a handler needs from the request (the thread never touches Starlette objects)."""

    method: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    if_match: str | None
    if_none_match: str | None
    token: str | None
    auth: ScimAuth | None = None


@dataclass(slots=True)
class Result:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Session, Call], Result]


class ScimApi:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.base = rt.settings.url("/scim/v2")
        self.cursors = paging.Cursors()
        self.requests = RequestLog(rt.db)
        self.dialect = rt.db.engine.dialect.name
        # SQLite has one writer at a time: queue this process's writers on a lock rather than
        # on SQLite's busy handler, which sleeps in steps of up to 100 ms.
        self._write_lock = threading.Lock() if self.dialect == "sqlite" else nullcontext()
        self._static: dict[str, Any] = {
            "ServiceProviderConfig": schema.service_provider_config(self.base),
            "ResourceTypes": schema.resource_types(self.base),
            "Schemas": schema.schemas(self.base),
        }

    # -- wiring -----------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        any_method = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
        return [
            Mount(
                "/scim/v2",
                routes=[
                    Route(
                        "/.search", self._endpoint({"POST": self.search_all}), methods=any_method
                    ),
                    Route(
                        "/Users/.search",
                        self._endpoint({"POST": self.search_users}),
                        methods=any_method,
                    ),
                    Route(
                        "/Groups/.search",
                        self._endpoint({"POST": self.search_groups}),
                        methods=any_method,
                    ),
                    Route(
                        "/Users",
                        self._endpoint({"GET": self.list_users, "POST": self.create_user}),
                        methods=any_method,
                    ),
                    Route(
                        "/Users/{id}",
                        self._endpoint(
                            {
                                "GET": self.get_user,
                                "PUT": self.replace_user,
                                "PATCH": self.patch_user,
                                "DELETE": self.delete_user,
                            }
                        ),
                        methods=any_method,
                    ),
                    Route(
                        "/Groups",
                        self._endpoint({"GET": self.list_groups, "POST": self.create_group}),
                        methods=any_method,
                    ),
                    Route(
                        "/Groups/{id}",
                        self._endpoint(
                            {
                                "GET": self.get_group,
                                "PUT": self.replace_group,
                                "PATCH": self.patch_group,
                                "DELETE": self.delete_group,
                            }
                        ),
                        methods=any_method,
                    ),
                    Route(
                        "/ServiceProviderConfig",
                        self._discovery("ServiceProviderConfig"),
                        methods=any_method,
                    ),
                    Route("/ResourceTypes", self._discovery("ResourceTypes"), methods=any_method),
                    Route(
                        "/ResourceTypes/{id}", self._discovery("ResourceTypes"), methods=any_method
                    ),
                    Route("/Schemas", self._discovery("Schemas"), methods=any_method),
                    Route("/Schemas/{id:path}", self._discovery("Schemas"), methods=any_method),
                    Route("/{rest:path}", self._not_found, methods=any_method),
                ],
            ),
        ]

    def _endpoint(self, handlers: dict[str, Handler]) -> Callable[[Request], Awaitable[Response]]:
        writes = {"POST", "PUT", "PATCH", "DELETE"}

        async def endpoint(request: Request) -> Response:
            method = request.method
            handler = handlers.get("GET" if method == "HEAD" else method)
            call: Call | None = None
            try:
                if handler is None:
                    raise MethodNotAllowed(f"{method} is not supported on {request.url.path}")
                call = Call(
                    method=method,
                    params=dict(request.path_params),
                    query=dict(request.query_params),
                    body=await _read_json(request) if method in ("POST", "PUT", "PATCH") else None,
                    if_match=request.headers.get("if-match"),
                    if_none_match=request.headers.get("if-none-match"),
                    token=_bearer(request.headers.get("authorization")),
                )
                result = await run_in_threadpool(self._run, handler, call, method in writes)
                response = _respond(result, head=method == "HEAD")
            except ScimError as exc:
                response = _error(exc)
            except Exception:
                log.exception("SCIM %s %s failed", method, request.url.path)
                response = _error(ScimError("the server could not complete the request"))
            if call is not None and call.auth is not None:
                self.requests.add(
                    call.auth,
                    method,
                    request.url.path,
                    response.status_code,
                    request.headers.get("user-agent", ""),
                )
            return response

        return endpoint

    def _run(self, handler: Handler, call: Call, write: bool) -> Result:
        if not call.token:
            raise Unauthorized("authenticate with the SCIM bearer token from the Dashboard")
        if not write:
            with self.rt.db.read() as session:
                return self._handle(session, handler, call)
        with self._write_lock, self.rt.db.write() as session:
            return self._handle(session, handler, call)

    def _handle(self, session: Session, handler: Handler, call: Call) -> Result:
        assert call.token is not None
        call.auth = authenticate(session, call.token)
        if call.auth is None:
            raise Unauthorized("this SCIM token is not valid (deleted or mistyped?)")
        return handler(session, call)

    def _discovery(self, kind: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if request.method not in ("GET", "HEAD"):
                return _error(MethodNotAllowed(f"{request.method} is not supported here"))
            doc = self._static[kind]
            wanted = request.path_params.get("id")
            if wanted is not None:
                found = next((d for d in doc if d["id"] == wanted), None)
                if found is None:
                    return _error(ResourceNotFound(f"no {kind[:-1]} {wanted!r}"))
                return _respond(Result(200, found), head=request.method == "HEAD")
            if isinstance(doc, list):
                doc = _list_response(doc, len(doc), 1)
            return _respond(Result(200, doc), head=request.method == "HEAD")

        return endpoint

    async def _not_found(self, request: Request) -> Response:
        rest = request.path_params.get("rest", "")
        if rest.split("/", 1)[0] == "Bulk":
            return _error(NotSupported(f"/{rest} is not supported"))
        return _error(ResourceNotFound(f"there is no SCIM endpoint at /scim/v2/{rest}"))

    # -- Users ------------------------------------------------------------------------------

    def _user_location(self, user_id: str) -> str:
        return f"{self.base}/Users/{user_id}"

    def _user(self, row: Any, call: Call, status: int = 200) -> Result:
        body = render_user(row, self._user_location(row.id))
        trim = projection.projector(
            call.query.get("attributes"), call.query.get("excludedAttributes"), schema.CORE_USER
        )
        headers = {"ETag": etag(row.version)}
        if status == 201:
            headers["Location"] = body["meta"]["location"]
        return Result(status, trim(body) if trim else body, headers)

    def list_users(self, session: Session, call: Call) -> Result:
        assert call.auth is not None
        start, count, node, text = _list_params(call.query)
        page = users.list_page(
            session,
            call.auth,
            self.cursors,
            node=node,
            filter_text=text,
            start_index=start,
            count=count,
            dialect=self.dialect,
        )
        trim = projection.projector(
            call.query.get("attributes"), call.query.get("excludedAttributes"), schema.CORE_USER
        )
        loc = self._user_location
        items = [render_user(r, loc(r.id)) for r in page.rows]
        if trim:
            items = [trim(i) for i in items]
        return Result(200, _list_response(items, page.total, start))

    def search_users(self, session: Session, call: Call) -> Result:
        call.query = _search_query(call.body)
        return self.list_users(session, call)

    def search_groups(self, session: Session, call: Call) -> Result:
        call.query = _search_query(call.body)
        return self.list_groups(session, call)

    def search_all(self, session: Session, call: Call) -> Result:
        """``POST /.search``: Users, then Groups, as one list (RFC 7644 §3.4.3). A filter that
        names what only one type has selects nothing of the other (§3.4.2.1)."""
        assert call.auth is not None
        call.query = _search_query(call.body)
        start, count, node, text = _list_params(call.query)
        kinds = (
            (users, schema.CORE_USER, self._render_users),
            (groups, schema.GROUP, self._groups),
        )
        items: list[Any] = []
        total = 0
        errors: list[InvalidFilter] = []
        for store, _urn, render in kinds:
            first = max(1, start - total)
            try:
                page = store.list_page(
                    session,
                    call.auth,
                    self.cursors,
                    node=node,
                    filter_text=text,
                    start_index=first,
                    count=max(0, count - len(items)),
                    dialect=self.dialect,
                )
            except InvalidFilter as exc:
                errors.append(exc)
                continue
            items.extend(render(session, page.rows, call))
            total += page.total
        if len(errors) == len(kinds):
            raise errors[0]
        return Result(200, _list_response(items, total, start))

    def _render_users(self, session: Session, rows: Any, call: Call) -> list[dict[str, Any]]:
        trim = projection.projector(
            call.query.get("attributes"), call.query.get("excludedAttributes"), schema.CORE_USER
        )
        items = [render_user(r, self._user_location(r.id)) for r in rows]
        return [trim(i) for i in items] if trim else items

    def get_user(self, session: Session, call: Call) -> Result:
        assert call.auth is not None
        row = users.get(session, call.auth, call.params["id"])
        if call.if_none_match and etag(row.version) in call.if_none_match:
            return Result(304, None, {"ETag": etag(row.version)})
        return self._user(row, call)

    def create_user(self, session: Session, call: Call) -> Result:
        assert call.auth is not None
        return self._user(users.create(session, call.auth, call.body), call, 201)

    def replace_user(self, session: Session, call: Call) -> Result:
        assert call.auth is not None
        row = users.replace(session, call.auth, call.params["id"], call.body, call.if_match)
        return self._user(row, call)

    def patch_user(self, session: Session, call: Call) -> Result:
        assert call.auth is not None
        ops = quirks.patch_operations(call.body)
        row = users.patch(session, call.auth, call.params["id"], ops, call.if_match)
        return self._user(row, call)

    def delete_user(self, session: Session, call: Call) -> Result:
        assert call.auth is not None
        users.delete(session, call.auth, call.params["id"], call.if_match)
        return Result(204)

    # -- Groups -----------------------------------------------------------------------------

    def _group_location(self, group_id: str) -> str:
        return f"{self.base}/Groups/{group_id}"

    def _groups(self, session: Session, rows: Any, call: Call) -> list[dict[str, Any]]:
        trim = projection.projector(
            call.query.get("attributes"), call.query.get("excludedAttributes"), schema.GROUP
        )
        want_members = True
        if trim is not None:
            probe = trim({"id": "", "schemas": [], "members": []})
            want_members = "members" in probe
        members = (
            groups.members_of(session, [r.id for r in rows], self._user_location)
            if want_members
            else {}
        )
        out = [render_group(r, self._group_location(r.id), members.get(r.id)) for r in rows]
        return [trim(o) for o in out] if trim else out

    def _group(self, session: Session, row: Any, call: Call, status: int = 200) -> Result:
        body = self._groups(session, [row], call)[0]
        headers = {"ETag": etag(row.version)}
        if status == 201:
            headers["Location"] = self._group_location(row.id)
        return Result(status, body, headers)

    def list_groups(self, session: Session, call: Call) -> Result:
        assert call.auth is not None
        start, count, node, text = _list_params(call.query)
        page = groups.list_page(
            session,
            call.auth,
            self.cursors,
            node=node,
            filter_text=text,
            start_index=start,
            count=count,
            dialect=self.dialect,
        )
        return Result(
            200, _list_response(self._groups(session, page.rows, call), page.total, start)
        )

    def get_group(self, session: Session, call: Call) -> Result:
        assert call.auth is not None
        row = groups.get(session, call.auth, call.params["id"])
        if call.if_none_match and etag(row.version) in call.if_none_match:
            return Result(304, None, {"ETag": etag(row.version)})
        return self._group(session, row, call)

    def create_group(self, session: Session, call: Call) -> Result:
        assert call.auth is not None
        return self._group(session, groups.create(session, call.auth, call.body), call, 201)

    def replace_group(self, session: Session, call: Call) -> Result:
        assert call.auth is not None
        row = groups.replace(session, call.auth, call.params["id"], call.body, call.if_match)
        return self._group(session, row, call)

    def patch_group(self, session: Session, call: Call) -> Result:
        assert call.auth is not None
        ops = quirks.patch_operations(call.body)
        row = groups.patch(session, call.auth, call.params["id"], ops, call.if_match)
        if call.query.get("attributes") or call.query.get("excludedAttributes"):
            return self._group(session, row, call)
        return Result(204, None, {"ETag": etag(row.version)})

    def delete_group(self, session: Session, call: Call) -> Result:
        assert call.auth is not None
        groups.delete(session, call.auth, call.params["id"], call.if_match)
        return Result(204)


# -- helpers ----------------------------------------------------------------------------------


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def _read_json(request: Request) -> Any:
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype and ctype not in JSON_TYPES:
        raise UnsupportedMediaType(f"send {MEDIA_TYPE} or application/json, not {ctype}")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge(f"the request body is larger than {MAX_BODY} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge(f"the request body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise InvalidSyntax("the request needs a JSON body")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidSyntax("the request body is not valid JSON") from None


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidValue(f"{name} must be an integer, not {raw!r}") from None


def _search_query(body: Any) -> dict[str, str]:
    """A SearchRequest body as the query parameters of a GET."""
    if not isinstance(body, dict):
        raise InvalidSyntax("a search needs a SearchRequest JSON object")
    out: dict[str, str] = {}
    for key, value in body.items():
        name = {k.lower(): k for k in _SEARCH_KEYS}.get(str(key).lower())
        if name is None or value is None:
            continue
        out[name] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return out


_SEARCH_KEYS = ("filter", "startIndex", "count", "attributes", "excludedAttributes")


def _list_params(query: dict[str, str]) -> tuple[int, int, Any, str]:
    start = max(1, _int_param(query, "startIndex", 1))
    count = min(max(0, _int_param(query, "count", schema.MAX_RESULTS)), schema.MAX_RESULTS)
    text = query.get("filter") or ""
    node = scim_filter.parse(text) if text.strip() else None
    return start, count, node, text.strip()


def _list_response(items: list[Any], total: int, start: int) -> dict[str, Any]:
    return {
        "schemas": [schema.LIST_RESPONSE],
        "totalResults": total,
        "itemsPerPage": len(items),
        "startIndex": start,
        "Resources": items,
    }


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _respond(result: Result, *, head: bool = False) -> Response:
    if result.body is None:
        return Response(status_code=result.status, headers=result.headers)
    content = b"" if head else _dumps(result.body)
    return Response(
        content, status_code=result.status, headers=result.headers, media_type=MEDIA_TYPE
    )


def _error(exc: ScimError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="SCIM"'} if exc.status == 401 else {}
    return Response(
        _dumps(exc.body()), status_code=exc.status, headers=headers, media_type=MEDIA_TYPE
    )
