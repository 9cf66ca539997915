"""The service layer: plain functions over a SQLAlchemy session that return typed values.

Errors (all ``DomainError``; the CLI prints the message, the web turns them into pages or JSON)::

    DomainError
    ├── NotFound          an organization, connection, token, admin... does not exist
    ├── Invalid           a value is malformed (domain, issuer URL, email)
    ├── Conflict          a uniqueness rule: a domain already claimed, an admin email taken
    └── LimitReached      the two-live-SCIM-tokens rule
"""

from backend.domain.errors import Conflict, DomainError, Invalid, LimitReached, NotFound

__all__ = ["Conflict", "DomainError", "Invalid", "LimitReached", "NotFound"]
