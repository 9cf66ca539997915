"""``/healthz``: 200 when the database answers, 503 when it does not (for load balancers)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.runtime import Runtime
from backend.store.db import DatabaseError

__all__ = ["routes"]


def routes(rt: Runtime) -> list[Route]:
    def healthz(request: Request) -> JSONResponse:  # sync: Starlette runs it in a thread
        try:
            rt.db.ping()
        except DatabaseError as exc:
            return JSONResponse({"status": "unavailable", "database": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return [Route("/healthz", healthz, methods=["GET", "HEAD"])]
