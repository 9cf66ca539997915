"""The ``/scim/v2`` HTTP surface: bearer-token auth, body limits and content types, ETags,
``ListResponse`` paging, and every error as SCIM error JSON (in one place: ``_respond``).

Each request does its database work as one unit in one transaction, the token check included,
through a ``Runner`` (``backend.store.runners``): on SQLite, bounded reads (a user by id, a
``userName``/``externalId`` look-up, a keyset page) run on the event loop and writes share
group commits; open-ended filters and everything on PostgreSQL run on the thread pool.
Discovery documents need no token: they describe the service, not a tenant.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import unquote_plus

import orjson
import sqlalchemy as sa
from starlette.routing import BaseRoute, Mount
from starlette.types import Receive, Scope, Send

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
from backend.store.runners import open_runner

__all__ = ["MAX_BODY", "PREFIX", "ScimApi"]

PREFIX = "/scim/v2"
MAX_BODY = 1024 * 1024
MEDIA_TYPE = "application/scim+json"
JSON_TYPES = ("application/scim+json", "application/json")
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
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
    filter_node: Any = field(default=None)  # parsed once, by _Endpoint.runs_bounded or _list_params
    filter_parsed: bool = False


@dataclass(slots=True)
class Result:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[sa.Connection, Call], Result]


_HEADERS = frozenset(
    (b"authorization", b"content-type", b"content-length", b"if-match", b"if-none-match",
     b"user-agent")
)  # fmt: skip


@dataclass(slots=True)
class _Incoming:
    """The parts of the HTTP request SCIM reads: the method, the few headers it uses (picked in
    one pass over the raw list, not looked up one scan each), and the body's channel."""

    method: str
    headers: dict[str, str]
    receive: Receive

    @classmethod
    def of(cls, scope: Scope, receive: Receive) -> _Incoming:
        headers: dict[str, str] = {}
        for key, value in scope["headers"]:
            if key in _HEADERS:
                headers.setdefault(key.decode(), value.decode("latin-1"))  # the first, as Starlette
        return cls(scope["method"], headers, receive)


@dataclass(frozen=True, slots=True)
class _Template:
    """Stands in ``scope["route"]`` as Starlette's routes do: the access log reads its ``path``."""

    path: str


@dataclass(frozen=True, slots=True)
class _Endpoint:
    """One method of one route and how its unit of work runs (``backend.store.runners``):
    ``write`` through the writer, else as a read; ``bounded`` on the event loop (a few rows,
    whatever the tenant's size); ``checks_token`` in the handler's own first statement, else
    ``_handle`` checks it first. ``op`` names it in the request log and the metrics. A user
    list decides by its filter: ``userName eq`` is bounded and checks the token itself, no
    filter (a keyset page) is bounded, any other filter is neither."""

    handler: Handler
    op: str
    write: bool = False
    bounded: bool = False
    checks_token: bool = False
    user_list: bool = False

    def runs_bounded(self, call: Call) -> bool:
        if not self.user_list:
            return self.bounded
        try:
            node = _filter_node(call)
        except ScimError:
            return True  # refused before any query
        return node is None or users.lookup_value(node) is not None

    def checks_token_for(self, call: Call) -> bool:
        return self.checks_token or (self.user_list and _lookup_name(call) is not None)


@dataclass(frozen=True, slots=True)
class _Route:
    template: _Template
    methods: dict[str, _Endpoint]


