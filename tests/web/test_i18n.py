"""Every message the code can show has a Vietnamese translation with the same placeholders."""

import ast
import re
from pathlib import Path

import pytest

from web.i18n import catalog, negotiate
from web.locale_tool import KEYWORDS, ROOT, extract

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_every_message_is_translated_to_vietnamese() -> None:
    vi = catalog.__wrapped__("vi")  # read the file as it is now, not a cached copy
    ids = [str(m.id) for m in extract() if m.id]
    assert len(ids) > 50
    missing = [i for i in ids if i not in vi]
    assert missing == [], "run `python -m web.locale_tool` and translate these in web/locale/vi"
    for msgid in ids:
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(vi[msgid])), msgid


def test_every_message_written_in_the_code_is_extracted() -> None:
    """Babel does not look inside a call nested in another's arguments (``translate(lang, d.get(k, N_("...")))``):
    every text literal given to a keyword, wherever it stands, must reach the catalog."""
    extracted = {str(m.id) for m in extract() if m.id}
    written: dict[str, str] = {}
    for path in [*ROOT.glob("trace/**/*.py"), *ROOT.glob("web/**/*.py"), *ROOT.glob("labels/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in KEYWORDS:
                continue
            spec = KEYWORDS[name]
            position = spec[0] - 1 if isinstance(spec, tuple) else 0
            given = node.args[position] if len(node.args) > position else None
            if isinstance(given, ast.Constant) and isinstance(given.value, str):
                written[given.value] = f"{Path(path).relative_to(ROOT)}:{node.lineno}"
    assert len(written) > 50
    assert {message: where for message, where in written.items() if message not in extracted} == {}


@pytest.mark.parametrize(
    ("query", "cookie", "header", "expected"),
    [
        (None, None, None, "vi"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "zh-CN,zh;q=0.9,en;q=0.5", "zh"),
        (None, None, "fr-FR,fr;q=0.9", "vi"),
        (None, None, "fr;q=0.9,en;q=0.8", "en"),
        ("zh", None, "en", "zh"),
        (None, "en", "vi", "en"),
        ("xx", None, "garbage;q=abc,,;", "vi"),
    ],
)
def test_language_negotiation(query: str | None, cookie: str | None, header: str | None, expected: str) -> None:
    assert negotiate(query, cookie, header) == expected
