"""The tables. One module per capability; all share ``Base.metadata``.

Rows never leave the storage and service layers: services return typed values.
"""

from backend.store.models.base import Base
from backend.store.models.core import (
    Admin,
    AuditEntry,
    Connection,
    Organization,
    OrgDomain,
    RateLimit,
    Release,
    ScimRequest,
    ScimToken,
)
from backend.store.models.scim import ScimCounter, ScimGroup, ScimGroupMember, ScimUser
from backend.store.models.signin import (
    BrowserSession,
    LoginTransaction,
    OAuthClient,
    OAuthCode,
    RefreshToken,
    SigningKey,
)

__all__ = [
    "Admin",
    "AuditEntry",
    "Base",
    "BrowserSession",
    "Connection",
    "LoginTransaction",
    "OAuthClient",
    "OAuthCode",
    "OrgDomain",
    "Organization",
    "RateLimit",
    "RefreshToken",
    "Release",
    "ScimCounter",
    "ScimGroup",
    "ScimGroupMember",
    "ScimRequest",
    "ScimToken",
    "ScimUser",
    "SigningKey",
]
