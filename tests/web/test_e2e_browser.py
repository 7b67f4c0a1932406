"""End to end in headless Chromium, as people use it: a new producer signs up on a phone, the authority verifies
it on a desktop, the producer adds a product with its photo and a batch with a step, publishes it, makes labels
and downloads their PDF, and the public page of the code answers. A screenshot of every step is kept in
tests/artifacts/e2e/ (phone: 360 px wide; desktop: 1280 px).

The service runs as it does in production: uvicorn in its own process, on a free port, against a fresh SQLite
file migrated with trace.migrate. Debian's Chromium is driven by Playwright's Python package (no browser of
Playwright's own is ever downloaded)."""

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from trace import migrate, users
from trace.access import Role
from trace.db import make_engine, make_sessionmaker, transaction

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "e2e"
PASSWORD = "mat-khau-thu-nghiem-2026"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{tmp / 'trace.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        users.create_user(
            session,
            None,
            users.UserIn(login="so.khcn", display_name="Sở KH&CN", password=PASSWORD, role=Role.AUTHORITY),
        )
    engine.dispose()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "TRACE_DATABASE_URL": url,
        "TRACE_SECRET_KEY": "e2e-secret",
        "TRACE_STORAGE_DIR": str(tmp / "storage"),
        "TRACE_PUBLIC_BASE_URL": base,
    }
    log = (tmp / "uvicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "web.app:create_app", "--factory", "--host", "127.0.0.1", f"--port={port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp / "uvicorn.log").read_text()) from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _photo(path: Path) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 140, 90)).save(buf, format="JPEG")
    path.write_bytes(buf.getvalue())
    return path


