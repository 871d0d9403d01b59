"""Delivery while the database is unreachable: SQLite locked by another process for longer than
the busy timeout, PostgreSQL backends terminated mid-fan-out. Times are scaled down (a 0.1 s busy
timeout, a patience of seconds instead of 2 minutes); no test waits for real minutes."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from campaign.clock import FakeClock
from campaign.store import repo
from campaign.store.db import Store
from campaign.sync import sync
from jobs.engine import Engine
from jobs.simulate import virtual_time
from tests.conftest import PG_URL, Campaign, _reset_postgres, post_text
from tests.emulators.telegram import TelegramEmulator
from tests.jobs.conftest import approve, fast, telegram_adapters
from tests.jobs.test_engine import ADMIN, DUE, settle

CHATS = [-1002000 - i for i in range(30)]


def campaign_with_chats(campaign: Campaign) -> None:
    extra = "".join(f'\n[channels.c{i}]\nkind = "telegram"\ntarget = "{c}"\nlabel = "c{i}"\n' for i, c in enumerate(CHATS))
    campaign.config_path.write_text(campaign.config_path.read_text() + extra)
    names = ", ".join(f"c{i}" for i in range(len(CHATS)))
    campaign.write("p.md", post_text(title="Khai mạc", channels=f"[{names}]"))


def engine_for(store: Store, campaign: Campaign, tg: TelegramEmulator, clock: FakeClock, patience: float) -> Engine:
    cfg = fast(campaign.config())
    cfg = dataclasses.replace(cfg, delivery=dataclasses.replace(cfg.delivery, record_patience=timedelta(seconds=patience)))
    return Engine(store, cfg, telegram_adapters(cfg, tg), clock)


def copies(tg: TelegramEmulator) -> Counter[int]:
    return Counter({chat: len(tg.messages(chat)) for chat in CHATS})


class Locker:
    """Another process's connection holding SQLite's write lock for ``seconds`` or until ``release()``."""

    def __init__(self, path: Path, seconds: float) -> None:
        self.path, self.seconds = path, seconds
        self.held, self.released, self.done = threading.Event(), threading.Event(), threading.Event()

    def release(self) -> None:
        """Let go now, and return once the lock is really gone (the connection closed)."""
        self.released.set()
        assert self.done.wait(5)

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()
        assert self.held.wait(5)

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        self.held.set()
        self.released.wait(self.seconds)
        conn.execute("ROLLBACK")
        conn.close()
        self.released.set()
        self.done.set()


async def test_sqlite_locked_longer_than_the_busy_timeout_pauses_and_resumes(tmp_path: Path, tg_campaign: Campaign,
                                                                             tg: TelegramEmulator) -> None:
    tg.limits = None
    path = tmp_path / "loa.db"
    store = Store(f"sqlite:///{path}", busy_timeout=0.1)
    campaign_with_chats(tg_campaign)
    clock = FakeClock(DUE - timedelta(minutes=1))
    sync(store, tg_campaign.config(), clock)
    approve(store, "p")
    locker = Locker(path, seconds=10)  # released by the test, well past the busy timeout ("40 s" against 30 s, scaled)
    with virtual_time(clock):
        engine = engine_for(store, tg_campaign, tg, clock, patience=10)
        await engine.start()
        clock.set(DUE + timedelta(seconds=1))
        await engine.sweep()
        await tg.wait_for(lambda: sum(copies(tg).values()) >= 5)
        locker.start()
        await tg.wait_for(lambda: not engine.deliverer.store_ok.is_set(), timeout=5)  # claims paused
        paused_at = sum(copies(tg).values())
        # "Nothing new is claimed" has no event to wait on: give a wrong claim half a second to show.
        await asyncio.sleep(0.5)
        assert sum(copies(tg).values()) <= paused_at + len([t for t in engine.deliverer._on_wire])  # nothing new claimed
        await asyncio.to_thread(locker.release)
        await tg.wait_for(lambda: engine.deliverer.store_ok.is_set(), timeout=5)  # resumed by itself
        await settle(engine)
        await engine.stop()
    assert set(copies(tg).values()) == {1}  # every chat once: no loss, no duplicate
    with store.session() as s:
        assert {d.status for d in repo.deliveries_for(s, "post:p")} == {"sent"}
    assert not engine.deliverer.store_lost.is_set() and engine.deliverer.unrecorded == {}
    store.close()


async def test_sqlite_locked_past_the_patience_reports_rows_and_the_restart_resolves_them(
        tmp_path: Path, tg_campaign: Campaign, tg: TelegramEmulator) -> None:
    tg.limits = None
    path = tmp_path / "loa.db"
    store = Store(f"sqlite:///{path}", busy_timeout=0.1)
    campaign_with_chats(tg_campaign)
    clock = FakeClock(DUE - timedelta(minutes=1))
    sync(store, tg_campaign.config(), clock)
    approve(store, "p")
    tg.inject("timeout", chat_id=CHATS[-1])  # keeps one send on the wire while the lock comes
    tg.hang_seconds = 0.4
    locker = Locker(path, seconds=3)
    with virtual_time(clock):
        engine = engine_for(store, tg_campaign, tg, clock, patience=0.5)
        await engine.start()
        clock.set(DUE + timedelta(seconds=1))
        await engine.sweep()
        await tg.wait_for(lambda: any(c.fault == "timeout" for c in tg.calls))
        locker.start()
        await tg.wait_for(engine.deliverer.store_lost.is_set, timeout=10)  # told to stop: exit non-zero
        lost = dict(engine.deliverer.unrecorded)
        await engine.stop()
        await asyncio.to_thread(locker.release)
    assert lost  # reported by id
    with store.session() as s:
        stuck = {d.id for d in repo.deliveries_for(s, "post:p") if d.status == "sending"}
    assert stuck and stuck <= set(lost)  # every row left mid-send is one it reported
    with virtual_time(clock):  # the restart
        engine = engine_for(store, tg_campaign, tg, clock, patience=10)
        await engine.start()
        await settle(engine)
        await engine.stop()
    with store.session() as s:
        rows = repo.deliveries_for(s, "post:p")
    assert "sending" not in {d.status for d in rows}
    assert {d.id for d in rows if d.status == "unknown"} == stuck
    assert max(copies(tg).values()) == 1  # never twice
    assert all(copies(tg)[int(tg_campaign.config().channels[d.channel].target)] == 1 for d in rows if d.status == "sent")
    assert any("Unknown whether" in (m.get("text") or "") for m in tg.messages(ADMIN))
    store.close()


@pytest.mark.skipif(not PG_URL, reason="needs LOA_TEST_DATABASE_URL")
async def test_postgres_backends_terminated_mid_fan_out(tg_campaign: Campaign, tg: TelegramEmulator) -> None:
    assert PG_URL
    tg.limits = None
    _reset_postgres(PG_URL)
    store = Store(PG_URL)
    campaign_with_chats(tg_campaign)
    clock = FakeClock(DUE - timedelta(minutes=1))
    sync(store, tg_campaign.config(), clock)
    approve(store, "p")
    killer_engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    kills = 0
    done = threading.Event()

    def killer() -> None:  # for 1.5 s (the fan-out takes about 1 s at 30 messages/s), every 50 ms
        nonlocal kills
        with killer_engine.connect() as conn:
            for _ in range(30):
                done.wait(0.05)
                n = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
                kills += int(n or 0)

    with virtual_time(clock):
        engine = engine_for(store, tg_campaign, tg, clock, patience=20)
        await engine.start()
        clock.set(DUE + timedelta(seconds=1))
        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        try:
            while thread.is_alive():  # the sweep job, every 50 ms instead of every 5 s
                await engine.sweep()
                await asyncio.sleep(0.05)  # the sweep's period while the killer runs, not a wait for something
        finally:
            done.set()
            thread.join()
        await settle(engine, rounds=600)
        await engine.stop()
    killer_engine.dispose()
    assert kills >= 3  # the backends really were terminated, repeatedly
    assert set(copies(tg).values()) == {1}
    with store.session() as s:
        assert {d.status for d in repo.deliveries_for(s, "post:p")} == {"sent"}
    assert not engine.deliverer.store_lost.is_set()
    store.close()


async def test_loa_run_exits_3_naming_the_rows_it_could_not_record(tmp_path: Path, tg_campaign: Campaign,
                                                                   tg: TelegramEmulator) -> None:
    import io

    from rich.console import Console

    from bot.app import Runner

    tg.limits = None
    path = tmp_path / "loa.db"
    store = Store(f"sqlite:///{path}", busy_timeout=0.1)
    campaign_with_chats(tg_campaign)
    clock = FakeClock(DUE + timedelta(seconds=1))
    sync(store, tg_campaign.config(), clock)
    approve(store, "p")
    tg.inject("timeout", chat_id=CHATS[0])  # on the wire when the database goes away
    tg.hang_seconds = 0.4
    cfg = fast(tg_campaign.config())
    cfg = dataclasses.replace(cfg, delivery=dataclasses.replace(cfg.delivery, record_patience=timedelta(seconds=0.3)))
    out = io.StringIO()
    runner = Runner(cfg, store, telegram_adapters(cfg, tg), clock=clock, run_for=timedelta(seconds=20), watch=False,
                    console=Console(file=out, width=300))
    locker = Locker(path, seconds=5)
    with virtual_time(clock):
        run = asyncio.create_task(runner.run())
        await tg.wait_for(lambda: any(c.fault == "timeout" for c in tg.calls))
        locker.start()
        await asyncio.wait_for(run, 15)  # ends by itself, long before --for
    await asyncio.to_thread(locker.release)
    assert runner.exit_status == 3
    with store.session() as s:
        stuck = [d.id for d in repo.deliveries_for(s, "post:p") if d.status == "sending"]
    assert stuck and all(f"#{i} " in out.getvalue() for i in stuck), out.getvalue()
    assert "could not record sends" in out.getvalue()
    store.close()
