"""The report-a-problem form: CSRF-protected without a session, stored, rate-limited per network, re-shown with
each error beside its field, and read later by the producer concerned and the authority only."""

import re
from html import unescape

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import factories
from tests.web.test_public_page import new_gtin, showcase, text_of
from trace import audit, reports
from trace.access import Caller, Role
from trace.reports import ProblemReport, ReportKind
from web.public.report import NONCE_COOKIE

AUTHORITY = Caller(role=Role.AUTHORITY, login="so.khcn")


def form_of(client: TestClient, path: str, **headers: str) -> dict[str, str]:
    """The hidden fields of the report form shown on the page, or opened from its link (the form's nonce cookie
    is now in the client's jar)."""
    html = client.get(path, headers=headers).text
    link = re.search(r'<p id="report"><a href="([^"]+)"', html)
    if link is not None:
        html = client.get(unescape(link.group(1)), headers=headers).text
    return dict(re.findall(r'<input type="hidden" name="(code|token)" value="([^"]*)">', html))


def stored(db: Session) -> list[ProblemReport]:
    return list(db.scalars(select(ProblemReport).order_by(ProblemReport.id)))


def test_a_report_is_stored_for_the_producer_and_the_authority(db: Session, client: TestClient) -> None:
    s = showcase(db)
    hidden = form_of(client, s.unit_path())
    assert hidden["code"] == s.unit_path() and client.cookies.get(NONCE_COOKIE)
    response = client.post(
        "/report",
        data={**hidden, "kind": "counterfeit", "message": "  Tem in mờ, khác tem cũ  ", "contact": "0912 345 678"},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 200
    assert "Your report has been recorded" in response.text
    assert f'href="{s.unit_path()}"' in response.text  # back to the product
    [report] = stored(db)
    assert report.kind is ReportKind.COUNTERFEIT
    assert (report.message, report.contact) == ("Tem in mờ, khác tem cũ", "0912 345 678")
    assert (report.batch_id, report.organization_id, report.serial) == (s.batch.id, s.owner.org.id, s.serials[0])
    assert report.code == s.unit_path() and report.lang == "en" and re.fullmatch(r"[0-9a-f]{32}", report.ip_hash)
    [entry] = audit.entries_for(db, "problem_report", report.id)
    assert entry.action == "report.submit" and entry.on_behalf_of_org_id == s.owner.org.id

    # Read later: the producer concerned and the authority, nobody else.
    other = factories.producer(db, commune="Hạ Lang")
    point = factories.trace_point(db, communes=("Trùng Khánh",))
    operator = Caller(role=Role.POINT_OPERATOR, trace_point_id=point.id, login="point")
    assert reports.list_visible(db, s.owner.caller) == [report]
    assert reports.list_visible(db, AUTHORITY) == [report]
    assert reports.list_visible(db, operator) == [report]  # the point serves the producer's commune
    assert reports.list_visible(db, other.caller) == []
    assert reports.get(db, s.owner.caller, report.id) is report


def test_the_product_page_links_the_form_and_sets_no_cookie(db: Session, client: TestClient) -> None:
    """Few readers report: the page every scan opens carries a link, and only the form sets its nonce cookie."""
    s = showcase(db)
    page = client.get(s.unit_path(), headers={"accept-language": "en"})
    assert "set-cookie" not in page.headers and 'name="token"' not in page.text
    link = re.search(r'<p id="report"><a href="([^"]+)" rel="nofollow">Report a problem</a>', page.text)
    assert link is not None
    form = client.get(unescape(link.group(1)), headers={"accept-language": "en"})
    assert form.status_code == 200 and NONCE_COOKIE in form.headers["set-cookie"]
    assert "Hạt dẻ Trùng Khánh" in form.text and f'name="code" value="{s.unit_path()}"' in form.text
    # A code that is not one of ours opens no form.
    for code in ("https://example.com/x", "/01/123", ""):
        refused = client.get("/report", params={"code": code}, headers={"accept-language": "en"})
        assert refused.status_code == 400 and 'name="token"' not in refused.text


def test_a_report_about_an_unregistered_code_reaches_only_the_authority(db: Session, client: TestClient) -> None:
    path = f"/01/{new_gtin()}/10/FAKE-1"
    hidden = form_of(client, path)
    assert hidden["code"] == path
    response = client.post("/report", data={**hidden, "kind": "counterfeit", "message": "Mua ở chợ, mã không có"})
    assert response.status_code == 200
    [report] = stored(db)
    assert report.organization_id is None and report.batch_id is None
    assert reports.list_visible(db, AUTHORITY) == [report]
    assert reports.list_visible(db, factories.producer(db).caller) == []


def test_bad_input_shows_each_error_beside_its_field_and_keeps_what_was_typed(db: Session, client: TestClient) -> None:
    s = showcase(db)
    hidden = form_of(client, s.path)
    response = client.post(
        "/report",
        data={**hidden, "kind": "", "message": "x" * 2001, "contact": "Chị Lan <lan@example.vn>"},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422
    html = response.text
    assert re.search(r"</label>\s*<p class=\"err\">This field is required</p>\s*</fieldset>", html)
    assert re.search(r"</textarea>\s*<p class=\"err\">At most 2000 characters</p>", html)
    assert "x" * 2001 in html  # what the user typed, to correct rather than retype
    assert 'value="Chị Lan &lt;lan@example.vn&gt;"' in html
    assert stored(db) == []
    # The re-shown form carries a fresh token and sends.
    again = dict(re.findall(r'<input type="hidden" name="(code|token)" value="([^"]*)">', html))
    fixed = client.post("/report", data={**again, "kind": "quality", "message": "Hạt bị mốc"})
    assert fixed.status_code == 200 and len(stored(db)) == 1


def test_the_form_is_protected_against_cross_site_posts(db: Session, app: FastAPI) -> None:
    s = showcase(db)
    with TestClient(app) as victim, TestClient(app) as attacker:
        hidden = form_of(attacker, s.path)  # a token fetched by another client carries another nonce
        form_of(victim, s.path)
        for data in (
            {**hidden, "kind": "other", "message": "spam"},
            {"code": s.path, "kind": "other", "message": "spam"},
            {"code": s.path, "token": "forged", "kind": "other", "message": "spam"},
            {**hidden, "code": f"/01/{s.product.gtin}", "kind": "other", "message": "spam"},
        ):
            response = victim.post("/report", data=data)
            assert response.status_code in (400, 403), data
        hidden = form_of(victim, s.path)
        victim.cookies.clear()
        victim.cookies.set(NONCE_COOKIE, "another")  # the nonce the token was made for is gone
        expired = victim.post("/report", data={**hidden, "kind": "other", "message": "ok"})
        assert expired.status_code == 403
        assert "Biểu mẫu đã hết hạn" in text_of(expired.text)
    assert stored(db) == []


def test_reports_are_rate_limited_per_network(db: Session, client: TestClient) -> None:
    s = showcase(db)
    for n in range(5):
        hidden = form_of(client, s.path)  # a form each: a form sent again is the same report
        assert client.post("/report", data={**hidden, "kind": "other", "message": f"Lần {n}"}).status_code == 200
    sixth = client.post(
        "/report",
        data={**form_of(client, s.path), "kind": "other", "message": "Lần 6"},
        headers={"accept-language": "en"},
    )
    assert sixth.status_code == 429
    assert "You have sent several reports in the last hour" in sixth.text and "Lần 6" in sixth.text
    assert len(stored(db)) == 5


def test_a_form_sent_twice_is_one_report(db: Session, client: TestClient) -> None:
    """A second tap on a slow connection, or the browser sending the form again after a reload: the same report,
    thanked for again; a new form makes a new one."""
    s = showcase(db)
    hidden = form_of(client, s.unit_path())
    sent = {**hidden, "kind": "counterfeit", "message": "Tem mờ"}
    for _ in range(2):
        response = client.post("/report", data=sent)
        assert response.status_code == 200 and "Cảm ơn bạn" in text_of(response.text)
    [report] = stored(db)
    assert len(audit.entries_for(db, "problem_report", report.id)) == 1
    client.post("/report", data={**form_of(client, s.unit_path()), "kind": "quality", "message": "Ẩm mốc"})
    assert [each.message for each in stored(db)] == ["Tem mờ", "Ẩm mốc"]


def test_the_same_form_stored_at_the_same_moment_is_one_report(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two requests of one form racing: the second does not see the first before its insert, meets it there (the
    form's id is unique) and answers with it, instead of failing."""
    s = showcase(db)
    data = reports.ReportIn(kind=ReportKind.OTHER, message="Hai lần")
    sent = {"code": s.path, "lang": "vi", "ip_digest": "a" * 32, "limit_per_hour": 5, "form_id": "f1"}
    first = reports.submit(db, data, **sent)
    looks = [None]  # the first look finds nothing, as the other request's report was not yet committed
    found = reports._sent_from
    monkeypatch.setattr(reports, "_sent_from", lambda *args: looks.pop() if looks else found(*args))
    again = reports.submit(db, data, **sent)
    assert again.id == first.id and len(stored(db)) == 1 and looks == []
