import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_labels_imports_nothing_from_the_database_or_web_layers() -> None:
    probe = (
        "import sys, labels.pdf, labels.zpl, labels.symbols, labels.layouts, labels.content; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'trace', 'web', 'fastapi'}))"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert found.stdout.strip() == "[]"
