"""``quickture-backend serve``: migrate, then run the app under uvicorn."""

from __future__ import annotations

import argparse

import uvicorn

from backend.observability import multiproc
from backend.runtime import Runtime
from backend.settings import Settings

__all__ = ["serve"]


def serve(settings: Settings, args: argparse.Namespace) -> None:
    rt = Runtime.open(settings)
    try:
        rt.db.migrate()
    finally:
        rt.close()
    print(f"Quickture backend on {settings.base_url} (listening on {args.host}:{args.port}, "
          f"database {'SQLite in ' + str(settings.data_dir) if settings.is_sqlite else 'by URL'})",
          flush=True)  # fmt: skip
    metrics_dir = multiproc.prepare(args.workers)  # observability: metrics across workers
    uvicorn.run(
        "backend.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers if args.workers > 1 else None,
        log_level="warning",
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=",".join(settings.trusted_proxies) or None,
        server_header=False,
    )
    multiproc.cleanup(metrics_dir)
