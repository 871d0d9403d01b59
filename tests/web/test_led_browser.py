"""The LED page in a real browser (Playwright driving Debian's chromium): it shows the post, shows the next
one without a reload, and keeps the last content when the server goes away. Screenshots go to tmp_path."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.web.conftest import Site

CHROMIUM = Path(os.environ.get("LOA_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: CI installs it (apt-get install -y chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium); CI runs this test")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield b
        finally:
            await b.close()


async def test_led_page_shows_the_post_then_the_next_without_a_reload(site: Site, browser, tmp_path: Path) -> None:
    from playwright.async_api import expect

    await site.publish("a", "Khai mạc Đại hội đại biểu Đảng bộ tỉnh Lạng Sơn lần thứ XVII",
                       body="Sáng nay, 390 đại biểu **chính thức** về dự Đại hội.")
    page = await browser.new_page(viewport={"width": 1280, "height": 720})
    await page.goto(f"{site.server.url}/led/sanh")
    title = page.locator("#screen .title")
    await expect(title).to_have_text("Khai mạc Đại hội đại biểu Đảng bộ tỉnh Lạng Sơn lần thứ XVII")
    assert await page.title() == "Màn hình sảnh"
    await page.screenshot(path=str(tmp_path / "led-first.png"), animations="disabled")
    loads = await page.evaluate("performance.getEntriesByType('navigation').length")

    await site.publish("b", "Bế mạc Đại hội: bầu Ban Chấp hành khóa mới", body="Đại hội đã thành công tốt đẹp.")
    await expect(title).to_have_text("Bế mạc Đại hội: bầu Ban Chấp hành khóa mới", timeout=10_000)  # by SSE, within seconds
    assert await page.evaluate("performance.getEntriesByType('navigation').length") == loads  # no reload
    assert "thành công tốt đẹp" in await page.locator("#screen .body").inner_text()
    await page.screenshot(path=str(tmp_path / "led.png"), animations="disabled")
    assert (tmp_path / "led.png").stat().st_size > 10_000

    await site.retract("b")  # a retracted post leaves the screen too
    await expect(title).to_have_text("Khai mạc Đại hội đại biểu Đảng bộ tỉnh Lạng Sơn lần thứ XVII", timeout=10_000)

    await site.server.stop()  # the server goes away: the screen keeps what it shows and says it is offline
    await expect(page.locator("#offline")).to_be_visible(timeout=10_000)
    await expect(title).to_have_text("Khai mạc Đại hội đại biểu Đảng bộ tỉnh Lạng Sơn lần thứ XVII")
    await page.screenshot(path=str(tmp_path / "led-offline.png"), animations="disabled")
    await page.close()


async def test_led_page_falls_back_to_polling_without_event_source(site: Site, browser) -> None:
    from playwright.async_api import expect

    await site.publish("a", "Bài thứ nhất")
    page = await browser.new_page()
    await page.add_init_script("delete window.EventSource")  # as behind a proxy that breaks streams
    await page.goto(f"{site.server.url}/led/sanh")
    title = page.locator("#screen .title")
    await expect(title).to_have_text("Bài thứ nhất")
    await site.publish("b", "Bài thứ hai")
    await expect(title).to_have_text("Bài thứ hai", timeout=15_000)
    await page.close()
