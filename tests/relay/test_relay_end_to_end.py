"""End to end: ``loa run``'s engine polls the feed on its own job -> a draft file -> sync -> held until
approved -> approved -> published on Telegram with its source named and linked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from campaign.clock import FakeClock
from campaign.store import repo
from campaign.store.db import Store
from jobs.engine import Engine
from tests.conftest import CONFIG
from tests.emulators.feeds import FeedServer, news, rss
from tests.emulators.telegram import TelegramEmulator
from tests.emulators.waiting import wait_for
from tests.jobs.conftest import approve, fast, telegram_adapters
from tests.jobs.test_engine import settle, texts
from tests.relay.conftest import drafts, relay_campaign

PATH = "/rss/thoi-su.rss"
T0 = datetime(2021, 1, 20, 0, 0, tzinfo=UTC)  # 07:00 in Hà Nội; drafts are proposed for 08:00
KEY = "relay/dcs/20210120-0800-tin-so-0"


async def test_a_relayed_item_is_published_only_after_approval(store: Store, tmp_path: Path, feeds: FeedServer,
                                                               tg: TelegramEmulator) -> None:
    items = news(1, text="Sáng nay <b>Đại hội</b> họp phiên trù bị. <script>alert(1)</script>")
    feeds.serve(PATH, rss(items))
    base = CONFIG + f'\n[telegram]\napi_base = "{tg.base_url}"\nfile_base = "{tg.base_file_url}"\n'
    camp = relay_campaign(tmp_path, feeds.url(PATH), base=base)
    cfg = fast(camp.config())
    clock = FakeClock(T0)
    engine = Engine(store, cfg, telegram_adapters(cfg, tg), clock, relay=True)
    try:
        await engine.start()
        assert engine.scheduler.get_job("relay:dcs") is not None
        # the first poll runs at start (the parsing process starting meanwhile), then resyncs the draft
        await wait_for(lambda: feeds.count(PATH) and post_status(store) == "scheduled", timeout=30)
        assert [f.stem for f in drafts(camp)] == ["20210120-0800-tin-so-0"]

        clock.set(T0 + timedelta(hours=1, seconds=5))  # its time comes: not approved, so held
        await settle(engine)
        assert texts(tg, "@kenh") == [] and post_status(store) == "held"

        approve(store, KEY)
        clock.advance(timedelta(seconds=10))
        await settle(engine)
        [sent] = texts(tg, "@kenh")
    finally:
        await engine.stop()
    assert sent.startswith("<b>Tin số 0</b>\n\nSáng nay Đại hội họp phiên trù bị.")
    assert "script" not in sent and "alert" not in sent
    assert 'Nguồn: <a href="https://dangcongsan.example/tin-0.html">Báo Điện tử Đảng</a>' in sent
    assert post_status(store) == "published"


def post_status(store: Store) -> str | None:
    with store.session() as s:
        post = repo.post_by_key(s, KEY)
        return None if post is None else post.status
