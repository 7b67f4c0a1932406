"""The command line as an operator uses it, in a subprocess against a fresh SQLite file."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TRACE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "TRACE_SECRET_KEY": "cli",
        "TRACE_PUBLIC_BASE_URL": "https://truyxuat.example.vn",
        "TRACE_STORAGE_DIR": str(tmp_path / "files"),
    }
    return subprocess.run(
        [sys.executable, "-m", "web", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_migrate_demo_and_create_user(tmp_path: Path) -> None:
    assert _run(tmp_path, "migrate").returncode == 0
    first = _run(tmp_path, "demo")
    assert first.returncode == 0, first.stderr
    urls = first.stdout.split()
    assert len(urls) >= 3 and all(u.startswith("https://truyxuat.example.vn/") for u in urls)
    assert any("/01/0893" in u and "/10/" in u for u in urls)  # GS1 Digital Links for products with a GTIN
    assert any("/c/" in u for u in urls)  # the short route for a product without one
    again = _run(tmp_path, "demo")  # loading twice changes nothing and prints the same codes
    assert again.returncode == 0 and again.stdout.split() == urls

    made = _run(tmp_path, "create-user", "can.bo.moi", "--role", "authority", "--password", "mật khẩu đủ dài")
    assert made.returncode == 0, made.stderr
    dup = _run(tmp_path, "create-user", "can.bo.moi", "--role", "authority", "--password", "mật khẩu đủ dài")
    assert dup.returncode == 2 and "Tên đăng nhập này đã có người dùng" in dup.stderr
    weak = _run(tmp_path, "create-user", "ngan", "--role", "admin", "--password", "short")
    assert weak.returncode == 2 and "password: Mật khẩu phải có từ 10 đến 200 ký tự" in weak.stderr
