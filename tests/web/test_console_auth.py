"""Log-in, log-out, sign-up and password resets through the pages: CSRF on every form, cookies HttpOnly and
SameSite, lockout after repeated failures (counted even though each failure is refused), no open redirect."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests import factories
from tests.web.console_support import field_errors, log_in, post, token, value_of
from trace.access import Role
from trace.organizations import Organization, OrgStatus
from trace.users import User


@pytest.fixture
def anonymous(app: FastAPI) -> TestClient:
    return TestClient(app, follow_redirects=False)


def test_pages_send_anonymous_visitors_to_log_in(anonymous: TestClient) -> None:
    response = anonymous.get("/console/products?q=mi%E1%BA%BFn")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fconsole%2Fproducts%3Fq%3Dmi%25E1%25BA%25BFn"


def test_log_in_goes_back_where_the_user_was_going_but_never_off_site(db: Session, app: FastAPI) -> None:
    owner = factories.producer(db)
    for target, expected in (("/console/batches", "/console/batches"), ("//evil.example", "/console")):
        client = TestClient(app, follow_redirects=False)
        data = {"login": owner.owner.login, "password": factories.PASSWORD, "next": target}
        response = post(client, "/login", data)
        assert response.status_code == 303 and response.headers["location"] == expected
    authority = factories.user(db, Role.AUTHORITY)
    assert log_in(TestClient(app, follow_redirects=False), authority.login).get("/login").headers["location"] == (
        "/authority"
    )


def test_session_cookie_is_http_only_and_same_site(db: Session, anonymous: TestClient) -> None:
    owner = factories.producer(db)
    response = post(anonymous, "/login", {"login": owner.owner.login, "password": factories.PASSWORD})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert response.headers["location"] == "/console"


def test_every_form_needs_the_csrf_token(db: Session, app: FastAPI) -> None:
    owner = factories.producer(db)
    client = log_in(TestClient(app, follow_redirects=False), owner.owner.login)
    before = db.scalar(select(func.count()).select_from(User))
    for path, data in (
        ("/console/products/new", {"name_vi": "Miến", "unit": "gói"}),
        ("/console/staff", {"login": "lan.nguyen", "display_name": "Lan", "password": "mat-khau-dai-du"}),
        ("/logout", {}),
    ):
        for sent in ({}, {"csrf_token": "forged"}):
            response = client.post(path, data={**data, **sent}, follow_redirects=False)
            assert response.status_code == 403, path
            assert "Biểu mẫu đã hết hạn" in response.text
    assert db.scalar(select(func.count()).select_from(User)) == before
    assert client.get("/console").status_code == 200  # still logged in: the forged log-out did nothing


def test_lockout_after_five_failures_survives_the_refusals(db: Session, anonymous: TestClient) -> None:
    owner = factories.producer(db)
    for _ in range(5):
        response = post(anonymous, "/login", {"login": owner.owner.login, "password": "wrong password"})
        assert response.status_code == 401
        assert "Sai tên đăng nhập hoặc mật khẩu" in response.text or "Tên đăng nhập" in response.text
        assert value_of(response.text, "login") == owner.owner.login
    db.refresh(owner.owner)
    assert owner.owner.locked_until is not None
    response = post(anonymous, "/login", {"login": owner.owner.login, "password": factories.PASSWORD})
    assert response.status_code == 401 and "15" in response.text


def test_log_out_ends_the_session(db: Session, app: FastAPI) -> None:
    owner = factories.producer(db)
    client = log_in(TestClient(app, follow_redirects=False), owner.owner.login)
    assert post(client, "/logout").headers["location"] == "/login"
    assert client.get("/console").status_code == 303


SIGNUP = {
    "kind": "cooperative",
    "name": "HTX Chè Shan tuyết Phja Oắc",
    "address": "Xóm Nà Bản",
    "commune": "Thành Công",
    "province": "Cao Bằng",
    "tax_code": "4801234567",
    "display_name": "Hoàng Văn Tú",
    "login": "htx.phja.oac",
    "password": "che-shan-tuyet-2026",
    "password_again": "che-shan-tuyet-2026",
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", ""),
        ("kind", "ngo"),
        ("name", ""),
        ("tax_code", "12345"),
        ("address", " "),
        ("commune", ""),
        ("phone", "gọi tôi"),
        ("email", "not-an-email"),
        ("gln", "8930000000001"),
        ("latitude", "91"),
        ("gs1_company_prefix", "89a"),
        ("login", "Hoàng Tú"),
        ("login", "ab"),
        ("password", "ngan"),
        ("password_again", "khac-mat-khau-2026"),
        ("display_name", ""),
    ],
)
def test_sign_up_refuses_bad_input_and_writes_nothing(
    db: Session, anonymous: TestClient, field: str, value: str
) -> None:
    before = db.scalar(select(func.count()).select_from(Organization))
    response = post(anonymous, "/signup", {**SIGNUP, field: value})
    assert response.status_code == 422
    errors = field_errors(response.text)
    assert field in errors, errors
    assert errors[field] != ""
    assert value_of(response.text, "name") == (SIGNUP["name"] if field != "name" else "")
    assert 'value="che-shan-tuyet-2026"' not in response.text  # a password is never sent back
    assert db.scalar(select(func.count()).select_from(Organization)) == before
    assert db.scalar(select(User).where(User.login == "htx.phja.oac")) is None


def test_sign_up_with_a_taken_login_writes_nothing(db: Session, anonymous: TestClient) -> None:
    owner = factories.producer(db)
    before = db.scalar(select(func.count()).select_from(Organization))
    response = post(anonymous, "/signup", {**SIGNUP, "login": owner.owner.login})
    assert response.status_code == 422 and "login" in field_errors(response.text)
    assert db.scalar(select(func.count()).select_from(Organization)) == before


def test_sign_up_makes_a_pending_producer_and_logs_its_owner_in(db: Session, anonymous: TestClient) -> None:
    response = post(anonymous, "/signup", SIGNUP)
    assert response.status_code == 303 and response.headers["location"] == "/console"
    org = db.scalars(select(Organization).where(Organization.tax_code == "4801234567")).one()
    owner = db.scalars(select(User).where(User.login == "htx.phja.oac")).one()
    assert org.status is OrgStatus.PENDING and owner.organization_id == org.id and owner.role is Role.PRODUCER_OWNER
    home = anonymous.get("/console").text
    assert "Chào mừng" in home and "HTX Chè Shan tuyết Phja Oắc" in home


def test_authority_resets_a_password_and_old_sessions_end(db: Session, app: FastAPI) -> None:
    owner = factories.producer(db)
    producer_browser = log_in(TestClient(app, follow_redirects=False), owner.owner.login)
    authority = log_in(TestClient(app, follow_redirects=False), factories.user(db, Role.AUTHORITY).login)
    admin = factories.user(db, Role.ADMIN)
    assert owner.owner.login in authority.get(f"/authority/users?q={owner.org.name}").text
    assert authority.get(f"/authority/users/{admin.id}/password").status_code == 404  # admins reset admins
    response = post(authority, f"/authority/users/{owner.owner.id}/password", {"password": "ngan"})
    assert response.status_code == 422 and "password" in field_errors(response.text)
    response = post(authority, f"/authority/users/{owner.owner.id}/password", {"password": "mat-khau-moi-2026"})
    assert response.status_code == 303
    assert producer_browser.get("/console").status_code == 303  # logged out everywhere
    log_in(TestClient(app, follow_redirects=False), owner.owner.login, "mat-khau-moi-2026")


def test_wrong_role_gets_the_403_page(db: Session, app: FastAPI) -> None:
    owner = factories.producer(db)
    client = log_in(TestClient(app, follow_redirects=False), owner.owner.login)
    response = client.get("/authority/dashboard")
    assert response.status_code == 403 and "Không được phép" in response.text
    assert token(client, "/console")
