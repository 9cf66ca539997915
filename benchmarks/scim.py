"""Benchmark: the SCIM server under an Okta-shaped workload, against two yardsticks.

Each server runs as its own uvicorn process (one worker, uvloop, httptools) pinned to CPU 0;
this load generator (asyncio on uvloop, raw HTTP/1.1 keep-alive, one connection per client
worker) is pinned to CPU 1. Per phase it reports req/s, latency p50/p99 and, what a Python
load generator cannot cap, the **server's CPU time per request**. Each phase runs ``--repeats``
times; medians are quoted. The servers run side by side, and each repeat of a phase is run on
every server in turn (quickture, scim2-server, floor, then again): a VM's speed drifts by tens
of percent from one minute to the next, and ratios are only fair between figures taken on the
same minutes. A server waiting its turn is idle (its idle rate is what is subtracted).

Server CPU is measured in nanoseconds: the sum of the first field of
``/proc/<pid>/task/*/schedstat`` (time on CPU, ns) over the server's threads, sampled before
and after the phase. (``utime + stime`` from ``/proc/<pid>/stat`` is in clock ticks, 10 ms: the
floor serves a request in well under 0.1 ms, so a few hundred requests are one or two ticks.)
Each sample also records the set of thread ids and the ``/proc/<pid>/stat`` ticks. The time of
a thread that exits is no longer in ``task/*``, so if a thread present at the first sample is
gone at the second (or the ticks exceed the ns figure by more than ``TICK_SLACK`` ticks: a
thread both started and exited within the phase), that phase falls back to the ticks figure;
so does every phase when ``schedstat`` is missing. The report counts the phases that fell back.

Each phase ends with a ``FLUSH_WAIT`` (1.2 s) pause after its last request, so the server's
buffered request-log flush is counted in it. The idle server still wakes up (uvicorn ticks
every 0.1 s), so once per server, at start, its idle CPU is measured over an idle interval of
the same length; that rate (reported, in us of CPU per second) times the phase's wall-clock
span (requests plus the pause) is subtracted from every phase.

Phases, at each population size (users are created up to the size, then):

- ``create``: POST /Users with Okta's body, 16 concurrent clients (measured on the users that
  grow the population to this size);
- ``lookup``: GET /Users?filter=userName eq "..."&startIndex=1&count=100 (Okta's pre-create
  check), random existing users, ``--reads`` requests (default 3,000);
- ``get``: GET /Users/{id}, random existing users, ``--reads`` requests;
- ``put``: PUT /Users/{id} with Okta's full body (Update User Attributes), random existing
  users, ``--writes`` requests (default 1,000);
- ``patch``: PATCH {"op":"replace","value":{"active":false}} (Deactivate Users), each user at
  most once a repeat: ``--writes`` requests or, where the population is smaller, one per user;
  the same users are reactivated (not measured) before the next repeat, so every request of
  every repeat is a real deactivation;
- ``import``: GET /Users?startIndex=..&count=100 through the whole population, one client
  (Import Users); the first and the last page's latency are recorded.

Servers: ``quickture`` (the real backend on SQLite, durable commits), ``scim2-server``
(PyPI, in memory) and ``floor`` (bare Starlette, canned bodies). scim2-server runs at the
sizes in ``--yardstick-sizes`` (default 1,000 and 10,000: building 100,000 users in it takes
longer than the rest of the run); the floor holds nothing and runs at every size, so each
size has its ratios, and its own look-up p50 from one size to the next shows how much of
quickture's change is the machine's drift over those minutes.

    .venv/bin/python benchmarks/scim.py [--sizes 1000,10000,100000] [--repeats 3]
        [--reads 3000] [--writes 1000] [--out /tmp/performance-scim.md]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLOCK = os.sysconf("SC_CLK_TCK")
CONCURRENCY = 16
READ_SAMPLE = 3000  # lookup and get requests per phase (--reads)
WRITE_SAMPLE = 1000  # put and patch requests per phase, patch at most one a user (--writes)
FLUSH_WAIT = 1.2  # s after a phase's last request: the request log flushes after ~1 s
TICK_SLACK = 3  # ticks the stat figure may exceed the schedstat one before it is distrusted
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def okta_user(i: int, given: str = "Test") -> dict[str, Any]:
    login = f"user{i:06d}@okta.example.com"
    return {
        "schemas": [USER_URN],
        "userName": login,
        "name": {"givenName": given, "familyName": f"User{i}"},
        "emails": [{"primary": True, "value": login, "type": "work"}],
        "displayName": f"{given} User{i}",
        "locale": "en-US",
        "externalId": f"00u{i:017d}",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }


# -- a minimal HTTP/1.1 client: the load generator must not be the bottleneck ----------------


class Conn:
    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader
        self.writer: asyncio.StreamWriter

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        try:
            return await self._request(method, path, body)
        except (asyncio.IncompleteReadError, ConnectionError):
            self.close()  # the server closed an idle keep-alive connection: reopen, once
            await self.open()
            return await self._request(method, path, body)

    async def _request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        data = b"" if body is None else json.dumps(body).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.extra}"
            f"Content-Length: {len(data)}\r\n"
        )
        if data:
            head += "Content-Type: application/scim+json\r\n"
        self.writer.write(head.encode() + b"\r\n" + data)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        chunked = False
        for line in lines[1:]:
            low = line.lower()
            if low.startswith("content-length:"):
                length = int(line[15:])
            elif low.startswith("transfer-encoding:") and "chunked" in low:
                chunked = True
        if not chunked:
            return status, await self.reader.readexactly(length) if length else b""
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            parts.append(await self.reader.readexactly(size + 2))
            if size == 0:
                return status, b"".join(p[:-2] for p in parts)

    def close(self) -> None:
        self.writer.close()


# -- servers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CpuSample:
    """One reading of a server's CPU time (see the module docstring)."""

    at: float  # time.perf_counter()
    ns: int | None  # sum of task/*/schedstat field 1 over the live threads; None: no schedstat
    tids: frozenset[int]  # the threads that sum covers
    ticks: int  # utime + stime of the whole process (exited threads included), clock ticks


