"""Every message the code can show has a Vietnamese translation with the same placeholders."""

import re

import pytest

from web.i18n import catalog, negotiate
from web.locale_tool import extract

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_every_message_is_translated_to_vietnamese() -> None:
    vi = catalog.__wrapped__("vi")  # read the file as it is now, not a cached copy
    ids = [str(m.id) for m in extract() if m.id]
    assert len(ids) > 50
    missing = [i for i in ids if i not in vi]
    assert missing == [], "run `python -m web.locale_tool` and translate these in web/locale/vi"
    for msgid in ids:
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(vi[msgid])), msgid


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
