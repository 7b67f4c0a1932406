"""Keeping the gettext catalogs in step with the code: `python -m web.locale_tool` re-extracts every message id
(Babel) and merges it into each language's .po file, keeping existing translations."""

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "web" / "locale"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "N_": None,
    "ngettext": (1, 2),
    "InvalidInput": None,
    "NotFound": None,
    "Conflict": None,
    "Forbidden": None,
    "Unauthenticated": None,
    "Gs1SyntaxError": None,
    "invalid": (2,),
    "PydanticCustomError": (2,),
    "translate": (2,),
}
METHODS = [
    ("trace/**.py", "python"),
    ("web/**.py", "python"),
    ("labels/**.py", "python"),
    ("web/templates/**.html", "jinja2"),
]


def extract() -> Catalog:
    catalog = Catalog()
    for folder in ("trace", "web", "labels"):
        for filename, lineno, message, comments, _context in extract_from_dir(
            ROOT / folder,
            method_map=[(p.split("/", 1)[1], m) for p, m in METHODS if p.startswith(folder)],
            keywords=KEYWORDS,
        ):
            catalog.add(message, None, [(f"{folder}/{filename}", lineno)], auto_comments=comments)
    return catalog


def update(lang: str) -> Path:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    template = extract()
    if path.exists():
        with path.open("rb") as fh:
            existing = read_po(fh, locale=lang)
        existing.update(template, no_fuzzy_matching=True)
        catalog = existing
    else:
        catalog = Catalog(locale=lang)
        catalog.update(template)
    catalog.obsolete.clear()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, omit_header=False, sort_output=True, include_lineno=False, width=120)
    return path


if __name__ == "__main__":
    for lang in ("vi", "en", "zh"):
        print(update(lang))
