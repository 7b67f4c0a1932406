"""Benchmark: bulk import of a 10,000-row file through the HTTP API (upload, decode, check every row, write).

Run from the repository root:  .venv/bin/python tests/perf/bench_import.py [--rows 10000] [--runs 3]

Each run imports into a freshly migrated database: SQLite in a temporary file, and PostgreSQL when
TRACE_TEST_POSTGRES_URL is set (its public schema is dropped and recreated: use a scratch database). The file holds
one product row for every four batch rows, half the products without GTIN (their batches name them by reference).
Budget (issue 6, 2-core machine): 10,000 rows in at most 10 s. Prints Markdown.
"""

import argparse
import csv
import io
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the service runs from the repository root (see DESIGN.md)

import openpyxl  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from tests import factories  # noqa: E402
from trace import gs1, imports, migrate  # noqa: E402
from trace.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from web.app import create_app  # noqa: E402
from web.settings import Settings  # noqa: E402

BUDGET_SECONDS = 10.0


def rows(count: int) -> list[list[str]]:
    keys = [c.key for c in imports.COLUMNS]
    out: list[list[str]] = []
    product = 0
    while len(out) < count:
        product += 1
        body = f"893{product:09d}"
        gtin = body + str(gs1.gtin_check_digit(body)) if product % 2 else ""
        ref = gtin or f"SP{product}"
        values = {
            "kind": "SP",
            "ref": "" if gtin else ref,
            "name_vi": f"Hạt dẻ Trùng Khánh loại {product}",
            "gtin": gtin,
            "unit": "gói",
            "net_quantity": "0,5",
            "net_quantity_unit": "kg",
            "ocop_group": "Thực phẩm",
            "shelf_life_days": "365",
        }
        out.append([values.get(k, "") for k in keys])
        for lot in range(4):
            if len(out) >= count:
                break
            values = {
                "kind": "LÔ",
                "product": ref,
                "lot_code": f"L{product}-{lot}",
                "production_date": "01/11/2026",
                "expiry_date": "01/11/2027",
                "quantity": "1.200,5",
                "quantity_unit": "gói",
                "origin_commune": "Trùng Khánh",
                "origin_province": "Cao Bằng",
            }
            out.append([values.get(k, "") for k in keys])
    return out


def csv_bytes(table: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in imports.COLUMNS])
    writer.writerows(table)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(table: list[list[str]]) -> bytes:
    # A regular workbook, not write_only: like Excel's and LibreOffice's files it records the sheet's dimension,
    # without which openpyxl reads the whole sheet once more just to find it.
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = imports.DATA_SHEET
    sheet.append([c.header for c in imports.COLUMNS])
    for values in table:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run_once(url: str, data: bytes, name: str) -> tuple[float, int]:
    engine = make_engine(url)
    if url.startswith("postgresql"):
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as db:
        owner = factories.producer(db)
        login = owner.owner.login
    settings = Settings(database_url=url, secret_key="bench", public_base_url="https://trace.example.vn")
    with TestClient(create_app(settings, engine)) as client:
        factories.login(client, login)
        start = time.perf_counter()
        r = client.post("/api/v1/imports", files={"file": (name, data, "application/octet-stream")})
        elapsed = time.perf_counter() - start
    engine.dispose()
    if r.status_code != 201:
        raise SystemExit(f"import failed: {r.status_code} {r.text[:500]}")
    body = r.json()
    return elapsed, body["products"] + body["batches"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    table = rows(args.rows)
    files = {"CSV (UTF-8)": ("rows.csv", csv_bytes(table)), "XLSX": ("rows.xlsx", xlsx_bytes(table))}
    with tempfile.TemporaryDirectory() as tmp:
        databases = {"SQLite": f"sqlite:///{Path(tmp) / 'bench.db'}"}
        if os.environ.get("TRACE_TEST_POSTGRES_URL"):
            databases["PostgreSQL"] = os.environ["TRACE_TEST_POSTGRES_URL"]
        print(f"Import of {args.rows:,} rows through POST /api/v1/imports; median of {args.runs} runs")
        machine = platform.processor() or platform.machine()
        print(f"{machine}, {os.cpu_count()} cores, Python {platform.python_version()}\n")
        print("| database | file | size | rows created | seconds (median) | rows/s | budget 10 s |")
        print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
        for db_name, url in databases.items():
            for file_name, (name, data) in files.items():
                if db_name == "SQLite":
                    Path(tmp, "bench.db").unlink(missing_ok=True)
                times = []
                for _ in range(args.runs):
                    if db_name == "SQLite":
                        for suffix in ("", "-wal", "-shm"):
                            Path(tmp, "bench.db" + suffix).unlink(missing_ok=True)
                    seconds, created = run_once(url, data, name)
                    times.append(seconds)
                mid = median(times)
                verdict = "ok" if mid <= BUDGET_SECONDS else "OVER"
                print(
                    f"| {db_name} | {file_name} | {len(data) / 1e6:.1f} MB | {created:,} | {mid:.2f} | "
                    f"{created / mid:,.0f} | {verdict} |"
                )


if __name__ == "__main__":
    main()
