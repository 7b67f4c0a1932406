"""The scan under load: wrk (Debian's package) at 64 connections against a unit-code page (each request records its
scan) and against a bare endpoint answering a constant string, in the same server setup, on SQLite and PostgreSQL.

    .venv/bin/python tests/perf/bench_scan.py [--backend sqlite|postgresql|both] [--duration 10] [--rounds 3]
                                              [--workers 1]

The bare endpoint is GET /perf/bare, which the app serves only with TRACE_PERF_BARE_ENDPOINT=1: an async route on
the event loop like the scan page, behind the same middleware (language, gzip, session), in the same uvicorn workers.
Bare and scan are measured in alternated rounds and the medians reported, with the machine's load average: on a
shared machine other processes move single runs by a factor of two. The ratio is the median of each scan round's
throughput over the bare round just before it: two rounds measured a few seconds apart share the machine's load,
where the two medians may come from rounds minutes apart.

Besides wrk's figures, the server's CPU time per request (from /proc) is reported: on a shared machine it moves
less than req/s does, and it says what a scan costs.

Each database is made fresh: migrated, loaded with the Cao Bằng demo, plus a label run of 1000 unit serials; wrk
cycles through the serials (tests/perf/scan_units.lua), as phones scanning different units would. The scans table
starts as a service's in use would, with 200,000 earlier scans, and its statistics are read (ANALYZE): measured on
an empty table, PostgreSQL keeps the plans it made for an empty table (a scan of the whole table by time) until
autovacuum analyzes it, up to a minute later, while the benchmark fills it at a thousand rows a second. PostgreSQL uses
TRACE_BENCH_POSTGRES_URL, else TRACE_TEST_POSTGRES_URL (its schema is dropped and recreated). The bar: the scan page
reaches at least 40% of the bare endpoint's throughput, with p99 at most 100 ms."""

import argparse
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from trace import demo, labelruns, migrate, scans  # noqa: E402
from trace.batches import Batch  # noqa: E402
from trace.db import make_engine, make_sessionmaker, transaction, utcnow  # noqa: E402
from trace.labelruns import LabelRunIn  # noqa: E402
from trace.scans import DeviceClass  # noqa: E402
from web.links import batch_url  # noqa: E402

