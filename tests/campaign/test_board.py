"""The dashboard's reads counted in SQL: the same states, marks and calendar days as row by row.

``board.clusters`` and ``board.calendar_days`` never read a window's posts one by one (a month of
a 10,000-post campaign); these tests hold them to what ``post_state`` and ``drawing.cluster`` say
of the same posts, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import random
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from campaign import board, drawing
from campaign.states import DeliveryState, PostState
from campaign.store.db import Store
from campaign.store.models import Delivery, Post
from tests.conftest import Campaign

HN = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2021, 1, 26)


def _post(i: int, at: datetime, channels: list[str], **kw: object) -> Post:
    fields: dict[str, object] = {"key": f"p{i:05d}", "source_path": f"p{i}.md", "title": f"Bài số {i}", "scheduled_at": at,
                                 "channels": channels, "body": "x", "content_hash": "c", "file_hash": "f",
                                 "updated_at": at, "author": "lan" if i % 3 else "minh", "milestone": "khai-mac"}
    fields.update(kw)
    return Post(**fields)  # type: ignore[arg-type]


def test_state_sql_agrees_with_post_state_in_every_case(store: Store) -> None:
    combos = list(itertools.product(list(PostState)[:6], (None, "c", "old"), (False, True), (0, 1, 2), (False, True)))
    at = datetime(2021, 1, 26, 1, tzinfo=UTC)
    with store.session() as s:
        for i, (status, published, rejected, approved, bad) in enumerate(combos):
            p = _post(i, at, ["tg"], status=status, published_hash=published, rejected=rejected, approved_by=approved,
                      approvals_required=1)
            s.add(p)
            s.flush()
            if bad:
                s.add(Delivery(ref=f"post:{p.key}", post_id=p.id, channel="tg", status=DeliveryState.UNKNOWN, due_at=at,
                               next_attempt_at=at, created_at=at))
        s.commit()
        got = dict(s.exec(select(Post.id, board.state_sql())).all())  # type: ignore[call-overload]
        for (status, published, rejected, approved, bad), p in zip(combos, s.exec(select(Post).order_by(Post.key)).all(), strict=True):
            assert got[p.id] == board.post_state(p, bad), (status, published, rejected, approved, bad)
    assert len(set(got.values())) == len(drawing.STATES)  # every colour of the legend came up


def _busy_month(store: Store, n: int, seed: int = 3) -> list[Post]:
    """``n`` posts over January 2021 and a day either side, a few to two channels, in mixed states."""
    rng = random.Random(seed)
    start = datetime(2020, 12, 31, tzinfo=HN)
    posts = []
    with store.session() as s:
        for i in range(n):
            at = start + timedelta(minutes=rng.randrange(33 * 24 * 60))
            p = _post(i, at, rng.choice([["tg"], ["tg"], ["tg", "nhom"], ["nhom"]]), approvals_required=1,
                      approved_by=rng.choice([0, 1]), status=rng.choice([PostState.SCHEDULED, PostState.PUBLISHED]))
            s.add(p)
            posts.append(p)
        s.commit()
    return posts


def test_a_busy_month_shows_every_post_in_the_window_counted_on_its_lanes(store: Store, campaign: Campaign) -> None:
    """1,500 posts: a few hundred marks, each with its count, that add up to every (post, lane) in the month,
    exactly as drawing them one by one would group them; a group links to its day, zoomed in."""
    config = campaign.config()
    posts = _busy_month(store, 1500)
    start, end = drawing.window("month", DAY, config.tz, board.campaign_span(config))
    scale = drawing.Scale(start, end)
    clusters, count = board.clusters(store, config, scale, more=lambda first: f"/?zoom=day&at={first.astimezone(HN).date()}")

    inside = [p for p in posts if start <= p.scheduled_at < end]
    titles = {p.id: p.title for p in posts}
    assert count == len(inside) and 1000 < count < 1500
    assert sum(c.count for c in clusters) == sum(len(p.channels) for p in inside)
    assert len(clusters) < 0.75 * sum(c.count for c in clusters)  # aggregated: fewer circles than marks
    with store.session() as s:
        marks = [drawing.Mark(p.id or 0, p.title, board.lane(config, ch), p.scheduled_at, board.post_state(p), f"/posts/{p.id}")
                 for p in s.exec(select(Post)).all() for ch in p.channels]
    lanes = board.lanes(config, marks)
    expected = drawing.cluster(marks, lanes, scale)
    key = lambda c: (c.lane, c.state, c.first, c.count)  # noqa: E731
    assert sorted(map(key, clusters)) == sorted(map(key, expected))
    for c in clusters:
        if c.count == 1:
            assert c.href == f"/posts/{c.post_id}" and c.title == titles[c.post_id]
        else:
            assert c.href == f"/?zoom=day&at={c.first.astimezone(HN).date()}"

    svg = drawing.timeline_svg(board.bands(config), lanes, [], start, end, None, config.tz, clusters=clusters)
    counts = [int(n) for n in re.findall(r'data-count="(\d+)"', svg)]
    assert sum(counts) == sum(len(p.channels) for p in inside)  # the page shows them all, as counts
    assert 'href="/?zoom=day&amp;at=2021-01-' in svg


def test_public_clusters_count_only_approved_or_published(store: Store, campaign: Campaign) -> None:
    config = campaign.config()
    posts = _busy_month(store, 300, seed=5)
    start, end = drawing.window("month", DAY, config.tz, board.campaign_span(config))
    clusters, count = board.clusters(store, config, drawing.Scale(start, end), public=True)
    shown = [p for p in posts if start <= p.scheduled_at < end and board.post_state(p) in ("approved", "published")]
    assert count == len(shown) and {c.state for c in clusters} <= {"approved", "published"}
    assert all(c.href is None for c in clusters)


def test_a_calendar_day_lists_its_first_posts_and_counts_the_rest(store: Store, campaign: Campaign) -> None:
    config = campaign.config()
    posts = _busy_month(store, 1500)
    monday = date(2021, 1, 25)
    days = board.calendar_days(store, config, monday, 7, per_day=10)
    for i in range(7):
        d = monday + timedelta(days=i)
        lo, hi = datetime.combine(d, time(0), HN), datetime.combine(d + timedelta(days=1), time(0), HN)
        that_day = sorted((p for p in posts if lo <= p.scheduled_at < hi), key=lambda p: (p.scheduled_at, p.key))
        assert days[d].total == len(that_day) > 10
        assert [r.id for r, _st in days[d].posts] == [p.id for p in that_day[:10]]
        assert [st for _r, st in days[d].posts] == [board.post_state(p) for p in that_day[:10]]
    # filters: a channel, a state, an author
    nhom = board.calendar_days(store, config, monday, 7, channel="nhom")
    assert sum(d.total for d in nhom.values()) == sum(1 for p in posts if "nhom" in p.channels and
                                                        datetime.combine(monday, time(0), HN) <= p.scheduled_at
                                                        < datetime.combine(monday + timedelta(days=7), time(0), HN))
    assert all("nhom" in r.channels for d in nhom.values() for r, _st in d.posts)
    waiting = board.calendar_days(store, config, monday, 7, state="waiting", author="minh")
    assert waiting and all(st == "waiting" and r.author == "minh" for d in waiting.values() for r, st in d.posts)
