"""Issue 9 in ``loa run``: bad files beside a good one, at start-up and on a resync (what the watcher
runs), never stop the engine; the good post goes out through the real Telegram client and emulator."""

from __future__ import annotations

import os
from datetime import timedelta

from campaign.clock import FakeClock
from campaign.store import repo
from campaign.store.db import Store
from campaign.sync import sync
from jobs.simulate import virtual_time
from tests.conftest import Campaign, post_text
from tests.emulators.telegram import TelegramEmulator
from tests.jobs.conftest import approve
from tests.jobs.test_engine import CHANNEL, DUE, settle, started, texts


async def test_good_post_goes_out_beside_bad_files(store: Store, tg_campaign: Campaign, tg: TelegramEmulator) -> None:
    tg_campaign.write("tot.md", post_text(title="Bài tốt"))
    tg_campaign.write("sau.md", post_text(title="Bài sau", time="09:30"))
    clock = FakeClock(DUE + timedelta(seconds=5))
    sync(store, tg_campaign.config(), clock)
    approve(store, "tot")
    approve(store, "sau")
    tg_campaign.write("xa.md", post_text(time="start +99999999999d"))
    tg_campaign.write("nul.md", post_text(body="a\x00b"))
    os.mkfifo(tg_campaign.content / "ong")
    tg_campaign.write("fifo.md", post_text(media="[ong]"))
    with virtual_time(clock):
        engine = await started(store, tg_campaign, tg, clock)
        await settle(engine)
        assert texts(tg, CHANNEL) == ["<b>Bài tốt</b>\n\nNội dung <b>đậm</b>."]
        # "sau" turns bad after its approval (what the watcher would see): held, and the engine goes on
        tg_campaign.write("sau.md", post_text(title="Bài sau", time="09:30", body="x\x00"))
        report = await engine.resync()
        assert {os.path.basename(p.path) for p in report.problems} == {"xa.md", "nul.md", "fifo.md", "sau.md"}
        clock.advance(3600)
        await engine.sweep()
        await settle(engine)
        await engine.stop()
    assert len(texts(tg, CHANNEL)) == 1
    with store.session() as s:
        sau = repo.post_by_key(s, "sau")
        assert sau.status == "held" and "U+0000" in (sau.source_error or "")
