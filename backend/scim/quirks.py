"""What Okta and Microsoft Entra ID send, normalised in one place before anything else looks
at a request body.

- Attribute names are case-insensitive (RFC 7643 §2.1): ``username`` becomes ``userName``.
- Attributes we do not keep are dropped, never an error: phone numbers, addresses, ``groups``
  (Okta sends ``groups: []``), ``title``, custom extensions, the primary email ``type`` mapping
  the customer guide warns about. Read-only ``id``/``meta``/``schemas`` in a PUT body likewise.
- Booleans may come as strings: Entra sends ``"active": "False"`` and ``"primary": "true"``.
- PATCH ops may be capitalised (Entra's ``"Replace"``); the ``Operations`` key may be any case.
- A PATCH without ``path`` may carry attribute paths as keys of its value (Entra:
  ``{"name.givenName": "Ada", "urn:...:enterprise:2.0:User:department": "R&D"}``); each such
  key becomes an operation of its own with that path.
- Entra removes group members with ``{"op": "Remove", "path": "members", "value":
  [{"value": "id"}]}`` instead of a value filter; ``patch`` handles that form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.scim.errors import InvalidSyntax, InvalidValue
from backend.scim.schema import ENTERPRISE_USER, Attr, Schema

__all__ = ["PatchOperation", "canonical_resource", "canonical_value", "patch_operations"]

MAX_OPERATIONS = 1000
_TRUE = {"true": True, "false": False}


@dataclass(frozen=True, slots=True)
class PatchOperation:
    op: str  # "add" | "replace" | "remove"
    path: str | None
    value: Any


def to_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return _TRUE[value.strip().lower()]
    raise InvalidValue(f"{name} must be true or false, not {value!r}")


def canonical_value(attr: Attr, value: Any) -> Any:
    """``value`` for ``attr`` with canonical sub-attribute names, string booleans made bools,
    unknown sub-attributes dropped. Type errors are left to the resource validators, except
    booleans, which are decided here."""
    if value is None:
        return None
    if attr.multi:
        items = value if isinstance(value, list) else [value]
        return [_canonical_item(attr, item) for item in items]
    return _canonical_item(attr, value)


def _canonical_item(attr: Attr, value: Any) -> Any:
    if value is None:
        return None
    if attr.type == "boolean":
        return to_bool(value, attr.name)
    if attr.type == "complex":
        if not isinstance(value, dict):
            if attr.multi:  # Entra: members: ["id"]; Okta never: tolerate a bare value
                return {"value": value}
            raise InvalidValue(f"{attr.name} must be an object")
        out: dict[str, Any] = {}
        for key, sub_value in value.items():
            sub = attr.child(key)
            if sub is not None and sub_value is not None:
                out[sub.name] = _canonical_item(sub, sub_value)
        return out
    return value


def canonical_resource(body: Any, schema: Schema, extension: Schema | None) -> dict[str, Any]:
    """A POST/PUT body reduced to the attributes of ``schema`` (and ``extension``), with
    canonical names; read-only and unknown attributes dropped."""
    if not isinstance(body, dict):
        raise InvalidSyntax("the request body must be a JSON object")
    out: dict[str, Any] = {}
    ext_id = extension.id.lower() if extension is not None else ""
    for key, value in body.items():
        if not isinstance(key, str):
            continue
        if extension is not None and ":" in key and key.lower() == ext_id:
            if isinstance(value, dict):
                ext = {}
                for k, v in value.items():
                    a = extension.attr(k)
                    if a is not None and a.mutability != "readOnly" and v is not None:
                        ext[a.name] = canonical_value(a, v)
                out[extension.id] = ext
            continue
        if ":" in key:
            key = _strip_core_urn(key, schema)
        if key == "externalId" or key.lower() == "externalid":
            if value is not None:
                out["externalId"] = value
            continue
        attr = schema.attr(key)
        if attr is None or attr.mutability == "readOnly" or value is None:
            continue
        out[attr.name] = canonical_value(attr, value)
    return out


def _strip_core_urn(key: str, schema: Schema) -> str:
    if key.lower().startswith(schema.id.lower() + ":"):
        return key[len(schema.id) + 1 :]
    return key


def patch_operations(body: Any) -> list[PatchOperation]:
    """The operations of a PATCH body, with lower-case ``op`` and Entra's path-keyed values
    split into operations of their own."""
    if not isinstance(body, dict):
        raise InvalidSyntax("the request body must be a PatchOp JSON object")
    ops = next(
        (v for k, v in body.items() if isinstance(k, str) and k.lower() == "operations"), None
    )
    if not isinstance(ops, list) or not ops:
        raise InvalidSyntax("a PatchOp needs a non-empty Operations list")
    if len(ops) > MAX_OPERATIONS:
        raise InvalidSyntax(f"at most {MAX_OPERATIONS} operations per PATCH")
    out: list[PatchOperation] = []
    for raw in ops:
        if not isinstance(raw, dict):
            raise InvalidSyntax("each PATCH operation must be a JSON object")
        fields = {k.lower(): v for k, v in raw.items() if isinstance(k, str)}
        op = fields.get("op")
        if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
            raise InvalidSyntax(f"a PATCH op must be add, replace or remove, not {op!r}")
        op = op.lower()
        path = fields.get("path")
        if path is not None and not isinstance(path, str):
            raise InvalidSyntax("a PATCH path must be a string")
        if isinstance(path, str) and not path.strip():
            path = None
        value = fields.get("value")
        if op != "remove" and "value" not in fields:
            raise InvalidSyntax(f"a PATCH {op} needs a value")
        if path is None and op != "remove" and isinstance(value, dict):
            plain: dict[str, Any] = {}
            for key, v in value.items():
                if isinstance(key, str) and ("." in key or _is_attr_urn(key)):
                    out.append(PatchOperation(op=op, path=key, value=v))
                else:
                    plain[key] = v
            if plain or not value:
                out.append(PatchOperation(op=op, path=None, value=plain))
            continue
        out.append(PatchOperation(op=op, path=path, value=value))
    return out


def _is_attr_urn(key: str) -> bool:
    """An attribute path with a URN (``urn:...:User:department``), not a bare schema URN."""
    return key.lower().startswith("urn:") and key.lower() != ENTERPRISE_USER.lower()
