"""Benchmark: allocating unit serials, and serialized label runs end to end (allocate, then render the PDF).

Run from the repository root:  .venv/bin/python tests/perf/bench_serials.py [--runs 3] [--postgres URL]

PostgreSQL is measured when ``--postgres`` or TRACE_TEST_POSTGRES_URL names a database: a test database, because
its schema is dropped and rebuilt. Each end-to-end run happens in a fresh child process so that its peak resident
memory (ru_maxrss, the whole interpreter included) belongs to that run alone. Budgets (issue 3, 2-core machine):
100,000 serials in 5 s on each database; 1,000 labels in 3 s, 10,000 in 20 s and at most 200 MB. Prints Markdown.
"""

import argparse
import json
import os
import platform
import resource
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the service runs from the repository root (see DESIGN.md)

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from trace import batches, certifications, labelruns, migrate, organizations, products  # noqa: E402
from trace.access import Caller, Role  # noqa: E402
from trace.batches import BatchIn  # noqa: E402
from trace.certifications import CertificationIn, CertKind  # noqa: E402
from trace.db import make_engine, make_sessionmaker, transaction, vietnam_today  # noqa: E402
from trace.labelruns import LabelRunIn  # noqa: E402
from trace.organizations import OrganizationIn, OrgKind, OrgStatus  # noqa: E402
from trace.products import ProductIn  # noqa: E402
from web import labels_service  # noqa: E402

BASE = "https://trace.example.vn"
LAYOUT = "a4-3x8"
ALLOCATE = 100_000
ALLOCATE_BUDGET = 5.0
END_TO_END = {1_000: (3.0, None), 10_000: (20.0, 200.0)}  # seconds, MB
ADMIN = Caller(role=Role.ADMIN, login="bench")


def fresh(url: str) -> Engine:
    """An empty database at ``url``, migrated to head."""
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    return engine


def published_batch(engine: Engine) -> int:
    """A verified producer's published batch with a GTIN and a current OCOP certificate, made by an admin (no
    account, so no argon2 hashing, which alone takes 64 MB, inflates the peak memory measured)."""
    with transaction(make_sessionmaker(engine)) as db:
        org = organizations.register(
            db,
            ADMIN,
            OrganizationIn(
                kind=OrgKind.COOPERATIVE,
                name="Hợp tác xã Nông nghiệp Trùng Khánh",
                address="Xóm Pác Rằng",
                commune="Trùng Khánh",
                province="Cao Bằng",
            ),
        )
        organizations.set_status(db, ADMIN, org.id, OrgStatus.VERIFIED, None)
        product = products.create(
            db,
            ADMIN,
            ProductIn(
                name_vi="Hạt dẻ Trùng Khánh sấy khô loại đặc biệt",
                gtin="8936010000124",
                unit="gói",
                organization_id=org.id,
            ),
        )
        certifications.create(
            db,
            ADMIN,
            CertificationIn(
                kind=CertKind.OCOP,
                number="1874/QĐ-UBND",
                issuer="UBND tỉnh Cao Bằng",
                issued_on=vietnam_today(),
                ocop_stars=4,
                product_id=product.id,
                organization_id=org.id,
            ),
        )
        made = vietnam_today() - timedelta(days=10)
        batch = batches.create(
            db,
            ADMIN,
            BatchIn(
                product_id=product.id, lot_code="HD-2610", production_date=made, expiry_date=made + timedelta(days=365)
            ),
        )
        batches.publish(db, ADMIN, batch.id)
        return batch.id


def allocate(url: str, runs: int) -> list[float]:
    """Seconds to allocate and commit ``ALLOCATE`` serials, run after run into the same growing table."""
    engine = fresh(url)
    batch_id = published_batch(engine)
    sessions = make_sessionmaker(engine)
    timings = []
    for run in range(runs):
        start = time.perf_counter()
        with transaction(sessions) as db:
            labelruns.create(db, ADMIN, batch_id, LabelRunIn(count=ALLOCATE, layout=LAYOUT), f"bench-{run}", BASE)
        timings.append(time.perf_counter() - start)
    engine.dispose()
    return timings


