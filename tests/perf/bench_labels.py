"""Benchmark: serialized label runs to PDF, and the QR encoders behind ``labels.symbols.qr_matrix``.

Run from the repository root:  .venv/bin/python tests/perf/bench_labels.py [--runs 3]

Each PDF run happens in a fresh child process so that its peak resident memory (ru_maxrss, the whole
interpreter included) belongs to that run alone. Budgets (issue 3, 2-core machine): 1,000 labels in 3 s,
10,000 in 20 s, at most 200 MB for 10,000. Prints Markdown.
"""

import argparse
import json
import os
import platform
import resource
import secrets
import shlex
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the service runs from the repository root (see DESIGN.md)

import qrcode  # noqa: E402

from labels.content import LabelContent  # noqa: E402
from labels.layouts import LAYOUTS  # noqa: E402
from labels.pdf import render_pdf  # noqa: E402
from labels.symbols import qr_matrix  # noqa: E402

LAYOUT = "a4-3x8"
BASE_URI = "https://trace.example.vn/01/08930000000019/10/LOT1/21/"
SERIAL_ALPHABET = string.ascii_letters + string.digits
BUDGETS = {1_000: (3.0, None), 10_000: (20.0, 200.0)}  # seconds, MB


def serial_uri() -> str:
    return BASE_URI + "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(12))


def serialized_labels(count: int) -> Iterator[LabelContent]:
    for _ in range(count):
        yield LabelContent(
            product_name="Hạt dẻ Trùng Khánh sấy khô loại đặc biệt",
            producer_name="Hợp tác xã Nông nghiệp Trùng Khánh",
            lot="LOT1",
            production_date=date(2025, 9, 1),
            expiry_date=date(2026, 8, 31),
            ocop_stars=4,
            short_code=secrets.token_hex(5).upper(),
            qr_data=serial_uri(),
            gtin="08930000000019",
        )


def child(count: int) -> None:
    """One run: render ``count`` labels to a temporary file and report as JSON on stdout."""
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        pages = render_pdf(serialized_labels(count), LAYOUTS[LAYOUT], out)
        seconds = time.perf_counter() - start
        size = out.tell()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {"seconds": seconds, "peak_mb": peak / 1024, "baseline_mb": baseline / 1024, "bytes": size, "pages": pages}
        )
    )


def pdf_runs(count: int, runs: int) -> list[dict[str, float]]:
    results = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(count)], capture_output=True, text=True, check=True, cwd=ROOT
        )
        results.append(json.loads(done.stdout))
    return results


def qrcode_matrix(data: str) -> list[list[bool]]:
    """The design card's encoder, configured as ``qr_matrix`` is (error correction M, no quiet zone)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def ms_per_code(encode: Callable[[str], object], count: int, runs: int) -> float:
    timings = []
    for _ in range(runs):
        uris = [serial_uri() for _ in range(count)]
        start = time.perf_counter()
        for uri in uris:
            encode(uri)
        timings.append((time.perf_counter() - start) / count * 1000)
    return median(timings)


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def machine() -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    return [
        f"- machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}",
        f"- Python {platform.python_version()} on {platform.platform()}",
        f"- reportlab {package_version('reportlab')}, rl_accel {package_version('rl_accel')}, "
        f"zxing-cpp {package_version('zxing-cpp')}, qrcode {package_version('qrcode')}",
        f"- command: `{shlex.join([os.path.relpath(sys.executable, ROOT), *sys.argv])}` (from the repository root)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is reported")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    print("## Label rendering benchmark\n")
    print("\n".join(machine()))
    print(f"\n### Serialized labels to PDF, layout {LAYOUT}, median of {args.runs} runs, one process each\n")
    print("| labels | median s | all runs s | budget s | peak RSS MB | budget MB | PDF MB | pages |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|")
    for count, (seconds_budget, memory_budget) in BUDGETS.items():
        results = pdf_runs(count, args.runs)
        seconds = [result["seconds"] for result in results]
        peak = max(result["peak_mb"] for result in results)
        all_runs = ", ".join(f"{s:.2f}" for s in seconds)
        memory = "-" if memory_budget is None else f"{memory_budget:g}"
        print(
            f"| {count:,} | {median(seconds):.2f} | {all_runs} | {seconds_budget:g} | {peak:.0f} | {memory} "
            f"| {results[0]['bytes'] / 1e6:.1f} | {results[0]['pages']} |"
        )
    print(
        f"\nPeak RSS is the whole child process; the interpreter with its imports alone took "
        f"{results[0]['baseline_mb']:.0f} MB."
    )

    print(f"\n### QR matrix per code (error correction M, {len(serial_uri())}-character Digital Link URIs)\n")
    print("| encoder | ms per code | 1,000 codes s | 10,000 codes s |")
    print("|---|---:|---:|---:|")
    for name, encode, count in (("qrcode (pure Python)", qrcode_matrix, 200), ("zxing-cpp", qr_matrix, 5_000)):
        ms = ms_per_code(encode, count, args.runs)
        print(f"| {name} | {ms:.3f} | {ms:.2f} | {ms * 10:.1f} |")


if __name__ == "__main__":
    main()
