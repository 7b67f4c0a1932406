"""The public page in a real browser at a phone's size: Debian's Chromium, driven by Playwright, against the app
served by uvicorn on a SQLite file loaded with the Cao Bằng demo. Screenshots are kept in tests/artifacts/."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select

from trace import demo, labelruns, migrate
from trace.batches import Batch
from trace.db import make_engine, make_sessionmaker, transaction
from trace.labelruns import LabelRunIn
from web.app import create_app
from web.links import batch_url
from web.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip
PHONE = "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The demo on a SQLite file behind uvicorn; the public addresses of a unit and of the recalled batch."""
    work = tmp_path_factory.mktemp("browser")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    url = f"sqlite:///{work / 'demo.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        demo.load(session)
        shown = session.scalars(select(Batch).where(Batch.lot_code.in_(["MD2611A", "TD-0826"])))
        found = {b.lot_code: b for b in shown}
        owner = demo._caller_for(session, "htx.mien.dong")
        units = LabelRunIn(count=2, layout="a4")
        run, _ = labelruns.create(session, owner, found["MD2611A"].id, units, "browser", base)
        serials = labelruns.serials(session, run)
        pages = {
            "unit": batch_url(base, found["MD2611A"], serials[0]),
            "unit_zh": batch_url(base, found["MD2611A"], serials[1]),
            "recalled": batch_url(base, found["TD-0826"]),
        }
    settings = Settings(database_url=url, public_base_url=base, secret_key="browser-test", storage_dir=work / "storage")
    app = create_app(settings, engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield pages
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@contextmanager
def phone(locale: str) -> Iterator[Page]:
    """A page in Chromium at a phone's size, its browser set to ``locale``."""
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 360, "height": 740}, user_agent=PHONE, is_mobile=True, has_touch=True,
                locale=locale,
            )  # fmt: skip
            yield context.new_page()
        finally:
            browser.close()


def test_a_unit_code_page_on_a_phone(served: dict[str, str]) -> None:
    with phone("vi-VN") as page:
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))

        response = page.goto(served["unit"])
        assert response is not None and response.status == 200
        assert page.locator("h1").inner_text() == "Miến dong Phia Đén"
        assert page.get_by_text("HTX Miến dong Phia Đén", exact=True).first.is_visible()
        assert "Đây là lần đầu tiên mã này được quét." in page.locator("#unit").inner_text()
        badges = page.locator("#certs .badge").all_inner_texts()
        assert badges == ["Còn hiệu lực"]
        page.locator("#certs summary").click()  # the OCOP renewal's history opens without any script
        assert "Cấp lần đầu: 1520/QĐ-UBND" in page.locator("#certs details").inner_text()
        # Readable at 360 px: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert requested == [served["unit"]]  # one request: no scripts, style sheets or third-party tiles
        page.screenshot(path=str(ARTIFACTS / "public_unit_page.png"), full_page=True)

        page.goto(served["recalled"])
        banner = page.locator(".recall")
        assert banner.is_visible() and "Lô hàng này đã bị thu hồi" in banner.inner_text()
        banner_box, title_box = banner.bounding_box(), page.locator("h1").bounding_box()
        assert banner_box is not None and title_box is not None and banner_box["y"] < title_box["y"]
        assert banner_box["y"] < 100  # at the top of the first screen
        assert page.locator("#certs .badge").all_inner_texts() == ["Đã thu hồi"]
        page.screenshot(path=str(ARTIFACTS / "public_recalled_page.png"), full_page=True)


def test_the_chinese_page_on_a_phone(served: dict[str, str]) -> None:
    """A trader from Guangxi: the page in simplified Chinese, chosen from the browser's language, laid out at 360 px
    (the screenshot needs a CJK font on the machine: .ci/run installs one; a phone has its own)."""
    with phone("zh-CN") as page:
        response = page.goto(served["unit_zh"])
        assert response is not None and response.status == 200
        assert page.locator("html").get_attribute("lang") == "zh"
        assert page.locator("h1").inner_text() == "Miến dong Phia Đén"  # the product's own name, as registered
        assert "这是此代码首次被扫描。" in page.locator("#unit").inner_text()
        assert page.locator("#certs .badge").all_inner_texts() == ["有效"]
        assert page.get_by_text("生产者").first.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(ARTIFACTS / "public_unit_page_zh.png"), full_page=True)
