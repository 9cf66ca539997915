"""Browser sessions, kept server-side in ``browser_sessions`` so every backend process sees them.

The cookie (``qt_session``) holds 256 random bits; the table holds only their SHA-256. A new id
is issued on every sign-in. A session ends when it is signed out, revoked (the user was
deactivated or removed), idle for ``IDLE_TIMEOUT`` or older than ``ABSOLUTE_TIMEOUT``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from backend.runtime import Runtime
from backend.settings import Settings
from backend.store.models import Admin, BrowserSession, Connection, ScimUser
from backend.store.models.base import utcnow

__all__ = [
    "ABSOLUTE_TIMEOUT",
    "COOKIE",
    "IDLE_TIMEOUT",
    "SessionView",
    "attach",
    "clear",
    "current",
    "end",
    "start",
    "viewer_of",
]

COOKIE = "qt_session"
IDLE_TIMEOUT = timedelta(hours=2)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class SessionView:
    """Who the browser is: an SSO user of an organization, or a local admin."""

    id_hash: str
    org_id: str
    user_id: str | None
    admin_id: str | None
    email: str
    name: str
    is_admin: bool
    created_at: datetime
    expires_at: datetime


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start(
    s: Session, *, org_id: str, user_id: str | None = None, admin_id: str | None = None
) -> tuple[str, datetime]:
    """Create a session; returns the cookie value (shown to the browser only) and its expiry."""
    if (user_id is None) == (admin_id is None):
        raise ValueError("a session is for exactly one user or admin")
    value = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + ABSOLUTE_TIMEOUT
    s.add(
        BrowserSession(
            id_hash=_hash(value),
            org_id=org_id,
            user_id=user_id,
            admin_id=admin_id,
            csrf_token=secrets.token_urlsafe(16),
            created_at=now,
            last_seen_at=now,
            expires_at=expires,
        )
    )
    return value, expires


def attach(response: Response, value: str, settings: Settings) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(ABSOLUTE_TIMEOUT.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.is_https,
        path="/",
    )


def clear(response: Response, settings: Settings) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax",
                           secure=settings.is_https)  # fmt: skip


def current(rt: Runtime, request: Request) -> SessionView | None:
    """The browser's live session, or None. Cached on the request; call from sync code."""
    state = request.scope.setdefault("state", {})
    if "qt_viewer" in state:
        return state["qt_viewer"]
    view = _load(rt, request.cookies.get(COOKIE, ""))
    state["qt_viewer"] = view
    return view


def viewer_of(request: Request) -> SessionView | None:
    """The session that ``current`` already loaded for this request (no database access)."""
    return request.scope.get("state", {}).get("qt_viewer")


def end(rt: Runtime, request: Request) -> None:
    value = request.cookies.get(COOKIE, "")
    if value:
        with rt.db.write() as s:
            s.execute(
                sa.update(BrowserSession)
                .where(BrowserSession.id_hash == _hash(value), BrowserSession.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
    request.scope.setdefault("state", {})["qt_viewer"] = None


def _load(rt: Runtime, value: str) -> SessionView | None:
    if not value or len(value) > 100:
        return None
    now = utcnow()
    with rt.db.read() as s:
        row = s.get(BrowserSession, _hash(value))
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        if now - row.last_seen_at > IDLE_TIMEOUT:
            return None
        if row.user_id is not None:
            user = s.get(ScimUser, row.user_id)
            if user is None or not user.active or s.get(Connection, user.connection_id) is None:
                return None
            email = user.email or user.user_name
            name = (
                user.display_name
                or " ".join(p for p in (user.given_name, user.family_name) if p)
                or email
            )
            view = SessionView(row.id_hash, row.org_id, row.user_id, None, email, name,
                               _is_admin_email(s, row.org_id, email), row.created_at,
                               row.expires_at)  # fmt: skip
        else:
            admin = s.get(Admin, row.admin_id)
            if admin is None:
                return None
            view = SessionView(row.id_hash, row.org_id, None, admin.id, admin.email,
                               admin.email, True, row.created_at, row.expires_at)  # fmt: skip
        stale = now - row.last_seen_at > TOUCH_EVERY
    if stale:
        with rt.db.write() as s:
            s.execute(
                sa.update(BrowserSession)
                .where(BrowserSession.id_hash == view.id_hash)
                .values(last_seen_at=now)
            )
    return view


def _is_admin_email(s: Session, org_id: str, email: str) -> bool:
    """An SSO user is an admin when a local admin of the same organization has their email."""
    return (
        s.scalar(sa.select(Admin.id).where(Admin.org_id == org_id, Admin.email == email.lower()))
        is not None
    )
