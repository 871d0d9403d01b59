"""Polling relayed sources against a local feed server: conditional GET, deduplication, a huge feed,
items that change upstream, broken XML, a failing server (back-off, one alert after an hour)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from campaign.clock import FakeClock
from campaign.drafts import Source, write_draft
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Delivery, RelayFeed, RelayItem
from campaign.sync import sync
from jobs.relay import RelayPoller
from tests.conftest import Campaign
from tests.emulators.feeds import FeedServer, atom, news, rss
from tests.jobs.conftest import approve
from tests.relay.conftest import drafts, relay_campaign, written

PATH = "/rss/thoi-su.rss"
T0 = datetime(2021, 1, 20, 0, 0, tzinfo=UTC)


@pytest.fixture
def camp(tmp_path: Path, feeds: FeedServer) -> Campaign:
    return relay_campaign(tmp_path, feeds.url(PATH))


@pytest.fixture
async def poller(store: Store, camp: Campaign) -> AsyncIterator[RelayPoller]:
    p = RelayPoller(store, camp.config(), FakeClock(T0))
    yield p
    p.close()


def feed_state(store: Store) -> RelayFeed:
    with store.session() as s:
        feed = s.get(RelayFeed, "dcs")
        assert feed is not None
        s.expunge_all()
        return feed


async def test_new_items_become_drafts_once_then_the_server_answers_304(poller: RelayPoller, feeds: FeedServer,
                                                                          camp: Campaign) -> None:
    feeds.serve(PATH, rss(news(3)))
    assert len(written(await poller.poll("dcs"))) == 3
    files = drafts(camp)
    assert [f.name for f in files] == ["20210120-0800-tin-so-0.md", "20210120-0800-tin-so-1.md", "20210120-0800-tin-so-2.md"]
    text = files[0].read_text(encoding="utf-8")
    assert 'title: "Tin số 0"' in text and 'time: "2021-01-20 08:00"' in text and 'channels: [tg]' in text
    assert 'milestone: cao-diem' in text and "Nguồn: [Báo Điện tử Đảng](https://dangcongsan.example/tin-0.html)" in text
    assert await poller.poll("dcs") is None  # not modified
    assert [h.status for h in feeds.hits] == [200, 304]
    assert feeds.hits[1].if_none_match and feeds.hits[1].if_modified_since
    assert len(drafts(camp)) == 3


async def test_without_validators_the_items_are_still_deduplicated_by_id_and_link(
        poller: RelayPoller, feeds: FeedServer, camp: Campaign) -> None:
    feeds.serve(PATH, rss(news(2)), etag=False, last_modified=False)
    assert len(written(await poller.poll("dcs"))) == 2
    same_link_new_id = [{**news(1)[0], "guid": "urn:other"}, *news(1, start=5)]
    feeds.serve(PATH, rss(news(2) + same_link_new_id), etag=False, last_modified=False)
    assert [k.rsplit("/", 1)[1] for k in written(await poller.poll("dcs"))] == ["20210120-0800-tin-so-5"]
    assert [h.status for h in feeds.hits] == [200, 200] and feeds.hits[1].if_none_match is None


async def test_last_modified_alone_gives_304(poller: RelayPoller, feeds: FeedServer) -> None:
    feeds.serve(PATH, rss(news(1)), etag=False)
    await poller.poll("dcs")
    await poller.poll("dcs")
    assert [h.status for h in feeds.hits] == [200, 304]
    assert feeds.hits[1].if_none_match is None and feeds.hits[1].if_modified_since == "Wed, 20 Jan 2021 00:01:00 GMT"


async def test_huge_feed_relays_only_new_items_capped_per_poll(poller: RelayPoller, feeds: FeedServer, camp: Campaign,
                                                               store: Store) -> None:
    feeds.serve(PATH, rss(news(5000)))
    first = await poller.poll("dcs")
    assert first is not None and len(first.written) == 5 and first.backlog == 4995  # the newest five; the rest seen
    assert [f.stem for f in drafts(camp)] == [f"20210120-0800-tin-so-{i}" for i in range(4995, 5000)]
    with store.session() as s:
        assert len(s.exec(select(RelayItem)).all()) == 5000
    feeds.serve(PATH, rss(news(5007)))  # seven new items: five now, two on the next poll
    second = await poller.poll("dcs")
    assert second is not None and len(second.written) == 5 and second.waiting == 2
    third = await poller.poll("dcs")  # the validators were not kept: the feed is read again
    assert third is not None and len(third.written) == 2 and third.waiting == 0
    assert await poller.poll("dcs") is None
    assert [h.status for h in feeds.hits] == [200, 200, 200, 304]
    assert len(drafts(camp)) == 12


async def test_an_item_that_changes_updates_its_untouched_draft_until_it_is_approved(
        poller: RelayPoller, feeds: FeedServer, camp: Campaign, store: Store) -> None:
    items = news(2)
    feeds.serve(PATH, rss(items))
    await poller.poll("dcs")
    draft = camp.content / "relay/dcs/20210120-0800-tin-so-1.md"
    items[0]["description"] = "<p>Bản sửa: số liệu mới.</p>"
    feeds.serve(PATH, rss(items))
    outcome = await poller.poll("dcs")
    assert outcome is not None and outcome.updated == ["relay/dcs/20210120-0800-tin-so-1"] and outcome.written == []
    assert "Bản sửa: số liệu mới." in draft.read_text(encoding="utf-8") and len(drafts(camp)) == 2

    cfg = camp.config()
    sync(store, cfg, FakeClock(T0))
    approve(store, "relay/dcs/20210120-0800-tin-so-1")
    approved_text = draft.read_text(encoding="utf-8")
    items[0]["description"] = "<p>Bản sửa lần hai.</p>"
    feeds.serve(PATH, rss(items))
    outcome = await poller.poll("dcs")
    assert outcome is not None and outcome.written == ["relay/dcs/20210120-0800-cap-nhat-tin-so-1"]
    assert draft.read_text(encoding="utf-8") == approved_text  # what was approved is left alone
    update = camp.content / "relay/dcs/20210120-0800-cap-nhat-tin-so-1.md"
    assert 'title: "Cập nhật: Tin số 1"' in update.read_text(encoding="utf-8")


async def test_an_edited_or_deleted_draft_is_never_overwritten(poller: RelayPoller, feeds: FeedServer,
                                                               camp: Campaign) -> None:
    items = news(2)
    feeds.serve(PATH, rss(items))
    await poller.poll("dcs")
    edited, deleted = camp.content / "relay/dcs/20210120-0800-tin-so-1.md", camp.content / "relay/dcs/20210120-0800-tin-so-0.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nGhi chú của biên tập viên.\n", encoding="utf-8")
    deleted.unlink()
    for item in items:
        item["title"] += " (sửa)"
    feeds.serve(PATH, rss(items))
    outcome = await poller.poll("dcs")
    assert outcome is not None and outcome.updated == [] and outcome.written == ["relay/dcs/20210120-0800-cap-nhat-tin-so-1-sua"]
    assert "Ghi chú của biên tập viên." in edited.read_text(encoding="utf-8")
    assert not deleted.exists()


async def test_broken_xml_is_a_failed_poll_and_writes_nothing(poller: RelayPoller, feeds: FeedServer, camp: Campaign,
                                                              store: Store) -> None:
    feeds.serve(PATH, "<html><body><h1>502 Bad Gateway</h1>")
    assert await poller.poll("dcs") is None
    assert drafts(camp) == [] and feed_state(store).failures == 1
    feeds.serve(PATH, atom([{"id": "urn:x", "link": "https://vtv.example/x", "title": "Trailer Đại hội",
                             "summary": "<p>Xem</p>", "updated": "2021-01-20T00:00:00Z"}]),
                content_type="application/atom+xml")
    poller.clock.advance(timedelta(minutes=10))  # type: ignore[attr-defined]
    assert len(written(await poller.poll("dcs"))) == 1
    assert feed_state(store).failures == 0


async def test_a_failing_source_backs_off_and_alerts_once_after_an_hour(poller: RelayPoller, feeds: FeedServer,
                                                                         store: Store) -> None:
    feeds.fail(PATH, "500")
    clock: FakeClock = poller.clock  # type: ignore[assignment]
    polled_at: list[int] = []
    for minute in range(181):  # the job fires every minute here; back-off decides which polls go out
        clock.set(T0 + timedelta(minutes=minute))
        before = feeds.count(PATH)
        await poller.poll("dcs")
        if feeds.count(PATH) > before:
            polled_at.append(minute)
        alerts = alert_rows(store)
        assert len(alerts) == (1 if minute >= 60 else 0), minute
    assert polled_at == [0, 10, 30, 60, 90, 120, 150, 180]  # every 10m, doubling, capped at 30m
    [row] = alert_rows(store)
    text = row.payload["plain"]
    assert "Báo Điện tử Đảng" in text and "HTTP 500" in text and "60" in text and "Relay source" in text
    feeds.serve(PATH, rss(news(1)))  # it answers again: the next run of failures gets its own alert
    clock.advance(timedelta(minutes=30))
    await poller.poll("dcs")
    state = feed_state(store)
    assert state.failures == 0 and state.failing_since is None and not state.alerted


async def test_connection_failures_and_timeouts_count_as_failures(store: Store, tmp_path: Path, feeds: FeedServer) -> None:
    feeds.fail(PATH, "close")
    with FeedServer(latency=2.0) as slow:
        slow.serve(PATH, rss(news(1)))
        cfg = relay_campaign(tmp_path, feeds.url(PATH)).config()
        [slow_source] = relay_campaign(tmp_path / "slow", slow.url(PATH), extra='timeout = "1s"\n').config().relays
        both_sources = dataclasses.replace(cfg, relays=(*cfg.relays, dataclasses.replace(slow_source, id="cham")))
        p = RelayPoller(store, both_sources, FakeClock(T0))
        try:
            assert await p.poll_all() == {"dcs": None, "cham": None}
        finally:
            p.close()
    with store.session() as s:
        errors = {f.source: f.last_error for f in s.exec(select(RelayFeed))}
    assert errors == {"dcs": "connection failed", "cham": "timeout"}


def alert_rows(store: Store) -> list[Delivery]:
    with store.session() as s:
        rows = list(s.exec(select(Delivery).where(Delivery.ref.startswith("alert:relay:"))))  # type: ignore[attr-defined]
        s.expunge_all()
        return rows


def test_posts_from_drafts_are_ordinary_posts(store: Store, camp: Campaign) -> None:
    """A draft file goes through sync like any other post (and needs its approvals)."""
    cfg = camp.config()
    write_draft(camp.content / "relay/dcs", title="Tin", at=datetime(2021, 1, 20, 1, 0, tzinfo=UTC), tz=cfg.tz, channels=["tg"],
                body="Nội dung.", author="", source=Source("Báo", "https://x.example/"), milestone="cao-diem")
    report = sync(store, cfg, FakeClock(T0))
    assert report.problems == [] and report.added == ["relay/dcs/20210120-0800-tin"]
    with store.session() as s:
        post = repo.post_by_key(s, "relay/dcs/20210120-0800-tin")
        assert post is not None and post.approved_by == 0 and post.approvals_required == 1
