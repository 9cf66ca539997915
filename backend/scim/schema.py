"""The attributes we serve, declared once: what ``/Schemas`` publishes, what PATCH paths and
filters may name (case-insensitively), and what is read-only or never returned.

We publish only what we keep (the customer guide's mapping), so a client that fills every
published attribute gets back exactly what it sent. Anything else a client sends (phone
numbers, addresses, ``groups``, custom extensions) is accepted and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CORE_USER",
    "ENTERPRISE_USER",
    "GROUP",
    "GROUP_ATTRS",
    "LIST_RESPONSE",
    "PATCH_OP",
    "USER_ATTRS",
    "Attr",
    "Schema",
    "resource_types",
    "schemas",
    "service_provider_config",
]

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_RESULTS = 200


def _by_name(attrs: tuple[Attr, ...]) -> dict[str, Attr]:
    """Attributes by their name as written (what identity providers send) and lower-cased
    (names are case-insensitive, RFC 7643 §2.1)."""
    return {**{a.name.lower(): a for a in attrs}, **{a.name: a for a in attrs}}


@dataclass(frozen=True, slots=True)
class Attr:
    name: str
    type: str = "string"
    multi: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    sub: tuple[Attr, ...] = ()
    canonical: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    _by_name: dict[str, Attr] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:  # names are case-insensitive: look them up lower-cased
        object.__setattr__(self, "_by_name", _by_name(self.sub))

    def child(self, name: str) -> Attr | None:
        return self._by_name.get(name) or self._by_name.get(name.lower())

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi,
            "description": "",
            "required": self.required,
            "mutability": self.mutability,
            "returned": self.returned,
        }
        if self.type in ("string", "reference"):
            out["caseExact"] = self.case_exact
            out["uniqueness"] = self.uniqueness
        if self.canonical:
            out["canonicalValues"] = list(self.canonical)
        if self.reference_types:
            out["referenceTypes"] = list(self.reference_types)
        if self.sub:
            out["subAttributes"] = [a.describe() for a in self.sub]
        return out


@dataclass(frozen=True, slots=True)
class Schema:
    id: str
    name: str
    description: str
    attrs: tuple[Attr, ...]
    _by_name: dict[str, Attr] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", _by_name(self.attrs))

    def attr(self, name: str) -> Attr | None:
        return self._by_name.get(name) or self._by_name.get(name.lower())

    def describe(self, base_url: str) -> dict[str, Any]:
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [a.describe() for a in self.attrs],
            "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{self.id}"},
        }


USER_ATTRS = Schema(
    id=CORE_USER,
    name="User",
    description="User Account",
    attrs=(
        Attr("userName", required=True, uniqueness="server"),
        Attr(
            "name",
            type="complex",
            required=True,
            sub=(
                Attr("formatted"),
                Attr("familyName", required=True),
                Attr("givenName", required=True),
            ),
        ),
        Attr("displayName"),
        Attr("locale"),
        # Published as required so clients never "remove" it; omitted on create it is true.
        Attr("active", type="boolean", required=True),
        Attr("password", mutability="writeOnly", returned="never"),
        Attr(
            "emails",
            type="complex",
            multi=True,
            sub=(
                Attr("value"),
                Attr("display"),
                Attr("type", canonical=("work", "home", "other")),
                Attr("primary", type="boolean"),
            ),
        ),
    ),
)

ENTERPRISE_USER_ATTRS = Schema(
    id=ENTERPRISE_USER,
    name="EnterpriseUser",
    description="Enterprise User",
    attrs=(Attr("organization"), Attr("department")),
)

GROUP_ATTRS = Schema(
    id=GROUP,
    name="Group",
    description="Group",
    attrs=(
        Attr("displayName", required=True),
        Attr(
            "members",
            type="complex",
            multi=True,
            sub=(
                Attr("value", mutability="immutable", case_exact=True),
                Attr(
                    "$ref",
                    type="reference",
                    mutability="immutable",
                    case_exact=True,
                    reference_types=("User",),
                ),
                Attr("display", mutability="readOnly"),
                Attr("type", mutability="immutable", canonical=("User",)),
            ),
        ),
    ),
)


def schemas(base_url: str) -> list[dict[str, Any]]:
    return [s.describe(base_url) for s in (USER_ATTRS, ENTERPRISE_USER_ATTRS, GROUP_ATTRS)]


def resource_types(base_url: str) -> list[dict[str, Any]]:
    def one(name: str, endpoint: str, schema: str, extensions: list[dict[str, Any]]) -> Any:
        out: dict[str, Any] = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": name,
            "name": name,
            "endpoint": endpoint,
            "description": name,
            "schema": schema,
            "meta": {
                "resourceType": "ResourceType",
                "location": f"{base_url}/ResourceTypes/{name}",
            },
        }
        if extensions:
            out["schemaExtensions"] = extensions
        return out

    return [
        one("User", "/Users", CORE_USER, [{"schema": ENTERPRISE_USER, "required": False}]),
        one("Group", "/Groups", GROUP, []),
    ]


def service_provider_config(base_url: str) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://help.quickture.com",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "The SCIM bearer token from the Quickture Dashboard "
                "(SSO Management, Generate New Token).",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base_url}/ServiceProviderConfig",
        },
    }
