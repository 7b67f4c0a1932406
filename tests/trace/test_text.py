"""Vietnamese text is data: NFC, accent-insensitive search, alphabetical order."""

import unicodedata

from trace.text import fold, nfc, sort_key


def test_nfc_joins_decomposed_diacritics() -> None:
    decomposed = unicodedata.normalize("NFD", "Hạt dẻ Trùng Khánh")
    assert decomposed != "Hạt dẻ Trùng Khánh"
    assert nfc(f"  {decomposed} ") == "Hạt dẻ Trùng Khánh"


def test_fold_ignores_tones_and_d_stroke() -> None:
    assert fold("Đông Khê") == fold("dong khe") == "dong khe"
    assert fold("MIẾN DONG") == "mien dong"


def test_vietnamese_alphabetical_order() -> None:
    words = ["Đông Khê", "Bảo Lạc", "Ăn", "An", "Âu", "Dẻ", "Ba"]
    assert sorted(words, key=sort_key) == ["An", "Ăn", "Âu", "Ba", "Bảo Lạc", "Dẻ", "Đông Khê"]
