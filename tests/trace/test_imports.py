"""Bulk import from the downloadable template: every row checked by the API's own input models, a report by row and
column in Vietnamese, nothing written unless the whole file is valid, Vietnamese text in the usual encodings."""

import codecs
import csv
import io
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests import factories
from trace import imports
from trace.access import Role
from trace.audit import AuditEntry
from trace.batches import Batch
from trace.fields import Day, Quantity
from trace.products import Product

HEADERS = [c.header for c in imports.COLUMNS]
TONES = "\u0300\u0301\u0303\u0309\u0323"


def row(**values: Any) -> list[Any]:
    return [values.get(c.key, "") for c in imports.COLUMNS]


ROWS = [
    row(
        kind="SP",
        ref="MIEN",
        name_vi="Miến dong Phia Đén",
        ocop_group="Thực phẩm",
        unit="gói",
        net_quantity="0,5",
        net_quantity_unit="kg",
        shelf_life_days="365",
    ),
    row(kind="SP", name_vi="Hạt dẻ Trùng Khánh", gtin="893 6010 000124", unit="kg", ocop_group="food"),
    row(
        kind="LÔ",
        product="MIEN",
        lot_code="MD2611A",
        production_date="01/11/2026",
        expiry_date="2027-11-01",
        quantity="1.200,5",
        quantity_unit="gói",
        origin_commune="Nguyên Bình",
        origin_province="Cao Bằng",
    ),
    row(kind="lô", product="8936010000124", lot_code="HD-01", production_date="15/10/2026"),
    row(
        kind="LO",
        product="08936010000124",
        lot_code="HD-02",
        production_date="2026-10-20",
        origin_latitude="22,83",
        origin_longitude="106,52",
    ),
]


def csv_text(rows: list[list[Any]], headers: list[str] = HEADERS, delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue()


def cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters with their vowel marks precomposed, the tone as a
    combining character (Python's codec has no encoder for that split)."""
    out = b""
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
            vowel = unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in TONES))
            out += vowel.encode("cp1258") + "".join(m for m in marks if m in TONES).encode("cp1258")
    return out


def xlsx(rows: list[list[Any]]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(imports.template_xlsx()))
    sheet = book[imports.DATA_SHEET]
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def owner(db: Session, client: TestClient) -> factories.Producer:
    producer = factories.producer(db)
    db.commit()
    factories.login(client, producer.owner.login)
    return producer


def upload(client: TestClient, data: bytes, name: str = "du-lieu.csv", **params: Any) -> Any:
    return client.post("/api/v1/imports", files={"file": (name, data, "application/octet-stream")}, params=params)


def _count(db: Session, model: Any) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_the_templates(client: TestClient) -> None:
    r = client.get("/api/v1/imports/template.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(codecs.BOM_UTF8) and "attachment" in r.headers["content-disposition"]
    header, note = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert header[:3] == ["Loại dòng", "Mã tham chiếu", "Tên sản phẩm"] and note[0].startswith("#")
    r = client.get("/api/v1/imports/template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["Dữ liệu", "Hướng dẫn"]
    assert [c.value for c in book["Dữ liệu"][1]] == HEADERS
    guide = {r[0]: r for r in book["Hướng dẫn"].iter_rows(min_row=2, values_only=True)}
    assert guide["Số lô"][1:3] == ("LÔ", "có") and guide["GTIN"][5] == "gtin"


def test_a_filled_template_imports_products_and_their_batches(client: TestClient, db: Session, owner: Any) -> None:
    existing = factories.product(db, owner)
    db.commit()
    rows = [*ROWS, row(kind="LÔ", product=existing.internal_code, lot_code="OLD-1", production_date=date(2026, 9, 1))]
    r = upload(client, xlsx(rows), "du-lieu.xlsx")
    assert r.status_code == 201, r.text
    assert (r.json()["products"], r.json()["batches"]) == (2, 4)
    db.expire_all()
    mien = db.get(Product, r.json()["product_ids"][0])
    assert mien is not None and mien.name_vi == "Miến dong Phia Đén" and mien.name_search == "mien dong phia den"
    assert (str(mien.net_quantity), mien.ocop_group.value if mien.ocop_group else None) == ("0.500", "food")
    assert mien.organization_id == owner.org.id and mien.internal_code.startswith("P")
    lots = {b.lot_code: b for b in db.scalars(select(Batch).where(Batch.id.in_(r.json()["batch_ids"])))}
    assert lots["MD2611A"].product_id == mien.id and lots["MD2611A"].quantity == 1200.5
    assert lots["MD2611A"].production_date == date(2026, 11, 1) and lots["MD2611A"].expiry_date == date(2027, 11, 1)
    assert lots["HD-01"].product.gtin == "08936010000124" == lots["HD-02"].product.gtin
    assert lots["HD-02"].origin_latitude == pytest.approx(22.83)
    assert lots["OLD-1"].product_id == existing.id and lots["OLD-1"].status.value == "draft"
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.on_behalf_of_org_id == owner.org.id))
    assert sorted(actions).count("batch.create") >= 4


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8"),
        lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
        lambda t: t.encode("utf-16"),  # with its BOM, as Excel's "Unicode text" saves
        lambda t: t.encode("utf-16-le"),
        lambda t: unicodedata.normalize("NFD", t).encode("utf-8"),
        cp1258,
    ],
    ids=["utf-8", "utf-8-bom", "utf-16", "utf-16-le-no-bom", "utf-8-nfd", "windows-1258"],
)
def test_vietnamese_text_in_any_common_encoding(client: TestClient, db: Session, owner: Any, encode: Any) -> None:
    text = csv_text(ROWS, delimiter=";")  # Excel in some locales separates with semicolons
    r = upload(client, encode(text))
    assert r.status_code == 201, r.text
    names = {p.name_vi for p in db.scalars(select(Product).where(Product.id.in_(r.json()["product_ids"])))}
    assert names == {"Miến dong Phia Đén", "Hạt dẻ Trùng Khánh"}
    assert all(unicodedata.is_normalized("NFC", n) for n in names)


