"""Bulk import of products and batches from a spreadsheet (CSV or XLSX), all or nothing.

One table, one record a row: the column "Loại dòng" says whether the row is a product (SP) or a batch (LÔ). A batch
names its product by GTIN, by our internal code, or by the "Mã tham chiếu" a product row of the same file gives
itself (a product without GTIN has no other name before it is created). Every row goes through the same input
models as the API (ProductIn, BatchIn); then the rules across rows and against the database (GTIN and lot codes
free, products the caller may write). Any problem: a report of every one, by row and column, and nothing written.

Text may come as UTF-8 (with or without BOM), UTF-16 or Windows-1258, the Vietnamese code page, whose tone marks
decode as combining characters (hence NFC). The legacy font encodings TCVN3 (ABC) and VNI are not text encodings
a program can tell apart from Windows-1252 reliably: not supported; TCVN3 is recognised and refused with advice.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import charset_normalizer
import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from trace import audit, batches, products
from trace.access import Caller, target_org
from trace.batches import Batch, BatchIn, BatchStatus
from trace.db import utcnow
from trace.errors import DomainError, InvalidInput
from trace.organizations import get_writable
from trace.products import OcopGroup, Product, ProductIn
from trace.text import fold, nfc

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
# An XLSX is a zip: refuse one that would inflate past this before any XML is parsed.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_SHEET = "Dữ liệu"
GUIDE_SHEET = "Hướng dẫn"


def N_(message: str) -> str:
    """Marks a message id for extraction; the web layer translates it."""
    return message


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    rows: str  # "SP", "LÔ" or "SP, LÔ": which kind of row fills it
    required: bool
    help_vi: str
    help_en: str
    example: str = ""


COLUMNS = (
    Column(
        "kind", "Loại dòng", "SP, LÔ", True, "SP: một sản phẩm; LÔ: một lô hàng", "SP: a product; LÔ: a batch", "SP"
    ),
    Column(
        "ref",
        "Mã tham chiếu",
        "SP",
        False,
        "Tên gọi tắt để các dòng LÔ trong cùng tệp trỏ tới sản phẩm chưa có GTIN",
        "A short name by which batch rows of the same file refer to a product without GTIN",
        "MIEN-500",
    ),
    Column("name_vi", "Tên sản phẩm", "SP", True, "Tên tiếng Việt", "Name in Vietnamese", "Miến dong Phia Đén"),
    Column("name_en", "Tên tiếng Anh", "SP", False, "Tên tiếng Anh", "Name in English", "Arrowroot vermicelli"),
    Column("description", "Mô tả", "SP", False, "Mô tả sản phẩm", "Description", ""),
    Column(
        "ocop_group",
        "Nhóm sản phẩm OCOP",
        "SP",
        False,
        "Thực phẩm, Đồ uống, Thảo dược, Thủ công mỹ nghệ, Sinh vật cảnh hoặc Du lịch cộng đồng",
        "Food, drinks, herbal, handicrafts, ornamental or community tourism",
        "Thực phẩm",
    ),
    Column("gtin", "GTIN", "SP", False, "Mã vạch 8, 12, 13 hoặc 14 chữ số", "GTIN-8, -12, -13 or -14", "8936010000124"),
    Column("brand", "Nhãn hiệu", "SP", False, "Nhãn hiệu", "Brand", "Phia Đén"),
    Column("standards", "Tiêu chuẩn áp dụng", "SP", False, "TCVN, QCVN, TCCS...", "Standards applied", "TCCS 01:2023"),
    Column("unit", "Đơn vị tính", "SP", False, "Mặc định: cái", "Unit of sale (default: cái)", "gói"),
    Column(
        "net_quantity", "Khối lượng tịnh", "SP", False, "Số, dấu phẩy hoặc dấu chấm thập phân", "Net quantity", "500"
    ),
    Column(
        "net_quantity_unit",
        "Đơn vị khối lượng tịnh",
        "SP",
        False,
        ", ".join(products.NET_UNITS),
        "Unit of the net quantity",
        "g",
    ),
    Column("shelf_life_days", "Hạn sử dụng (ngày)", "SP", False, "Số ngày, 1 đến 3650", "Shelf life in days", "365"),
    Column(
        "product",
        "Sản phẩm của lô",
        "LÔ",
        True,
        "GTIN, mã nội bộ (P...) hoặc Mã tham chiếu của một dòng SP",
        "The product: GTIN, internal code (P...) or the reference of a product row",
        "MIEN-500",
    ),
    Column("lot_code", "Số lô", "LÔ", True, "Chữ không dấu, số và -./, tối đa 20 ký tự", "Lot code", "MD2611A"),
    Column(
        "production_date",
        "Ngày sản xuất",
        "LÔ",
        True,
        "Ngày/tháng/năm hoặc năm-tháng-ngày",
        "Production date, DD/MM/YYYY or YYYY-MM-DD",
        "01/11/2026",
    ),
    Column("expiry_date", "Hạn dùng", "LÔ", False, "Sau ngày sản xuất", "Expiry date", "01/11/2027"),
    Column("quantity", "Số lượng", "LÔ", False, "Số lượng của lô", "Quantity of the batch", "1200"),
    Column("quantity_unit", "Đơn vị số lượng", "LÔ", False, "kg, gói, hộp...", "Unit of the quantity", "gói"),
    Column("origin_name", "Vùng trồng / cơ sở", "LÔ", False, "Nơi trồng hoặc sản xuất", "Farm or workshop", ""),
    Column("origin_commune", "Xã/phường", "LÔ", False, "Xã nơi sản xuất", "Commune of origin", "Nguyên Bình"),
    Column("origin_province", "Tỉnh/thành phố", "LÔ", False, "Tỉnh nơi sản xuất", "Province of origin", "Cao Bằng"),
    Column("origin_latitude", "Vĩ độ", "LÔ", False, "Ví dụ 22.6342", "Latitude", ""),
    Column("origin_longitude", "Kinh độ", "LÔ", False, "Ví dụ 105.8839", "Longitude", ""),
    Column("growing_area_code", "Mã số vùng trồng", "LÔ", False, "Nếu có", "Growing-area code, if any", ""),
)
BY_KEY = {c.key: c for c in COLUMNS}
PRODUCT_FIELDS = [c.key for c in COLUMNS if c.rows == "SP" and c.key != "ref"]
BATCH_FIELDS = [c.key for c in COLUMNS if c.rows == "LÔ" and c.key != "product"]
DATE_FIELDS = frozenset({"production_date", "expiry_date"})
KINDS = {"sp": "SP", "san pham": "SP", "product": "SP", "lo": "LÔ", "lo hang": "LÔ", "batch": "LÔ"}
OCOP_GROUPS = {
    "thuc pham": OcopGroup.FOOD,
    "do uong": OcopGroup.DRINKS,
    "thao duoc": OcopGroup.HERBAL,
    "thu cong my nghe": OcopGroup.HANDICRAFTS,
    "sinh vat canh": OcopGroup.ORNAMENTAL,
    "du lich cong dong": OcopGroup.TOURISM,
    "dich vu du lich cong dong": OcopGroup.TOURISM,
    **{fold(g.value): g for g in OcopGroup},
}
# Windows-1252 renderings of TCVN3 (ABC) bytes for common Vietnamese letters: "¸" is TCVN3's á, "µ" à, ...
_TCVN3_MARKS = frozenset("¸µ¶·¹¨©®ª«¬")


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong: row as the spreadsheet numbers it (the header is row 1), the column's header, and either a
    message id with its parameters or a pydantic error (translated by the web layer like any field error)."""

    row: int
    column: str | None
    message: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    pydantic_error: dict[str, Any] | None = None