LUA = Path(__file__).with_name("scan_units.lua")
PHONE = "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari"
UNITS = 1000
EARLIER_SCANS = 200_000
BAR_RATIO = 0.40
BAR_P99_MS = 100.0


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: str
    cpu_ms: float = 0.0  # the server's CPU time per request: steadier than req/s on a shared machine


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its children (uvicorn's workers), from /proc."""
    pids = [pid, *(int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    total = 0
    for each in pids:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def measured(server: subprocess.Popen[bytes], url: str, args: argparse.Namespace, script: Path | None) -> Result:
    before = cpu_seconds(server.pid)
    result = wrk(url, args.duration, args.connections, args.threads, script)
    result.cpu_ms = (cpu_seconds(server.pid) - before) * 1000 / max(result.requests, 1)
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def earlier_scans(batch_ids: list[int], serials: list[str]) -> list[dict[str, object]]:
    """The scans a service in use holds: EARLIER_SCANS of other units over 90 days, and two of each bench unit."""
    rng = random.Random(2026)
    now = utcnow()

    def row(batch_id: int, serial: str) -> dict[str, object]:
        at = now - timedelta(seconds=rng.randrange(90 * 86400))
        network = f"{rng.randrange(1 << 64):032x}"
        return scans.scan_row(code="/earlier", lang="vi", device=DeviceClass.MOBILE, ip_digest=network,
                              batch_id=batch_id, serial=serial, at=at)  # fmt: skip

    other = [row(rng.choice(batch_ids), f"E{i:011d}") for i in range(EARLIER_SCANS)]
    return other + [row(batch_ids[0], serial) for serial in serials for _ in range(2)]


def prepare(url: str, base: str, units: int = UNITS) -> list[str]:
    """A fresh database with the demo, 1000 unit serials and the scans of a service in use (earlier_scans), its
    statistics up to date; the unit pages' paths."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        demo.load(session)
        batch = session.scalar(select(Batch).where(Batch.lot_code == "MD2611A"))
        assert batch is not None
        owner = demo._caller_for(session, "htx.mien.dong")
        run, _ = labelruns.create(session, owner, batch.id, LabelRunIn(count=units, layout="bench"), "bench", base)
        serials = labelruns.serials(session, run)
        paths = [batch_url(base, batch, serial)[len(base) :] for serial in serials]
        others = [id_ for id_ in session.scalars(select(Batch.id)) if id_ != batch.id]
        scans.write(session, earlier_scans([batch.id, *others], serials))
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    engine.dispose()
    return paths


def wrk(url: str, duration: int, connections: int, threads: int, script: Path | None = None) -> Result:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s",
               "-H", f"User-Agent: {PHONE}", "-H", "Accept-Encoding: gzip", "-H", "Accept-Language: vi"]  # fmt: skip
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = ", ".join(m.group(0).strip() for m in re.finditer(r"(Socket errors:.*|Non-2xx or 3xx responses:.*)", out))
    return Result(rps, ms("50"), ms("99"), requests, errors or "none")


def serve(url: str, base: str, port: int, workers: int, work: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TRACE_DATABASE_URL": url,
        "TRACE_PUBLIC_BASE_URL": base,
        "TRACE_SECRET_KEY": "bench-secret",
        "TRACE_STORAGE_DIR": str(work / "storage"),
        "TRACE_PERF_BARE_ENDPOINT": "1",
    }
    command = [sys.executable, "-m", "uvicorn", "web.app:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start")


def median(results: list[Result]) -> Result:
    """The middle round by throughput; other processes on a shared machine make single runs drift."""
    return sorted(results, key=lambda r: r.rps)[len(results) // 2]


def bench(backend: str, args: argparse.Namespace, work: Path) -> tuple[Result, Result, list[float], str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if backend == "sqlite":
        url = f"sqlite:///{work / 'bench.db'}"
    else:
        url = os.environ.get("TRACE_BENCH_POSTGRES_URL") or os.environ.get("TRACE_TEST_POSTGRES_URL") or ""
        if not url:
            raise SystemExit("set TRACE_BENCH_POSTGRES_URL (or TRACE_TEST_POSTGRES_URL) for the PostgreSQL run")
    paths = prepare(url, base, args.units)
    unit_file = work / f"{backend}.paths"
    unit_file.write_text("\n".join(paths) + "\n")
    os.environ["SCAN_UNITS"] = str(unit_file)  # read by scan_units.lua
    server = serve(url, base, port, args.workers, work)
    try:
        wrk(f"{base}/perf/bare", 3, args.connections, args.threads)  # warm-up: imports, pools, caches
        wrk(f"{base}{paths[0]}", 3, args.connections, args.threads, LUA)
        bares, scans = [], []
        for _ in range(args.rounds):  # alternated, so that a change in the machine's load hits both alike
            bares.append(measured(server, f"{base}/perf/bare", args, None))
            scans.append(measured(server, f"{base}{paths[0]}", args, LUA))
        bare, scan = median(bares), median(scans)
        # Each scan round against the bare round just before it, which ran under the same load of the machine.
        ratios = [s.rps / b.rps for b, s in zip(bares, scans, strict=True)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return bare, scan, ratios, paths[0]


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        model = found.group(1) if found else model
    return f"{os.cpu_count()} CPUs (nproc), {model}, {platform.python_implementation()} {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternated bare/scan measurements; medians reported")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--units", type=int, default=UNITS, help="unit serials wrk cycles through")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    rows = []
    rounds = []  # each round's ratio
    passed = True
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            bare, scan, ratios, path = bench(backend, args, Path(tmp))
            ratio = statistics.median(ratios)
            rounds.append(f"{backend}: " + ", ".join(f"{each:.0%}" for each in ratios))
            ok = ratio >= BAR_RATIO and scan.p99_ms <= BAR_P99_MS
            passed &= ok
            rows.append(
                f"| {backend} | {bare.rps:,.0f} | {bare.p50_ms:.1f} / {bare.p99_ms:.1f} | {bare.cpu_ms:.2f} | "
                f"{scan.rps:,.0f} | {scan.p50_ms:.1f} / {scan.p99_ms:.1f} | {scan.cpu_ms:.2f} | {ratio:.1%} | "
                f"{'yes' if ok else 'NO'} | {bare.errors}; {scan.errors} |"
            )
    load_after = os.getloadavg()
    print(f"\nMachine: {machine()}; load average (1 min) {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print(
        f"Server: uvicorn, {args.workers} worker(s); wrk -t{args.threads} -c{args.connections} -d{args.duration}s "
        f"x {args.rounds} rounds each (medians), a phone's User-Agent, Accept-Encoding: gzip; "
        f"{args.units:,} unit pages in turn, e.g. {path}"
    )
    print(f"Command: .venv/bin/python tests/perf/bench_scan.py {' '.join(sys.argv[1:])}".rstrip())
    print()
    print(
        "| database | bare req/s | bare p50 / p99 (ms) | bare CPU ms/req | scan req/s | scan p50 / p99 (ms) "
        "| scan CPU ms/req | scan / bare (median of rounds) | bar met | errors (bare; scan) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    print("\n".join(rows))
    print("\nScan / bare, round by round: " + "; ".join(rounds))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
