"""Benchmark companion: instructions per SCIM request, quickture against the floor, counted by
valgrind's callgrind (which does not drift with the VM's speed, as CPU time does).

``benchmarks/scim.py`` measures what the issue's targets are written in, server CPU time per
request; on this VM the same code's ratios move by a third from run to run. This script runs
the same two servers (the real backend on SQLite and the bare Starlette floor, one uvicorn
worker each, uvloop and httptools, over real sockets on 127.0.0.1) under ``valgrind
--tool=callgrind`` and counts the user-space instructions of every thread of the server
while it answers a phase, the load coming from the same client as ``scim.py``'s. It tells a
change of a few percent from noise, and how much of a time ratio is work and how much is the
machine (cache misses, system calls and the disk are in the time, not in the count).

Under valgrind a server is about fifty times slower, so the request log (written at most
``requestlog.KEEP`` rows a second) writes a row for every request here: quickture's counts are
a little above what the same work costs at full speed.

    .venv/bin/python benchmarks/scim_instructions.py [--users 600] [--requests 600]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scim import (  # noqa: E402  (benchmarks/ is not a package)
    CONCURRENCY,
    Call,
    Conn,
    Server,
    State,
    create_users,
    okta_user,
    phase_calls,
    prepare_quickture,
    run_phase,
)

PHASES = ("lookup", "get", "put", "patch", "create")
WARM_UP = 50  # requests of each phase before counting: imports, caches, compiled statements


def _create_from(st: State, start: int) -> Call:
    async def call(conn: Conn, i: int) -> int:
        return (await conn.request("POST", f"{st.server.prefix}/Users", okta_user(start + i)))[0]

    return call


async def count(server: Server, users: int, requests: int, out: Path) -> dict[str, int]:
    """Instructions per request of each phase on ``server``, started under callgrind."""
    server.start(
        wrapper=("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/{server.name}.%p"),
        wait_s=300,
    )
    # A PATCH deactivates a user once: at most one a user.
    sizes = {name: min(requests, users) if name == "patch" else requests for name in PHASES}
    st = State(server, [users])
    headers = {"Authorization": f"Bearer {server.token}", "User-Agent": "Okta SCIM Client"}
    st.conns = [Conn("127.0.0.1", server.port, headers) for _ in range(CONCURRENCY)]
    try:
        await asyncio.gather(*(c.open() for c in st.conns))
        await create_users(st, 0, users)
        if server.name == "floor":
            st.ids = [f"{i:032x}" for i in range(users)]
        calls = phase_calls(st)
        calls["create"] = _create_from(st, users + WARM_UP)
        ok = (200, 201, 204)
        for name in PHASES:  # warm up (the creates' users come after the warm-up's)
            warm = _create_from(st, users) if name == "create" else calls[name]
            await run_phase(server, st.conns, WARM_UP, warm, ok)
            if name == "patch":
                await run_phase(server, st.conns, WARM_UP, calls["reactivate"], ok)
        assert server.proc is not None
        pid = str(server.proc.pid)
        for name in PHASES:
            subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
            res = await run_phase(server, st.conns, sizes[name], calls[name], ok)
            subprocess.run(["callgrind_control", "-d", name, pid], check=True, capture_output=True)
            if res.errors:
                raise RuntimeError(f"{server.name}: {res.errors} errors in {name}")
            if name == "patch":  # not counted: the same users active as before
                await run_phase(server, st.conns, sizes[name], calls["reactivate"], ok)
    finally:
        for c in st.conns:
            c.close()
        server.stop()
    return {phase: total // sizes[phase] for phase, total in _dumps(out, server.name).items()}


def _dumps(out: Path, name: str) -> dict[str, int]:
    """Each dump's phase (its trigger's description) and total instruction count."""
    found = {}
    for path in out.glob(f"{name}.*.*"):
        text = path.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: dump (\S+)$", text, re.M)  # callgrind_control -d
        total = re.search(r"^summary: (\d+)$", text, re.M)
        if trigger and total:
            found[trigger.group(1)] = int(total.group(1))
    return found


def render(counts: dict[str, dict[str, int]], users: int, requests: int) -> str:
    q, f = counts["quickture"], counts["floor"]
    lines = [
        f"Instructions per request (callgrind, every thread of the server; {users} users, "
        f"{requests} requests a phase (PATCH: one a user) after {WARM_UP} of warm-up, "
        f"{CONCURRENCY} connections):",
        "",
        "| phase | quickture | floor | ratio |",
        "|---|---:|---:|---:|",
    ]
    for phase in PHASES:
        lines.append(f"| {phase} | {q[phase]:,} | {f[phase]:,} | {q[phase] / f[phase]:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=600)
    ap.add_argument("--requests", type=int, default=600)
    ap.add_argument("--json", type=Path, help="also write the counts as JSON")
    args = ap.parse_args()
    missing = [t for t in ("valgrind", "callgrind_control") if shutil.which(t) is None]
    if missing:
        sys.exit(f"needs {' and '.join(missing)} (Debian: apt-get install valgrind)")
    import uvloop

    counts: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory(prefix="scim-instr-") as tmp:
        servers = [
            prepare_quickture(Path(tmp) / "data"),
            Server("floor", "benchmarks.scim_apps:floor", "/scim/v2", {}),
        ]
        for server in servers:
            print(f"{server.name} under callgrind ...", file=sys.stderr, flush=True)
            counts[server.name] = uvloop.run(count(server, args.users, args.requests, Path(tmp)))
    if args.json:
        args.json.write_text(json.dumps(counts, indent=1))
    print(render(counts, args.users, args.requests))


if __name__ == "__main__":
    main()
