"""SCIM 2.0 provisioning (RFC 7643 / RFC 7644) at ``/scim/v2``, as Okta and Entra ID use it.

``ScimApi(rt)`` is what ``backend.app`` mounts (its ``routes()``) and closes at shutdown.
Inside: ``http`` (the endpoints), ``users`` and ``groups`` (storage), ``filter`` (filters to
SQL), ``patch`` (PATCH semantics), ``quirks`` (what identity providers send, normalised),
``resources`` (documents and JSON), ``schema`` (what we publish), ``paging`` and ``counters``
(flat pages), ``requestlog``. Where the database work runs: ``backend.store.runners``.
"""

from __future__ import annotations

from backend.scim.http import ScimApi

__all__ = ["ScimApi"]
