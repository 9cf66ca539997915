"""The scim2-cli compliance run (scim2-tester) against the real backend (``create_app``) on
127.0.0.1 with a real token: every check must be SUCCESS (a SKIPPED fails the CLI too)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from backend.app import create_app
from backend.runtime import Runtime
from tests.backend.scim.conftest import make_tenant
from tests.conftest import make_settings
from tests.helpers.servers import serve_asgi


def test_scim2_cli_finds_nothing_to_complain_about(tmp_path: Path) -> None:
    scim2 = Path(sys.executable).with_name("scim2")
    tenant = None
    runtimes: list[Runtime] = []

    def make(base_url: str):  # the base URL is known once the socket is bound
        nonlocal tenant
        rt = Runtime.open(make_settings(tmp_path / "data", base_url=base_url))
        rt.db.migrate()
        runtimes.append(rt)
        tenant = make_tenant(rt)
        return create_app(rt)

    with serve_asgi(make) as base_url:
        assert tenant is not None
        env = {**os.environ, "SCIM_CLI_HEADERS": f"Authorization: Bearer {tenant.token}"}
        run = subprocess.run(
            [str(scim2), "--url", f"{base_url}/scim/v2", "test"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    for rt in runtimes:
        rt.close()
    lines = [ln for ln in run.stdout.splitlines() if ln.split(" ", 1)[0].isupper()]
    failed = [ln for ln in lines if not ln.startswith("SUCCESS")]
    assert len(lines) > 60, run.stdout + run.stderr  # the checks really ran
    assert failed == [] and run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
