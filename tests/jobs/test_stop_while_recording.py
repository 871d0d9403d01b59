"""A stop that comes while a finished send is being recorded waits for the record (no row left 'sending')."""

from __future__ import annotations

import threading

import pytest

from campaign import deliveries
from campaign.clock import FakeClock
from campaign.store import repo
from campaign.store.db import Store
from campaign.sync import sync
from jobs.engine import Engine
from jobs.simulate import virtual_time
from tests.conftest import Campaign, post_text
from tests.emulators.telegram import TelegramEmulator
from tests.jobs.conftest import approve, fast, telegram_adapters
from tests.jobs.test_engine import CHANNEL, DUE


async def test_stop_during_the_record_of_a_send_waits_for_it(store: Store, tg_campaign: Campaign, tg: TelegramEmulator,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    tg_campaign.write("a.md", post_text(title="A"))
    clock = FakeClock(DUE)
    sync(store, tg_campaign.config(), clock)
    approve(store, "a")
    recording, release = threading.Event(), threading.Event()
    mark_sent = deliveries.mark_sent

    def slow_mark_sent(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - the real function, held at its start
        recording.set()
        release.wait(5)
        return mark_sent(*args, **kwargs)

    monkeypatch.setattr(deliveries, "mark_sent", slow_mark_sent)
    cfg = fast(tg_campaign.config())
    with virtual_time(clock):
        engine = Engine(store, cfg, telegram_adapters(cfg, tg), clock)
        await engine.start(run_sweep=False)
        await engine.sweep()
        await tg.wait_for(lambda: bool(tg.messages(CHANNEL)))
        await tg.wait_for(recording.is_set)  # sent; its result is on its way to the store
        threading.Timer(0.2, release.set).start()  # the store answers a moment after the stop begins
        await engine.stop(timeout=5)
    with store.session() as s:
        statuses = {d.status for d in repo.deliveries_for(s, "post:a")}
    assert statuses == {"sent"}, statuses
    assert len(tg.messages(CHANNEL)) == 1