class InvalidFile(InvalidInput):
    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(N_("The file has errors; nothing was imported"), field="file")
        self.problems = sorted(problems, key=lambda p: p.row)[:1000]


@dataclass
class ImportResult:
    product_ids: list[int]
    batch_ids: list[int]
    dry_run: bool


# --- reading ------------------------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """Bytes of a CSV → NFC text: a BOM decides; else UTF-8 if it decodes; else UTF-16 or Windows-1258 as
    charset-normalizer judges (it weighs how plausible the text is, so a UTF-16 file without BOM is found)."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return nfc(data.decode(codec))
            except UnicodeDecodeError as exc:
                raise InvalidInput("Could not read the text of the file: save it as CSV UTF-8", field="file") from exc
    try:
        return nfc(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data, cp_isolation=["utf_16_le", "utf_16_be", "cp1258"]).best()
    if best is None:
        raise InvalidInput("Could not read the text of the file: save it as CSV UTF-8", field="file")
    text = nfc(str(best))
    if best.encoding == "cp1258" and sum(ch in _TCVN3_MARKS for ch in text) >= 3:
        raise InvalidInput(
            "The file looks like TCVN3 (ABC) or VNI, old font encodings: save it as CSV UTF-8", field="file"
        )
    return text


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise InvalidInput("The file is too large once unpacked", field="file")
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except InvalidInput:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign file; all mean the same here
        raise InvalidInput("The file is not a valid XLSX or CSV file", field="file") from exc
    try:
        sheet = book[DATA_SHEET] if DATA_SHEET in book.sheetnames else book.worksheets[0]
        for values in sheet.iter_rows(values_only=True, max_col=len(COLUMNS) + 10):
            yield list(values)
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput("The file is not a valid XLSX or CSV file", field="file") from exc
    finally:
        book.close()


