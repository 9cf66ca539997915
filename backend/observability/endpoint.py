"""``GET /metrics``: the Prometheus text format, summed over every worker in multi-process mode.

Put it behind the proxy's allow-list (docs/deploy.md): the counts are not secret, but the
connection IDs in them are nobody else's business.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.observability import metrics as _metrics  # noqa: F401  (defines the metrics)
from backend.observability.multiproc import ENV
from backend.runtime import Runtime

__all__ = ["routes"]


def routes(rt: Runtime) -> list[Route]:
    def metrics_endpoint(request: Request) -> Response:  # sync: reading files may block
        if os.environ.get(ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            body = generate_latest(registry)
        else:
            body = generate_latest(REGISTRY)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return [Route("/metrics", metrics_endpoint, methods=["GET"])]
