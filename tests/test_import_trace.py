"""`trace` shares its name with a standard-library module; every entry point must get ours."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECK = "import trace, sys; assert getattr(trace, 'IS_OCOP_TRACE', False), trace.__file__; print('ok')"


def test_pytest_imports_our_trace() -> None:
    import trace

    assert getattr(trace, "IS_OCOP_TRACE", False)
    assert Path(trace.__file__).resolve().parent == ROOT / "trace"


@pytest.mark.parametrize(
    "argv",
    [
        [sys.executable, "-c", CHECK],
        [sys.executable, "-m", "web", "--help"],
        [
            sys.executable,
            "-c",
            "import alembic.config, sys; sys.argv=['alembic','history'];alembic.config.main(); " + CHECK,
        ],
        [sys.executable, "-c", "import uvicorn.importer as i; i.import_from_string('web.app:create_app'); " + CHECK],
    ],
    ids=["python-c", "python-m-web", "alembic", "uvicorn"],
)
def test_entry_points_import_our_trace(argv: list[str]) -> None:
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    if "web" not in argv:
        assert result.stdout.strip().endswith("ok")
