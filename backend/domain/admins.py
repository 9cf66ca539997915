"""Local Dashboard administrators: an email and an argon2id password hash, in one organization.

They exist for the admin whose organization has no SSO yet (the SSO Setup Wizard's first run).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from backend.domain import audit
from backend.domain.errors import Conflict, Invalid, NotFound
from backend.store.models import Admin, Organization
from backend.store.models.base import utcnow

__all__ = ["MIN_PASSWORD_LENGTH", "AdminInfo", "create_admin", "get_admin", "verify_password"]

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against this keeps "no such admin" as slow as "wrong password"."""
    return _hasher.hash("not a real password, for timing only")


@dataclass(frozen=True, slots=True)
class AdminInfo:
    id: str
    org_id: str
    email: str


def create_admin(
    session: Session, *, org_id: str, email: str, password: str, actor: str
) -> AdminInfo:
    if session.get(Organization, org_id) is None:
        raise NotFound(f"no organization with id {org_id!r} (see `quickture-backend org list`)")
    email = _normalise_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(sa.select(Admin.id).where(Admin.email == email)) is not None:
        raise Conflict(f"an admin with the email {email} already exists")
    admin = Admin(org_id=org_id, email=email, password_hash=_hasher.hash(password))
    session.add(admin)
    try:
        session.flush()
    except sa.exc.IntegrityError as exc:
        raise Conflict(f"an admin with the email {email} already exists") from exc
    audit.record(
        session, actor=actor, action="admin.create", target_type="admin", target_id=admin.id,
        org_id=org_id, email=email,
    )  # fmt: skip
    return AdminInfo(id=admin.id, org_id=org_id, email=email)


def verify_password(session: Session, email: str, password: str) -> AdminInfo | None:
    """The admin whose email and password these are, or None. Upgrades old hashes."""
    try:
        email = _normalise_email(email)
    except Invalid:
        return None
    admin = session.scalar(sa.select(Admin).where(Admin.email == email))
    try:
        _hasher.verify(admin.password_hash if admin else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if admin is None:
        return None
    if _hasher.check_needs_rehash(admin.password_hash):
        admin.password_hash = _hasher.hash(password)
    admin.last_login_at = utcnow()
    return AdminInfo(id=admin.id, org_id=admin.org_id, email=admin.email)


def get_admin(session: Session, admin_id: str) -> AdminInfo | None:
    admin = session.get(Admin, admin_id)
    return AdminInfo(id=admin.id, org_id=admin.org_id, email=admin.email) if admin else None


def _normalise_email(email: str) -> str:
    email = email.strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain:
        raise Invalid(f"{email!r} is not an email address")
    return email
