import io
import re

import pytest
import qrcode
import qrcode.util

from labels.content import LabelContent
from labels.layouts import LAYOUTS
from labels.zpl import qr_version, render_zpl
from tests.labels.samples import content, serialized


def zpl(labels: list[LabelContent], layout_name: str = "thermal-50x30", dpi: int = 203) -> str:
    out = io.BytesIO()
    assert render_zpl(labels, LAYOUTS[layout_name], out, dpi=dpi) == len(labels)
    return out.getvalue().decode("utf-8")


def magnification(text: str) -> int:
    found = re.search(r"\^BQN,2,(\d+),M", text)
    assert found, text
    return int(found.group(1))


def test_one_format_a_label_with_the_printer_drawing_the_qr_code() -> None:
    labels = serialized(3)
    text = zpl(labels)
    assert text.count("^XA") == text.count("^XZ") == 3
    assert text.count("^CI28") == 3
    for label in labels:
        data = label.qr_data
        assert f"^BQN,2,4,M^FH^FDMM,B{len(data):04d}{data}^FS" in text  # error correction M, manual byte mode


def test_vietnamese_text_goes_through_as_utf8() -> None:
    text = zpl([content(product_name="Hạt dẻ ướp", producer_name="HTX Đức Thông")])
    assert "^FDHạt dẻ ướp^FS" in text
    assert "^FDHTX Đức Thông^FS" in text
    assert "^FDLô: LOT1^FS" in text
    assert "^FDHSD: 31/08/2026^FS" in text


def test_the_label_size_and_module_size_follow_the_dpi() -> None:
    at_203, at_300 = zpl([content()], dpi=203), zpl([content()], dpi=300)
    assert "^PW400" in at_203 and "^LL240" in at_203  # 50 x 30 mm at 8 dots/mm
    assert "^PW591" in at_300 and "^LL354" in at_300
    # the same physical module size, about 0.5 mm, on both printers
    assert magnification(at_203) == 4 and magnification(at_300) == 6
    assert magnification(zpl([content()], "thermal-40x30", 203)) == 3


def test_zpl_control_characters_in_data_are_escaped() -> None:
    text = zpl([content(product_name="A^XZ~JA_B", qr_data="https://trace.example.vn/01/08930000000019/21/A~B_C")])
    assert "^FDA_5EXZ_7EJA_5FB^FS" in text
    assert "^FDMM,B0051https://trace.example.vn/01/08930000000019/21/A_7EB_5FC^FS" in text
    assert text.count("^XZ") == 1


def test_sheets_are_not_for_zpl() -> None:
    with pytest.raises(ValueError, match="thermal layout"):
        render_zpl([content()], LAYOUTS["a4-3x8"], io.BytesIO())


def test_only_203_and_300_dpi() -> None:
    with pytest.raises(ValueError, match="600 dpi"):
        render_zpl([content()], LAYOUTS["thermal-50x30"], io.BytesIO(), dpi=600)


def test_qr_versions_agree_with_an_independent_encoder() -> None:
    for length in range(1, 214):
        reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
        reference.add_data(qrcode.util.QRData(b"a" * length, mode=qrcode.util.MODE_8BIT_BYTE))
        assert qr_version(b"a" * length) == reference.best_fit(), length
    with pytest.raises(ValueError, match="too long"):
        qr_version(b"a" * 214)
