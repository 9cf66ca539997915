"""SCIM errors (RFC 7644 §3.12): each knows its HTTP status and, where the RFC has one, its
``scimType``. The HTTP layer turns any of them into the SCIM error JSON in one place::

    ScimError
    ├── BadRequest          400, no scimType
    │   ├── InvalidSyntax   400 invalidSyntax   malformed JSON, a request that is not SCIM
    │   ├── InvalidValue    400 invalidValue    a required attribute missing, a wrong type
    │   ├── InvalidFilter   400 invalidFilter   a filter that does not parse or names the unknown
    │   ├── InvalidPath     400 invalidPath     a PATCH path that does not parse
    │   ├── NoTarget        400 noTarget        a PATCH path that selects nothing
    │   ├── MutabilityError 400 mutability      writing a read-only attribute
    │   └── TooMany         400 tooMany         (reserved: we cap ``count`` instead)
    ├── Unauthorized        401                 no, wrong or revoked bearer token
    ├── ResourceNotFound    404
    ├── MethodNotAllowed    405
    ├── Uniqueness          409 uniqueness      userName / group displayName already taken
    ├── PreconditionFailed  412                 If-Match does not match the version
    ├── PayloadTooLarge     413                 body over the 1 MB limit
    ├── UnsupportedMediaType 415                a body that is not JSON
    └── NotSupported        501                 bulk
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "ERROR_SCHEMA",
    "BadRequest",
    "InvalidFilter",
    "InvalidPath",
    "InvalidSyntax",
    "InvalidValue",
    "MethodNotAllowed",
    "MutabilityError",
    "NoTarget",
    "NotSupported",
    "PayloadTooLarge",
    "PreconditionFailed",
    "ResourceNotFound",
    "ScimError",
    "TooMany",
    "Unauthorized",
    "Uniqueness",
    "UnsupportedMediaType",
]

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    status: ClassVar[int] = 500
    scim_type: ClassVar[str | None] = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "schemas": [ERROR_SCHEMA],
            "status": str(self.status),
            "detail": self.detail,
        }
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


class BadRequest(ScimError):
    status = 400


class InvalidSyntax(BadRequest):
    scim_type = "invalidSyntax"


class InvalidValue(BadRequest):
    scim_type = "invalidValue"


class InvalidFilter(BadRequest):
    scim_type = "invalidFilter"


class InvalidPath(BadRequest):
    scim_type = "invalidPath"


class NoTarget(BadRequest):
    scim_type = "noTarget"


class MutabilityError(BadRequest):
    scim_type = "mutability"


class TooMany(BadRequest):
    scim_type = "tooMany"


class Unauthorized(ScimError):
    status = 401


class ResourceNotFound(ScimError):
    status = 404


class MethodNotAllowed(ScimError):
    status = 405


class Uniqueness(ScimError):
    status = 409
    scim_type = "uniqueness"


class PreconditionFailed(ScimError):
    status = 412


class PayloadTooLarge(ScimError):
    status = 413


class UnsupportedMediaType(ScimError):
    status = 415


class NotSupported(ScimError):
    status = 501