@dataclass
class Server:
    name: str
    factory: str
    prefix: str
    env: dict[str, str]
    token: str = "none"
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    schedstat: bool = False
    idle_ns_per_s: float = 0.0  # the idle server's CPU rate, measured once at start
    idle_method: str = ""

    def command(self) -> list[str]:
        """The server's command line: one uvicorn worker, uvloop and httptools."""
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            self.factory,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
            "--timeout-keep-alive",
            "3600",
        ]

    def start(self, wrapper: tuple[str, ...] = ("taskset", "-c", "0"), wait_s: float = 60) -> None:
        """Start the server under ``wrapper`` (pinned to CPU 0) on a free port, and wait up to
        ``wait_s`` for it to accept connections."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [*wrapper, *self.command()],
            cwd=ROOT,
            env={**os.environ, **self.env, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + wait_s
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} did not start") from None
                time.sleep(0.05)  # allow-sleep
        pid = self.proc.pid  # taskset (and valgrind) exec the server: same pid
        self.schedstat = Path(f"/proc/{pid}/task/{pid}/schedstat").exists()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(20)

    def sample(self) -> CpuSample:
        assert self.proc is not None
        base = Path(f"/proc/{self.proc.pid}")
        ns: int | None = None
        tids: set[int] = set()
        if self.schedstat:
            ns = 0
            for entry in os.listdir(base / "task"):
                try:
                    ns += int((base / "task" / entry / "schedstat").read_text().split()[0])
                except (FileNotFoundError, ProcessLookupError):
                    continue  # the thread exited since the listing: not in tids, so detected
                tids.add(int(entry))
        fields = (base / "stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        return CpuSample(time.perf_counter(), ns, frozenset(tids), ticks)

    def raw_cpu(self, a: CpuSample, b: CpuSample) -> tuple[float, str]:
        """CPU seconds between two samples, and how they were measured."""
        ticks = (b.ticks - a.ticks) / CLOCK
        if a.ns is None or b.ns is None:
            return ticks, "ticks: no schedstat"
        if a.tids - b.tids:
            return ticks, f"ticks: {len(a.tids - b.tids)} thread(s) exited"
        ns = (b.ns - a.ns) / 1e9
        if ticks - ns > TICK_SLACK / CLOCK:
            return ticks, "ticks: a thread started and exited"
        return ns, "schedstat"

    def phase_cpu(self, a: CpuSample, b: CpuSample) -> tuple[float, str]:
        """CPU seconds between two samples, less the idle rate over their span."""
        cpu, method = self.raw_cpu(a, b)
        return cpu - self.idle_ns_per_s / 1e9 * (b.at - a.at), method

    async def measure_idle(self) -> None:
        await asyncio.sleep(FLUSH_WAIT)  # let start-up (and its log output) settle first
        a = self.sample()
        await asyncio.sleep(FLUSH_WAIT)
        b = self.sample()
        cpu, self.idle_method = self.raw_cpu(a, b)
        self.idle_ns_per_s = cpu * 1e9 / (b.at - a.at)

    def rss_mb(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


def prepare_quickture(data_dir: Path) -> Server:
    from cryptography.fernet import Fernet

    from backend.domain import connections, orgs, scim_tokens
    from backend.runtime import Runtime
    from backend.settings import Settings

    env = {
        "QUICKTURE_DATA_DIR": str(data_dir),
        "QUICKTURE_BASE_URL": "http://127.0.0.1:8000",
        "QUICKTURE_SECRET_KEY": Fernet.generate_key().decode(),
    }
    rt = Runtime.open(Settings.from_env(env))
    rt.db.migrate()
    with rt.db.write() as s:
        org = orgs.create_org(s, "Bench", ["bench.example.com"], actor="bench")
        conn = connections.create_connection(
            s,
            rt.box,
            org_id=org.id,
            actor="bench",
            issuer="https://bench.okta.com",
            client_id="c",
            client_secret="s",
        )
        token = scim_tokens.create_token(s, conn.id, actor="bench").token
    rt.close()
    return Server("quickture", "benchmarks.scim_apps:quickture", "/scim/v2", env, token)


# -- phases -------------------------------------------------------------------------------------


@dataclass
class Result:
    requests: int
    seconds: float
    cpu: float  # server CPU seconds, idle rate subtracted
    latencies: list[float]
    errors: int
    cpu_method: str = "schedstat"  # or "ticks: <why>" (see the module docstring)
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.requests * 1000

    @property
    def cpu_ns(self) -> float:
        return self.cpu / self.requests * 1e9

    def pct(self, q: float) -> float:
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(q * len(data)))] * 1000


Call = Callable[[Conn, int], Awaitable[int]]


async def run_phase(
    server: Server, conns: list[Conn], n: int, call: Call, expect: tuple[int, ...]
) -> Result:
    latencies: list[float] = []
    errors = 0
    next_i = 0

    async def worker(conn: Conn) -> None:
        nonlocal next_i, errors
        while next_i < n:
            i = next_i
            next_i += 1
            t = time.perf_counter()
            status = await call(conn, i)
            latencies.append(time.perf_counter() - t)
            if status not in expect:
                errors += 1

    cpu0, t0 = server.sample(), time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    seconds = time.perf_counter() - t0
    await asyncio.sleep(FLUSH_WAIT)  # the request log flushes after ~1 s: count it in this phase
    cpu, method = server.phase_cpu(cpu0, server.sample())
    return Result(n, seconds, cpu, latencies, errors, method)


@dataclass
class State:
    """One server under test: its connections, the users it holds, its results so far."""

    server: Server
    sizes: list[int]
    conns: list[Conn] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    ids: list[str] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=lambda: {"sizes": {}})


async def create_users(st: State, start: int, count: int) -> Result:
    p = st.server.prefix
    made: dict[int, str] = {}

    async def call(conn: Conn, i: int) -> int:
        status, body = await conn.request("POST", f"{p}/Users", okta_user(start + i))
        if status == 201:
            made[start + i] = json.loads(body)["id"]
        return status

    res = await run_phase(st.server, st.conns, count, call, (201,))
    st.ids.extend(made[k] for k in sorted(made))  # ids[k] is user k: lookups and PUTs agree
    note_fallback(st.server, "create", start + count, res)
    return res


def phase_calls(st: State) -> dict[str, Call]:
    p = st.server.prefix
    rng = st.rng

    async def lookup(conn: Conn, i: int) -> int:
        k = rng.randrange(len(st.ids))
        q = f'userName eq "user{k:06d}@okta.example.com"'.replace(" ", "%20").replace('"', "%22")
        status, body = await conn.request("GET", f"{p}/Users?filter={q}&startIndex=1&count=100")
        return status if b'"totalResults":1' in body.replace(b" ", b"") else 599

    async def get(conn: Conn, i: int) -> int:
        return (await conn.request("GET", f"{p}/Users/{rng.choice(st.ids)}"))[0]

    async def put(conn: Conn, i: int) -> int:
        k = rng.randrange(len(st.ids))
        body = {**okta_user(k, given=f"Put{i}"), "id": st.ids[k]}
        return (await conn.request("PUT", f"{p}/Users/{st.ids[k]}", body))[0]

    def set_active(active: bool) -> Call:
        replace = {"op": "replace", "value": {"active": active}}
        op = {"schemas": [PATCH_URN], "Operations": [replace]}

        async def call(conn: Conn, i: int) -> int:
            return (await conn.request("PATCH", f"{p}/Users/{st.ids[-1 - i]}", op))[0]

        return call

    return {"lookup": lookup, "get": get, "put": put, "patch": set_active(False),
            "reactivate": set_active(True)}  # fmt: skip


async def grow(active: list[State], size: int, repeats: int) -> None:
    """Create users up to ``size`` on every server, in ``repeats`` steps taken in turns."""
    steps: dict[str, list[tuple[int, int]]] = {}
    for st in active:
        have = len(st.ids)
        step = max(1, (size - have + repeats - 1) // repeats)
        steps[st.server.name] = [(a, min(step, size - a)) for a in range(have, size, step)]
    creates: dict[str, list[Result]] = {st.server.name: [] for st in active}
    for turn in range(max((len(v) for v in steps.values()), default=0)):
        for st in active:
            mine = steps[st.server.name]
            if turn < len(mine):
                creates[st.server.name].append(await create_users(st, *mine[turn]))
                print(f"  {st.server.name}: {len(st.ids)} users", file=sys.stderr, flush=True)
    for st in active:
        if st.server.name == "floor":
            st.ids = [f"{i:032x}" for i in range(size)]
        st.report["sizes"][size] = {"phases": {"create": creates[st.server.name]}}


async def measure_size(active: list[State], size: int, args: argparse.Namespace) -> None:
    """Every phase at this size, each repeat run on every server in turn: the servers are
    compared on the same minutes of the machine (a VM's speed drifts by tens of percent)."""
    repeats = args.repeats
    reads = min(args.reads, 5 * size)
    puts = min(args.writes, 5 * size)
    # Each user at most once a repeat. A short phase would also overstate the once-a-second
    # request-log flush that every phase is charged (see run_phase).
    patches = min(args.writes, size)
    calls = {st.server.name: phase_calls(st) for st in active}
    for name, n, ok in (
        ("lookup", reads, (200,)),
        ("get", reads, (200,)),
        ("put", puts, (200,)),
        ("patch", patches, (200, 204)),
    ):
        for _ in range(repeats):
            for st in active:
                res = await run_phase(st.server, st.conns, n, calls[st.server.name][name], ok)
                note_fallback(st.server, name, size, res)
                st.report["sizes"][size]["phases"].setdefault(name, []).append(res)
                if name == "patch":  # not measured: the same users active for the next repeat
                    await run_phase(st.server, st.conns, n, calls[st.server.name]["reactivate"], ok)
    for _ in range(repeats):
        for st in active:
            res = await full_import(st, st.conns[0], size)
            note_fallback(st.server, "import", size, res)
            st.report["sizes"][size]["phases"].setdefault("import", []).append(res)
    for st in active:
        st.report["sizes"][size]["rss_mb"] = st.server.rss_mb()
        print(f"  {st.server.name}: {size} done", file=sys.stderr, flush=True)


def note_fallback(server: Server, phase: str, size: int, res: Result) -> None:
    if res.cpu_method != "schedstat":
        print(f"  {server.name}: {phase} at {size}: CPU {res.cpu_method}", file=sys.stderr)


async def full_import(st: State, conn: Conn, size: int) -> Result:
    p = st.server.prefix
    pages = (size + 99) // 100
    latencies: list[float] = []
    errors = 0
    seen = 0
    cpu0, t0 = st.server.sample(), time.perf_counter()
    for page in range(pages):
        t = time.perf_counter()
        status, body = await conn.request("GET", f"{p}/Users?startIndex={page * 100 + 1}&count=100")
        latencies.append(time.perf_counter() - t)
        if status != 200:
            errors += 1
        else:
            seen += len(json.loads(body)["Resources"])
    seconds = time.perf_counter() - t0
    await asyncio.sleep(FLUSH_WAIT)
    cpu, method = st.server.phase_cpu(cpu0, st.server.sample())
    res = Result(pages, seconds, cpu, latencies, errors, method)
    res.extra = {
        "first_ms": latencies[0] * 1000,
        "last_ms": latencies[-1] * 1000,
        "first10_ms": statistics.median(latencies[:10]) * 1000,
        "last10_ms": statistics.median(latencies[-10:]) * 1000,
        "missing": float(size - seen) if st.server.name != "floor" else 0.0,
    }
    if res.extra["missing"]:
        res.errors += 1
    return res


async def bench(states: list[State], args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Start every server (all pinned to CPU 0, idle but for the one under load), then take
    each size in turn with the servers that run it."""
    try:
        for st in states:
            print(f"{st.server.name} ...", file=sys.stderr, flush=True)
            st.server.start()
            headers = {"Authorization": f"Bearer {st.server.token}",
                       "User-Agent": "Okta SCIM Client"}  # fmt: skip
            st.conns = [Conn("127.0.0.1", st.server.port, headers) for _ in range(CONCURRENCY)]
            await asyncio.gather(*(c.open() for c in st.conns))
        for st in states:
            await st.server.measure_idle()
            st.report["idle_us_per_s"] = st.server.idle_ns_per_s / 1000
            st.report["idle_method"] = st.server.idle_method
            print(f"  {st.server.name}: idle {st.server.idle_ns_per_s / 1000:.1f} us CPU/s "
                  f"({st.server.idle_method})", file=sys.stderr, flush=True)  # fmt: skip
        for size in sorted({size for st in states for size in st.sizes}):
            active = [st for st in states if size in st.sizes]
            await grow(active, size, args.repeats)
            await measure_size(active, size, args)
    finally:
        for st in states:
            for c in st.conns:
                c.close()
            st.server.stop()
    return {st.server.name: st.report for st in states}


# -- report -------------------------------------------------------------------------------------

ORDER = ("create", "lookup", "get", "put", "patch", "import")


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarise(results: list[Result]) -> dict[str, float]:
    return {
        "rps": med([r.rps for r in results]),
        "cpu_ms": med([r.cpu_ms for r in results]),
        "cpu_ns": med([r.cpu_ns for r in results]),
        "cpu_ticks_phases": float(sum(r.cpu_method != "schedstat" for r in results)),
        "p50": med([r.pct(0.5) for r in results]),
        "p99": med([r.pct(0.99) for r in results]),
        "errors": float(sum(r.errors for r in results)),
        **{k: med([r.extra[k] for r in results]) for k in (results[0].extra if results else {})},
    }


def cpu_line(reports: dict[str, dict[str, Any]]) -> str:
    """How server CPU was measured, the idle rates subtracted and the phases that fell back."""
    idle, fell = [], []
    for name, rep in reports.items():
        results = [r for d in rep["sizes"].values() for rs in d["phases"].values() for r in rs]
        ticks = sum(r.cpu_method != "schedstat" for r in results)
        how = "" if rep["idle_method"] == "schedstat" else f" ({rep['idle_method']})"
        idle.append(f"{name} {rep['idle_us_per_s']:.0f}{how}")
        fell.append(f"{name} {ticks} of {len(results)}")
    return (
        "Server CPU: the sum of the first field of `/proc/<pid>/task/*/schedstat` (ns on CPU) "
        "over the server's threads, before and after each phase (which ends with a "
        f"{FLUSH_WAIT} s pause so the request-log flush is counted), less the server's idle "
        "CPU rate, measured once at start, times the phase's span. Idle rates (us of CPU per s): "
        f"{', '.join(idle)}. Phases that fell back to `/proc/<pid>/stat` ticks "
        f"({1000 // CLOCK} ms) because a thread exited during them (or schedstat was missing): "
        f"{', '.join(fell)}."
    )


def render(reports: dict[str, dict[str, Any]], args: argparse.Namespace, took: float) -> str:
    lines = [
        "# SCIM performance",
        "",
        f"Measured by `benchmarks/scim.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f" in {took / 60:.0f} minutes: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}, "
        f"SQLite (WAL, durable commits). Server pinned to CPU 0, load generator to CPU 1; "
        f"{CONCURRENCY} client connections; medians of {args.repeats} repeats; "
        f"{args.reads:,} requests a lookup/get phase, {args.writes:,} a put phase.",
        "",
        cpu_line(reports),
        "",
    ]
    sums = {
        name: {
            size: {ph: summarise(res) for ph, res in data["phases"].items()}
            for size, data in rep["sizes"].items()
        }
        for name, rep in reports.items()
    }
    for size in sorted({s for rep in sums.values() for s in rep}):
        lines += [
            f"## {size:,} users",
            "",
            "| phase | server | req/s | p50 ms | p99 ms | server CPU ms/req | errors |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for ph in ORDER:
            for name in reports:
                s = sums[name].get(size, {}).get(ph)
                if s is None:
                    continue
                unit = " (per page of 100)" if ph == "import" else ""
                lines.append(
                    f"| {ph}{unit} | {name} | {s['rps']:.0f} | {s['p50']:.2f} | "
                    f"{s['p99']:.2f} | {s['cpu_ms']:.4f} | {s['errors']:.0f} |"
                )
        mem = ", ".join(
            f"{n} {reports[n]['sizes'][size]['rss_mb']:.0f} MB"
            for n in reports
            if size in reports[n]["sizes"]
        )
        lines += ["", f"Server memory (RSS) after this size: {mem}.", ""]
    lines += ["## Ratios (server CPU per request)", ""]
    q = sums.get("quickture", {})
    for size in sorted(q):
        for ph in ORDER:
            parts = [f"**{ph}** at {size:,}: {q[size][ph]['cpu_ms']:.4f} ms"]
            for other in ("floor", "scim2-server"):
                o = sums.get(other, {}).get(size, {}).get(ph)
                if o and o["cpu_ms"] > 0:
                    parts.append(f"{q[size][ph]['cpu_ms'] / o['cpu_ms']:.2f}x {other}")
            lines.append("- " + ", ".join(parts))
    lines.append("")
    if q:
        big, small = max(q), min(q)
        imp = q[big]["import"]
        lk_big, lk_small = q[big]["lookup"]["p50"], q[small]["lookup"]["p50"]
        fl = sums.get("floor", {})
        drift = ""
        if big in fl and small in fl:  # the same phase on the floor, in the same minutes
            f_big, f_small = fl[big]["lookup"]["p50"], fl[small]["lookup"]["p50"]
            drift = (
                f" The floor's, measured beside it: {f_big:.2f} / {f_small:.2f} ms "
                f"({f_big / f_small:.2f}x, the machine's own drift between those minutes)."
            )
        mem_big = reports["quickture"]["sizes"][big]["rss_mb"]
        mem_small = reports["quickture"]["sizes"][small]["rss_mb"]
        lines += [
            f"- Import at {big:,}: first page {imp['first_ms']:.2f} ms, last page "
            f"{imp['last_ms']:.2f} ms ({imp['last_ms'] / imp['first_ms']:.2f}x); medians of "
            f"the first and last ten pages {imp['first10_ms']:.2f} / {imp['last10_ms']:.2f} ms "
            f"({imp['last10_ms'] / imp['first10_ms']:.2f}x).",
            f"- Lookup p50 at {big:,} vs {small:,}: {lk_big:.2f} / {lk_small:.2f} ms "
            f"({lk_big / lk_small:.2f}x).{drift}",
            f"- Memory at {big:,} vs {small:,}: {mem_big:.0f} / {mem_small:.0f} MB "
            f"({mem_big / mem_small:.2f}x).",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--yardstick-sizes", default="1000,10000")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--reads", type=int, default=READ_SAMPLE, help="lookup/get requests a phase")
    ap.add_argument(
        "--writes", type=int, default=WRITE_SAMPLE, help="put (and, room allowing, patch) requests"
    )
    ap.add_argument("--servers", default="quickture,scim2-server,floor")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--json", type=Path, help="also write the raw summary as JSON")
    args = ap.parse_args()
    os.sched_setaffinity(0, {1})
    import uvloop

    sizes = [int(s) for s in args.sizes.split(",")]
    ysizes = [int(s) for s in args.yardstick_sizes.split(",")]
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="scim-bench-") as tmp:
        states = []
        for name in args.servers.split(","):
            if name == "quickture":
                server, run_sizes = prepare_quickture(Path(tmp) / "data"), sizes
            elif name == "quickture-scim-only":
                server = prepare_quickture(Path(tmp) / "data-scim")
                server.name, server.factory = name, "benchmarks.scim_apps:quickture_scim_only"
                run_sizes = ysizes
            elif name == "scim2-server":
                server = Server(name, "benchmarks.scim_apps:scim2_server", "/v2", {})
                run_sizes = ysizes
            else:  # the floor holds nothing: it runs at every size, as a gauge of the machine
                server = Server(name, "benchmarks.scim_apps:floor", "/scim/v2", {})
                run_sizes = sizes
            states.append(State(server, run_sizes))
        reports = uvloop.run(bench(states, args))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    n: {
                        s: {ph: summarise(r) for ph, r in d["phases"].items()}
                        for s, d in rep["sizes"].items()
                    }
                    for n, rep in reports.items()
                },
                indent=1,
            )
        )
    text = render(reports, args, time.monotonic() - t0)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