def test_new_producer_to_a_scanned_label(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    shots = iter(range(1, 100))

    def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
        page.screenshot(path=str(ARTIFACTS / f"{next(shots):02d}-{name}.png"), full_page=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
            ],
        )  # fmt: skip
        phone = browser.new_context(
            viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True,
            locale="vi-VN", accept_downloads=True,
        )  # fmt: skip
        desktop = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
        producer, officer = phone.new_page(), desktop.new_page()
        producer.set_default_timeout(15_000)
        officer.set_default_timeout(15_000)

        # 1. Sign-up on a phone: a mistake first, shown beside its field, what was typed kept.
        producer.goto(f"{server}/login")
        shot(producer, "phone-login")
        producer.get_by_role("link", name="Đăng ký cơ sở sản xuất").click()
        producer.get_by_label("Hợp tác xã (HTX)").check()
        producer.get_by_label("Tên cơ sở sản xuất").fill("HTX Miến dong Phia Đén")
        producer.get_by_label("Mã số thuế").fill("48009")
        producer.get_by_label("Địa chỉ (xóm, thôn, đường)").fill("Xóm Phia Đén")
        producer.get_by_label("Xã, phường").fill("Nguyên Bình")
        producer.get_by_label("Họ và tên").fill("Đàm Thị Lan")
        producer.get_by_label("Tên đăng nhập").fill("htx.phia.den")
        producer.locator("#f-password").fill(PASSWORD)
        producer.locator("#f-password_again").fill(PASSWORD)
        producer.get_by_role("button", name="Đăng ký").click()
        expect(producer.locator("#e-tax_code")).to_be_visible()
        expect(producer.get_by_label("Tên cơ sở sản xuất")).to_have_value("HTX Miến dong Phia Đén")
        shot(producer, "phone-signup-error")
        producer.get_by_label("Mã số thuế").fill("4800912345")
        producer.locator("#f-password").fill(PASSWORD)
        producer.locator("#f-password_again").fill(PASSWORD)
        producer.get_by_role("button", name="Đăng ký").click()
        expect(producer.get_by_text("Cơ sở đang chờ cơ quan quản lý xác minh")).to_be_visible()
        shot(producer, "phone-pending")

        # 2. The authority verifies the new producer, on a desktop.
        officer.goto(f"{server}/authority")
        officer.get_by_label("Tên đăng nhập").fill("so.khcn")
        officer.get_by_label("Mật khẩu").fill(PASSWORD)
        officer.get_by_role("button", name="Đăng nhập").click()
        expect(officer.get_by_role("heading", name="Chờ xác minh")).to_be_visible()
        shot(officer, "desktop-queue")
        officer.get_by_role("link", name="HTX Miến dong Phia Đén").first.click()
        shot(officer, "desktop-producer")
        officer.get_by_role("button", name="Xác minh cơ sở này").click()
        expect(officer.get_by_text("Đã xác minh cơ sở")).to_be_visible()

        # 3. A product with its photo.
        producer.goto(f"{server}/console")
        expect(producer.get_by_role("heading", name="HTX Miến dong Phia Đén")).to_contain_text("Đã xác minh")
        producer.get_by_role("link", name="Thêm sản phẩm").first.click()
        producer.get_by_label("Tên sản phẩm (tiếng Việt)").fill("Miến dong Phia Đén")
        producer.get_by_label("Nhóm sản phẩm OCOP").select_option("food")
        producer.get_by_label("Khối lượng tịnh").fill("500")
        producer.get_by_label("Đơn vị khối lượng").select_option("g")
        producer.get_by_label("Ảnh sản phẩm").set_input_files(str(_photo(tmp_path / "mien.jpg")))
        shot(producer, "phone-product-form")
        producer.get_by_role("button", name="Lưu").click()
        expect(producer.get_by_text("Đã lưu sản phẩm")).to_be_visible()
        shot(producer, "phone-product")

        # 4. A batch with a step, then published.
        producer.get_by_role("link", name="Thêm lô hàng").click()
        producer.get_by_label("Mã lô").fill("MD2611-01")
        producer.get_by_label("Số lượng").first.fill("200")
        shot(producer, "phone-batch-form")
        producer.get_by_role("button", name="Lưu bản nháp").click()
        expect(producer.get_by_text("Đã lưu lô hàng dạng bản nháp")).to_be_visible()
        producer.get_by_role("link", name="Thêm công đoạn").click()
        producer.locator("#f-biz_step").select_option("packing")
        producer.get_by_label("Địa điểm", exact=True).fill("Xưởng HTX")
        producer.get_by_role("button", name="Lưu").click()
        expect(producer.get_by_text("Đã thêm công đoạn")).to_be_visible()
        shot(producer, "phone-batch-draft")
        producer.get_by_role("button", name="Công bố").click()
        expect(producer.get_by_text("Đã công bố lô hàng")).to_be_visible()
        shot(producer, "phone-batch-published")
        public_url = producer.locator("code.url").inner_text()

        # 5. Labels and their PDF.
        producer.get_by_role("link", name="In tem").click()
        producer.get_by_label("Số lượng tem").fill("24")
        shot(producer, "phone-label-form")
        producer.get_by_role("button", name="Tạo tem").click()
        expect(producer.get_by_text("Tem đã sẵn sàng")).to_be_visible()
        shot(producer, "phone-labels-ready")
        with producer.expect_download() as download:
            producer.get_by_role("link", name="Tải tệp PDF").click()
        pdf = Path(download.value.path())
        assert pdf.read_bytes().startswith(b"%PDF")
        shutil.copy(pdf, ARTIFACTS / "labels.pdf")

        # 6. The public page of the code, as a consumer's phone opens it.
        consumer = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN").new_page()
        consumer.goto(public_url)
        expect(consumer.get_by_text("Miến dong Phia Đén").first).to_be_visible()
        expect(consumer.get_by_text("HTX Miến dong Phia Đén").first).to_be_visible()
        shot(consumer, "phone-public-page")

        # The desktop views of the same work, for the look on a wide screen.
        officer.goto(f"{server}/authority/dashboard")
        shot(officer, "desktop-dashboard")
        desktop_producer = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN").new_page()
        desktop_producer.goto(f"{server}/login")
        desktop_producer.get_by_label("Tên đăng nhập").fill("htx.phia.den")
        desktop_producer.get_by_label("Mật khẩu").fill(PASSWORD)
        desktop_producer.get_by_role("button", name="Đăng nhập").click()
        desktop_producer.get_by_role("link", name="Lô hàng").first.click()
        desktop_producer.get_by_role("link", name="MD2611-01").click()
        shot(desktop_producer, "desktop-batch")
        browser.close()
    assert len(list(ARTIFACTS.glob("*.png"))) >= 14
