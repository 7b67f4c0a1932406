"""GS1 identifiers: GTIN check digits, CSET 82 lots and serials, Digital Link URIs, against GS1's own vectors."""

import functools
import json
import re
import string
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from hypothesis import given
from hypothesis import strategies as st

from trace.errors import InvalidInput
from trace.gs1 import (
    CANONICAL_STEM,
    CSET_82,
    DigitalLink,
    Gs1SyntaxError,
    from_element_string,
    gtin_check_digit,
    is_vietnamese_prefix,
    normalize_gtin,
    parse_path,
    parse_uri,
    validate_lot,
    validate_serial,
)

VECTORS = Path(__file__).parents[2].parent / "shared" / "gs1" / "dl-vectors.json"
# The AIs the GS1 Barcode Syntax Dictionary marks "dlpkey", kept apart from trace.gs1's copy so that the choice of
# vectors does not depend on the code under test.
DL_KEYS = {"00", "01", "253", "255", "401", "402", "414", "415", "417"} | {
    "8003",
    "8004",
    "8006",
    "8010",
    "8013",
    "8017",
    "8018",
}

GTIN = "08934588012341"  # GS1 Vietnam prefix 893, check digit 1
BASE = "https://truyxuat.caobang.gov.vn"


@functools.cache
def _vector_file() -> dict[str, Any]:
    return json.loads(VECTORS.read_text(encoding="utf-8"))


def _key(kind: str, vector: dict[str, Any]) -> str | None:
    """The key AI a vector is about: the rightmost in the URI's path, or the first in the AI data."""
    if kind == "parse":
        segments = vector["uri"].partition("#")[0].partition("?")[0].split("/")[3:]  # after "scheme:", "", domain
        keys = [segment for segment in segments if segment in DL_KEYS]
        return keys[-1] if keys else None
    return next((ai for ai in re.findall(r"\((\d+)\)", vector["ai_data"]) if ai in DL_KEYS), None)


def _vectors(kind: str) -> list[Any]:
    """GTIN (01) vectors, and those broken before any key (every parser must refuse them), that GS1's engine ran
    with its default options; vectors about other keys are out of scope (our links are GTIN links)."""
    if not VECTORS.parent.is_dir():
        reason = f"{VECTORS.parent} is absent, so GS1's Digital Link vectors cannot run"
        return [pytest.param(None, id=f"{kind}-vectors-absent", marks=pytest.mark.skip(reason=reason))]
    return [
        pytest.param(vector, id=f"{kind}-L{vector['dl_c_line']}")
        for vector in _vector_file()[kind]
        if not vector["needs_nondefault_option"] and _key(kind, vector) in ("01", None)
    ]


@pytest.mark.skipif(not VECTORS.parent.is_dir(), reason=f"{VECTORS.parent} is absent")
def test_vector_file_still_has_the_format_these_tests_read() -> None:
    assert set(_vector_file()["format"]) == {"parse", "generate", "needs_nondefault_option"}
    # 62 GTIN + 12 keyless parse vectors, 14 GTIN + 1 keyless generate vectors: a change here means new vectors.
    assert (len(_vectors("parse")), len(_vectors("generate"))) == (74, 15)


@pytest.mark.parametrize("vector", _vectors("parse"))
def test_parse_vector(vector: dict[str, Any]) -> None:
    if vector["valid"]:
        link = parse_uri(vector["uri"])
        assert link.to_element_string() == vector["element_string"]
        assert parse_uri(link.to_uri()) == link
    else:
        with pytest.raises(Gs1SyntaxError):
            parse_uri(vector["uri"])


@pytest.mark.parametrize("vector", _vectors("generate"))
def test_generate_vector(vector: dict[str, Any]) -> None:
    stem = vector["stem"] or CANONICAL_STEM  # the engine's missing stem means its canonical id.gs1.org
    if vector["valid"]:
        assert from_element_string(vector["ai_data"]).to_uri(stem) == vector["uri"]
    else:
        with pytest.raises(InvalidInput):
            from_element_string(vector["ai_data"]).to_uri(stem)


# --- GTIN -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data_digits", "check_digit"),
    [
        ("950110153100", 0),  # GS1 General Specifications' GTIN-13 example
        ("0952012345678", 8),  # GS1 Digital Link standard's example GTIN
        ("03600029145", 2),  # a UPC-A (GTIN-12)
        ("9501234", 6),  # a GTIN-8
        ("893458801234", 1),  # Vietnamese prefix
    ],
)
def test_check_digit_of_known_gtins(data_digits: str, check_digit: int) -> None:
    assert gtin_check_digit(data_digits) == check_digit


@given(st.text(alphabet=string.digits, min_size=1, max_size=17))
def test_check_digit_makes_the_weighted_sum_a_multiple_of_ten(data_digits: str) -> None:
    number = data_digits + str(gtin_check_digit(data_digits))
    weighted = sum(int(digit) * (1 if position % 2 == 0 else 3) for position, digit in enumerate(reversed(number)))
    assert weighted % 10 == 0


