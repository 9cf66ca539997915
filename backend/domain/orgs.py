"""Organizations and their email domains.

A domain is normalised to lower-case IDNA (``Bücher.Example`` -> ``xn--bcher-kva.example``),
belongs to at most one organization, and may not be a public mail provider's: anyone can have
an address there, so it cannot identify a company.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.domain import audit
from backend.domain.errors import Conflict, Invalid, NotFound
from backend.store.models import Organization, OrgDomain

__all__ = [
    "OrgInfo",
    "add_domain",
    "create_org",
    "domain_of_email",
    "get_org",
    "list_orgs",
    "normalise_domain",
    "org_for_domain",
    "remove_domain",
]

PUBLIC_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com",
        "msn.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com", "aol.com", "icloud.com",
        "me.com", "mac.com", "proton.me", "protonmail.com", "pm.me", "gmx.com", "gmx.de",
        "gmx.net", "web.de", "mail.com", "yandex.com", "yandex.ru", "mail.ru", "qq.com",
        "163.com", "126.com", "zoho.com", "fastmail.com", "hey.com", "tutanota.com",
        "orange.fr", "free.fr", "laposte.net", "t-online.de", "comcast.net", "verizon.net",
    }
)  # fmt: skip

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True, slots=True)
class OrgInfo:
    id: str
    name: str
    domains: tuple[str, ...]
    license_active: bool
    created_at: datetime


def normalise_domain(value: str) -> str:
    raw = value.strip().rstrip(".").lower()
    if raw.startswith("@"):
        raw = raw[1:]
    try:
        domain = raw.encode("idna").decode("ascii") if raw else ""
    except UnicodeError as exc:
        raise Invalid(f"{value!r} is not a valid email domain") from exc
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(_LABEL.match(lb) for lb in labels):
        raise Invalid(
            f"{value!r} is not a valid email domain (expected something like example.com)"
        )
    if labels[-1].isdigit():
        raise Invalid(f"{value!r} is an address, not an email domain")
    if domain in PUBLIC_EMAIL_DOMAINS:
        raise Invalid(
            f"{domain} is a public email provider: anyone can have an address there, so it "
            "cannot identify your organization. Use your company's own domain."
        )
    return domain


def domain_of_email(email: str) -> str:
    """The normalised domain of an email address (``Invalid`` if it has none)."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain:
        raise Invalid(f"{email!r} is not an email address")
    try:
        return normalise_domain(domain)
    except Invalid:
        # A public provider's address is a valid email, just not a company one.
        try:
            return domain.strip().rstrip(".").lower().encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise Invalid(f"{email!r} is not an email address") from exc


def create_org(session: Session, name: str, domains: list[str], *, actor: str) -> OrgInfo:
    name = name.strip()
    if not name:
        raise Invalid("an organization needs a name")
    org = Organization(name=name)
    session.add(org)
    session.flush()
    audit.record(
        session, actor=actor, action="org.create", target_type="org", target_id=org.id,
        org_id=org.id, name=name,
    )  # fmt: skip
    for d in domains:
        add_domain(session, org.id, d, actor=actor)
    return get_org(session, org.id)


def add_domain(session: Session, org_id: str, domain: str, *, actor: str) -> str:
    norm = normalise_domain(domain)
    _org_row(session, org_id)
    owner = session.get(OrgDomain, norm)
    if owner is not None:
        if owner.org_id == org_id:
            return norm
        raise Conflict(f"the domain {norm} already belongs to another organization")
    session.add(OrgDomain(domain=norm, org_id=org_id))
    try:
        session.flush()
    except sa.exc.IntegrityError as exc:
        raise Conflict(f"the domain {norm} already belongs to another organization") from exc
    audit.record(
        session, actor=actor, action="org.domain.add", target_type="domain", target_id=norm,
        org_id=org_id,
    )  # fmt: skip
    return norm


def remove_domain(session: Session, org_id: str, domain: str, *, actor: str) -> None:
    norm = normalise_domain(domain)
    row = session.get(OrgDomain, norm)
    if row is None or row.org_id != org_id:
        raise NotFound(f"the domain {norm} is not one of this organization's")
    session.delete(row)
    audit.record(
        session, actor=actor, action="org.domain.remove", target_type="domain", target_id=norm,
        org_id=org_id,
    )  # fmt: skip


def get_org(session: Session, org_id: str) -> OrgInfo:
    org = _org_row(session, org_id)
    domains = session.scalars(
        sa.select(OrgDomain.domain).where(OrgDomain.org_id == org.id).order_by(OrgDomain.domain)
    )
    return OrgInfo(
        id=org.id,
        name=org.name,
        domains=tuple(domains),
        license_active=org.license_active,
        created_at=org.created_at,
    )


def list_orgs(session: Session) -> list[OrgInfo]:
    ids = session.scalars(sa.select(Organization.id).order_by(Organization.created_at))
    return [get_org(session, i) for i in ids]


def org_for_domain(session: Session, domain: str) -> str | None:
    """The id of the organization that owns ``domain`` (already normalised), or None."""
    return session.scalar(sa.select(OrgDomain.org_id).where(OrgDomain.domain == domain))


def _org_row(session: Session, org_id: str) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(f"no organization with id {org_id!r} (see `quickture-backend org list`)")
    return org
