"""Series items run like any post (issue 15 part 3): each slot goes out once approved, with the series
title before the item's, against the Telegram emulator; an unapproved slot is held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from campaign.clock import FakeClock
from campaign.store import repo
from campaign.store.db import Store
from jobs.simulate import virtual_time
from tests.campaign.test_series import SERIES, item
from tests.conftest import Campaign
from tests.emulators.telegram import TelegramEmulator
from tests.jobs.conftest import approve
from tests.jobs.test_engine import ADMIN, CHANNEL, settle, started, texts

FIRST_SLOT = datetime(2021, 1, 20, 0, 0, tzinfo=UTC)  # 07:00 in Hanoi, the first day of cao-diem


async def test_series_slots_go_out_after_approval_with_the_series_title(store: Store, tg_campaign: Campaign,
                                                                        tg: TelegramEmulator) -> None:
    tg_campaign.config_path.write_text(tg_campaign.config_path.read_text() + SERIES.replace('["tg", "zalo"]', '["tg"]'))
    tg_campaign.write("series/chao-mung/01-mo-dau.md", item("Mở đầu", body="Hướng về **Đại hội**."))
    tg_campaign.write("series/chao-mung/02-tiep-theo.md", item("Tiếp theo", body="Ngày thứ hai."))
    clock = FakeClock(FIRST_SLOT - timedelta(hours=1))
    with virtual_time(clock):
        engine = await started(store, tg_campaign, tg, clock)  # its start-up syncs the files
        approve(store, "series/chao-mung/01-mo-dau")
        clock.advance(3600 + 5)
        await settle(engine)
        assert texts(tg, CHANNEL) == ["<i>Chào mừng Đại hội XIII của Đảng</i> | <b>Mở đầu</b>\n\nHướng về <b>Đại hội</b>."]
        clock.advance(86400)  # the second slot, not approved yet: held, and the admins told
        await settle(engine)
        assert len(texts(tg, CHANNEL)) == 1
        assert any("Tiếp theo" in t and "chưa đủ duyệt (0/1)" in t for t in texts(tg, ADMIN))
        approve(store, "series/chao-mung/02-tiep-theo")
        clock.advance(60)
        await settle(engine)
        await engine.stop()
    assert texts(tg, CHANNEL)[1] == "<i>Chào mừng Đại hội XIII của Đảng</i> | <b>Tiếp theo</b>\n\nNgày thứ hai."
    with store.session() as s:
        assert {repo.post_by_key(s, k).status for k in ("series/chao-mung/01-mo-dau", "series/chao-mung/02-tiep-theo")} == {
            "published"}
