"""Connection health: each item of the customer guide's troubleshooting list that the backend
can see for itself, with a plain verdict and what to do.

``gather`` reads what the database knows (no network); ``run`` adds the live checks against
Okta (discovery, JWKS, a harmless client-credentials probe) through an injected ``httpx.Client``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.dashboard import oidc_check
from backend.domain import connections, orgs, scim_tokens
from backend.runtime import Runtime
from backend.store.models import ScimRequest, ScimUser
from backend.store.models.base import utcnow
from backend.store.secretbox import SecretBoxError

__all__ = ["Check", "Facts", "Report", "ScimRequestInfo", "gather", "run"]

RECENT_REQUESTS = 10
QUIET_AFTER = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Check:
    title: str
    verdict: str  # "ok" | "warn" | "bad" | "skip" (not checked: an earlier check failed)
    summary: str
    advice: str = ""

    @property
    def label(self) -> str:
        return {"ok": "OK", "warn": "Check", "bad": "Problem", "skip": "Not checked"}[self.verdict]


@dataclass(frozen=True, slots=True)
class ScimRequestInfo:
    at: datetime
    method: str
    path: str
    status: int
    token_prefix: str
    user_agent: str


@dataclass(frozen=True, slots=True)
class Facts:
    connection: connections.ConnectionInfo
    domains: tuple[str, ...]
    tokens: tuple[scim_tokens.ScimTokenInfo, ...]
    requests: tuple[ScimRequestInfo, ...]
    users: int
    active_users: int
    client_secret: str | None
    secret_unreadable: bool


@dataclass(frozen=True, slots=True)
class Report:
    facts: Facts
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def verdict(self) -> str:
        verdicts = {c.verdict for c in self.checks}
        return "bad" if "bad" in verdicts else "warn" if "warn" in verdicts else "ok"


def gather(rt: Runtime, s: Session, connection_id: str, org_id: str) -> Facts:
    conn = connections.get_connection(s, connection_id, org_id=org_id)
    requests = s.scalars(
        sa.select(ScimRequest)
        .where(ScimRequest.connection_id == conn.id)
        .order_by(ScimRequest.id.desc())
        .limit(RECENT_REQUESTS)
    )
    counts = s.execute(
        sa.select(sa.func.count(), sa.func.count().filter(ScimUser.active.is_(True))).where(
            ScimUser.connection_id == conn.id
        )
    ).one()
    secret, unreadable = None, False
    try:
        secret = connections.reveal_client_secret(s, rt.box, conn.id)
    except SecretBoxError:
        unreadable = True
    return Facts(
        connection=conn,
        domains=orgs.get_org(s, org_id).domains,
        tokens=tuple(scim_tokens.list_tokens(s, conn.id)),
        requests=tuple(
            ScimRequestInfo(r.at, r.method, r.path, r.status, r.token_prefix, r.user_agent)
            for r in requests
        ),
        users=int(counts[0] or 0),
        active_users=int(counts[1] or 0),
        client_secret=secret,
        secret_unreadable=unreadable,
    )


def run(facts: Facts, client: httpx.Client, redirect_uri: str) -> Report:
    checks = [*_okta_checks(facts, client, redirect_uri), *_local_checks(facts)]
    return Report(facts=facts, checks=tuple(checks))


def _okta_checks(facts: Facts, client: httpx.Client, redirect_uri: str) -> list[Check]:
    conn = facts.connection
    out: list[Check] = []
    try:
        found = oidc_check.discover(client, conn.issuer)
    except oidc_check.CheckFailed as exc:
        fix = (
            "Fix the Okta domain on the connection's Manage page; it is the address you "
            "sign in to Okta at, such as https://your-company.okta.com."
        )
        return [
            Check("Okta discovery document", "bad", str(exc), fix),
            Check("Okta signing keys (JWKS)", "skip", "Checked once discovery works."),
            Check("Client ID and Client Secret", "skip", "Checked once discovery works."),
        ]
    out.append(
        Check("Okta discovery document", "ok", f"{conn.issuer} answers as an OpenID Provider.")
    )
    try:
        n = oidc_check.check_jwks(client, found.jwks_uri)
        out.append(
            Check(
                "Okta signing keys (JWKS)",
                "ok",
                f"{n} signing key{'s' if n != 1 else ''} published.",
            )
        )
    except oidc_check.CheckFailed as exc:
        out.append(
            Check(
                "Okta signing keys (JWKS)",
                "bad",
                str(exc),
                "Check that the Okta domain is your organization's authorization "
                "server, then try again.",
            )
        )
    out.append(_probe(facts, client, found.token_endpoint, redirect_uri))
    return out


def _probe(facts: Facts, client: httpx.Client, endpoint: str, redirect_uri: str) -> Check:
    title = "Client ID and Client Secret"
    fix = (
        "Copy the Client ID and Client Secret again from the General tab of the Quickture "
        "app in Okta and save them on the connection's Manage page."
    )
    if facts.secret_unreadable:
        return Check(
            title,
            "bad",
            "The saved Client Secret cannot be decrypted: the backend's at-rest key has changed.",
            "Enter the Client Secret again.",
        )
    if not facts.client_secret:
        return Check(title, "bad", "No Client Secret is saved.", fix)
    try:
        result = oidc_check.probe_client(
            client, endpoint, facts.connection.client_id, facts.client_secret, redirect_uri
        )
    except oidc_check.CheckFailed as exc:
        return Check(
            title,
            "bad",
            str(exc),
            "Try again in a moment; if it persists, check "
            "that Okta is reachable from the Quickture backend.",
        )
    if result.accepted is True:
        return Check(
            title,
            "ok",
            "Okta accepted the Client ID and Client Secret (checked with "
            "a harmless, invalid sign-in code).",
        )
    if result.accepted is False:
        return Check(
            title, "bad", f"Okta rejected the Client ID or Client Secret ({result.error}).", fix
        )
    return Check(
        title,
        "warn",
        f"Okta answered {result.error} {result.description}".strip()
        + ", so Quickture cannot tell whether the credentials are right.",
        "Sign in once with SSO to confirm; if it fails, " + fix[0].lower() + fix[1:],
    )


def _local_checks(facts: Facts) -> list[Check]:
    now = utcnow()
    out = []
    used = [t for t in facts.tokens if t.last_used_at is not None]
    if not facts.tokens:
        out.append(
            Check(
                "SCIM token",
                "bad",
                "This connection has no SCIM token, so Okta cannot provision anyone.",
                "Generate a token on the Manage page and "
                "paste it into Okta (Provisioning › Integration › API Token).",
            )
        )
    elif not used:
        out.append(
            Check(
                "SCIM token",
                "warn",
                "Okta has not used any of this connection's tokens yet.",
                "In Okta, paste the token into Provisioning › "
                "Integration › API Token, click Test API Credentials, then Save.",
            )
        )
    else:
        last = max(used, key=lambda t: t.last_used_at or now)
        by = f" by {last.last_used_by}" if last.last_used_by else ""
        quiet = last.last_used_at is not None and now - last.last_used_at > QUIET_AFTER
        out.append(
            Check(
                "SCIM token",
                "warn" if quiet else "ok",
                f"Token {last.display_prefix}… last used {_ago(now, last.last_used_at)}{by}.",
                "Okta calls only when something changes; assign a test user in Okta to see a "
                "request arrive."
                if quiet
                else "",
            )
        )
    out.append(_requests_check(facts))
    if facts.domains:
        out.append(
            Check("Email domains", "ok", "Sign-in recognises " + ", ".join(facts.domains) + ".")
        )
    else:
        out.append(
            Check(
                "Email domains",
                "bad",
                "No email domain is set, so no one can sign in.",
                "Add your company's email domains in step 1 of the SSO Setup Wizard.",
            )
        )
    if facts.users == 0:
        out.append(
            Check(
                "Users provisioned",
                "warn",
                "Okta has not provisioned any users yet.",
                "In Okta, assign people or groups to the Quickture app (Assignments "
                "tab), and check that Create Users is enabled under Provisioning › "
                "To App.",
            )
        )
    else:
        out.append(
            Check(
                "Users provisioned",
                "ok",
                f"{facts.users} provisioned, {facts.active_users} active.",
            )
        )
    return out


def _requests_check(facts: Facts) -> Check:
    title = "Recent SCIM requests"
    if not facts.requests:
        return Check(
            title,
            "warn",
            "No SCIM requests recorded for this connection yet.",
            "Click Test API Credentials in Okta's Provisioning › Integration.",
        )
    failed = [r for r in facts.requests if r.status >= 500 or r.status in (400, 401, 403)]
    latest = facts.requests[0]
    if latest.status >= 400 and latest in failed:
        return Check(
            title,
            "bad",
            f"The latest request ({latest.method} {latest.path}) failed with HTTP {latest.status}.",
            "Check the attribute mappings in Okta "
            "(Provisioning › To App) against the guide, and that Okta uses a current "
            "token.",
        )
    if failed:
        return Check(
            title,
            "warn",
            f"{len(failed)} of the last {len(facts.requests)} requests "
            "failed; the latest succeeded.",
            "Look at the failed requests below.",
        )
    return Check(title, "ok", f"The last {len(facts.requests)} requests succeeded.")


def _ago(now: datetime, then: datetime | None) -> str:
    if then is None:
        return "never"
    seconds = int((now - then).total_seconds())
    if seconds < 120:
        return "just now"
    if seconds < 7200:
        return f"{seconds // 60} minutes ago"
    if seconds < 172800:
        return f"{seconds // 3600} hours ago"
    return f"{seconds // 86400} days ago"