def read_table(data: bytes) -> list[tuple[int, list[Any]]]:
    """(row number, cells) of every row, the header first, from the bytes of an XLSX or CSV file (decided by the
    content, not the name). Bounded in size and rows."""
    if not data:
        raise InvalidInput("The file is empty", field="file")
    if len(data) > MAX_BYTES:
        raise InvalidInput("The file is larger than {mb} MB", field="file", mb=MAX_BYTES // (1024 * 1024))
    rows = _xlsx_rows(data) if data.startswith(b"PK\x03\x04") else _csv_rows(data)
    table = []
    try:
        for number, cells in enumerate(rows, start=1):
            if number > MAX_ROWS + 1:
                raise InvalidInput("At most {max} rows in one file", field="file", max=MAX_ROWS)
            table.append((number, cells))
    except csv.Error as exc:
        raise InvalidInput("The file is not a valid XLSX or CSV file", field="file") from exc
    return table


# --- cells → input models -----------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a GTIN or a count typed into a number cell
    text = nfc(str(value))
    return text or None


def _date(value: Any) -> Any:
    """A date cell as the Day type reads it; text typed the day first it reads itself (trace.text.date_text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return _text(value)


def _cell(key: str, value: Any) -> Any:
    if key in DATE_FIELDS:
        return _date(value)
    if key == "ocop_group":
        text = _text(value)
        return OCOP_GROUPS.get(fold(text), text) if text else None
    return _text(value)


@dataclass
class _Row:
    number: int
    values: dict[str, Any]


@dataclass
class _Plan:
    """What the file would create: valid models, each with its row number."""

    products: list[tuple[int, str | None, ProductIn]] = field(default_factory=list)
    batches: list[tuple[int, str, BatchIn]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def _header(cells: list[Any], problems: list[RowProblem]) -> dict[int, str]:
    # Headers match as written (any case), or without their diacritics when that is still unambiguous.
    exact = {c.header.casefold(): c.key for c in COLUMNS} | {c.key: c.key for c in COLUMNS}
    folded: dict[str, str | None] = {}
    for column in COLUMNS:
        folded[fold(column.header)] = None if fold(column.header) in folded else column.key
    mapping: dict[int, str] = {}
    for index, cell in enumerate(cells):
        title = _text(cell)
        if title is None:
            continue
        key = exact.get(title.casefold()) or folded.get(fold(title))
        if key is None:
            problems.append(RowProblem(1, title, N_("Unknown column")))
        elif key in mapping.values():
            problems.append(RowProblem(1, title, N_("This column appears twice")))
        else:
            mapping[index] = key
    if "kind" not in mapping.values():
        problems.append(RowProblem(1, BY_KEY["kind"].header, N_("Missing required column")))
    return mapping


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _rows(table: list[tuple[int, list[Any]]], mapping: dict[int, str]) -> Iterator[_Row]:
    for number, cells in table[1:]:
        values = {mapping[i]: c for i, c in enumerate(cells) if i in mapping and not _blank(c)}
        if not values and all(_blank(c) for c in cells):
            continue
        if cells and isinstance(cells[0], str) and cells[0].lstrip().startswith("#"):  # a note row, the template's
            continue  # or the user's own
        yield _Row(number, values)


def _model_problems(row: int, exc: ValidationError, headers: dict[str, str]) -> list[RowProblem]:
    out = []
    for err in exc.errors():
        key = str(err["loc"][0]) if err.get("loc") else None
        error = (err.get("ctx") or {}).get("error")
        column = headers.get(key or "") or (BY_KEY[key].header if key in BY_KEY else None)
        if isinstance(error, DomainError) and error.field and key is None:
            column = headers.get(error.field) or (BY_KEY[error.field].header if error.field in BY_KEY else None)
        out.append(RowProblem(row, column, pydantic_error=dict(err)))
    return out


def _validate_rows(rows: Iterable[_Row], headers: dict[str, str], plan: _Plan) -> None:
    for row in rows:
        kind = KINDS.get(fold(_text(row.values.get("kind")) or ""))
        if kind is None:
            plan.problems.append(
                RowProblem(row.number, headers["kind"], N_("Write SP for a product or LÔ for a batch"))
            )
            continue
        if kind == "SP":
            own, other = PRODUCT_FIELDS, [*BATCH_FIELDS, "product"]
        else:
            own, other = BATCH_FIELDS, [*PRODUCT_FIELDS, "ref"]
        stray = [key for key in other if key in row.values]
        for key in stray:
            plan.problems.append(
                RowProblem(row.number, headers[key], N_("This column is not for {kind} rows"), {"kind": kind})
            )
        data = {key: _cell(key, row.values[key]) for key in own if key in row.values}
        try:
            if kind == "SP":
                plan.products.append((row.number, _text(row.values.get("ref")), ProductIn.model_validate(data)))
            else:
                reference = _text(row.values.get("product"))
                if reference is None:
                    column = headers.get("product", BY_KEY["product"].header)
                    plan.problems.append(RowProblem(row.number, column, N_("This field is required")))
                    BatchIn.model_validate({**data, "product_id": 1})  # still report the row's other errors
                    continue
                plan.batches.append((row.number, reference, BatchIn.model_validate({**data, "product_id": 1})))
        except ValidationError as exc:
            plan.problems.extend(_model_problems(row.number, exc, headers))


def _chunks(values: list[Any], size: int = 5000) -> Iterator[list[Any]]:
    """Keeps every IN (...) under SQLite's limit of bound parameters."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _in_file(reference: str, refs: dict[str, int]) -> int | None:
    """The product row a batch names: by its reference, or by its GTIN written with 8 to 14 digits."""
    found = refs.get(reference)
    return found if found is not None else refs.get(_gtin_key(reference) or "")


def _gtin_key(reference: str) -> str | None:
    digits = reference.replace(" ", "")
    if digits.isascii() and digits.isdigit() and len(digits) in (8, 12, 13, 14):
        return digits.zfill(14)
    return None


Targets = dict[int, int | Product]  # batch row → index of a product row of the file, or an existing product


def plan_import(session: Session, organization_id: int, table: list[tuple[int, list[Any]]]) -> tuple[_Plan, Targets]:
    """Check every row, then the rules across rows and against the database. Writes nothing."""
    plan = _Plan()
    if not table:
        raise InvalidInput("The file is empty", field="file")
    mapping = _header(table[0][1], plan.problems)
    headers = {key: _text(table[0][1][index]) or BY_KEY[key].header for index, key in mapping.items()}
    headers |= {c.key: c.header for c in COLUMNS if c.key not in headers}
    if plan.problems:
        return plan, {}
    _validate_rows(_rows(table, mapping), headers, plan)

    # Products: GTINs and references unique in the file, GTINs free in the database.
    gtins = [p.gtin for _, _, p in plan.products if p.gtin]
    taken = {
        g for chunk in _chunks(gtins) for g in session.scalars(select(Product.gtin).where(Product.gtin.in_(chunk)))
    }
    seen_gtins: set[str] = set()
    refs: dict[str, int] = {}  # reference → index into plan.products
    for index, (row, ref, product) in enumerate(plan.products):
        if product.gtin in taken:
            plan.problems.append(
                RowProblem(row, headers["gtin"], N_("This GTIN is already registered to another product"))
            )
        elif product.gtin and product.gtin in seen_gtins:
            plan.problems.append(RowProblem(row, headers["gtin"], N_("This GTIN appears twice in the file")))
        if product.gtin:
            seen_gtins.add(product.gtin)
            refs.setdefault(product.gtin, index)
        if ref:
            if ref in refs and refs[ref] != index:
                plan.problems.append(RowProblem(row, headers["ref"], N_("This reference appears twice in the file")))
            refs[ref] = index

    # Batches: their product (in the file, or the organization's own), lot codes free.
    # A reference with a NUL names nothing (and PostgreSQL refuses NUL in a parameter).
    wanted = sorted(
        {
            key
            for _, r, _ in plan.batches
            if _in_file(r, refs) is None
            for key in (r, _gtin_key(r))
            if key and "\x00" not in key
        }
    )
    existing: dict[str, Product] = {}
    for chunk in _chunks(wanted):
        for product in session.scalars(
            select(Product).where(
                Product.organization_id == organization_id,
                Product.internal_code.in_(chunk) | Product.gtin.in_(chunk),
            )
        ):
            existing[product.internal_code] = product
            if product.gtin:
                existing[product.gtin] = product
    product_ids = sorted({p.id for p in existing.values()})
    lots_in_db = {
        (product_id, lot)
        for chunk in _chunks(product_ids)
        for product_id, lot in session.execute(
            select(Batch.product_id, Batch.lot_code).where(Batch.product_id.in_(chunk))
        )
    }
    targets: Targets = {}
    seen_lots: set[tuple[object, str]] = set()
    for row, reference, batch in plan.batches:
        target: int | Product | None = _in_file(reference, refs)
        if target is None:
            target = existing.get(reference) or existing.get(_gtin_key(reference) or "")
        if target is None:
            plan.problems.append(
                RowProblem(
                    row,
                    headers["product"],
                    N_("No product with this GTIN, code or reference: {value}"),
                    {"value": reference},
                )
            )
            continue
        key = target.id if isinstance(target, Product) else f"row-{target}"
        if isinstance(target, Product) and (target.id, batch.lot_code) in lots_in_db:
            plan.problems.append(
                RowProblem(row, headers["lot_code"], N_("This product already has a batch with this lot code"))
            )
        elif (key, batch.lot_code) in seen_lots:
            plan.problems.append(
                RowProblem(row, headers["lot_code"], N_("This lot code appears twice for the product in the file"))
            )
        seen_lots.add((key, batch.lot_code))
        targets[row] = target
    return plan, targets


def run(
    session: Session, caller: Caller, data: bytes, organization_id: int | None = None, dry_run: bool = False
) -> ImportResult:
    """Import a file for one producer (the caller's own, or the one an admin or a traceability point names)."""
    org = get_writable(session, caller, target_org(caller, organization_id))
    table = read_table(data)
    plan, targets = plan_import(session, org.id, table)
    if plan.problems:
        raise InvalidFile(plan.problems)
    if not plan.products and not plan.batches:
        raise InvalidInput("The file holds no product or batch row", field="file")
    if dry_run:
        return ImportResult([], [], dry_run=True)

    # Rows go in by executemany and their ids are read back by their unique codes: through the ORM every INSERT
    # would return its id (INSERT ... RETURNING of a thousand rows a statement), which psycopg must parse as a
    # 600 kB query, so on PostgreSQL it cost more than everything else together.
    product_rows = [
        {
            **p.model_dump(exclude={"organization_id"}),
            "organization_id": org.id,
            "internal_code": products._new_internal_code(),
            "name_search": fold(p.name_vi),
        }
        for _, _, p in plan.products
    ]
    product_ids = _insert(session, Product, Product.internal_code, product_rows, "internal_code")
    batch_rows = []
    for row, _, b in plan.batches:
        target = targets[row]
        batch_rows.append(
            {
                **b.model_dump(exclude={"inputs", "product_id"}),
                "product_id": target.id if isinstance(target, Product) else product_ids[target],
                "organization_id": org.id,
                "public_code": batches._new_public_code(),
                "status": BatchStatus.DRAFT,
            }
        )
    batch_ids = _insert(session, Batch, Batch.public_code, batch_rows, "public_code")
    # The entries audit.record writes, one per record created.
    actor = {
        "actor_user_id": caller.user_id,
        "actor_token_id": caller.token_id,
        "actor_role": caller.role.value,
        "trace_point_id": caller.trace_point_id,
        "on_behalf_of_org_id": org.id,
        "at": utcnow(),
    }
    entries = [
        {**actor, "action": "product.create", "entity": "product", "entity_id": i, "details": {"source": "import"}}
        for i in product_ids
    ] + [
        {
            **actor,
            "action": "batch.create",
            "entity": "batch",
            "entity_id": i,
            "details": {"lot": r["lot_code"], "source": "import"},
        }
        for i, r in zip(batch_ids, batch_rows, strict=True)
    ]
    if entries:
        session.execute(insert(audit.AuditEntry), entries)
    return ImportResult(product_ids, batch_ids, dry_run=False)


def _insert(session: Session, model: Any, code: Any, rows: list[dict[str, Any]], key: str) -> list[int]:
    """Insert the rows; their ids, in order, read back by the unique column ``code`` (``key`` in each row)."""
    if not rows:
        return []
    for chunk in _chunks(rows, 1000):
        session.execute(insert(model), chunk)
    codes = [r[key] for r in rows]
    found = {
        c: i for chunk in _chunks(codes) for c, i in session.execute(select(code, model.id).where(code.in_(chunk)))
    }
    return [found[c] for c in codes]


# --- the template -------------------------------------------------------------------------------------------------

NOTE = (
    "# Dòng này là ghi chú và được bỏ qua. Mỗi dòng là một sản phẩm (Loại dòng = SP) hoặc một lô (LÔ). "
    "Lô trỏ tới sản phẩm bằng GTIN, mã nội bộ hoặc Mã tham chiếu. Lưu tệp dạng CSV UTF-8. "
    "Xem hướng dẫn đầy đủ trong mẫu XLSX."
)


def template_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in COLUMNS])
    writer.writerow([NOTE] + [""] * (len(COLUMNS) - 1))
    # A BOM so that Excel opens the Vietnamese headers as UTF-8.
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    book = openpyxl.Workbook()
    data = book.active
    assert data is not None
    data.title = DATA_SHEET
    data.append([c.header for c in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        cell = data.cell(row=1, column=index)
        cell.font = Font(bold=True)
        data.column_dimensions[get_column_letter(index)].width = max(14, len(column.header) + 4)
    data.freeze_panes = "A2"
    guide = book.create_sheet(GUIDE_SHEET)
    guide.append(["Cột", "Dùng cho dòng", "Bắt buộc", "Giải thích", "Ví dụ", "Column", "Explanation"])
    for column in COLUMNS:
        guide.append(
            [
                column.header,
                column.rows,
                "có" if column.required else "",
                column.help_vi,
                column.example,
                column.key,
                column.help_en,
            ]
        )
    for index, width in enumerate((24, 14, 10, 60, 22, 20, 60), start=1):
        guide.column_dimensions[get_column_letter(index)].width = width
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
