"""Typed values of the ``/api/v1`` answers (the contract is ``docs/api.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from panel.api.errors import ServerError

__all__ = ["Me", "Organization", "Release"]


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ServerError(f"the backend's answer has no {key!r}")
    return value


def _opt(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Me:
    id: str
    user_name: str
    email: str
    display_name: str | None
    given_name: str | None
    family_name: str | None
    locale: str | None
    organization: Organization
    connection_id: str | None
    dashboard_url: str

    @property
    def name(self) -> str:
        if self.display_name:
            return self.display_name
        full = " ".join(p for p in (self.given_name, self.family_name) if p)
        return full or self.user_name

    @classmethod
    def from_json(cls, data: object) -> Me:
        if not isinstance(data, dict) or not isinstance(data.get("organization"), dict):
            raise ServerError("the backend's /me answer is not what the panel expects")
        org = data["organization"]
        return cls(
            id=_str(data, "id"),
            user_name=_str(data, "user_name"),
            email=_opt(data, "email") or _str(data, "user_name"),
            display_name=_opt(data, "display_name"),
            given_name=_opt(data, "given_name"),
            family_name=_opt(data, "family_name"),
            locale=_opt(data, "locale"),
            organization=Organization(id=_str(org, "id"), name=_str(org, "name")),
            connection_id=_opt(data, "connection_id"),
            dashboard_url=_str(data, "dashboard_url"),
        )


@dataclass(frozen=True, slots=True)
class Release:
    id: str
    product: str
    platform: str
    version: str
    published_at: str
    size: int | None
    sha256: str | None
    notes: str | None
    download_url: str

    @classmethod
    def from_json(cls, data: object) -> Release:
        if not isinstance(data, dict):
            raise ServerError("a release in the backend's answer is not an object")
        size = data.get("size")
        return cls(
            id=_str(data, "id"),
            product=_str(data, "product"),
            platform=_str(data, "platform"),
            version=_str(data, "version"),
            published_at=_str(data, "published_at"),
            size=size if isinstance(size, int) else None,
            sha256=_opt(data, "sha256"),
            notes=_opt(data, "notes"),
            download_url=_str(data, "download_url"),
        )
