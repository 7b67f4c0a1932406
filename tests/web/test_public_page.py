"""The public page a consumer sees after scanning: what Circular 02/2024 asks, only public batches, the recall
banner, derived certificate statuses, languages, weight, and helpful pages for unknown or malformed codes."""

import gzip
import itertools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.requests import Request

import trace.db
from tests import factories
from trace import batches, certifications, events, gs1, labelruns, products
from trace.batches import Batch, BatchIn, BatchInputIn
from trace.certifications import Certification, CertificationIn, CertKind, ChangeKind, RenewalIn
from trace.db import VIETNAM_TIME, vietnam_today
from trace.events import BizStep, EventIn
from trace.labelruns import LabelRunIn
from trace.products import OcopGroup, Product, ProductIn
from web.compression import Deflated, html_response

BASE = "https://trace.example.vn"  # the test settings' public_base_url
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
_numbers = itertools.count(1)


def new_gtin() -> str:
    body = f"893609{next(_numbers):06d}"
    return "0" + body + str(gs1.gtin_check_digit(body))


@dataclass
class Showcase:
    """A published batch with everything the page shows: certificates with a history and a revocation, an input
    batch one step back, events with a correction, a photo and a product image, and unit serials."""

    owner: factories.Producer
    product: Product
    batch: Batch
    input_batch: Batch
    vietgap: Certification
    serials: list[str]

    @property
    def path(self) -> str:
        return f"/01/{self.product.gtin}/10/{self.batch.lot_code}"

    def unit_path(self, index: int = 0) -> str:
        return f"{self.path}/21/{self.serials[index]}"


