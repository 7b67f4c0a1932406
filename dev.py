#!/usr/bin/env python3
"""The two commands of README, on a machine with nothing but Python 3.11+ and pip:

    python3 dev.py serve    # virtual environment, dependencies, SQLite database, demo data, http://127.0.0.1:8000
    python3 dev.py test     # the same environment, then the test suite (PostgreSQL too if TRACE_TEST_POSTGRES_URL)

Anything after the command is passed on (to `python -m web serve` or to pytest)."""

import sys

if sys.version_info < (3, 11):  # noqa: UP036 - said plainly before tomllib fails to import
    sys.exit("Python 3.11 or newer is needed")

import hashlib
import os
import subprocess
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
STAMP = VENV / ".ocop-deps"


def requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["test"]]


def ensure_environment() -> None:
    if not PYTHON.exists():
        print("creating the virtual environment in .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    wanted = requirements()
    digest = hashlib.sha256("\n".join(wanted).encode()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != digest:
        print("installing dependencies ...", flush=True)
        subprocess.run(
            [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *wanted], check=True
        )
        STAMP.write_text(digest)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("serve", "test"):
        sys.exit(__doc__)
    command, rest = sys.argv[1], sys.argv[2:]
    ensure_environment()
    os.chdir(ROOT)
    if command == "serve":
        argv = [str(PYTHON), "-m", "web", "serve", "--demo", *rest]
    else:
        argv = [str(PYTHON), "-m", "pytest", *rest]
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
