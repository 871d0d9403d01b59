"""The dashboard shows the sample's series (issue 15 part 3): filled slots as posts, empty ones as dashed
"trống / empty" marks on the timeline and the calendar (staff only), and the series title in previews."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import pytest

from campaign.store.db import Store
from tests.web.board import MINH, Board, running_board

SERIES_TITLE = "Chào mừng Đại hội XIII của Đảng"


@pytest.fixture
async def board(tmp_path: Path, store: Store) -> AsyncIterator[Board]:
    async with running_board(tmp_path / "camp", store) as b:
        yield b


async def test_timeline_draws_empty_slots_as_dashed_rings_and_does_not_count_them(board: Board) -> None:
    client = await board.signed_in(MINH)
    async with aclosing(client):
        page = (await client.get("/", params={"zoom": "day", "at": "2021-01-24"})).text
        empty = re.findall(r'<g class="mark empty"[^>]*>.*?</g>', page, flags=re.DOTALL)
        assert len(empty) == 3  # the series' three channels (tg_tinh, zalo_nhom, so_feed) at 07:00
        assert all("stroke-dasharray" in m and f"{SERIES_TITLE} | trống / empty" in m for m in empty)
        assert "07:00 24/01/2021" in empty[0]
        filled = (await client.get("/", params={"zoom": "day", "at": "2021-01-20"})).text
        assert 'class="mark empty"' not in filled and 'data-state="missed"' in filled  # the board starts on 21/01


async def test_calendar_shows_filled_and_empty_slots(board: Board) -> None:
    client = await board.signed_in(MINH)
    async with aclosing(client):
        page = (await client.get("/calendar", params={"view": "week", "at": "2021-01-20"})).text
        days = {m.group(1): m.group(2) for m in re.finditer(r"<strong>(\d\d/\d\d)</strong>(.*?)</div>\s*(?=<div class=\"day|</div>)",
                                                             page, flags=re.DOTALL)}
        assert "Khát vọng phát triển" in days["20/01"] and 'class="p empty"' not in days["20/01"]
        assert 'class="p empty"' in days["24/01"] and "trống / empty" in days["24/01"]
        only_the_oa = (await client.get("/calendar", params={"view": "week", "at": "2021-01-20",
                                                                     "channel": "zalo_oa"})).text
        assert 'class="p empty"' not in only_the_oa  # the series does not go to the OA


async def test_public_pages_show_no_empty_slot(board: Board) -> None:
    assert 'class="mark empty"' not in (await board.http.get("/public")).text


async def test_the_post_page_previews_the_series_title_first(board: Board) -> None:
    client = await board.signed_in(MINH)
    async with aclosing(client):
        page = (await client.get(f"/posts/{board.post_id('series/chao-mung-dai-hoi-xiii/01-khat-vong-phat-trien')}")).text
        assert f"<i>{SERIES_TITLE}</i> | <b>Khát vọng phát triển đất nước phồn vinh, hạnh phúc</b>" in page
