"""Connections: an organization's Okta, as an OpenID Provider and as the SCIM client.

The public Connection ID (``conn_`` and 12 characters with no look-alikes such as 0/o or 1/l)
is the primary key: admins copy it from the Dashboard into Okta and read it back in support.
Deleting a connection deletes its provisioned users, and with them their sessions and tokens,
so access ends at once; the admin then un-assigns and re-assigns users in Okta.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from ipaddress import ip_address
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.domain import audit
from backend.domain.errors import Invalid, NotFound
from backend.store.models import Connection, Organization, ScimUser
from backend.store.secretbox import SecretBox

__all__ = [
    "SETUP_STATES",
    "ConnectionInfo",
    "create_connection",
    "delete_connection",
    "get_connection",
    "list_connections",
    "normalise_issuer",
    "reveal_client_secret",
    "set_setup_state",
    "update_connection",
]

ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
ID_PREFIX = "conn_"
SETUP_STATES = ("oidc", "scim", "assign", "complete")


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    id: str
    org_id: str
    provider: str
    issuer: str
    client_id: str
    has_client_secret: bool
    setup_state: str
    live_tokens: int
    first_scim_request_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def is_complete(self) -> bool:
        return self.setup_state == "complete"


def new_connection_id() -> str:
    return ID_PREFIX + "".join(secrets.choice(ID_ALPHABET) for _ in range(12))


def normalise_issuer(value: str) -> str:
    """An issuer URL: https (http only on loopback, for local testing), no query or fragment."""
    raw = value.strip()
    if raw and "://" not in raw:
        raw = "https://" + raw  # admins paste "acme.okta.com"
    parts = urlsplit(raw)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Invalid(f"{value!r} is not a valid issuer URL (expected https://your-org.okta.com)")
    if parts.query or parts.fragment:
        raise Invalid(f"the issuer URL {value!r} must not have a query or fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise Invalid(f"the issuer URL must use https, not http: {value!r}")
    return raw.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def create_connection(
    session: Session,
    box: SecretBox,
    *,
    org_id: str,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    actor: str,
    provider: str = "okta",
) -> ConnectionInfo:
    if session.get(Organization, org_id) is None:
        raise NotFound(f"no organization with id {org_id!r} (see `quickture-backend org list`)")
    client_id = client_id.strip()
    if not client_id:
        raise Invalid("the Client ID is required (Okta shows it on the app's General tab)")
    conn = Connection(
        id=new_connection_id(),
        org_id=org_id,
        provider=provider,
        issuer=normalise_issuer(issuer),
        client_id=client_id,
        client_secret_enc=box.encrypt(client_secret) if client_secret else None,
    )
    session.add(conn)
    session.flush()
    audit.record(
        session, actor=actor, action="connection.create", target_type="connection",
        target_id=conn.id, org_id=org_id, issuer=conn.issuer, client_id=client_id,
    )  # fmt: skip
    return _info(conn)


def update_connection(
    session: Session,
    box: SecretBox,
    connection_id: str,
    *,
    actor: str,
    org_id: str | None = None,
    issuer: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> ConnectionInfo:
    conn = _row(session, connection_id, org_id)
    changed: list[str] = []
    if issuer is not None and normalise_issuer(issuer) != conn.issuer:
        conn.issuer = normalise_issuer(issuer)
        changed.append("issuer")
    if client_id is not None and client_id.strip() and client_id.strip() != conn.client_id:
        conn.client_id = client_id.strip()
        changed.append("client_id")
    if client_secret:
        conn.client_secret_enc = box.encrypt(client_secret)
        changed.append("client_secret")
    if changed:
        session.flush()
        audit.record(
            session, actor=actor, action="connection.update", target_type="connection",
            target_id=conn.id, org_id=conn.org_id, changed=changed,
        )  # fmt: skip
    return _info(conn)


def set_setup_state(
    session: Session, connection_id: str, state: str, *, actor: str, org_id: str | None = None
) -> ConnectionInfo:
    if state not in SETUP_STATES:
        raise Invalid(f"unknown setup state {state!r}")
    conn = _row(session, connection_id, org_id)
    if conn.setup_state != state:
        conn.setup_state = state
        session.flush()
        audit.record(
            session, actor=actor, action="connection.setup_state", target_type="connection",
            target_id=conn.id, org_id=conn.org_id, state=state,
        )  # fmt: skip
    return _info(conn)


def delete_connection(
    session: Session, connection_id: str, *, actor: str, org_id: str | None = None
) -> int:
    """Delete the connection and everything provisioned through it; returns the user count."""
    conn = _row(session, connection_id, org_id)
    users = session.scalar(
        sa.select(sa.func.count()).select_from(ScimUser).where(ScimUser.connection_id == conn.id)
    )
    audit.record(
        session, actor=actor, action="connection.delete", target_type="connection",
        target_id=conn.id, org_id=conn.org_id, issuer=conn.issuer, users_removed=users,
    )  # fmt: skip
    session.delete(conn)
    session.flush()
    return int(users or 0)


def get_connection(
    session: Session, connection_id: str, *, org_id: str | None = None
) -> ConnectionInfo:
    return _info(_row(session, connection_id, org_id))


def list_connections(session: Session, org_id: str | None = None) -> list[ConnectionInfo]:
    q = sa.select(Connection).order_by(Connection.created_at)
    if org_id is not None:
        q = q.where(Connection.org_id == org_id)
    return [_info(c) for c in session.scalars(q)]


def reveal_client_secret(session: Session, box: SecretBox, connection_id: str) -> str | None:
    """The decrypted client secret, for talking to the provider; never for display."""
    conn = _row(session, connection_id, None)
    return box.decrypt(conn.client_secret_enc) if conn.client_secret_enc else None


def _row(session: Session, connection_id: str, org_id: str | None) -> Connection:
    conn = session.get(Connection, connection_id.strip())
    if conn is None or (org_id is not None and conn.org_id != org_id):
        raise NotFound(
            f"no connection with Connection ID {connection_id!r} "
            "(see `quickture-backend connection list`)"
        )
    return conn


def _info(conn: Connection) -> ConnectionInfo:
    return ConnectionInfo(
        id=conn.id,
        org_id=conn.org_id,
        provider=conn.provider,
        issuer=conn.issuer,
        client_id=conn.client_id,
        has_client_secret=conn.client_secret_enc is not None,
        setup_state=conn.setup_state,
        live_tokens=conn.live_tokens,
        first_scim_request_at=conn.first_scim_request_at,
        created_at=conn.created_at,
        updated_at=conn.updated_at,
    )
