"""The backend's Prometheus metrics, and the small functions other modules call to count.

Metrics are process-wide by nature (one set per process). When ``PROMETHEUS_MULTIPROC_DIR`` is
set before this module is imported (``serve --workers N`` does it, see ``multiproc``),
``prometheus-client`` keeps each worker's values in files there and ``/metrics`` adds them up,
so any worker answers for all of them.

Labels are bounded: route families (``families.FAMILIES``), HTTP methods from a fixed list,
status codes, SCIM operations from a fixed list, sign-in outcomes and reasons given by our own
code, and connection IDs (one per configured Okta connection). Nothing a client sends is used
as a label as-is.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram

__all__ = [
    "HTTP_DURATION",
    "HTTP_REQUESTS",
    "SCIM_OPERATIONS",
    "SCIM_OPS",
    "SIGN_INS",
    "http_request",
    "scim_op_for",
    "scim_operation",
    "sign_in",
]

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
SCIM_OPS = frozenset({
    "create", "replace", "patch", "delete", "get", "list", "search", "bulk", "discovery",
})  # fmt: skip
_REASON_MAX = 64

HTTP_REQUESTS = Counter(
    "quickture_http_requests",
    "HTTP requests answered, by route family, method and status code.",
    ["family", "method", "status"],
)
HTTP_DURATION = Histogram(
    "quickture_http_request_duration_seconds",
    "Time to answer an HTTP request, by route family.",
    ["family"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SCIM_OPERATIONS = Counter(
    "quickture_scim_operations",
    "SCIM operations handled, by connection ID and operation.",
    ["connection", "op"],
)
SIGN_INS = Counter(
    "quickture_sign_ins",
    "Sign-ins finished, by outcome (success or failure) and reason (empty on success).",
    ["outcome", "reason"],
)


# Each request counts itself: the labelled children are looked up once, not per request
# (``labels()`` validates and locks every time). Their keys are the bounded label values.
_http_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
_scim_children: dict[tuple[str, str], Any] = {}


def http_request(family: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request (the middleware calls this)."""
    label = method if method in METHODS else "OTHER"
    key = (family, label, status)
    children = _http_children.get(key)
    if children is None:
        children = _http_children[key] = (
            HTTP_REQUESTS.labels(family=family, method=label, status=str(status)),
            HTTP_DURATION.labels(family=family),
        )
    children[0].inc()
    children[1].observe(seconds)


def scim_operation(connection_id: str, op: str) -> None:
    """Count one SCIM operation (``create``, ``replace``, ``patch``, ``delete``, ``get``,
    ``list``, ...) made with ``connection_id``'s token."""
    key = (connection_id, op)
    child = _scim_children.get(key)
    if child is None:
        label = op if op in SCIM_OPS else "other"
        child = _scim_children[key] = SCIM_OPERATIONS.labels(connection=connection_id, op=label)
    child.inc()


def sign_in(outcome: str, reason: str = "") -> None:
    """Count one finished sign-in: ``sign_in("success")`` or ``sign_in("failure", "deactivated")``.

    ``reason`` is one of our own short codes (``deactivated``, ``not_provisioned``,
    ``unknown_domain``, ``idp_error``, ...), never text from a request.
    """
    outcome = "success" if outcome == "success" else "failure"
    SIGN_INS.labels(outcome=outcome, reason=reason[:_REASON_MAX]).inc()


_WRITE_OPS = {"POST": "create", "PUT": "replace", "PATCH": "patch", "DELETE": "delete"}


def scim_op_for(method: str, path: str) -> str:
    """The operation a SCIM request made: ``GET /scim/v2/Users`` is ``list``,
    ``GET /scim/v2/Users/{id}`` is ``get``, ``POST`` is ``create`` and so on."""
    if method in _WRITE_OPS:
        return _WRITE_OPS[method]
    if method not in ("GET", "HEAD"):
        return "other"
    parts = [p for p in path.split("/") if p]
    # ["scim", "v2", "Users", "{id}"]
    if len(parts) >= 3 and parts[2] in ("Users", "Groups"):
        return "get" if len(parts) > 3 else "list"
    return "discovery"
