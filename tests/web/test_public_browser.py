"""The public page in a real browser at a phone's size: Debian's Chromium, driven by Playwright, against the app
served by uvicorn on a SQLite file loaded with the Cao Bằng demo. Screenshots are kept in tests/artifacts/."""

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
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
        pages = {
            "unit": batch_url(base, found["MD2611A"], labelruns.serials(session, run)[0]),
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


def test_a_unit_code_page_on_a_phone(served: dict[str, str]) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package (PyPI) drives Chromium here: install the test dependencies")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 360, "height": 740}, user_agent=PHONE, is_mobile=True, has_touch=True,
                locale="vi-VN",
            )  # fmt: skip
            page = context.new_page()
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
        finally:
            browser.close()