def child(url: str, count: int) -> None:
    """One end-to-end run, as the API does it: allocate in one transaction, then render in another."""
    engine = fresh(url)
    batch_id = published_batch(engine)
    sessions = make_sessionmaker(engine)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path("/proc/self/clear_refs").write_text("5")  # restart VmHWM: the peak of the run alone, imports aside
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        with transaction(sessions) as db:
            data = LabelRunIn(count=count, layout=LAYOUT)
            run, _ = labels_service.create_run(db, ADMIN, batch_id, data, "e2e", BASE)
        allocated = time.perf_counter()
        with transaction(sessions) as db:
            labels_service.render(db, ADMIN, labelruns.get(db, ADMIN, run.id), "pdf", out)
        done = time.perf_counter()
        size = out.tell()
    engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    status = Path("/proc/self/status").read_text()
    run_peak = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024
    result = {"seconds": done - start, "allocate": allocated - start, "bytes": size}
    print(json.dumps(result | {"peak_mb": peak, "before_mb": before, "run_peak_mb": run_peak}))


def end_to_end(url: str, count: int, runs: int) -> list[dict[str, float]]:
    results = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, __file__, "--child-url", url, "--child-count", str(count)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        results.append(json.loads(done.stdout))
    return results


def machine(pg_url: str | None) -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    lines = [
        f"- machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}",
        f"- Python {platform.python_version()} on {platform.platform()}; SQLite {sqlite3.sqlite_version} (WAL)",
        "- load average at start (other work on the machine slows every number): "
        + ", ".join(f"{load:.1f}" for load in os.getloadavg()),
    ]
    if pg_url:
        engine = make_engine(pg_url)
        with engine.connect() as conn:
            lines.append(f"- {conn.execute(text('SELECT version()')).scalar()}, same machine")
        engine.dispose()
    lines.append(f"- command: `{shlex.join([os.path.relpath(sys.executable, ROOT), *sys.argv])}` (repository root)")
    return lines


def cell(seconds: list[float]) -> str:
    return f"{median(seconds):.2f} ({', '.join(f'{s:.2f}' for s in seconds)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is reported")
    parser.add_argument("--postgres", default=os.environ.get("TRACE_TEST_POSTGRES_URL"), help="a test database")
    parser.add_argument("--child-url", help=argparse.SUPPRESS)
    parser.add_argument("--child-count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_url:
        child(args.child_url, args.child_count)
        return

    with tempfile.TemporaryDirectory() as tmp:
        backends = {"SQLite": f"sqlite:///{Path(tmp) / 'bench.db'}"}
        if args.postgres:
            backends["PostgreSQL"] = args.postgres
        print("## Serial allocation and label run benchmark\n")
        print("\n".join(machine(args.postgres)))
        print(
            f"\nSeconds: median (all {args.runs} runs). Memory, worst run: peak RSS during the run (VmHWM, reset when "
            "it starts) and for the whole child process (ru_maxrss: imports included, and argon2's 64 MB work area, "
            "used once when trace.users is imported).\n"
        )
        print(f"| measurement | {' | '.join(backends)} | budget |")
        print(f"|---|{'---:|' * len(backends)}---|")
        cells = [cell(allocate(url, args.runs)) + " s" for url in backends.values()]
        print(f"| {ALLOCATE:,} serials allocated, one transaction | {' | '.join(cells)} | {ALLOCATE_BUDGET:g} s |")
        for count, (seconds_budget, memory_budget) in END_TO_END.items():
            cells = []
            for url in backends.values():
                results = end_to_end(url, count, args.runs)
                cells.append(
                    f"{cell([r['seconds'] for r in results])} s, of which allocating "
                    f"{median(r['allocate'] for r in results):.2f} s; "
                    f"peak {max(r['run_peak_mb'] for r in results):.0f} MB during the run, "
                    f"{max(r['peak_mb'] for r in results):.0f} MB for the process; "
                    f"PDF {results[0]['bytes'] / 1e6:.1f} MB"
                )
            budget = f"{seconds_budget:g} s" + ("" if memory_budget is None else f", {memory_budget:g} MB")
            print(f"| {count:,} serialized labels ({LAYOUT}): allocate + PDF | {' | '.join(cells)} | {budget} |")
        if args.postgres:
            fresh(args.postgres).dispose()  # leave the test database empty, as the test suite expects


if __name__ == "__main__":
    main()
