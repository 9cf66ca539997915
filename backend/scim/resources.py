"""User and Group resources: checking a canonical document and turning it into columns, and
rendering rows back into SCIM JSON. Pure functions; no database.

A *document* is the mutable part of a resource with canonical attribute names, as
``quirks.canonical_resource`` makes it and as ``patch.apply`` edits it.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from backend.scim.errors import InvalidValue
from backend.scim.schema import CORE_USER, ENTERPRISE_USER, GROUP
from backend.store.models.base import as_utc, utc_text

__all__ = [
    "group_columns",
    "iso_utc",
    "norm",
    "render_group",
    "render_user",
    "user_columns",
    "user_document",
]

USER_COLUMNS = (
    "user_name",
    "user_name_norm",
    "external_id",
    "given_name",
    "family_name",
    "formatted_name",
    "display_name",
    "locale",
    "email",
    "email_norm",
    "email_type",
    "emails",
    "active",
    "organization",
    "department",
)
_LIMITS = {  # characters, by the name _string is given; 400 for any other
    "userName": 320,
    "externalId": 255,
    "name.givenName": 200,
    "name.familyName": 200,
    "locale": 50,
    "organization": 200,
    "department": 200,
    "emails.value": 320,
    "emails.type": 50,
}
_SCHEMAS_PLAIN = [CORE_USER]
_SCHEMAS_EXT = [CORE_USER, ENTERPRISE_USER]


def norm(text: str) -> str:
    """The case-insensitive form: NFC, lower-case (as scim2-models compares)."""
    return unicodedata.normalize("NFC", text).lower()


def _string(value: Any, name: str, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise InvalidValue(f"{name} is required")
        return None if value is None else value
    if not isinstance(value, str):
        raise InvalidValue(f"{name} must be a string")
    if required and not value.strip():
        raise InvalidValue(f"{name} must not be empty")
    limit = _LIMITS.get(name, 400)
    if len(value) > limit:
        raise InvalidValue(f"{name} is longer than {limit} characters")
    return value


def active_of(doc: dict[str, Any]) -> bool:
    """A user document's ``active`` (true when absent); ``InvalidValue`` unless a boolean."""
    active = doc.get("active", True)
    if not isinstance(active, bool):
        raise InvalidValue("active must be true or false")
    return active


def user_columns(doc: dict[str, Any]) -> dict[str, Any]:
    """The column values of a user document; ``InvalidValue`` when it breaks a rule."""
    user_name = _string(doc.get("userName"), "userName", required=True)
    assert user_name is not None
    name = doc.get("name")
    if name is None:
        raise InvalidValue("name.givenName and name.familyName are required")
    if not isinstance(name, dict):
        raise InvalidValue("name must be an object")
    ext = doc.get(ENTERPRISE_USER) or {}
    if not isinstance(ext, dict):
        raise InvalidValue(f"{ENTERPRISE_USER} must be an object")
    emails = _emails(doc.get("emails"))
    primary = next((e for e in emails if e.get("primary") is True), emails[0] if emails else None)
    email = primary["value"] if primary else None
    active = active_of(doc)
    return {
        "user_name": user_name,
        "user_name_norm": norm(user_name),
        "external_id": _string(doc.get("externalId"), "externalId"),
        "given_name": _string(name.get("givenName"), "name.givenName", required=True),
        "family_name": _string(name.get("familyName"), "name.familyName", required=True),
        "formatted_name": _string(name.get("formatted"), "name.formatted"),
        "display_name": _string(doc.get("displayName"), "displayName"),
        "locale": _string(doc.get("locale"), "locale"),
        "email": email,
        "email_norm": norm(email) if email else None,
        "email_type": primary.get("type") if primary else None,
        "emails": emails,
        "active": active,
        "organization": _string(ext.get("organization"), "organization"),
        "department": _string(ext.get("department"), "department"),
    }