def test_legacy_font_encodings_are_refused_with_advice(client: TestClient, owner: Any) -> None:
    tcvn3 = "Lo¹i dßng,Tªn s¶n phÈm\r\nSP,H¹t dÎ Trïng Kh¸nh\r\n".encode("latin-1")  # "Hạt dẻ Trùng Khánh" in TCVN3
    r = upload(client, tcvn3)
    assert r.status_code == 422 and "TCVN3" in r.json()["message"] and r.json()["errors"][0]["field"] == "file"


def test_every_problem_reported_by_row_and_column_and_nothing_written(
    client: TestClient, db: Session, owner: Any
) -> None:
    other = factories.producer(db)
    theirs = factories.product(db, other)
    db.commit()
    rows = [
        row(kind="SP", name_vi="Mật ong", gtin="8936010000125"),  # row 2: check digit
        row(kind="SP", unit="chai"),  # row 3: no name
        row(kind="LÔ", product="KHONG-CO", lot_code="L1", production_date="01/11/2026"),  # row 4
        row(kind="LÔ", product=theirs.internal_code, lot_code="L2", production_date="01/11/2026"),  # row 5
        row(kind="SP", ref="TRA", name_vi="Trà giảo cổ lam"),
        row(kind="LÔ", product="TRA", lot_code="T1", production_date="01/11/2026", expiry_date="01/10/2026"),  # 7
        row(kind="LÔ", product="TRA", lot_code="T2", production_date="31/02/2026"),  # row 8
        row(kind="LÔ", product="TRA", lot_code="T3", production_date="01/11/2026"),
        row(kind="LÔ", product="TRA", lot_code="T3", production_date="02/11/2026"),  # row 10: lot twice
        row(kind="XX"),  # row 11
        row(kind="SP", name_vi="Lạp sườn", lot_code="L9"),  # row 12: a batch column on a product row
    ]
    before = (_count(db, Product), _count(db, Batch), _count(db, AuditEntry))
    r = upload(client, csv_text(rows).encode())
    assert r.status_code == 422
    body = r.json()
    assert body["message"] == "Tệp có lỗi; chưa nhập dữ liệu nào"
    report = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert report[(2, "GTIN")].startswith("Số kiểm tra của GTIN sai")
    assert report[(3, "Tên sản phẩm")] == "Trường này là bắt buộc"
    assert report[(4, "Sản phẩm của lô")] == "Không có sản phẩm nào có GTIN, mã hoặc mã tham chiếu này: KHONG-CO"
    assert report[(5, "Sản phẩm của lô")].startswith("Không có sản phẩm nào")  # another producer's: as if missing
    assert (7, "Hạn dùng") in report and (8, "Ngày sản xuất") in report
    assert report[(10, "Số lô")] == "Số lô này xuất hiện hai lần cho cùng sản phẩm trong tệp"
    assert report[(11, "Loại dòng")] == "Ghi SP cho sản phẩm hoặc LÔ cho lô hàng"
    assert report[(12, "Số lô")] == "Cột này không dùng cho dòng SP"
    assert [e["row"] for e in body["errors"]] == sorted(e["row"] for e in body["errors"])
    assert (_count(db, Product), _count(db, Batch), _count(db, AuditEntry)) == before

    english = client.post(
        "/api/v1/imports", files={"file": ("a.csv", csv_text(rows[:1]).encode())}, headers={"Accept-Language": "en"}
    )
    assert english.json()["errors"][0]["message"].startswith("GTIN check digit is wrong")


