"""SCIM 2.0 provisioning (RFC 7643 / RFC 7644) at ``/scim/v2``, as Okta and Entra ID use it.

``routes(rt)`` is what ``backend.app`` mounts. Inside: ``http`` (the endpoints), ``users`` and
``groups`` (storage), ``filter`` (filters to SQL), ``patch`` (PATCH semantics), ``quirks``
(what identity providers send, normalised), ``resources`` (documents and JSON), ``schema``
(what we publish), ``paging`` and ``counters`` (flat pages), ``requestlog``.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from backend.runtime import Runtime
from backend.scim.http import ScimApi

__all__ = ["ScimApi", "routes"]


def routes(rt: Runtime) -> list[BaseRoute]:
    return ScimApi(rt).routes()
