"""The dashboard in a real browser (Playwright driving Debian's chromium) on the sample campaign.

Sign in through the link the test bot received, see the timeline with the sample's milestones,
open a post and its per-channel previews, approve it and see its mark change colour, and be
refused a staff page without a session. Screenshots go to the test's temporary directory
(``LOA_SCREENSHOTS=DIR`` copies them there too, e.g. docs/images).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from campaign import drawing
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Post
from tests.web.board import MINH, Board, running_board

CHROMIUM = Path(os.environ.get("LOA_CHROMIUM", "/usr/bin/chromium"))
playwright_api = pytest.importorskip("playwright.async_api")
if not CHROMIUM.exists():  # CI (CI=1, set by .ci/run, which installs chromium) fails instead of skipping
    if os.environ.get("CI"):
        raise RuntimeError(f"no chromium at {CHROMIUM}: CI installs it (apt-get install -y chromium)")
    pytest.skip(f"no chromium at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture
async def board(tmp_path: Path, store: Store) -> AsyncIterator[Board]:
    async with running_board(tmp_path / "camp", store) as b:
        yield b


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    async with playwright_api.async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield b
        finally:
            await b.close()


def shot_dir(tmp_path: Path) -> Path:
    out = tmp_path / "screenshots"
    out.mkdir(exist_ok=True)
    return out


async def screenshot(page: object, tmp_path: Path, name: str) -> None:
    path = shot_dir(tmp_path) / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    if extra := os.environ.get("LOA_SCREENSHOTS"):
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)


def waiting_post(board: Board) -> int:
    """A post of the sample waiting for approval, not written by Minh (who signs in)."""
    with board.store.session() as s:
        for p in repo.posts_between(s, board.clock.now(), None, statuses=["scheduled"]):
            if p.approved_by < p.approvals_required and not p.rejected and p.author != "tran_van_minh" and p.id:
                return p.id
    raise AssertionError("the sample has no post waiting for approval")


async def test_sign_in_timeline_post_approve_and_refusal(board: Board, browser: object, tmp_path: Path) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")  # type: ignore[attr-defined]
    page = await context.new_page()

    # signed out: a staff page sends the visitor to "sign in from the bot"
    await page.goto(board.url + "/approvals")
    assert page.url.startswith(board.url + "/signin")
    assert "/web" in await page.inner_text("#how")
    await screenshot(page, tmp_path, "signin")

    # the link the bot sent, then the button (a link preview fetching it signs nobody in)
    link = await board.link(MINH)
    await page.goto(link)
    await page.click("#signin")
    await page.wait_for_url(board.url + "/")
    svg = await page.inner_html(".svgbox")
    milestones = board.campaign.config().milestones
    assert len(milestones) == 13 and all(f'data-milestone="{m.id}"' in svg for m in milestones)
    assert await page.locator("svg.timeline line.today").count() == 1
    assert "Trần Văn Minh" in await page.inner_text("header")
    await screenshot(page, tmp_path, "timeline")

    # the week of 21/01/2021: a waiting post's mark, and its page with a preview per channel
    post_id = waiting_post(board)
    with board.store.session() as s:
        post = s.get(Post, post_id)
        assert post is not None
        day = post.scheduled_at.astimezone(board.campaign.config().tz).date()
        n_channels = len(post.channels)
    await page.goto(f"{board.url}/?zoom=week&at={day.isoformat()}")
    mark = page.locator(f'a.mark[data-post="{post_id}"]').first
    assert await mark.get_attribute("data-state") == "waiting"
    assert await mark.locator("circle").get_attribute("fill") == drawing.STATES["waiting"][0]
    await screenshot(page, tmp_path, "timeline-week")
    await mark.click()
    await page.wait_for_url(f"{board.url}/posts/{post_id}")
    assert await page.locator(".preview").count() == n_channels
    assert await page.locator(".preview.telegram .msg b").count() >= 1  # Telegram HTML, shown as such
    assert "ký tự" in await page.inner_text(".preview .count")
    await screenshot(page, tmp_path, "post")

    # approve here: the chat's rules, the notice, and the mark's new colour
    await page.click("#approve")
    await page.wait_for_url(f"{board.url}/posts/{post_id}?*")
    assert f"#{post_id}" in await page.inner_text("#notice")
    assert await page.get_attribute("#state", "data-state") == "approved"
    await page.goto(f"{board.url}/?zoom=week&at={day.isoformat()}")
    mark = page.locator(f'a.mark[data-post="{post_id}"]').first
    assert await mark.get_attribute("data-state") == "approved"
    assert await mark.locator("circle").get_attribute("fill") == drawing.STATES["approved"][0]
    with board.store.session() as s:
        assert [a.person for a in repo.live_approvals(s, post_id)] == ["tran_van_minh"]
        assert any(e.action == "approved" and e.actor == "tran_van_minh" for e in repo.audit_events(s, post_id=post_id))

    # the other pages, in English too
    for path, name in (("/approvals", "approvals"), ("/operations", "operations"), ("/calendar", "calendar"),
                       ("/public", "public")):
        await page.goto(board.url + path)
        await screenshot(page, tmp_path, name)
    await page.click("#lang")
    assert "Campaign schedule" in await page.title()
    await page.goto(board.url + "/")
    assert "Campaign timeline" in await page.inner_text("h1")
    await screenshot(page, tmp_path, "timeline-en")

    # a fresh browser without the cookie is refused the staff pages
    other = await browser.new_context()  # type: ignore[attr-defined]
    stranger = await other.new_page()
    await stranger.goto(f"{board.url}/posts/{post_id}")
    assert stranger.url.startswith(board.url + "/signin")
    await other.close()
    await context.close()