def test_clashes_with_the_database_and_headers(client: TestClient, db: Session, owner: Any) -> None:
    mine = factories.product(db, owner, gtin="8936010000124")
    factories.batch(db, owner, mine)  # lot L<n>
    db.commit()
    taken = db.scalar(select(Batch.lot_code).where(Batch.product_id == mine.id))
    rows = [
        row(kind="SP", name_vi="Trùng GTIN", gtin="8936010000124"),
        row(kind="LÔ", product=mine.internal_code, lot_code=taken, production_date="01/11/2026"),
    ]
    report = {(e["row"], e["column"]): e["message"] for e in upload(client, csv_text(rows).encode()).json()["errors"]}
    assert report == {
        (2, "GTIN"): "GTIN này đã được đăng ký cho sản phẩm khác",
        (3, "Số lô"): "Sản phẩm này đã có lô mang mã lô này",
    }
    r = upload(client, csv_text(ROWS, headers=[*HEADERS[:-1], "Cột lạ"]).encode())
    assert [(e["row"], e["column"], e["message"]) for e in r.json()["errors"]] == [(1, "Cột lạ", "Cột không xác định")]


def test_english_field_names_work_as_headers(client: TestClient, owner: Any) -> None:
    text = "kind,name_vi,unit\r\nSP,Thạch đen,hộp\r\n"
    assert upload(client, text.encode()).json()["products"] == 1


def test_dry_run_checks_and_writes_nothing(client: TestClient, db: Session, owner: Any) -> None:
    before = _count(db, Product)
    r = upload(client, csv_text(ROWS).encode(), dry_run="true")
    assert r.status_code == 200 and r.json() == {
        "dry_run": True,
        "products": 0,
        "batches": 0,
        "product_ids": [],
        "batch_ids": [],
    }
    assert _count(db, Product) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Tệp rỗng"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "Không đọc được chữ trong tệp"),
        (b"PK\x03\x04 broken zip", "Tệp không phải tệp XLSX hay CSV hợp lệ"),
        (b"kind\r\n" + b"SP\r\n" * (imports.MAX_ROWS + 1), "Tối đa 20000 dòng"),
        (b"kind,name_vi\r\n# only a comment\r\n", "Tệp không có dòng sản phẩm hay lô nào"),
        (b"x" * (imports.MAX_BYTES + 1), "Tệp lớn hơn 10 MB"),
    ],
    ids=["empty", "binary", "broken-xlsx", "too-many-rows", "no-rows", "too-large"],
)
def test_files_that_are_not_imports(client: TestClient, owner: Any, data: bytes, message: str) -> None:
    r = upload(client, data)
    assert r.status_code == 422
    assert r.json()["message"].startswith(message) or r.json()["errors"][0]["message"].startswith(message)


def test_who_imports_for_whom(client: TestClient, db: Session) -> None:
    near = factories.producer(db, commune="Trùng Khánh")
    far = factories.producer(db, commune="Bảo Lạc")
    point = factories.trace_point(db, ("Trùng Khánh",))
    operator = factories.user(db, Role.POINT_OPERATOR, trace_point_id=point.id)
    authority = factories.user(db, Role.AUTHORITY)
    db.commit()
    data = csv_text(ROWS[:1]).encode()
    factories.login(client, operator.login)
    assert upload(client, data).status_code == 422  # which producer?
    assert upload(client, data, organization_id=far.org.id).status_code == 404
    r = upload(client, data, organization_id=near.org.id)
    assert r.status_code == 201
    assert db.get(Product, r.json()["product_ids"][0]).organization_id == near.org.id  # type: ignore[union-attr]
    factories.login(client, authority.login)
    assert upload(client, data, organization_id=near.org.id).status_code == 403


def test_dates_and_numbers_as_excel_stores_them() -> None:
    assert imports._cell("production_date", datetime(2026, 11, 1, 0, 0)) == date(2026, 11, 1)
    assert TypeAdapter(Day).validate_python(imports._cell("production_date", "1.11.2026")) == date(2026, 11, 1)
    assert imports._cell("gtin", 8936010000124.0) == "8936010000124"
    # A number cell typed as text the Vietnamese way is read by the field type, as in a form (trace.text.decimal_text)
    assert TypeAdapter(Quantity).validate_python(imports._cell("quantity", "1 200,5")) == Decimal("1200.5")
    with pytest.raises(ValidationError):  # refused, naming the column
        TypeAdapter(Quantity).validate_python(imports._cell("quantity", "12,5 kg"))
