"""The login pages: ``/login``, ``/login/callback``, ``/startlogin`` and ``/logout``.

``/login`` asks for the work email, finds the organization by the email's domain and its
finished connection, and sends the browser to that Okta. ``/login/callback`` finishes: it
claims the login transaction, checks the issuer (mix-up defence), exchanges the code, checks
the ID token, finds the SCIM-provisioned user and starts a browser session, then continues
where the user was going (the Dashboard or a pending ``/oauth/authorize``). ``/startlogin`` is
the Initiate login URI Okta calls from its app tile. Every failure is a page that says what to
do next (``backend.sso.errors``).

Network calls to Okta never run inside a database transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from backend.domain import audit, orgs, users
from backend.domain.connections import normalise_issuer
from backend.domain.errors import Invalid
from backend.observability import metrics
from backend.runtime import Runtime
from backend.sso import transactions
from backend.sso.errors import (
    Deactivated,
    EmailMismatch,
    InvalidEmail,
    IssuerMismatch,
    LoginError,
    LoginExpired,
    NoConnection,
    NotAssigned,
    ProviderRefused,
    TooManyAttempts,
    UnknownDomain,
    UnknownIssuer,
)
from backend.sso.provider import ClientConfig, Providers
from backend.store.models import Connection
from backend.web import csrf, ratelimit, sessions
from backend.web.pages import Pages

__all__ = ["routes"]

CALLBACK_PATH = "/login/callback"
LOGIN_RATE_LIMIT = 30
LOGIN_RATE_WINDOW = timedelta(minutes=1)
COMPLETE = "complete"


@dataclass(frozen=True, slots=True)
class _Target:
    connection_id: str
    org_id: str
    issuer: str
    client_id: str
    client_secret: str | None


def normalise_email(value: str) -> str:
    email = value.strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or " " in email or len(email) > 320:
        raise InvalidEmail(f"{value.strip()!r} is not an email address.")
    return email


class LoginFlow:
    """What the pages do, apart from HTTP: look-ups, the redirect to Okta, the callback."""

    def __init__(self, rt: Runtime, providers: Providers) -> None:
        self.rt = rt
        self.providers = providers
        self.redirect_uri = rt.settings.url(CALLBACK_PATH)

    # -- choosing the connection -------------------------------------------------------------

    def target_for_email(self, email: str) -> _Target:
        try:
            domain = orgs.domain_of_email(email)
        except Invalid as exc:
            raise InvalidEmail(f"{email!r} is not an email address.") from exc
        with self.rt.db.read() as s:
            org_id = orgs.org_for_domain(s, domain)
            if org_id is None:
                raise UnknownDomain(
                    f"The domain {domain} is not associated with any organization in Quickture."
                )
            conns = list(
                s.scalars(
                    sa.select(Connection)
                    .where(Connection.org_id == org_id, Connection.setup_state == COMPLETE)
                    .order_by(Connection.created_at.desc())
                )
            )
            if not conns:
                raise NoConnection(
                    "Your organization has not finished connecting its Okta to Quickture yet."
                )
            chosen = conns[0]
            if len(conns) > 1:  # prefer the connection that provisioned this email
                for conn in conns:
                    if users.find_for_login(s, conn.id, email) is not None:
                        chosen = conn
                        break
            return self._target(chosen)

    def target_for_issuer(self, iss: str, connection_id: str | None) -> _Target:
        try:
            issuer = normalise_issuer(iss)
        except Invalid as exc:
            raise UnknownIssuer(f"{iss!r} is not an issuer URL.") from exc
        with self.rt.db.read() as s:
            if connection_id:
                conn = s.get(Connection, connection_id.strip())
                if conn is None or conn.issuer != issuer:
                    raise UnknownIssuer(
                        f"There is no connection {connection_id!r} for the Okta at {issuer}."
                    )
                conns = [conn]
            else:
                conns = list(s.scalars(sa.select(Connection).where(Connection.issuer == issuer)))
                if not conns:
                    raise UnknownIssuer(f"No Quickture connection uses the Okta at {issuer}.")
                complete = [c for c in conns if c.setup_state == COMPLETE]
                if len(complete) > 1:
                    raise UnknownIssuer(
                        f"Several Quickture connections use the Okta at {issuer}; the Initiate "
                        "login URI must name the Connection ID (?connection=conn_...)."
                    )
                conns = complete or conns
            if conns[0].setup_state != COMPLETE:
                raise NoConnection("This Okta connection's setup is not finished yet.")
            return self._target(conns[0])

    def _target(self, conn: Connection) -> _Target:
        secret = self.rt.box.decrypt(conn.client_secret_enc) if conn.client_secret_enc else None
        return _Target(conn.id, conn.org_id, conn.issuer, conn.client_id, secret)

    # -- to Okta and back ----------------------------------------------------------------------

    def start(
        self,
        request: Request,
        target: _Target,
        *,
        email_hint: str | None,
        return_to: str,
        typed: bool = True,
    ) -> Response:
        """Send the browser to Okta. ``email_hint`` becomes Okta's ``login_hint``; when the user
        ``typed`` it, the callback also checks that Okta authenticated that same person."""
        md = self.providers.metadata(target.issuer)
        binding = request.cookies.get(transactions.BINDING_COOKIE)
        if not transactions.is_binding(binding):
            binding = transactions.new_binding()
        assert binding is not None
        with self.rt.db.write() as s:
            new = transactions.begin(
                s,
                binding=binding,
                connection_id=target.connection_id,
                issuer=md.issuer,
                email_hint=email_hint if typed else None,
                return_to=return_to,
            )
        url = self.providers.authorization_url(
            self._client(target),
            md,
            state=new.state,
            nonce=new.nonce,
            code_verifier=new.code_verifier,
            login_hint=email_hint,
        )
        response = RedirectResponse(url, 303)
        response.set_cookie(
            transactions.BINDING_COOKIE,
            binding,
            max_age=int(transactions.LOGIN_LIFETIME.total_seconds()),
            path="/login",
            httponly=True,
            samesite="lax",
            secure=self.rt.settings.is_https,
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    def finish(self, request: Request) -> Response:
        params = request.query_params
        with self.rt.db.write() as s:
            pending = transactions.consume(
                s,
                state=params.get("state", ""),
                binding=request.cookies.get(transactions.BINDING_COOKIE),
            )
        if pending is None:
            raise LoginExpired(
                "This sign-in link is unknown, was already used, has expired, or was started "
                "in another browser."
            )
        iss = params.get("iss")
        if iss is not None and iss != pending.issuer:
            raise IssuerMismatch(
                f"The answer names the issuer {iss!r}, but this sign-in was sent to "
                f"{pending.issuer!r}."
            )
        if "error" in params:
            error = params.get("error", "")[:100]
            description = params.get("error_description", "")[:500]
            raise ProviderRefused(
                f"Okta answered {error!r}" + (f": {description}" if description else ".")
            )
        code = params.get("code")
        if not code:
            raise ProviderRefused("Okta came back without an authorization code.")
        with self.rt.db.read() as s:
            conn = s.get(Connection, pending.connection_id)
            if conn is None:
                raise NoConnection("Your organization's Okta connection was deleted.")
            target = self._target(conn)
        md = self.providers.metadata(target.issuer)
        if md.issuer != pending.issuer:
            raise IssuerMismatch(
                f"The connection's issuer is now {md.issuer!r}, not {pending.issuer!r}."
            )
        cfg = self._client(target)
        token = self.providers.exchange_code(
            cfg, md, code=code, code_verifier=pending.code_verifier
        )
        claims = self.providers.verify_id_token(
            cfg, md, token["id_token"], nonce=pending.nonce, access_token=token.get("access_token")
        )
        identities = [
            str(claims[k]).strip().lower()
            for k in ("email", "preferred_username")
            if isinstance(claims.get(k), str) and claims[k].strip()
        ]
        if pending.email_hint and identities and pending.email_hint.lower() not in identities:
            raise EmailMismatch(
                f"You typed {pending.email_hint}, but Okta signed you in as {identities[0]}."
            )
        sessions.end(self.rt, request)  # a new session id on every sign-in
        with self.rt.db.write() as s:
            user = None
            for identity in identities:
                user = users.find_for_login(s, target.connection_id, identity)
                if user is not None:
                    break
            if user is None:
                raise NotAssigned(
                    f"Okta signed you in as {identities[0] if identities else claims.get('sub')}"
                    ", but Quickture has no account for you: you are not assigned to the "
                    "Quickture app in Okta, or provisioning has not created your account yet."
                )
            if not user.active:
                raise Deactivated(f"The Quickture account {user.user_name} is deactivated.")
            value, _ = sessions.start(s, org_id=user.org_id, user_id=user.id)
            users.record_sign_in(s, user.id)
            audit.record(
                s, actor=user.user_name, action="user.sign_in", target_type="user",
                target_id=user.id, org_id=user.org_id, connection_id=target.connection_id,
            )  # fmt: skip
        metrics.sign_in("success")
        response = RedirectResponse(pending.return_to, 303)
        sessions.attach(response, value, self.rt.settings)
        response.headers["Cache-Control"] = "no-store"
        return response

    def _client(self, target: _Target) -> ClientConfig:
        return ClientConfig(
            issuer=target.issuer,
            client_id=target.client_id,
            client_secret=target.client_secret,
            redirect_uri=self.redirect_uri,
        )

    def own_path(self, target_link_uri: str | None) -> str | None:
        """The path of ``target_link_uri`` if it is on our base URL, else None."""
        if not target_link_uri:
            return None
        base = urlsplit(self.rt.settings.base_url)
        link = urlsplit(target_link_uri)
        if (link.scheme, link.netloc.lower()) != (base.scheme, base.netloc.lower()):
            return None
        if not (link.path or "/").startswith(base.path or "/"):
            return None
        path = (link.path or "/") + ("?" + link.query if link.query else "")
        return transactions.safe_return_to(path, default="") or None


def routes(rt: Runtime, providers: Providers, pages: Pages) -> list[Route]:
    flow = LoginFlow(rt, providers)

    def failed(request: Request, err: LoginError, *, retry_url: str | None = "/login") -> Response:
        metrics.sign_in("failure", err.code)
        return pages.error(
            request,
            title=err.title,
            message=err.message,
            steps=list(err.steps),
            status=err.status,
            retry_url=retry_url,
        )

    def login_form(request: Request) -> Response:  # sync: reads the session
        viewer = sessions.current(rt, request)
        nxt = transactions.safe_return_to(request.query_params.get("next"), default="")
        if viewer is not None and viewer.user_id is not None and nxt:
            return RedirectResponse(nxt, 303)
        return pages.render(
            request,
            "login/email.html",
            next=nxt,
            email=request.query_params.get("login_hint", ""),
            signed_out=request.query_params.get("signed_out") == "1",
        )

    def form_expired(request: Request, exc: Exception, step: str, retry_url: str) -> Response:
        return pages.error(request, title="This form has expired", status=400,
                           message=str(exc).capitalize() + ".", steps=[step],
                           retry_url=retry_url)  # fmt: skip

    async def login_submit(request: Request) -> Response:
        try:
            await csrf.verify(request, rt.settings)
        except csrf.CsrfError as exc:
            return form_expired(
                request, exc, "Reload the sign-in page and enter your email again.", "/login"
            )
        form = await request.form()
        email = str(form.get("email", ""))
        nxt = transactions.safe_return_to(str(form.get("next", "")))
        client = request.client.host if request.client else "unknown"
        return await run_in_threadpool(_login_submit, request, email, nxt, client)

    def _login_submit(request: Request, typed: str, nxt: str, client: str) -> Response:
        try:
            with rt.db.write() as s:
                allowed = ratelimit.allow(
                    s, f"login:{client}", limit=LOGIN_RATE_LIMIT, window=LOGIN_RATE_WINDOW
                )
            if not allowed:
                raise TooManyAttempts("There were too many sign-in attempts from your network.")
            email = normalise_email(typed)
            target = flow.target_for_email(email)
            return flow.start(request, target, email_hint=email, return_to=nxt)
        except LoginError as err:
            retry = "/login?next=" + nxt if nxt != transactions.DEFAULT_RETURN_TO else "/login"
            return failed(request, err, retry_url=retry)

    def callback(request: Request) -> Response:  # sync: Starlette runs it in a thread
        try:
            return flow.finish(request)
        except LoginError as err:
            return failed(request, err)

    async def startlogin(request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            form = await request.form()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return await run_in_threadpool(_startlogin, request, params)

    def _startlogin(request: Request, params: dict[str, str]) -> Response:
        try:
            iss = params.get("iss", "").strip()
            if not iss:
                raise UnknownIssuer("The request from Okta did not say which Okta it came from.")
            conn_id = params.get("connection") or params.get("connection_id")
            target = flow.target_for_issuer(iss, conn_id)
            hint = params.get("login_hint", "").strip().lower() or None
            return_to = flow.own_path(params.get("target_link_uri"))
            return flow.start(
                request,
                target,
                email_hint=hint,
                return_to=return_to or transactions.DEFAULT_RETURN_TO,
                typed=False,  # Okta's own hint (its username), not something the user typed
            )
        except LoginError as err:
            return failed(request, err)

    def logout_form(request: Request) -> Response:
        sessions.current(rt, request)
        return pages.render(request, "login/logout.html")

    async def logout(request: Request) -> Response:
        try:
            await csrf.verify(request, rt.settings)
        except csrf.CsrfError as exc:
            return form_expired(
                request, exc, "Reload the page and click Sign out again.", "/logout"
            )
        await run_in_threadpool(sessions.end, rt, request)
        response = RedirectResponse("/login?signed_out=1", 303)
        sessions.clear(response, rt.settings)
        return response

    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route(CALLBACK_PATH, callback, methods=["GET"]),
        Route("/startlogin", startlogin, methods=["GET", "POST"]),
        Route("/logout", logout_form, methods=["GET"]),
        Route("/logout", logout, methods=["POST"]),
    ]
