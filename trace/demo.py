"""A realistic Cao Bằng data set for the demo and for manual testing, loaded through the same rules as real input.

Producers, tax codes, GTINs and decision numbers are illustrative (GTINs carry valid check digits under the
Vietnamese prefix 893); communes are the province's post-2025 communes, with the former district as a label."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from trace import batches, certifications, events, gs1, organizations, points, products, users
from trace.access import Caller, Role
from trace.batches import Batch, BatchIn, BatchInputIn
from trace.certifications import CertificationIn, CertKind, ChangeKind, RenewalIn
from trace.db import VIETNAM_TIME, vietnam_today
from trace.events import BizStep, EventIn
from trace.organizations import OrganizationIn, OrgKind, OrgStatus
from trace.points import CommuneIn, TracePointIn
from trace.products import OcopGroup, ProductIn
from trace.users import UserIn

PROVINCE = "Cao Bằng"
DEMO_PASSWORD = "ocop-demo-2026"
SYSTEM = Caller(role=Role.ADMIN, login="demo")


def _gtin(body12: str) -> str:
    return body12 + str(gs1.gtin_check_digit(body12))


@dataclass(frozen=True)
class DemoProducer:
    login: str
    kind: OrgKind
    name: str
    commune: str
    former_district: str
    address: str
    tax_code: str
    lat: float
    lon: float
    verified: bool = True


PRODUCERS = [
    DemoProducer(
        "htx.mien.dong",
        OrgKind.COOPERATIVE,
        "HTX Miến dong Phia Đén",
        "Nguyên Bình",
        "Nguyên Bình",
        "Xóm Phia Đén",
        "4800912345",
        22.6342,
        105.8839,
    ),
    DemoProducer(
        "hat.de.trung.khanh",
        OrgKind.COOPERATIVE,
        "HTX Nông nghiệp Hạt dẻ Trùng Khánh",
        "Trùng Khánh",
        "Trùng Khánh",
        "Tổ 4, thị trấn cũ Trùng Khánh",
        "4800923456",
        22.8325,
        106.5203,
    ),
    DemoProducer(
        "lap.suon.hoa.an",
        OrgKind.HOUSEHOLD,
        "Hộ kinh doanh Nông Thị Hoa",
        "Hòa An",
        "Hòa An",
        "Xóm Nà Mạ",
        "080185001234",
        22.7103,
        106.1778,
    ),
    DemoProducer(
        "thach.den.thach.an",
        OrgKind.COOPERATIVE,
        "HTX Thạch đen Đông Khê",
        "Đông Khê",
        "Thạch An",
        "Khu Phố Cũ",
        "4800934567",
        22.4257,
        106.4386,
    ),
    DemoProducer(
        "tra.giao.co.lam",
        OrgKind.COMPANY,
        "Công ty TNHH Dược liệu Non nước Cao Bằng",
        "Hà Quảng",
        "Hà Quảng",
        "Xóm Cốc Sâu",
        "4800945678",
        22.8917,
        106.1125,
    ),
    DemoProducer(
        "mat.ong.bao.lac",
        OrgKind.COOPERATIVE_GROUP,
        "Tổ hợp tác Mật ong Bảo Lạc",
        "Bảo Lạc",
        "Bảo Lạc",
        "Bản Khuổi Khon",
        "4800956789",
        22.9514,
        105.6781,
    ),
    DemoProducer(
        "le.dong.khe",
        OrgKind.COOPERATIVE,
        "HTX Lê Đông Khê",
        "Đông Khê",
        "Thạch An",
        "Nà Pài",
        "4800967890",
        22.4311,
        106.4410,
    ),
    DemoProducer(
        "banh.cuon.thuc.phan",
        OrgKind.HOUSEHOLD,
        "Hộ kinh doanh Bánh cuốn Bà Ngọc",
        "Thục Phán",
        "Thành phố Cao Bằng",
        "Số 12 phố Vườn Cam",
        "080170005678",
        22.6657,
        106.2579,
    ),
    DemoProducer(
        "quyt.tra.linh",
        OrgKind.COOPERATIVE,
        "HTX Quýt Trà Lĩnh",
        "Trà Lĩnh",
        "Trùng Khánh",
        "Xóm Bản Ruộc",
        "4800978901",
        22.8122,
        106.3198,
    ),
    DemoProducer(
        "ruou.men.la",
        OrgKind.HOUSEHOLD,
        "Hộ kinh doanh Rượu men lá Lý Văn Páo",
        "Tĩnh Túc",
        "Nguyên Bình",
        "Xóm Khuổi Luông",
        "080190009012",
        22.6612,
        105.9271,
    ),
    DemoProducer(
        "huong.phja.thap",
        OrgKind.COOPERATIVE_GROUP,
        "Tổ hợp tác Hương Phja Thắp",
        "Quảng Uyên",
        "Quảng Hòa",
        "Xóm Phja Thắp",
        "4800989012",
        22.6971,
        106.4425,
    ),
    DemoProducer(
        "gao.nep.ha.lang",
        OrgKind.COOPERATIVE,
        "HTX Gạo nếp Pì Pất Hạ Lang",
        "Hạ Lang",
        "Hạ Lang",
        "Xóm Đoỏng Lẹng",
        "4800990123",
        22.7092,
        106.6733,
        verified=False,
    ),
]


def _caller_for(session: Session, login: str) -> Caller:
    user = session.scalar(select(users.User).where(users.User.login == login))
    assert user is not None
    return users.caller_for(user)


def is_loaded(session: Session) -> bool:
    return session.scalar(select(users.User.id).where(users.User.login == "admin")) is not None


def load(session: Session, today: date | None = None) -> list[Batch]:
    """Load the demo once; returns the batches whose public codes the command line prints."""
    today = today or vietnam_today()
    users.create_user(
        session, None, UserIn(login="admin", display_name="Quản trị hệ thống", password=DEMO_PASSWORD, role=Role.ADMIN)
    )
    users.create_user(
        session,
        None,
        UserIn(login="so.khcn", display_name="Sở KH&CN Cao Bằng", password=DEMO_PASSWORD, role=Role.AUTHORITY),
    )
    point = points.create_trace_point(
        session,
        TracePointIn(
            name="Điểm truy xuất cộng đồng xã Trùng Khánh",
            commune="Trùng Khánh",
            province=PROVINCE,
            serves=[CommuneIn(commune=c, province=PROVINCE) for c in ("Đàm Thủy", "Trà Lĩnh")],
        ),
    )
    users.create_user(
        session,
        None,
        UserIn(
            login="diem.trung.khanh",
            display_name="Hoàng Văn Thắng",
            password=DEMO_PASSWORD,
            role=Role.POINT_OPERATOR,
            trace_point_id=point.id,
        ),
    )
    orgs = {}
    for i, p in enumerate(PRODUCERS):
        org = organizations.register(
            session,
            SYSTEM,
            OrganizationIn(
                kind=p.kind,
                name=p.name,
                tax_code=p.tax_code,
                address=p.address,
                commune=p.commune,
                province=PROVINCE,
                former_district=p.former_district,
                latitude=p.lat,
                longitude=p.lon,
                phone=f"0206 3{850100 + i}",
                gs1_company_prefix=f"893{6010 + i:04d}" if p.kind is not OrgKind.HOUSEHOLD else None,
            ),
        )
        if p.verified:
            organizations.set_status(session, SYSTEM, org.id, OrgStatus.VERIFIED, None)
        users.create_user(
            session,
            None,
            UserIn(
                login=p.login,
                display_name=p.name,
                password=DEMO_PASSWORD,
                role=Role.PRODUCER_OWNER,
                organization_id=org.id,
            ),
        )
        orgs[p.login] = org.id

    def product(login: str, **kw: object) -> products.Product:
        return products.create(session, _caller_for(session, login), ProductIn(**kw))  # type: ignore[arg-type]

    mien = product(
        "htx.mien.dong",
        name_vi="Miến dong Phia Đén",
        name_en="Phia Den arrowroot vermicelli",
        description="Miến làm từ tinh bột dong riềng trồng trên đất Nguyên Bình, phơi nắng tự nhiên.",
        ocop_group=OcopGroup.FOOD,
        gtin=_gtin("893601000012"),
        brand="Phia Đén",
        standards="TCCS 01:2023/PĐ",
        unit="gói",
        net_quantity=Decimal("500"),
        net_quantity_unit="g",
        shelf_life_days=365,
    )
    cu_dong = product(
        "htx.mien.dong",
        name_vi="Củ dong riềng tươi",
        ocop_group=OcopGroup.FOOD,
        unit="kg",
        net_quantity=Decimal("1"),
        net_quantity_unit="kg",
        shelf_life_days=20,
    )
    hat_de = product(
        "hat.de.trung.khanh",
        name_vi="Hạt dẻ Trùng Khánh",
        name_en="Trung Khanh chestnuts",
        description="Hạt dẻ chỉ dẫn địa lý Trùng Khánh, bùi và thơm.",
        ocop_group=OcopGroup.FOOD,
        gtin=_gtin("893601100015"),
        unit="túi",
        net_quantity=Decimal("1"),
        net_quantity_unit="kg",
        standards="TCVN 12426:2018",
        shelf_life_days=90,
    )
    lap_suon = product(
        "lap.suon.hoa.an",
        name_vi="Lạp sườn hun khói Hòa An",
        name_en="Hoa An smoked sausage",
        ocop_group=OcopGroup.FOOD,
        unit="gói",
        net_quantity=Decimal("500"),
        net_quantity_unit="g",
        shelf_life_days=180,
        standards="TCCS 02:2024/HA",
    )
    thach = product(
        "thach.den.thach.an",
        name_vi="Thạch đen Đông Khê",
        name_en="Dong Khe black grass jelly",
        ocop_group=OcopGroup.FOOD,
        gtin=_gtin("893601300019"),
        unit="hộp",
        net_quantity=Decimal("250"),
        net_quantity_unit="g",
        shelf_life_days=540,
    )
    tra = product(
        "tra.giao.co.lam",
        name_vi="Trà giảo cổ lam",
        name_en="Jiaogulan herbal tea",
        ocop_group=OcopGroup.HERBAL,
        gtin=_gtin("893601400012"),
        unit="hộp",
        net_quantity=Decimal("100"),
        net_quantity_unit="g",
        shelf_life_days=720,
    )
    mat_ong = product(
        "mat.ong.bao.lac",
        name_vi="Mật ong hoa rừng Bảo Lạc",
        name_en="Bao Lac wild-flower honey",
        ocop_group=OcopGroup.FOOD,
        gtin=_gtin("893601500016"),
        unit="chai",
        net_quantity=Decimal("500"),
        net_quantity_unit="ml",
        shelf_life_days=730,
    )
    le = product(
        "le.dong.khe",
        name_vi="Lê Đông Khê",
        name_en="Dong Khe pear",
        ocop_group=OcopGroup.FOOD,
        unit="kg",
        net_quantity=Decimal("1"),
        net_quantity_unit="kg",
        shelf_life_days=30,
    )
    product("banh.cuon.thuc.phan", name_vi="Bánh cuốn canh Cao Bằng", ocop_group=OcopGroup.FOOD, unit="suất")
    product("quyt.tra.linh", name_vi="Quýt Trà Lĩnh", ocop_group=OcopGroup.FOOD, unit="kg", shelf_life_days=45)
    product(
        "ruou.men.la",
        name_vi="Rượu men lá Tĩnh Túc",
        ocop_group=OcopGroup.DRINKS,
        unit="chai",
        net_quantity=Decimal("750"),
        net_quantity_unit="ml",
    )
    product("huong.phja.thap", name_vi="Hương thơm Phja Thắp", ocop_group=OcopGroup.HANDICRAFTS, unit="bó")

    def cert(login: str, **kw: object) -> certifications.Certification:
        return certifications.create(session, _caller_for(session, login), CertificationIn(**kw))  # type: ignore[arg-type]

    ubnd = "UBND tỉnh Cao Bằng"
    ocop_mien = cert(
        "htx.mien.dong",
        kind=CertKind.OCOP,
        number="1520/QĐ-UBND",
        issuer=ubnd,
        issued_on=today - timedelta(days=1100),
        ocop_stars=3,
        product_id=mien.id,
    )
    certifications.supersede(
        session,
        _caller_for(session, "htx.mien.dong"),
        ocop_mien.id,
        RenewalIn(
            kind=CertKind.OCOP,
            number="2011/QĐ-UBND",
            issuer=ubnd,
            issued_on=today - timedelta(days=60),
            ocop_stars=4,
            product_id=mien.id,
            change_kind=ChangeKind.RENEWAL,
        ),
    )
    cert(
        "hat.de.trung.khanh",
        kind=CertKind.OCOP,
        number="1874/QĐ-UBND",
        issuer=ubnd,
        issued_on=today - timedelta(days=400),
        ocop_stars=4,
        product_id=hat_de.id,
    )
    cert(
        "hat.de.trung.khanh",
        kind=CertKind.GEOGRAPHICAL_INDICATION,
        number="00041",
        issuer="Cục Sở hữu trí tuệ",
        issued_on=date(2013, 3, 14),
        product_id=hat_de.id,
        scope="Chỉ dẫn địa lý “Trùng Khánh” cho sản phẩm hạt dẻ",
    )
    cert(
        "hat.de.trung.khanh",
        kind=CertKind.VIETGAP,
        number="VietGAP-TT-21-09-0128",
        issuer="Trung tâm Kiểm nghiệm và Chứng nhận chất lượng nông lâm thủy sản",
        issued_on=today - timedelta(days=800),
        product_id=hat_de.id,
    )
    cert(
        "hat.de.trung.khanh",
        kind=CertKind.VIETGAP,
        number="VietGAP-TT-24-09-0311",
        issuer="Trung tâm Kiểm nghiệm và Chứng nhận chất lượng nông lâm thủy sản",
        issued_on=today - timedelta(days=670),
        product_id=hat_de.id,
    )
    cert(
        "lap.suon.hoa.an",
        kind=CertKind.OCOP,
        number="1874/QĐ-UBND",
        issuer=ubnd,
        issued_on=today - timedelta(days=400),
        ocop_stars=3,
        product_id=lap_suon.id,
    )
    revoked = cert(
        "thach.den.thach.an",
        kind=CertKind.OCOP,
        number="1520/QĐ-UBND",
        issuer=ubnd,
        issued_on=today - timedelta(days=700),
        ocop_stars=3,
        product_id=thach.id,
    )
    certifications.revoke(session, SYSTEM, revoked.id, "Sản phẩm không duy trì được tiêu chuẩn sau đánh giá lại")
    cert(
        "tra.giao.co.lam",
        kind=CertKind.OCOP,
        number="2011/QĐ-UBND",
        issuer=ubnd,
        issued_on=today - timedelta(days=60),
        ocop_stars=4,
        product_id=tra.id,
    )
    cert(
        "tra.giao.co.lam",
        kind=CertKind.IN_HOUSE_STANDARD,
        number="TCCS 03:2024/NN",
        issuer="Công ty TNHH Dược liệu Non nước Cao Bằng",
        issued_on=today - timedelta(days=300),
        product_id=tra.id,
    )
    cert(
        "mat.ong.bao.lac",
        kind=CertKind.OCOP,
        number="1874/QĐ-UBND",
        issuer=ubnd,
        issued_on=today - timedelta(days=1050),
        ocop_stars=3,
        product_id=mat_ong.id,
    )
    cert(
        "le.dong.khe",
        kind=CertKind.CERTIFICATION_MARK,
        number="350644",
        issuer="Cục Sở hữu trí tuệ",
        issued_on=date(2020, 6, 24),
        product_id=le.id,
        scope="Nhãn hiệu chứng nhận “Lê Đông Khê”",
    )

    def batch(login: str, product_id: int, lot: str, made: date, **kw: object) -> Batch:
        return batches.create(
            session,
            _caller_for(session, login),
            BatchIn(product_id=product_id, lot_code=lot, production_date=made, origin_province=PROVINCE, **kw),
        )  # type: ignore[arg-type]

    def event(login: str, b: Batch, step: BizStep, when: date, hour: int, place: str, text: str) -> None:
        events.add(
            session,
            _caller_for(session, login),
            b.id,
            EventIn(
                biz_step=step,
                occurred_at=datetime(when.year, when.month, when.day, hour, tzinfo=VIETNAM_TIME),
                place_name=place,
                description=text,
            ),
        )

    harvest = batch(
        "htx.mien.dong",
        cu_dong.id,
        "CD2611",
        today - timedelta(days=40),
        quantity=Decimal(3000),
        quantity_unit="kg",
        origin_name="Vùng trồng dong riềng Phia Đén",
        origin_commune="Nguyên Bình",
        origin_latitude=22.6342,
        origin_longitude=105.8839,
        growing_area_code="VN-CB-NB-0012",
    )
    event(
        "htx.mien.dong",
        harvest,
        BizStep.HARVESTING,
        today - timedelta(days=40),
        7,
        "Nương dong Phia Đén",
        "Thu hoạch củ dong riềng, 3 tấn",
    )
    batches.publish(session, _caller_for(session, "htx.mien.dong"), harvest.id)
    mien_lot = batch(
        "htx.mien.dong",
        mien.id,
        "MD2611A",
        today - timedelta(days=30),
        expiry_date=today + timedelta(days=335),
        quantity=Decimal(1200),
        quantity_unit="gói",
        origin_name="Xưởng miến Phia Đén",
        origin_commune="Nguyên Bình",
        origin_latitude=22.6342,
        origin_longitude=105.8839,
        inputs=[BatchInputIn(input_batch_id=harvest.id, quantity=Decimal(2800), quantity_unit="kg")],
    )
    for step, days, hour, place, text in [
        (BizStep.PROCESSING, 38, 6, "Xưởng miến Phia Đén", "Lọc tinh bột dong"),
        (BizStep.PROCESSING, 33, 8, "Xưởng miến Phia Đén", "Tráng và phơi miến"),
        (BizStep.INSPECTING, 31, 14, "Xưởng miến Phia Đén", "Kiểm tra độ ẩm, đạt"),
        (BizStep.PACKING, 30, 9, "Xưởng miến Phia Đén", "Đóng gói 1.200 gói 500 g"),
    ]:
        event("htx.mien.dong", mien_lot, step, today - timedelta(days=days), hour, place, text)
    batches.publish(session, _caller_for(session, "htx.mien.dong"), mien_lot.id)

    de_lot = batch(
        "hat.de.trung.khanh",
        hat_de.id,
        "HD-2610",
        today - timedelta(days=50),
        expiry_date=today + timedelta(days=40),
        quantity=Decimal(800),
        quantity_unit="kg",
        origin_name="Đồi dẻ Ngọc Khê",
        origin_commune="Trùng Khánh",
        origin_latitude=22.8325,
        origin_longitude=106.5203,
    )
    event(
        "hat.de.trung.khanh",
        de_lot,
        BizStep.HARVESTING,
        today - timedelta(days=52),
        6,
        "Đồi dẻ Ngọc Khê",
        "Nhặt hạt dẻ rụng",
    )
    event(
        "hat.de.trung.khanh",
        de_lot,
        BizStep.PACKING,
        today - timedelta(days=50),
        10,
        "Kho HTX",
        "Phân loại, đóng túi 1 kg",
    )
    batches.publish(session, _caller_for(session, "hat.de.trung.khanh"), de_lot.id)

    ls_lot = batch(
        "lap.suon.hoa.an",
        lap_suon.id,
        "LS-0925",
        today - timedelta(days=20),
        expiry_date=today + timedelta(days=160),
        quantity=Decimal(300),
        quantity_unit="gói",
        origin_name="Bếp hun khói nhà bà Hoa",
        origin_commune="Hòa An",
        inputs=[
            BatchInputIn(
                supplier_name="Lò mổ Hòa Chung",
                supplier_lot="T-1104",
                description="Thịt lợn đen",
                quantity=Decimal(180),
                quantity_unit="kg",
            )
        ],
    )
    event(
        "lap.suon.hoa.an",
        ls_lot,
        BizStep.PROCESSING,
        today - timedelta(days=22),
        8,
        "Bếp nhà bà Hoa",
        "Ướp và nhồi lạp sườn",
    )
    event("lap.suon.hoa.an", ls_lot, BizStep.PROCESSING, today - timedelta(days=21), 18, "Gác bếp", "Hun khói 24 giờ")
    batches.publish(session, _caller_for(session, "lap.suon.hoa.an"), ls_lot.id)

    thach_lot = batch(
        "thach.den.thach.an",
        thach.id,
        "TD-0826",
        today - timedelta(days=90),
        expiry_date=today + timedelta(days=450),
        quantity=Decimal(2000),
        quantity_unit="hộp",
        origin_commune="Đông Khê",
    )
    event(
        "thach.den.thach.an",
        thach_lot,
        BizStep.PROCESSING,
        today - timedelta(days=90),
        7,
        "Xưởng thạch",
        "Nấu cỏ thạch, đổ khuôn",
    )
    batches.publish(session, _caller_for(session, "thach.den.thach.an"), thach_lot.id)
    batches.recall(session, SYSTEM, thach_lot.id, "Phát hiện nấm mốc ở một số hộp; ngừng sử dụng và trả lại nơi mua")

    mo_lot = batch(
        "mat.ong.bao.lac",
        mat_ong.id,
        "MO-2609",
        today - timedelta(days=70),
        expiry_date=today + timedelta(days=660),
        quantity=Decimal(400),
        quantity_unit="chai",
        origin_name="Đàn ong bản Khuổi Khon",
        origin_commune="Bảo Lạc",
    )
    event("mat.ong.bao.lac", mo_lot, BizStep.HARVESTING, today - timedelta(days=72), 9, "Bản Khuổi Khon", "Quay mật")
    batches.publish(session, _caller_for(session, "mat.ong.bao.lac"), mo_lot.id)

    batch(
        "tra.giao.co.lam",
        tra.id,
        "GCL-01",
        today - timedelta(days=5),
        expiry_date=today + timedelta(days=715),
        origin_commune="Hà Quảng",
    )
    return [mien_lot, de_lot, ls_lot, thach_lot]


def showcase(session: Session) -> list[Batch]:
    """The batches `load` returned, found again when the demo is already in the database."""
    lots = ("MD2611A", "HD-2610", "LS-0925", "TD-0826")
    found = {b.lot_code: b for b in session.scalars(select(Batch).where(Batch.lot_code.in_(lots)))}
    return [found[lot] for lot in lots if lot in found]
