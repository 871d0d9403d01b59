"""A busy campaign on the dashboard: marks with their counts, "+N" calendar days, the public list's limit.

1,500 posts over January 2021 (``tests.campaign.test_board``); the app of ``loa run`` called through
httpx's ASGI transport with an approver's session cookie.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from campaign import board, signin
from campaign.clock import FakeClock
from campaign.states import PUBLIC_MARKS
from campaign.store.db import Store
from campaign.store.models import Post
from tests.campaign.test_board import HN, _busy_month
from tests.conftest import Campaign
from web.app import build_app
from web.dashboard import CALENDAR_PER_DAY, PUBLIC_LIST, SESSION_COOKIE

NOW = datetime(2021, 1, 26, 3, 0, tzinfo=UTC)


@pytest.fixture
async def busy(store: Store, campaign: Campaign) -> AsyncIterator[tuple[httpx.AsyncClient, list[Post]]]:
    config = campaign.config()
    posts = _busy_month(store, 1500)
    clock = FakeClock(NOW)
    key = signin.secret(store, None)
    cookie = signin.cookie_value(key, signin.start_session(key, config.people["lan"], clock.now()))
    transport = httpx.ASGITransport(app=build_app(store, config, clock=clock))
    async with httpx.AsyncClient(transport=transport, base_url="http://loa.test", cookies={SESSION_COOKIE: cookie}) as http:
        yield http, posts


async def test_a_busy_month_shows_counted_marks_that_open_their_day(busy: tuple[httpx.AsyncClient, list[Post]]) -> None:
    http, posts = busy
    r = await http.get("/?zoom=month&at=2021-01-26")
    assert r.status_code == 200
    in_january = [p for p in posts if p.scheduled_at.astimezone(HN).month == 1 and p.scheduled_at.astimezone(HN).year == 2021]
    counts = [int(n) for n in re.findall(r'data-count="(\d+)"', r.text)]
    assert sum(counts) == sum(len(p.channels) for p in in_january)  # every post on every lane, as counts
    assert len(counts) < len(in_january) and max(counts) > 1
    assert re.search(r'href="/\?zoom=day&amp;at=2021-01-\d\d" class="mark" data-post="\d+" data-state="\w+" data-count="[2-9]', r.text)
    assert f"{len(in_january)}" in r.text  # "N posts in view"


async def test_a_busy_calendar_day_lists_forty_and_links_the_rest(busy: tuple[httpx.AsyncClient, list[Post]]) -> None:
    http, posts = busy
    r = await http.get("/calendar?view=week&at=2021-01-26")
    assert r.status_code == 200
    day = [p for p in posts if p.scheduled_at.astimezone(HN).date().isoformat() == "2021-01-27"]
    cell = r.text.split("<strong>27/01</strong>", 1)[1].split('<div class="day', 1)[0]
    assert cell.count('class="p"') == CALENDAR_PER_DAY < len(day)
    assert f'<a class="more" href="/?zoom=day&amp;at=2021-01-27">+{len(day) - CALENDAR_PER_DAY}</a>' in cell
    first = min(day, key=lambda p: (p.scheduled_at, p.key))
    assert f'href="/posts/{first.id}"' in cell


async def test_the_public_page_lists_its_first_posts_and_says_how_many(busy: tuple[httpx.AsyncClient, list[Post]],
                                                                       campaign: Campaign) -> None:
    http, posts = busy
    config = campaign.config()
    r = await http.get("/public")
    assert r.status_code == 200
    first, last = board.campaign_span(config)
    shown = [p for p in posts if board.post_state(p) in PUBLIC_MARKS
             and first - timedelta(days=1) <= p.scheduled_at < last + timedelta(days=1)]
    assert len(shown) > PUBLIC_LIST
    listed = r.text.split('<table id="posts">', 1)[1].split("</table>", 1)[0]
    assert listed.count("<tr>") == PUBLIC_LIST
    assert f"{PUBLIC_LIST}" in r.text and f"{len(shown)}" in r.text and 'id="more-posts"' in r.text
    assert "/posts/" not in r.text