@pytest.mark.parametrize(
    ("typed", "gtin14"),
    [
        ("89312346", "00000089312346"),
        ("036000291452", "00036000291452"),
        ("8934588012341", GTIN),
        ("893 4588 01234 1", GTIN),
        ("18934588012348", "18934588012348"),
    ],
)
def test_normalize_gtin_gives_14_digits(typed: str, gtin14: str) -> None:
    assert normalize_gtin(typed) == gtin14


def test_wrong_check_digit_names_the_expected_one() -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_gtin("8934588012340")
    assert (caught.value.field, caught.value.params) == ("gtin", {"expected": 1})
    assert str(caught.value) == "GTIN check digit is wrong: expected 1"


@pytest.mark.parametrize("length", [7, 9, 11, 15])
def test_gtin_of_another_length_is_refused(length: int) -> None:
    with pytest.raises(InvalidInput, match="8, 12, 13 or 14 digits"):
        normalize_gtin("1" * length)


@pytest.mark.parametrize("typed", ["٨٩٣٤٥٨٨٠١٢٣٤١", "893458801234١", "89345880123⁴1"])
def test_digits_other_than_ascii_are_refused(typed: str) -> None:
    assert typed.isdigit()  # the trap: Python counts Arabic-Indic and superscript digits as digits
    with pytest.raises(InvalidInput, match="cannot contain"):
        normalize_gtin(typed)


def test_check_digit_of_arabic_indic_digits_is_refused() -> None:
    with pytest.raises(InvalidInput, match="cannot contain ٣"):
        gtin_check_digit("٣")


@pytest.mark.parametrize(
    ("gtin", "vietnamese"),
    [("8934588012341", True), ("89312346", True), ("09520123456788", False), ("036000291452", False)],
)
def test_vietnamese_prefix(gtin: str, vietnamese: bool) -> None:
    assert is_vietnamese_prefix(gtin) is vietnamese


# --- CSET 82 ----------------------------------------------------------------------------------------------------


def test_cset_82_is_the_character_set_biip_applies_to_lots() -> None:
    pattern = GS1ApplicationIdentifier.extract("10").pattern
    assert {chr(code) for code in range(128) if re.fullmatch(pattern, "10" + chr(code))} == CSET_82


def test_valid_lot_and_serial_are_returned() -> None:
    assert validate_lot("L2025/07-A") == "L2025/07-A"
    assert validate_serial("x+Y%z") == "x+Y%z"