def showcase(db: Session, lot: str = "HD-2610") -> Showcase:
    today = vietnam_today()
    owner = factories.producer(db, commune="Trùng Khánh")
    caller = owner.caller
    product = products.create(
        db,
        caller,
        ProductIn(
            name_vi="Hạt dẻ Trùng Khánh",
            name_en="Trung Khanh chestnuts",
            description="Hạt dẻ chỉ dẫn địa lý Trùng Khánh, bùi và thơm.",
            ocop_group=OcopGroup.FOOD,
            gtin=new_gtin(),
            brand="Dẻ Non Nước",
            standards="TCVN 12426:2018",
            unit="túi",
            net_quantity=Decimal(1),
            net_quantity_unit="kg",
            shelf_life_days=90,
        ),
    )
    products.add_image(db, caller, product.id, "ab/product.jpg", "image/jpeg")
    raw = products.create(db, caller, ProductIn(name_vi="Hạt dẻ tươi", unit="kg"))
    input_batch = batches.create(
        db, caller, BatchIn(product_id=raw.id, lot_code=f"R-{lot}", production_date=today - timedelta(days=60))
    )
    batches.publish(db, caller, input_batch.id)

    def cert(**kw: object) -> Certification:
        return certifications.create(db, caller, CertificationIn(product_id=product.id, **kw))  # type: ignore[arg-type]

    ubnd = "UBND tỉnh Cao Bằng"
    old_ocop = cert(kind=CertKind.OCOP, number="1520/QĐ-UBND", issuer=ubnd, issued_on=today - timedelta(days=1100),
                    ocop_stars=3)  # fmt: skip
    certifications.supersede(
        db,
        caller,
        old_ocop.id,
        RenewalIn(
            kind=CertKind.OCOP,
            number="2011/QĐ-UBND",
            issuer=ubnd,
            issued_on=today - timedelta(days=60),
            ocop_stars=4,
            product_id=product.id,
            change_kind=ChangeKind.RENEWAL,
        ),
    )
    vietgap = cert(kind=CertKind.VIETGAP, number="VietGAP-TT-24-09-0311", issuer="Trung tâm Chứng nhận",
                   issued_on=today - timedelta(days=200))  # fmt: skip
    revoked = cert(kind=CertKind.VIETGAP, number="VietGAP-TT-21-09-0128", issuer="Trung tâm Chứng nhận",
                   issued_on=today - timedelta(days=500))  # fmt: skip
    certifications.revoke(db, factories.ADMIN, revoked.id, "Không duy trì điều kiện sản xuất")
    cert(kind=CertKind.GEOGRAPHICAL_INDICATION, number="00041", issuer="Cục Sở hữu trí tuệ",
         issued_on=date(2013, 3, 14), scope="Chỉ dẫn địa lý “Trùng Khánh” cho sản phẩm hạt dẻ")  # fmt: skip
    cert(kind=CertKind.IN_HOUSE_STANDARD, number="TCCS 01:2019/HD", issuer="HTX", issued_on=date(2019, 1, 2),
         valid_until=date(2022, 1, 2))  # fmt: skip

    batch = batches.create(
        db,
        caller,
        BatchIn(
            product_id=product.id,
            lot_code=lot,
            production_date=today - timedelta(days=50),
            expiry_date=today + timedelta(days=40),
            quantity=Decimal(800),
            quantity_unit="kg",
            origin_name="Đồi dẻ Ngọc Khê",
            origin_commune="Trùng Khánh",
            origin_province="Cao Bằng",
            origin_latitude=22.8325,
            origin_longitude=106.5203,
            growing_area_code="VN-CB-TK-0007",
            inputs=[BatchInputIn(input_batch_id=input_batch.id, quantity=Decimal(900), quantity_unit="kg")],
        ),
    )
    day = today - timedelta(days=52)
    for step, hour, place, text in [
        (BizStep.HARVESTING, 6, "Đồi dẻ Ngọc Khê", "Nhặt hạt dẻ rụng"),
        (BizStep.PROCESSING, 9, "Kho HTX", "Phơi và phân loại"),
        (BizStep.PACKING, 15, "Kho HTX", "Đóng túi 1 kg"),
    ]:
        event = events.add(
            db, caller, batch.id,
            EventIn(biz_step=step, occurred_at=datetime(day.year, day.month, day.day, hour, tzinfo=VIETNAM_TIME),
                    place_name=place, description=text),
        )  # fmt: skip
    events.add_photo(db, caller, event.id, "cd/packing.jpg", "image/jpeg")
    batches.publish(db, caller, batch.id)
    events.add(
        db, caller, batch.id,
        EventIn(biz_step=BizStep.PACKING, occurred_at=datetime(day.year, day.month, day.day, 16, tzinfo=VIETNAM_TIME),
                place_name="Kho HTX", description="Đóng túi 1 kg (sửa giờ)", corrects_id=event.id),
    )  # fmt: skip
    run, _ = labelruns.create(db, caller, batch.id, LabelRunIn(count=3, layout="a4"), f"run-{lot}", BASE)
    db.flush()
    return Showcase(owner, product, batch, input_batch, vietgap, labelruns.serials(db, run))


