"""What an operator sees of a running backend: one JSON log line per request, Prometheus metrics.

- ``middleware.RequestObservabilityMiddleware``: pure ASGI; request id, access log, HTTP metrics.
- ``metrics``: the counters and histograms, and the small functions other modules call
  (``metrics.scim_operation``, ``metrics.sign_in``).
- ``routes(rt)``: ``GET /metrics`` in the Prometheus text format.
- ``multiproc.prepare(workers)``: set up ``PROMETHEUS_MULTIPROC_DIR`` before ``serve`` forks.
"""

from __future__ import annotations

from backend.observability.endpoint import routes

__all__ = ["routes"]
