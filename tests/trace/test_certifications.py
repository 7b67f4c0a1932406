"""Certificate status is derived from dates, revocation and renewal, never typed in; history is kept."""

from datetime import date, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tests import factories
from trace import certifications
from trace.certifications import CertificationIn, CertKind, CertStatus, ChangeKind, RenewalIn
from trace.errors import Conflict, Forbidden, InvalidInput

ISSUED = date(2026, 1, 15)


def _create(db: Session, kind: CertKind, **kw: object) -> certifications.Certification:
    owner = factories.producer(db)
    product = factories.product(db, owner)
    stars = {"ocop_stars": 4} if kind is CertKind.OCOP else {}
    return certifications.create(
        db,
        owner.caller,
        CertificationIn(
            kind=kind, number="N-1", issuer="UBND tỉnh Cao Bằng", issued_on=ISSUED, product_id=product.id, **stars, **kw
        ),
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "valid_until"),
    [
        (CertKind.OCOP, date(2029, 1, 15)),  # 36 months from the decision
        (CertKind.VIETGAP, date(2028, 1, 15)),  # 24 months
        (CertKind.CERTIFICATION_MARK, date(2036, 1, 15)),  # 10 years, renewable
        (CertKind.COLLECTIVE_MARK, date(2036, 1, 15)),
        (CertKind.GEOGRAPHICAL_INDICATION, None),  # no expiry
        (CertKind.HACCP, None),  # printed on the certificate; none given here
    ],
)
def test_default_validity_by_kind(db: Session, kind: CertKind, valid_until: date | None) -> None:
    assert _create(db, kind).valid_until == valid_until


def test_status_over_time(db: Session) -> None:
    cert = _create(db, CertKind.VIETGAP)
    end = date(2028, 1, 15)
    assert cert.status(ISSUED) is CertStatus.VALID
    assert cert.status(end - timedelta(days=91)) is CertStatus.VALID
    assert cert.status(end - timedelta(days=90)) is CertStatus.EXPIRING
    assert cert.status(end) is CertStatus.EXPIRING  # valid through its last day
    assert cert.status(end + timedelta(days=1)) is CertStatus.EXPIRED
    assert _create(db, CertKind.GEOGRAPHICAL_INDICATION).status(date(2090, 1, 1)) is CertStatus.VALID


def test_revocation_wins_over_dates_and_only_the_authority_revokes(db: Session) -> None:
    cert = _create(db, CertKind.OCOP)
    with pytest.raises(Forbidden):
        certifications.revoke(db, factories.producer(db).caller, cert.id, "x")
    certifications.revoke(db, factories.ADMIN, cert.id, "Không duy trì tiêu chuẩn")
    assert cert.status(ISSUED) is CertStatus.REVOKED
    with pytest.raises(Conflict):
        certifications.revoke(db, factories.ADMIN, cert.id, "again")


def test_renewal_supersedes_and_keeps_history(db: Session) -> None:
    owner = factories.producer(db)
    product = factories.product(db, owner)
    first = certifications.create(
        db,
        owner.caller,
        CertificationIn(
            kind=CertKind.OCOP,
            number="1520/QĐ-UBND",
            issuer="UBND",
            issued_on=date(2023, 1, 1),
            ocop_stars=3,
            product_id=product.id,
        ),
    )
    second = certifications.supersede(
        db,
        owner.caller,
        first.id,
        RenewalIn(
            kind=CertKind.OCOP,
            number="2011/QĐ-UBND",
            issuer="UBND",
            issued_on=date(2026, 1, 1),
            ocop_stars=4,
            product_id=product.id,
            change_kind=ChangeKind.RENEWAL,
        ),
    )
    db.expire_all()
    assert first.status(date(2026, 2, 1)) is CertStatus.SUPERSEDED
    assert second.status(date(2026, 2, 1)) is CertStatus.VALID
    assert [c.id for c in certifications.history(db, second)] == [second.id, first.id]
    with pytest.raises(Conflict):  # only the newest record can be renewed again
        certifications.supersede(
            db,
            owner.caller,
            first.id,
            RenewalIn(
                kind=CertKind.OCOP,
                number="X",
                issuer="UBND",
                issued_on=date(2026, 2, 1),
                ocop_stars=4,
                product_id=product.id,
            ),
        )
    with pytest.raises(InvalidInput):
        certifications.supersede(
            db,
            owner.caller,
            second.id,
            RenewalIn(
                kind=CertKind.VIETGAP, number="X", issuer="UBND", issued_on=date(2026, 2, 1), product_id=product.id
            ),
        )


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"ocop_stars": None}, "ocop_stars"),
        ({"ocop_stars": 6}, "ocop_stars"),
        ({"valid_until": ISSUED}, "valid_until"),
        ({"valid_until": ISSUED + timedelta(days=37 * 31)}, "valid_until"),
    ],
)
def test_ocop_rules(kw: dict[str, object], field: str) -> None:
    base = {"kind": "ocop", "number": "1", "issuer": "UBND", "issued_on": ISSUED, "ocop_stars": 4, "product_id": 1}
    with pytest.raises(ValidationError) as info:
        CertificationIn.model_validate({**base, **kw})
    error = info.value.errors()[0]
    assert error["loc"] == (field,) or error["ctx"]["error"].field == field


def test_oversight_lists_one_producers_records_in_the_query(db: Session) -> None:
    """The authority's producer page asks the database for that producer's records (not all, filtered after a
    limit, which loses records once the province has more than the limit)."""
    from trace import batches

    a, b = factories.producer(db), factories.producer(db)
    for owner in (a, b):
        product = factories.product(db, owner)
        factories.batch(db, owner, product)
        certifications.create(
            db,
            owner.caller,
            CertificationIn(kind=CertKind.VIETGAP, number="V", issuer="TT", issued_on=ISSUED, product_id=product.id),
        )
    mine = certifications.list_visible(db, factories.ADMIN, organization_id=a.org.id)
    assert [c.organization_id for c in mine] == [a.org.id]
    assert [x.organization_id for x in batches.list_visible(db, factories.ADMIN, organization_id=b.org.id)] == [
        b.org.id
    ]