def text_of(html: str) -> str:
    """The page's words, without markup or the inline style sheet."""
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_batch_page_shows_what_circular_02_asks(db: Session, client: TestClient) -> None:
    s = showcase(db)
    response = client.get(s.path, headers={"accept-language": "en", "user-agent": PHONE})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    words = text_of(html)
    # product, producer (verified, with address and commune), origin and standards
    assert "Hạt dẻ Trùng Khánh" in words and "Trung Khanh chestnuts" in words
    assert s.owner.org.name in words and "Verified by the authority" in words
    assert f"{s.owner.org.address}, Trùng Khánh, Cao Bằng" in words
    assert "Dẻ Non Nước" in words and "TCVN 12426:2018" in words and "90 days" in words
    # OCOP: stars, decision number, issuer, dates; its history shows the earlier decision as replaced
    assert "OCOP 4 stars" in words
    assert "Decision No. 2011/QĐ-UBND · UBND tỉnh Cao Bằng" in words
    assert re.search(r"First issue: 1520/QĐ-UBND .*? Replaced", words)
    # every other certification with its derived status
    found = re.findall(r'<div class="cert s-(\w+)">\s*<h3>([^<]+)', html)
    statuses = [(kind.strip(), status) for status, kind in found]
    assert statuses == [
        ("OCOP", "valid"),
        ("VietGAP", "valid"),
        ("VietGAP", "revoked"),
        ("Geographical indication", "valid"),
        ("In-house standard (TCCS)", "expired"),
    ]
    assert "VietGAP-TT-21-09-0128" in words and "Không duy trì điều kiện sản xuất" in words
    assert "Geographical indication" in words and "no expiry" in words
    # the batch: lot, dates, origin with geo: and map links (no third-party scripts or tiles)
    assert f"Batch {s.batch.lot_code}" in words
    assert 'href="geo:22.83250,106.52030"' in html
    assert "https://www.openstreetmap.org/?mlat=22.83250&amp;mlon=106.52030" in html
    assert "<script" not in html and "<iframe" not in html
    assert "VN-CB-TK-0007" in words and "Not recalled" in words
    # the timeline, the correction and one step back
    assert words.index("Harvesting") < words.index("Processing") < words.index("Packing")
    assert "Corrects the record of" in words and "Corrected by a later record" in words
    input_url = f"{BASE}/c/{s.input_batch.public_code}"
    assert f'<a href="{input_url}">Hạt dẻ tươi, lot R-HD-2610</a>' in html
    # trace codes: GTIN, lot, the GS1 element string and the link itself
    assert f"(01){s.product.gtin}(10)HD-2610" in words
    assert f"{BASE}{s.path}" in words
    # images are sized and lazy
    for image in re.findall(r"<img [^>]+>", html):
        assert re.search(r'width="\d+" height="\d+" loading="lazy"', image), image


