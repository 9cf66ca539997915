"""``attributes`` and ``excludedAttributes`` (RFC 7644 §3.4.2.5) applied to rendered JSON.

``id`` and ``schemas`` are always returned; names are case-insensitive and may carry the
schema URN (``urn:...:enterprise:2.0:User:department``) or a sub-attribute (``name.givenName``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["parse_list", "projector"]

ALWAYS = frozenset({"id", "schemas"})


def parse_list(raw: str | None) -> list[tuple[str | None, str, str | None]]:
    """``"userName,name.givenName,urn:x:User:department"`` -> (urn, attr, sub) triples."""
    out: list[tuple[str | None, str, str | None]] = []
    for item in (raw or "").split(","):
        item = item.strip()
        if not item:
            continue
        urn: str | None = None
        if item.lower().startswith("urn:"):
            urn, _, item = item.rpartition(":")
            urn = urn.lower()
        attr, _, sub = item.partition(".")
        out.append((urn, attr.lower(), sub.lower() or None))
    return out


def projector(
    attributes: str | None, excluded: str | None, core_urn: str
) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """A function that trims one resource, or None when nothing is to be trimmed."""
    if not attributes and not excluded:
        return None  # what nearly every request asks: the whole resource
    include = [_norm(p, core_urn) for p in parse_list(attributes)]
    exclude = [_norm(p, core_urn) for p in parse_list(excluded)]
    if not include and not exclude:
        return None
    if include:
        return lambda res: _keep(res, include)
    return lambda res: _drop(res, exclude)


def _norm(
    p: tuple[str | None, str, str | None], core_urn: str
) -> tuple[str | None, str, str | None]:
    urn, attr, sub = p
    if urn is not None and urn == core_urn.lower():
        urn = None
    if urn is not None and not sub and attr and urn.count(":") >= 1:
        # A bare schema URN such as urn:...:enterprise:2.0:User names the whole extension.
        return urn, attr, None
    return urn, attr, sub


def _ext_key(res: dict[str, Any], urn: str) -> str | None:
    return next((k for k in res if k.lower() == urn), None)


def _find(d: dict[str, Any], name: str) -> str | None:
    return next((k for k in d if k.lower() == name), None)


def _keep(res: dict[str, Any], include: list[tuple[str | None, str, str | None]]) -> Any:
    out: dict[str, Any] = {k: v for k, v in res.items() if k.lower() in ALWAYS}
    for urn, attr, sub in include:
        src: dict[str, Any] | None = res
        dst = out
        if urn is not None:
            whole = _ext_key(res, urn + ":" + attr)
            if whole is not None:  # the extension's URN itself
                out[whole] = res[whole]
                continue
            key = _ext_key(res, urn)
            if key is None:
                continue
            src = res[key]
            dst = out.setdefault(key, {})
        assert src is not None
        key = _find(src, attr)
        if key is None:
            continue
        value = src[key]
        if sub is None or not isinstance(value, dict | list):
            dst[key] = value
        elif isinstance(value, dict):
            sk = _find(value, sub)
            if sk is not None:
                dst.setdefault(key, {})[sk] = value[sk]
        else:
            dst[key] = [
                {k: v for k, v in item.items() if k.lower() == sub}
                for item in value
                if isinstance(item, dict) and any(k.lower() == sub for k in item)
            ]
    return out


def _drop(res: dict[str, Any], exclude: list[tuple[str | None, str, str | None]]) -> Any:
    out = dict(res)
    for urn, attr, sub in exclude:
        holder: dict[str, Any] = out
        if urn is not None:
            whole = _ext_key(out, urn + ":" + attr)
            if whole is not None:
                del out[whole]
                continue
            key = _ext_key(out, urn)
            if key is None:
                continue
            holder = out[key] = dict(out[key])
        key = _find(holder, attr)
        if key is None or key.lower() in ALWAYS:
            continue
        if sub is None:
            del holder[key]
        elif isinstance(holder[key], dict):
            holder[key] = {k: v for k, v in holder[key].items() if k.lower() != sub}
        elif isinstance(holder[key], list):
            holder[key] = [
                {k: v for k, v in i.items() if k.lower() != sub} if isinstance(i, dict) else i
                for i in holder[key]
            ]
    return out