def _emails(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidValue("emails must be a list")
    out: list[dict[str, Any]] = []
    seen_primary = False
    for item in value:
        if not isinstance(item, dict):
            raise InvalidValue("each of emails must be an object")
        if item.get("value") is None:
            continue  # nothing to keep
        clean: dict[str, Any] = {"value": _string(item["value"], "emails.value", required=True)}
        for key in ("type", "display"):
            if item.get(key) is not None:
                clean[key] = _string(item[key], f"emails.{key}")
        if "primary" in item and item["primary"] is not None:
            primary = item["primary"]
            if not isinstance(primary, bool):
                raise InvalidValue("emails.primary must be true or false")
            if primary and seen_primary:
                raise InvalidValue("only one of emails may be primary")
            seen_primary = seen_primary or primary
            clean["primary"] = primary
        out.append(clean)
    return out


def user_document(row: Any) -> dict[str, Any]:
    """The document of a stored user (what PATCH edits)."""
    doc: dict[str, Any] = {"userName": row.user_name, "active": row.active}
    if row.external_id is not None:
        doc["externalId"] = row.external_id
    name = {
        k: v
        for k, v in (
            ("givenName", row.given_name),
            ("familyName", row.family_name),
            ("formatted", row.formatted_name),
        )
        if v is not None
    }
    if name:
        doc["name"] = name
    if row.display_name is not None:
        doc["displayName"] = row.display_name
    if row.locale is not None:
        doc["locale"] = row.locale
    if row.emails:
        doc["emails"] = [dict(e) for e in row.emails]
    ext = {
        k: v
        for k, v in (("organization", row.organization), ("department", row.department))
        if v is not None
    }
    if ext:
        doc[ENTERPRISE_USER] = ext
    return doc


def iso_utc(when: datetime | str) -> str:
    """An ``xsd:dateTime`` in UTC with microseconds, from an aware datetime or from SQLite's
    stored UTC text (``2026-12-04 08:58:00.123456``), which is rearranged, not parsed: the
    same text either way (``2026-12-04T08:58:00.123456+00:00``)."""
    if isinstance(when, str) and len(when) == 26 and when[10] == " ":
        text = when
    else:
        text = utc_text(as_utc(when))  # a datetime (PostgreSQL, a row just written)
    return f"{text[:10]}T{text[11:]}+00:00"


def render_user(row: Any, location: str) -> dict[str, Any]:
    """The SCIM JSON of a stored user (a row or anything with the same attributes)."""
    has_ext = row.organization is not None or row.department is not None
    out: dict[str, Any] = {"schemas": _SCHEMAS_EXT if has_ext else _SCHEMAS_PLAIN, "id": row.id}
    out.update(user_document(row))
    out["meta"] = {
        "resourceType": "User",
        "created": iso_utc(row.created_at),
        "lastModified": iso_utc(row.last_modified),
        "location": location,
        "version": etag(row.version),
    }
    return out


def etag(version: int) -> str:
    return f'W/"{version}"'


def group_columns(doc: dict[str, Any]) -> dict[str, Any]:
    display = _string(doc.get("displayName"), "displayName", required=True)
    assert display is not None
    return {
        "display_name": display,
        "display_name_norm": norm(display),
        "external_id": _string(doc.get("externalId"), "externalId"),
    }


def member_ids(value: Any) -> list[str]:
    """The user ids of a ``members`` value (a list of ``{"value": id}``)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items:
        raw = item.get("value") if isinstance(item, dict) else item
        if not isinstance(raw, str) or not raw:
            raise InvalidValue("each member needs a value: the id of a user")
        ids.append(raw)
    return ids


def render_group(row: Any, location: str, members: list[dict[str, Any]] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"schemas": [GROUP], "id": row.id, "displayName": row.display_name}
    if row.external_id is not None:
        out["externalId"] = row.external_id
    if members is not None:
        out["members"] = members
    out["meta"] = {
        "resourceType": "Group",
        "created": iso_utc(row.created_at),
        "lastModified": iso_utc(row.last_modified),
        "location": location,
        "version": etag(row.version),
    }
    return out