def test_a_draft_batch_answers_like_an_unknown_code(db: Session, client: TestClient) -> None:
    owner = factories.producer(db)
    product = factories.product(db, owner, gtin=new_gtin())
    draft = factories.batch(db, owner, product, publish=False)
    db.flush()
    unknown_gtin = new_gtin()
    for path in (f"/01/{product.gtin}/10/{draft.lot_code}", f"/01/{product.gtin}", f"/c/{draft.public_code}",
                 f"/01/{unknown_gtin}/10/{draft.lot_code}"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 404, path
        words = text_of(response.text)
        assert "Mã này chưa được đăng ký" in words and "Tem có thể là giả." in words, path
        assert product.name_vi not in words, path  # the product is not public: nothing about it leaks


def test_an_unknown_lot_of_a_public_product_names_the_product_and_nothing_of_its_batches(
    db: Session, client: TestClient
) -> None:
    s = showcase(db)
    response = client.get(f"/01/{s.product.gtin}/10/NO-SUCH-LOT", headers={"accept-language": "en"})
    assert response.status_code == 404
    words = text_of(response.text)
    assert f"The product Hạt dẻ Trùng Khánh of {s.owner.org.name} is registered, but not this batch." in words
    assert "The label may be fake." in words
    assert s.batch.lot_code not in words and "Harvesting" not in words
    assert f'href="{BASE}/01/{s.product.gtin}"' in response.text


def test_a_recalled_batch_shows_a_red_banner_at_the_top(db: Session, client: TestClient) -> None:
    s = showcase(db)
    batches.recall(db, factories.ADMIN, s.batch.id, "Phát hiện nấm mốc ở một số túi")
    db.flush()
    html = client.get(s.path).text
    banner = html.index('<section class="recall" id="status" role="alert">')
    assert banner < html.index("<h1>")  # before anything else of the page
    words = text_of(html[banner : html.index("</section>", banner)])
    assert "Lô hàng này đã bị thu hồi" in words
    assert "Phát hiện nấm mốc ở một số túi" in words
    assert f"{datetime.now(UTC).astimezone(VIETNAM_TIME):%d/%m/%Y}" in words
    assert "Không sử dụng sản phẩm này." in words
    # The product-level code (GTIN only) lists the recalled lot for comparison with the package.
    product_page = text_of(client.get(f"/01/{s.product.gtin}").text)
    assert "Một số lô của sản phẩm này đã bị thu hồi" in product_page and "HD-2610" in product_page


def test_a_revocation_shows_at_once(db: Session, client: TestClient) -> None:
    s = showcase(db)
    assert 'class="cert s-valid">\n<h3>VietGAP' in client.get(s.path).text
    certifications.revoke(db, factories.ADMIN, s.vietgap.id, "Vi phạm quy trình")
    db.flush()
    html = client.get(s.path).text
    assert 'class="cert s-valid">\n<h3>VietGAP' not in html
    assert html.count('class="cert s-revoked">\n<h3>VietGAP') == 2
    assert "Vi phạm quy trình" in html


def test_a_certificate_past_its_date_shows_expired_and_one_near_it_expiring(db: Session, client: TestClient) -> None:
    owner = factories.producer(db)
    product = factories.product(db, owner, gtin=new_gtin())
    batch = factories.batch(db, owner, product)
    today = vietnam_today()
    for number, issued in (("A-1", today - timedelta(days=700)), ("B-2", today - timedelta(days=800))):
        certifications.create(
            db, owner.caller,
            CertificationIn(kind=CertKind.VIETGAP, number=number, issuer="TT", issued_on=issued, product_id=product.id),
        )  # fmt: skip
    db.flush()
    words = text_of(client.get(f"/01/{product.gtin}/10/{batch.lot_code}", headers={"accept-language": "en"}).text)
    assert re.search(r"VietGAP Expiring soon No\. A-1", words)
    assert re.search(r"VietGAP Expired No\. B-2", words)


def test_validity_is_judged_by_the_calendar_in_vietnam_on_the_page_and_in_the_api(
    db: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 00:30 in Vietnam, 17:30 UTC of the day before, a certificate valid until that UTC day has expired: the
    public page and the API say so alike, whatever the server's own time zone (the API once read the server's)."""
    day = datetime.now(UTC).date()
    monkeypatch.setattr(trace.db, "utcnow", lambda: datetime.combine(day, time(17, 30), UTC))
    assert vietnam_today() == day + timedelta(days=1)
    owner = factories.producer(db)
    product = factories.product(db, owner, gtin=new_gtin())
    batch = factories.batch(db, owner, product)
    cert = certifications.create(
        db, owner.caller,
        CertificationIn(kind=CertKind.VIETGAP, number="C-9", issuer="TT", issued_on=day - timedelta(days=30),
                        valid_until=day, product_id=product.id),
    )  # fmt: skip
    db.commit()
    words = text_of(client.get(f"/01/{product.gtin}/10/{batch.lot_code}", headers={"accept-language": "en"}).text)
    assert re.search(r"VietGAP Expired No\. C-9", words)
    assert client.get(f"/api/v1/public/certifications/{cert.id}").json()["status"] == "expired"


def test_languages_vietnamese_by_default_english_and_chinese_with_a_visible_switch(
    db: Session, client: TestClient
) -> None:
    s = showcase(db)
    vi = client.get(s.path)
    assert '<html lang="vi">' in vi.text and "Cơ sở sản xuất" in text_of(vi.text)
    for code, name in (("vi", "Tiếng Việt"), ("en", "English"), ("zh", "中文")):
        assert f'<a href="?lang={code}" hreflang="{code}" lang="{code}"' in vi.text and name in vi.text
    zh = client.get(s.path, headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh">' in zh.text
    assert "生产者" in text_of(zh.text) and "此批次" not in text_of(zh.text)
    assert zh.headers["content-language"] == "zh"
    # The switch's choice beats the browser's language and is remembered in a cookie.
    en = client.get(s.path + "?lang=en", headers={"accept-language": "vi"})
    assert '<html lang="en">' in en.text and "Production and business stages" in en.text
    assert "lang=en" in en.headers["set-cookie"]
    again = client.get(s.path, headers={"accept-language": "vi"})
    assert '<html lang="en">' in again.text


def test_a_typical_page_weighs_at_most_14_kb_compressed(db: Session, client: TestClient) -> None:
    s = showcase(db)
    for path in (s.path, s.unit_path()):
        response = client.get(path, headers={"accept-encoding": "gzip", "user-agent": PHONE})
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["vary"] == "Accept, Accept-Language, Accept-Encoding"
        # Unencoded, the page varies as much, each name once.
        plain = client.get(path, headers={"accept-encoding": "identity", "user-agent": PHONE})
        assert "content-encoding" not in plain.headers and plain.headers["vary"] == response.headers["vary"]
        body = response.content  # as httpx has decompressed it
        assert body.count(b'class="cert ') >= 4 and body.count(b'<p class="when">') >= 4
        # What went over the wire: the page as sent, gzipped
        assert response.num_bytes_downloaded == int(response.headers["content-length"]) <= 14 * 1024
        # Compressed, though the scan's own parts (about 400 bytes) go stored (web/compression.py)
        assert response.num_bytes_downloaded < len(body) * 0.55
        plain = client.get(path, headers={"accept-encoding": "identity", "user-agent": PHONE})
        assert "content-encoding" not in plain.headers and plain.num_bytes_downloaded == len(plain.content)
        assert plain.content.count(b'class="cert ') == body.count(b'class="cert ')
        assert b"<script" not in body and b'<link rel="stylesheet"' not in body  # CSS is inline: one round trip
        assert b'<meta name="viewport" content="width=device-width,initial-scale=1">' in body


def test_the_gzipped_page_is_one_valid_gzip_stream_of_the_page(db: Session, client: TestClient) -> None:
    """The kept frame's pieces, compressed once, and the scan's own, compressed each time, make one stream."""
    s = showcase(db)
    for path in (s.path, s.path + "?lang=zh"):
        plain = client.get(path, headers={"accept-encoding": "identity"}).content
        for _ in range(2):  # the frame compressed, then kept
            with client.stream("GET", path, headers={"accept-encoding": "gzip"}) as response:
                raw = b"".join(response.iter_raw())
            assert response.headers["content-encoding"] == "gzip"
            assert gzip.decompress(raw) == plain  # the trailer's CRC-32 and length checked too
    with client.stream("GET", s.unit_path(1), headers={"accept-encoding": "gzip"}) as response:
        page = gzip.decompress(b"".join(response.iter_raw())).decode()
    assert f"(21){s.serials[1]}" in text_of(page) and "</html>" in page


def test_kept_pieces_and_a_scans_own_make_one_gzip_stream() -> None:
    """A scan's own pieces: nothing (a batch has no unit count), a short one and one longer than a stored block
    holds, sent as they are between pieces compressed once and kept."""
    short, long = "<p>Quét lần đầu.</p>", "<dl>" + "<dt>Lô</dt><dd>HD-2610</dd>" * 3000 + "</dl>"
    kept = [Deflated("<html><body>" + "<p>Hạt dẻ Trùng Khánh</p>" * 30), Deflated("<footer></footer></body></html>")]
    request = Request({"type": "http", "headers": [(b"accept-encoding", b"gzip")]})
    response = html_response(request, [kept[0], "", short, long, kept[1]], {})
    assert response.headers["content-encoding"] == "gzip"
    whole = kept[0].data + short.encode() + long.encode() + kept[1].data
    assert gzip.decompress(response.body) == whole
    assert len(long.encode()) > 0xFFFF and short.encode() in response.body
    assert kept[0].data not in response.body  # the kept pieces deflated


def test_unknown_and_malformed_codes_get_a_helpful_page(db: Session, client: TestClient) -> None:
    unknown = client.get(f"/01/{new_gtin()}/10/L1")
    assert unknown.status_code == 404
    assert "Mã này chưa được đăng ký" in unknown.text and "Tem có thể là giả." in unknown.text
    gtin = new_gtin()
    wrong_check_digit = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)
    for path, reason in [
        (f"/01/{wrong_check_digit}/10/L1", f"Số kiểm tra của GTIN sai: đúng ra phải là {gtin[-1]}"),
        (f"/01/{gtin[1:]}/10/L1", "Digital Link ghi GTIN bằng 14 chữ số, không phải 13"),
        (f"/01/{gtin}/21/S1/10/L1", "Định danh (10) sai thứ tự"),
        (f"/01/{gtin}/99/L1", "(99) không phải là định danh bổ sung của GTIN"),
        (f"/01/{gtin}/10/L%C3%A9", "é"),  # outside GS1's CSET 82
        ("/c/NOT-A-CODE", "Mã gồm 12 chữ cái và chữ số"),
    ]:
        response = client.get(path)
        assert response.status_code == 400, path
        words = text_of(response.text)
        assert "Mã này không hợp lệ" in words and reason in words, (path, words)
        assert "<h1>" in response.text and "Traceback" not in response.text
    chinese = client.get(f"/01/{new_gtin()}", headers={"accept-language": "zh"})
    assert chinese.status_code == 404 and "此代码未登记" in chinese.text


def test_an_address_that_leads_nowhere_gets_a_page_in_a_browser_and_json_in_a_program(client: TestClient) -> None:
    browser = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8", "user-agent": PHONE}
    for path in ("/khong-co", "/c", "/media/x.jpg"):  # mistyped, cut short on a label, a photo gone
        r = client.get(path, headers=browser)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), path
        assert '<html lang="vi">' in r.text and '<a href="/">Nhập mã bằng tay</a>' in r.text
    assert "Không có trang nào ở địa chỉ này." in text_of(client.get("/khong-co", headers=browser).text)
    english = client.get("/khong-co", headers={**browser, "accept-language": "en"})
    assert "There is no page at this address." in text_of(english.text)
    assert client.get("/khong-co").json()["message"] == "Không tìm thấy"  # no HTML asked for
    assert client.get("/api/v1/khong-co", headers=browser).json()["error"] == "http"  # the API answers JSON


def test_the_short_route_serves_products_without_a_gtin(db: Session, client: TestClient) -> None:
    owner = factories.producer(db)
    product = factories.product(db, owner)
    batch = factories.batch(db, owner, product)
    db.flush()
    code = batch.public_code
    page = client.get(f"/c/{code}")
    assert page.status_code == 200 and product.name_vi in page.text
    assert product.internal_code in page.text  # the product code stands in for the missing GTIN
    typed = f"{code[:4].lower()}-{code[4:8]}-{code[8:]}".replace("0", "o")
    assert client.get(f"/c/{typed}").status_code == 200  # as a person types it from the label


def test_the_home_page_finds_a_typed_code(db: Session, client: TestClient) -> None:
    s = showcase(db)
    home = client.get("/")
    assert home.status_code == 200 and '<input id="q" name="q"' in home.text
    cases = {
        s.batch.public_code.lower(): f"{BASE}{s.path}",
        s.serials[1]: f"{BASE}{s.unit_path(1)}",
        " ".join(s.product.gtin[1:][i : i + 4] for i in range(0, 13, 4)): f"{BASE}/01/{s.product.gtin}",
        f"(01){s.product.gtin}(10){s.batch.lot_code}": f"{BASE}{s.path}",
        f"https://id.gs1.org{s.path}": f"{BASE}{s.path}",
        f"{BASE}/c/{s.input_batch.public_code}": f"{BASE}/c/{s.input_batch.public_code}",
        "ZZZZZZZZZZZZ": f"{BASE}/c/ZZZZZZZZZZZZ",  # answers that it is not registered
    }
    for typed, target in cases.items():
        response = client.get("/", params={"q": typed}, follow_redirects=False)
        assert response.status_code == 303, typed
        assert response.headers["location"] == target, typed
    wrong = client.get("/", params={"q": "hàng thật 100%"}, headers={"accept-language": "en"})
    assert wrong.status_code == 400
    assert 'value="hàng thật 100%"' in wrong.text  # what the user typed stays in the field
    assert re.search(r'aria-describedby="q-error">\s*<p class="err" id="q-error">This is not a code', wrong.text)
    gtin13 = s.product.gtin[1:]
    wrong = gtin13[:-1] + str((int(gtin13[-1]) + 1) % 10)
    bad_digits = client.get("/", params={"q": wrong}, headers={"accept-language": "en"})
    assert bad_digits.status_code == 400
    assert f"GTIN check digit is wrong: expected {gtin13[-1]}" in bad_digits.text
