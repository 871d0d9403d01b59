"""A held post is re-checked on every sweep (every 5 s): its alert and log line come once per state."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from campaign import publishing
from campaign.clock import FakeClock
from campaign.store.db import Store
from tests.conftest import Campaign, post_text
from tests.emulators.telegram import TelegramEmulator
from tests.jobs.test_engine import ADMIN, DUE, settle, started, texts


def held_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "held" in r.getMessage()]


async def test_held_post_is_logged_and_alerted_once_per_state(store: Store, tg_campaign: Campaign, tg: TelegramEmulator,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    tg_campaign.write("a.md", post_text(title="Chưa duyệt"))
    clock = FakeClock(DUE - timedelta(minutes=5))
    engine = await started(store, tg_campaign, tg, clock)
    try:
        clock.set(DUE + timedelta(seconds=1))
        with caplog.at_level(logging.INFO):
            for _ in range(5):  # five sweeps: 25 s of a held post
                await engine.sweep()
                clock.advance(5)
            await settle(engine)
            assert len([m for m in held_lines(caplog) if m.startswith("alert held:")]) == 1
            # once, from whichever looked first: the post's own job (due in the past, it runs at once) or the sweep
            assert len([m for m in held_lines(caplog) if m.startswith(("sweep: post a held", "post a: held"))]) == 1
            assert sum("bị giữ lại" in t for t in texts(tg, ADMIN)) == 1
            caplog.clear()
            publishing.set_paused(store, True, "admin", clock.now())  # a new state: a new line, once
            for _ in range(3):
                await engine.sweep()
                clock.advance(5)
            await settle(engine)
        lines = held_lines(caplog)
        assert len([m for m in lines if m.startswith("alert held:")]) == 1 and "publishing is paused" in lines[0]
        assert sum("bị giữ lại" in t for t in texts(tg, ADMIN)) == 2
    finally:
        await engine.stop()


def test_without_alert_chats_the_log_line_still_comes_once(tmp_path, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    from campaign.sync import sync

    campaign = Campaign(tmp_path / "camp")
    campaign.config_path.write_text(campaign.config_path.read_text().replace('[alerts]\nchats = ["admin"]\n', ""))
    campaign.write("b.md", post_text(title="Không kênh báo", body=str(tmp_path)))  # new content, new ref per run
    cfg = campaign.config()
    assert cfg.alert_chats == ()
    clock = FakeClock(datetime(2021, 1, 26, 1, 31, tzinfo=UTC))
    sync(store, cfg, clock)
    with caplog.at_level(logging.WARNING):
        outcomes = [publishing.publish_due(store, cfg, clock, "b") for _ in range(4)]
    assert [o.action for o in outcomes] == ["held"] * 4
    assert [o.repeated for o in outcomes] == [False, True, True, True]
    assert len([r for r in caplog.records if r.getMessage().startswith("alert held:b:")]) == 1
