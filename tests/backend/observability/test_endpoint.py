"""``/metrics`` in the real app, and summed across processes in multi-process mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from starlette.testclient import TestClient

from backend.app import create_app
from backend.runtime import Runtime


def test_metrics_are_served_in_the_prometheus_text_format(runtime: Runtime) -> None:
    client = TestClient(create_app(runtime))
    client.get("/healthz")
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=")
    assert 'quickture_http_requests_total{family="health",method="GET",status="200"}' in r.text
    assert "quickture_http_request_duration_seconds_bucket" in r.text
    assert "# TYPE quickture_sign_ins_total counter" in r.text
    assert "# TYPE quickture_scim_operations_total counter" in r.text
    assert r.headers["X-Request-ID"]


CHILD = """
from backend.observability import metrics
metrics.sign_in("failure", "mp_test")
metrics.scim_operation("conn_mp", "list")
"""

READER = """
from starlette.testclient import TestClient
from backend.app import create_app
from backend.runtime import Runtime
from backend.settings import Settings
rt = Runtime.open(Settings.from_env())
rt.db.migrate()
print(TestClient(create_app(rt)).get("/metrics").text)
"""


def test_several_processes_are_summed_with_a_multiprocess_dir(tmp_path: Path) -> None:
    mp = tmp_path / "mp"
    mp.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(mp),
           "QUICKTURE_DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    for _ in range(2):
        subprocess.run([sys.executable, "-c", CHILD], env=env, check=True, timeout=60)
    out = subprocess.run([sys.executable, "-c", READER], env=env, check=True, timeout=60,
                         capture_output=True, text=True).stdout  # fmt: skip
    assert 'quickture_sign_ins_total{outcome="failure",reason="mp_test"} 2.0' in out
    assert 'quickture_scim_operations_total{connection="conn_mp",op="list"} 2.0' in out