class ScimApi:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.base = rt.settings.url(PREFIX)
        self.cursors = paging.Cursors()
        self.runner = open_runner(rt.db)
        self.requests = RequestLog(rt.db, self.runner)
        self.dialect = rt.db.engine.dialect.name
        self._static: dict[str, Any] = {
            "ServiceProviderConfig": schema.service_provider_config(self.base),
            "ResourceTypes": schema.resource_types(self.base),
            "Schemas": schema.schemas(self.base),
        }
        # One user by id: a few rows (its sessions too, for a write), and the token checked in
        # the statement that reads or locks the row.
        one_user = {"bounded": True, "checks_token": True}
        self._routes: dict[tuple[str, bool], _Route] = {
            ("Users", False): _Route(_Template("/Users"), {
                "GET": _Endpoint(self.list_users, "list", user_list=True),
                "POST": _Endpoint(self.create_user, "create", write=True, bounded=True),
            }),
            ("Users", True): _Route(_Template("/Users/{id}"), {
                "GET": _Endpoint(self.get_user, "get", **one_user),
                "PUT": _Endpoint(self.replace_user, "replace", write=True, **one_user),
                "PATCH": _Endpoint(self.patch_user, "patch", write=True, **one_user),
                "DELETE": _Endpoint(self.delete_user, "delete", write=True, **one_user),
            }),
            ("Groups", False): _Route(_Template("/Groups"), {
                "GET": _Endpoint(self.list_groups, "list"),
                "POST": _Endpoint(self.create_group, "create", write=True),
            }),
            ("Groups", True): _Route(_Template("/Groups/{id}"), {
                "GET": _Endpoint(self.get_group, "get"),
                "PUT": _Endpoint(self.replace_group, "replace", write=True),
                "PATCH": _Endpoint(self.patch_group, "patch", write=True),
                "DELETE": _Endpoint(self.delete_group, "delete", write=True),
            }),
        }  # fmt: skip
        self._searches = {
            kind: _Route(_Template(f"{kind}/.search"), {"POST": _Endpoint(handler, "search")})
            for kind, handler in (
                ("/Users", self.search_users),
                ("/Groups", self.search_groups),
                ("", self.search_all),
            )
        }

    async def aclose(self) -> None:
        """At shutdown, on the loop: finish the queued writes, write the buffered request log."""
        await self.runner.aclose()
        self.close()

    def close(self) -> None:
        """``aclose`` off the loop, once no request runs (tests): the log, the connections."""
        self.requests.wait_idle()
        self.runner.close()

    # -- wiring -----------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [Mount(PREFIX, app=self)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI app under ``/scim/v2`` (the full app serves it through its SCIM lane,
        ``backend.web.lane``, which calls ``answer``)."""
        await (await self.answer(scope, receive))(scope, receive, send)

    async def answer(self, scope: Scope, receive: Receive) -> Reply:
        """The reply to one request, every failure as SCIM error JSON. A dozen fixed paths,
        matched by splitting the path (cheaper than a router's regular expressions)."""
        path = scope["path"]
        rest = path[len(PREFIX) :] if path.startswith(PREFIX) else path
        parts = [p for p in rest.split("/") if p] if rest not in ("", "/") else []
        try:
            return await self._dispatch(_Incoming.of(scope, receive), scope, parts)
        except Exception:  # _serve catches a handler's; this is for anything around it
            log.exception("SCIM %s %s failed", scope.get("method"), path)
            return _error(ScimError("the server could not complete the request"))

    async def _dispatch(self, request: _Incoming, scope: Scope, parts: list[str]) -> Reply:
        n = len(parts)
        first = parts[0] if parts else ""
        if first in ("Users", "Groups") and n <= 2:
            if n == 2 and parts[1] == ".search":
                return await self._serve(request, scope, self._searches[f"/{first}"])
            route = self._routes[first, n == 2]
            return await self._serve(request, scope, route, {"id": parts[1]} if n == 2 else {})
        if first == ".search" and n == 1:
            return await self._serve(request, scope, self._searches[""])
        if first in self._static and (n == 1 or first != "ServiceProviderConfig"):
            scope["route"] = _Template(f"/{first}" if n == 1 else f"/{first}/{{id}}")
            return self._discovery(request, first, "/".join(parts[1:]) if n > 1 else None)
        if first == "Bulk":
            return _error(NotSupported("/Bulk is not supported"))
        return _error(ResourceNotFound(f"there is no SCIM endpoint at {PREFIX}/{'/'.join(parts)}"))

    async def _serve(self, request: _Incoming, scope: Scope, route: _Route,
                     params: dict[str, str] | None = None) -> Reply:  # fmt: skip
        scope["route"] = route.template  # what the access log names the request by
        method = request.method
        endpoint = route.methods.get("GET" if method == "HEAD" else method)
        call: Call | None = None
        try:
            if endpoint is None:
                raise MethodNotAllowed(
                    f"{method} is not supported on {PREFIX}{route.template.path}"
                )
            headers = request.headers
            call = Call(
                method=method,
                params=params or {},
                query=_query(scope["query_string"]),
                body=await _read_json(request) if method in _WITH_BODY else None,
                if_match=headers.get("if-match"),
                if_none_match=headers.get("if-none-match"),
                token=_bearer(headers.get("authorization")),
            )
            if not call.token:
                raise Unauthorized("authenticate with the SCIM bearer token from the Dashboard")
            unit = partial(self._handle, endpoint, call)
            if endpoint.write:
                result = await self.runner.write(unit, bounded=endpoint.bounded)
            else:
                result = await self.runner.read(unit, bounded=endpoint.runs_bounded(call))
            response = _respond(result, head=method == "HEAD")
        except ScimError as exc:
            response = _error(exc)
        except Exception:
            log.exception("SCIM %s %s failed", method, scope["path"])
            response = _error(ScimError("the server could not complete the request"))
        if call is not None and call.auth is not None and endpoint is not None:
            self.requests.add(
                call.auth,
                endpoint.op,
                method,
                scope["path"],
                response.status_code,
                request.headers.get("user-agent", ""),
            )
        return response

    def _handle(self, endpoint: _Endpoint, call: Call, conn: sa.Connection) -> Result:
        assert call.token is not None
        if not endpoint.checks_token_for(call):
            call.auth = _required(authenticate(conn, call.token))
        return endpoint.handler(conn, call)

    def _discovery(self, request: _Incoming, kind: str, wanted: str | None) -> Reply:
        if request.method not in ("GET", "HEAD"):
            return _error(MethodNotAllowed(f"{request.method} is not supported here"))
        head = request.method == "HEAD"
        doc = self._static[kind]
        if wanted is not None:
            found = next((d for d in doc if d["id"] == wanted), None)
            if found is None:
                return _error(ResourceNotFound(f"no {kind[:-1]} {wanted!r}"))
            return _respond(Result(200, found), head=head)
        if isinstance(doc, list):
            doc = _list_response(doc, len(doc), 1)
        return _respond(Result(200, doc), head=head)

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

    def list_users(self, conn: sa.Connection, call: Call) -> Result:
        start, count, node, text = _list_params(call)
        if call.auth is None:  # userName eq "...": with the token's check (see _handle)
            user_name = _lookup_name(call)
            assert call.token is not None and user_name is not None
            auth, page = users.lookup_authenticated(
                conn, call.token, user_name, start_index=start, count=count
            )
            call.auth = _required(auth)
            return self._user_page(page, start, call)
        page = users.list_page(
            conn,
            call.auth,
            self.cursors,
            node=node,
            filter_text=text,
            start_index=start,
            count=count,
            dialect=self.dialect,
        )
        return self._user_page(page, start, call)

    def _user_page(self, page: users.Page, start: int, call: Call) -> Result:
        trim = projection.projector(
            call.query.get("attributes"), call.query.get("excludedAttributes"), schema.CORE_USER
        )
        loc = self._user_location
        items = [render_user(r, loc(r.id)) for r in page.rows]
        if trim:
            items = [trim(i) for i in items]
        return Result(200, _list_response(items, page.total, start))

    def search_users(self, conn: sa.Connection, call: Call) -> Result:
        call.query = _search_query(call.body)
        return self.list_users(conn, call)

    def search_groups(self, conn: sa.Connection, call: Call) -> Result:
        call.query = _search_query(call.body)
        return self.list_groups(conn, call)

    def search_all(self, conn: sa.Connection, call: Call) -> Result:
        """``POST /.search``: Users, then Groups, as one list (RFC 7644 §3.4.3). A filter that
        names what only one type has selects nothing of the other (§3.4.2.1)."""
        assert call.auth is not None
        call.query = _search_query(call.body)
        start, count, node, text = _list_params(call)
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
                    conn,
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
            items.extend(render(conn, page.rows, call))
            total += page.total
        if len(errors) == len(kinds):
            raise errors[0]
        return Result(200, _list_response(items, total, start))

    def _render_users(self, conn: sa.Connection, rows: Any, call: Call) -> list[dict[str, Any]]:
        trim = projection.projector(
            call.query.get("attributes"), call.query.get("excludedAttributes"), schema.CORE_USER
        )
        items = [render_user(r, self._user_location(r.id)) for r in rows]
        return [trim(i) for i in items] if trim else items

    def get_user(self, conn: sa.Connection, call: Call) -> Result:
        assert call.token is not None  # checked here, in the read's own statement (_handle)
        auth, row = users.get_authenticated(conn, call.token, call.params["id"])
        call.auth = _required(auth)
        if row is None:
            raise ResourceNotFound(f"no user with id {call.params['id']!r}")
        if call.if_none_match and etag(row.version) in call.if_none_match:
            return Result(304, None, {"ETag": etag(row.version)})
        return self._user(row, call)

    def create_user(self, conn: sa.Connection, call: Call) -> Result:
        assert call.auth is not None
        return self._user(users.create(conn, call.auth, call.body), call, 201)

    def _locked_user(self, conn: sa.Connection, call: Call) -> tuple[ScimAuth, Any]:
        """Who the token is and the user to update, locked, from one statement."""
        assert call.token is not None
        auth, row = users.lock_authenticated(conn, call.token, call.params["id"])
        call.auth = _required(auth)
        if row is None:
            raise ResourceNotFound(f"no user with id {call.params['id']!r}")
        return call.auth, row

    def replace_user(self, conn: sa.Connection, call: Call) -> Result:
        auth, row = self._locked_user(conn, call)
        return self._user(users.replace(conn, auth, row, call.body, call.if_match), call)

    def patch_user(self, conn: sa.Connection, call: Call) -> Result:
        auth, row = self._locked_user(conn, call)
        ops = quirks.patch_operations(call.body)
        return self._user(users.patch(conn, auth, row, ops, call.if_match), call)

    def delete_user(self, conn: sa.Connection, call: Call) -> Result:
        auth, row = self._locked_user(conn, call)
        users.delete(conn, auth, row, call.if_match)
        return Result(204)

    # -- Groups -----------------------------------------------------------------------------

    def _group_location(self, group_id: str) -> str:
        return f"{self.base}/Groups/{group_id}"

    def _groups(self, conn: sa.Connection, rows: Any, call: Call) -> list[dict[str, Any]]:
        trim = projection.projector(
            call.query.get("attributes"), call.query.get("excludedAttributes"), schema.GROUP
        )
        want_members = True
        if trim is not None:
            probe = trim({"id": "", "schemas": [], "members": []})
            want_members = "members" in probe
        members = (
            groups.members_of(conn, [r.id for r in rows], self._user_location)
            if want_members
            else {}
        )
        out = [render_group(r, self._group_location(r.id), members.get(r.id)) for r in rows]
        return [trim(o) for o in out] if trim else out

    def _group(self, conn: sa.Connection, row: Any, call: Call, status: int = 200) -> Result:
        body = self._groups(conn, [row], call)[0]
        headers = {"ETag": etag(row.version)}
        if status == 201:
            headers["Location"] = self._group_location(row.id)
        return Result(status, body, headers)

    def list_groups(self, conn: sa.Connection, call: Call) -> Result:
        assert call.auth is not None
        start, count, node, text = _list_params(call)
        page = groups.list_page(
            conn,
            call.auth,
            self.cursors,
            node=node,
            filter_text=text,
            start_index=start,
            count=count,
            dialect=self.dialect,
        )
        return Result(200, _list_response(self._groups(conn, page.rows, call), page.total, start))

    def get_group(self, conn: sa.Connection, call: Call) -> Result:
        assert call.auth is not None
        row = groups.get(conn, call.auth, call.params["id"])
        if call.if_none_match and etag(row.version) in call.if_none_match:
            return Result(304, None, {"ETag": etag(row.version)})
        return self._group(conn, row, call)

    def create_group(self, conn: sa.Connection, call: Call) -> Result:
        assert call.auth is not None
        return self._group(conn, groups.create(conn, call.auth, call.body), call, 201)

    def replace_group(self, conn: sa.Connection, call: Call) -> Result:
        assert call.auth is not None
        row = groups.replace(conn, call.auth, call.params["id"], call.body, call.if_match)
        return self._group(conn, row, call)

    def patch_group(self, conn: sa.Connection, call: Call) -> Result:
        assert call.auth is not None
        ops = quirks.patch_operations(call.body)
        row = groups.patch(conn, call.auth, call.params["id"], ops, call.if_match)
        if call.query.get("attributes") or call.query.get("excludedAttributes"):
            return self._group(conn, row, call)
        return Result(204, None, {"ETag": etag(row.version)})

    def delete_group(self, conn: sa.Connection, call: Call) -> Result:
        assert call.auth is not None
        groups.delete(conn, call.auth, call.params["id"], call.if_match)
        return Result(204)


# -- helpers ----------------------------------------------------------------------------------


def _required(auth: ScimAuth | None) -> ScimAuth:
    if auth is None:
        raise Unauthorized("this SCIM token is not valid (deleted or mistyped?)")
    return auth


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _query(raw: bytes) -> dict[str, str]:
    """The query parameters as Starlette's ``QueryParams`` reads them (``parse_qsl`` with blank
    values kept, the last of a repeated name winning), decoding only the parts that need it:
    ``parse_qsl`` unquotes every name and value, and costs more than the rest of a look-up's
    parameters."""
    out: dict[str, str] = {}
    if not raw:
        return out
    for part in raw.decode("latin-1").split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in part or "+" in part:
            name, value = unquote_plus(name), unquote_plus(value)
        out[name] = value
    return out


async def _read_json(request: _Incoming) -> Any:
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype and ctype not in JSON_TYPES:
        raise UnsupportedMediaType(f"send {MEDIA_TYPE} or application/json, not {ctype}")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge(f"the request body is larger than {MAX_BODY} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await request.receive()
        if message["type"] != "http.request":
            raise InvalidSyntax("the client went away before its request body ended")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge(f"the request body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    raw = b"".join(chunks)
    if not raw.strip():
        raise InvalidSyntax("the request needs a JSON body")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:  # what orjson refuses and JSON allows: integers past 64 bits
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


def _filter_node(call: Call) -> Any:
    if not call.filter_parsed:
        text = (call.query.get("filter") or "").strip()
        call.filter_node = scim_filter.parse(text) if text else None
        call.filter_parsed = True
    return call.filter_node


def _lookup_name(call: Call) -> str | None:
    """The userName of a ``userName eq "..."`` list request, else None (a bad filter too: the
    handler refuses it once the token is checked)."""
    try:
        return users.lookup_value(_filter_node(call))
    except ScimError:
        return None


def _list_params(call: Call) -> tuple[int, int, Any, str]:
    query = call.query
    start = max(1, _int_param(query, "startIndex", 1))
    count = min(max(0, _int_param(query, "count", schema.MAX_RESULTS)), schema.MAX_RESULTS)
    node = _filter_node(call)
    return start, count, node, (query.get("filter") or "").strip()


def _list_response(items: list[Any], total: int, start: int) -> dict[str, Any]:
    return {
        "schemas": [schema.LIST_RESPONSE],
        "totalResults": total,
        "itemsPerPage": len(items),
        "startIndex": start,
        "Resources": items,
    }


def _dumps(body: Any) -> bytes:
    try:
        return orjson.dumps(body)
    except TypeError:  # integers past 64 bits, echoed from a request
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class Reply:
    """A SCIM response as the two ASGI messages it is (what Starlette's ``Response`` sends,
    built with less ceremony: every SCIM request makes one)."""

    __slots__ = ("body", "raw_headers", "status_code")

    def __init__(self, status: int, body: bytes | None, headers: dict[str, str]) -> None:
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        if body is not None:
            raw.append((b"content-type", _MEDIA_TYPE_BYTES))
        if status not in (204, 304):
            raw.append((b"content-length", str(len(body or b"")).encode()))
        self.status_code, self.body, self.raw_headers = status, body or b"", raw

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": self.body})


_MEDIA_TYPE_BYTES = MEDIA_TYPE.encode()


def _respond(result: Result, *, head: bool = False) -> Reply:
    if result.body is None:
        return Reply(result.status, None, result.headers)
    return Reply(result.status, b"" if head else _dumps(result.body), result.headers)


def _error(exc: ScimError) -> Reply:
    headers = {"WWW-Authenticate": 'Bearer realm="SCIM"'} if exc.status == 401 else {}
    return Reply(exc.status, _dumps(exc.body()), headers)