@pytest.mark.parametrize(
    ("lot", "char"),
    [("Lô01", "ô"), ("LÔ-01", "Ô"), ("Lo\u030201", "\u0302"), ("LOT 01", "U+0020"), ("A#1", "#"), ("L\x00", "U+0000")],
)
def test_lot_with_a_character_outside_cset_82_is_refused(lot: str, char: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_lot(lot)
    assert caught.value.field == "lot_code"
    assert caught.value.params["char"] == char


def test_serial_errors_name_the_serial_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_serial("số1")
    assert (caught.value.field, caught.value.params["char"]) == ("serial", "ố")


@pytest.mark.parametrize("validate", [validate_lot, validate_serial])
def test_lot_and_serial_hold_1_to_20_characters(validate: Any) -> None:
    assert validate("A" * 20) == "A" * 20
    with pytest.raises(InvalidInput, match="at most 20"):
        validate("A" * 21)
    with pytest.raises(InvalidInput, match="empty"):
        validate("")


# --- Digital Link -----------------------------------------------------------------------------------------------


def test_label_link_has_qualifiers_in_order_and_dates_in_the_query() -> None:
    link = DigitalLink.build(
        "8934588012341", lot="L01", serial="S1", expiry=date(2026, 12, 31), production_date=date(2025, 1, 15)
    )
    assert link.to_uri(BASE) == f"{BASE}/01/{GTIN}/10/L01/21/S1?17=261231&11=250115"
    assert (link.expiry, link.production_date) == (date(2026, 12, 31), date(2025, 1, 15))


def test_path_prefix_is_kept_and_no_trailing_slash_is_generated() -> None:
    assert DigitalLink(GTIN).to_uri(f"{BASE}/dl/") == f"{BASE}/dl/01/{GTIN}"
    assert not DigitalLink(GTIN, lot="L1").to_uri(BASE + "/").endswith("/")


def test_reserved_characters_are_percent_encoded() -> None:
    link = DigitalLink(GTIN, cpv="a-b_c.d", lot="A+B/C:(1)", attributes=(("99", "x+y"),))
    assert link.to_uri(BASE) == f"{BASE}/01/{GTIN}/22/a-b_c.d/10/A%2BB%2FC%3A%281%29?99=x%2By"
    assert parse_uri(link.to_uri(BASE)) == link


def test_plus_in_the_query_is_a_space() -> None:
    with pytest.raises(Gs1SyntaxError) as caught:
        parse_uri(f"{BASE}/01/{GTIN}?99=x+y")
    assert caught.value.params == {"ai": "99", "char": "U+0020"}


def test_link_type_goes_in_the_query_and_comes_back() -> None:
    link = DigitalLink(GTIN, lot="L1", link_type="gs1:certificationInfo")
    assert link.to_uri(BASE) == f"{BASE}/01/{GTIN}/10/L1?linkType=gs1%3AcertificationInfo"
    assert parse_uri(link.to_uri(BASE)) == link


def test_trailing_slash_is_tolerated_when_resolving() -> None:
    assert parse_path(f"/01/{GTIN}/10/L1/") == DigitalLink(GTIN, lot="L1")
    assert parse_uri(f"{BASE}/01/{GTIN}/") == DigitalLink(GTIN)


def test_parse_path_takes_a_raw_query_or_a_mapping_of_decoded_values() -> None:
    expected = DigitalLink(GTIN, serial="A/1", attributes=(("17", "261100"),), link_type="linkset")
    assert parse_path(f"/dl/01/{GTIN}/21/A%2F1", "17=261100&linkType=linkset&utm_source=qr") == expected
    assert parse_path(f"/dl/01/{GTIN}/21/A%2F1", {"17": "261100", "linkType": "linkset"}) == expected
    assert expected.expiry == date(2026, 11, 30)  # day 00: the end of the month


@pytest.mark.parametrize(
    ("path", "query", "message", "params"),
    [
        ("/00/006141411234567890", "", "Only GTIN (01) links are supported, not ({ai})", {"ai": "00"}),
        (f"/01/{GTIN}/21/S1/10/L1", "", "Qualifier ({ai}) is out of order: the path order is 22, 10, 21", {"ai": "10"}),
        (f"/01/{GTIN}/10/L1/10/L2", "", "({ai}) appears twice", {"ai": "10"}),
        ("/01/08934588012340", "", "GTIN check digit is wrong: expected {expected}", {"expected": 1}),
        ("/01/8934588012341", "", "A Digital Link writes the GTIN with 14 digits, not {length}", {"length": 13}),
        (f"/01/{GTIN}/10/{'L' * 21}", "", "Lot code is too long: at most {max} characters", {"ai": "10", "max": 20}),
        (f"/01/{GTIN}/10/L%C3%B401", "", "Lot code cannot contain {char}", {"ai": "10", "char": "ô"}),
        (f"/01/{GTIN}", "17=261340", "({ai}) is not a valid date (YYMMDD): {value}", {"ai": "17", "value": "261340"}),
        (f"/01/{GTIN}", "10=L1", "({ai}) belongs in the path, not the query", {"ai": "10"}),
        (f"/01/{GTIN}/99/X", "", "({ai}) is not a qualifier of a GTIN", {"ai": "99"}),
        (f"/01/{GTIN}/89/X", "", "Unknown AI ({ai})", {"ai": "89"}),
        (f"/01/{GTIN} ", "", "The link cannot contain {char}", {"char": "U+0020"}),
        ("/products/123", "", "No GS1 key found", {}),
    ],
)
def test_syntax_errors_say_why(path: str, query: str, message: str, params: dict[str, Any]) -> None:
    with pytest.raises(Gs1SyntaxError) as caught:
        parse_path(path, query)
    assert caught.value.message.startswith(message)
    assert caught.value.params == params


def test_direct_construction_validates_too() -> None:
    with pytest.raises(InvalidInput, match="14 digits"):
        DigitalLink("8934588012341")
    with pytest.raises(InvalidInput, match="235"):
        DigitalLink(GTIN, lot="L1", tpx="T1")


def test_dates_outside_gs1_century_window_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        DigitalLink.build(GTIN, expiry=date(2099, 1, 1))
    assert caught.value.field == "expiry"


def test_element_strings_for_gs1_128() -> None:
    link = DigitalLink.build(GTIN, lot="L01", expiry=date(2026, 12, 31))
    assert link.to_hri() == f"(01){GTIN}(10)L01(17)261231"
    assert link.to_element_string() == f"^01{GTIN}10L01^17261231"
    assert from_element_string(link.to_hri()) == link


def test_bracketed_value_may_hold_an_escaped_parenthesis() -> None:
    assert from_element_string(f"(01){GTIN}(10)A\\(1)B").lot == "A(1)B"


cset_82_values = st.text(alphabet=sorted(CSET_82), min_size=1, max_size=20)


@given(lot=cset_82_values, serial=cset_82_values)
def test_any_valid_lot_and_serial_survive_a_round_trip(lot: str, serial: str) -> None:
    link = DigitalLink(GTIN, lot=lot, serial=serial)
    assert parse_uri(link.to_uri(BASE)) == link
