"""The running service (``bot.app.Runner``) with its chat side, against the Telegram emulator.

A bad file dropped into content/, or a sync that raises anything at all, is reported to the admins
and every other post still goes out on time; only a part of the service that ends by itself stops
it, with a one-line reason.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from bot.app import Runner, ServiceFailed
from campaign.clock import FakeClock
from campaign.store.db import Store
from campaign.sync import sync
from jobs import runtime
from jobs.engine import Engine
from jobs.simulate import virtual_time
from tests.bot.conftest import ADMINS, CHANNEL
from tests.conftest import CONFIG, Campaign, post_text
from tests.emulators.telegram import TelegramEmulator
from tests.emulators.waiting import wait_for
from tests.jobs.conftest import TOKEN, approve, fast, telegram_adapters

DUE = datetime(2021, 1, 26, 1, 30, tzinfo=UTC)  # khai-mac 08:30 local
TELEGRAM_ONLY = CONFIG.replace('[channels.zalo]\nkind = "zalo_oa_group"\ntarget = "g1"\nlabel = "Nhóm Zalo"\n', "")
BAD_FILE = "---\ntitle: Hỏng\nmilestone: khai-mac\ntime: \"09:00\"\napprovals: 99999999999999999999\n---\nx\n"


@dataclass
class Service:
    tg: TelegramEmulator
    campaign: Campaign
    store: Store
    clock: FakeClock
    task: asyncio.Task[None]
    out: io.StringIO

    @property
    def engine(self) -> Engine:
        return runtime.engine()

    def admin_texts(self) -> list[str]:
        return [m.get("plain") or "" for m in self.tg.messages(ADMINS)]

    async def reach(self, when: datetime) -> None:
        """Move the clock and let the scheduler look at once (it would, a timer later)."""
        self.clock.set(when)
        self.engine.scheduler.wakeup()

    async def stop(self) -> None:
        """SIGTERM, as systemd sends it: ``run`` returns normally (exit status 0)."""
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(self.task, 20)


@asynccontextmanager
async def service(tmp_path: Path, store: Store) -> AsyncIterator[Service]:
    clock = FakeClock(DUE - timedelta(minutes=10))
    with TelegramEmulator(TOKEN, limits=None) as tg, virtual_time(clock):
        campaign = Campaign(tmp_path / "camp", TELEGRAM_ONLY + f'\n[telegram]\napi_base = "{tg.base_url}"\n'
                                                              f'file_base = "{tg.base_file_url}"\n')
        campaign.write("good.md", post_text(title="Bài đúng giờ"))
        cfg = fast(campaign.config())
        sync(store, cfg, clock)
        approve(store, "good")
        out = io.StringIO()
        runner = Runner(cfg, store, telegram_adapters(cfg, tg), clock=clock, watch=True, chat_token=TOKEN,
                        console=Console(file=out, width=200))
        task = asyncio.create_task(runner.run())
        await wait_for(lambda: "Loa đang chạy" in out.getvalue() or task.done(), timeout=10)
        assert not task.done(), out.getvalue()
        it = Service(tg, campaign, store, clock, task, out)
        try:
            yield it
        finally:
            if not task.done():
                await it.stop()


async def test_a_bad_file_dropped_while_running_is_reported_and_the_rest_goes_out_on_time(tmp_path: Path, store: Store) -> None:
    async with service(tmp_path, store) as svc:
        svc.campaign.write("hong.md", BAD_FILE)
        await wait_for(lambda: any(t.startswith("⚠️") for t in svc.admin_texts()), timeout=10)
        # The old watcher ended the process about a second after such a file, with no event to wait on:
        # give that failure its window to show (the rest of the test then proves the watcher still works).
        await asyncio.sleep(1.5)
        assert not svc.task.done()
        await svc.reach(DUE + timedelta(seconds=1))
        await wait_for(lambda: svc.tg.messages(CHANNEL), timeout=5)
        assert [m["plain"] for m in svc.tg.messages(CHANNEL)] == ["Bài đúng giờ\n\nNội dung đậm."]
        (svc.campaign.content / "hong.md").unlink()  # the admin fixes it: the watcher still watches
        svc.campaign.write("later.md", post_text(title="Bài sau", time="10:00"))
        await wait_for(lambda: _synced(svc.store, "later"), timeout=10)
        await svc.stop()
    assert svc.task.result() is None  # a clean stop: `loa run` exits 0


def _synced(store: Store, key: str) -> bool:
    from campaign.store import repo

    with store.session() as s:
        return repo.post_by_key(s, key) is not None


async def test_an_unexpected_sync_error_is_logged_once_and_alerted_once(tmp_path: Path, store: Store,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    calls = 0

    def broken_sync(*args: object, **kw: object) -> object:
        nonlocal calls
        calls += 1
        raise RuntimeError("disk on fire")

    async with service(tmp_path, store) as svc:
        monkeypatch.setattr("jobs.engine.sync", broken_sync)
        with caplog.at_level(logging.DEBUG):
            svc.campaign.write("b.md", post_text(title="B"))
            await wait_for(lambda: calls >= 1, timeout=10)
            svc.campaign.write("c.md", post_text(title="C"))
            await wait_for(lambda: calls >= 2, timeout=10)
            await wait_for(lambda: any("disk on fire" in t for t in svc.admin_texts()), timeout=5)
        tracebacks = [r for r in caplog.records if r.exc_info and "disk on fire" in str(r.exc_info[1])]
        assert len(tracebacks) == 1 and tracebacks[0].levelno == logging.ERROR
        assert sum("disk on fire" in t for t in svc.admin_texts()) == 1
        assert "Lỗi bất ngờ ở sync" in "\n".join(svc.admin_texts())
        monkeypatch.undo()
        svc.campaign.write("d.md", post_text(title="D"))  # the fault gone, the watch carries on
        await wait_for(lambda: _synced(svc.store, "d"), timeout=10)
        await svc.reach(DUE + timedelta(seconds=1))
        await wait_for(lambda: svc.tg.messages(CHANNEL), timeout=5)
        assert not svc.task.done()


async def test_a_failing_job_is_reported_once_and_the_service_runs_on(tmp_path: Path, store: Store,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    async with service(tmp_path, store) as svc:
        runs = 0

        async def broken_sweep() -> None:
            nonlocal runs
            runs += 1
            raise ValueError("sweep broke")

        monkeypatch.setattr(svc.engine, "sweep", broken_sweep)
        with caplog.at_level(logging.ERROR):
            for i in range(1, 4):
                svc.engine.scheduler.get_job("sweep").modify(next_run_time=svc.clock.now())
                svc.engine.scheduler.wakeup()
                await wait_for(lambda i=i: runs >= i, timeout=5)
            await wait_for(lambda: any("sweep broke" in t for t in svc.admin_texts()), timeout=5)
        assert len([r for r in caplog.records if "sweep broke" in r.getMessage() or
                    (r.exc_info and "sweep broke" in str(r.exc_info[1]))]) == 1
        assert not svc.task.done()


async def test_a_part_that_ends_by_itself_stops_the_service_with_one_line(tmp_path: Path, store: Store,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    async def watcher_dies(self: Runner, *args: object) -> None:
        raise OSError("inotify watch limit reached")

    monkeypatch.setattr(Runner, "_watch", watcher_dies)
    clock = FakeClock(DUE - timedelta(minutes=10))
    campaign = Campaign(tmp_path / "camp", TELEGRAM_ONLY)
    cfg = campaign.config()
    runner = Runner(cfg, store, {k: _console() for k in cfg.channels}, clock=clock, console=Console(file=io.StringIO()))
    with pytest.raises(ServiceFailed) as failed:
        await asyncio.wait_for(runner.run(), 20)
    message = str(failed.value)
    assert "\n" not in message and "content watcher" in message and "inotify watch limit reached" in message


def _console():  # noqa: ANN202
    from channels.console import ConsoleChannel

    return ConsoleChannel(console=Console(file=io.StringIO()))


async def test_set_my_commands_failing_at_start_up_is_retried_and_never_fatal(tmp_path: Path, store: Store) -> None:
    from bot import telegram_bot
    from bot.dispatch import Services
    from bot.telegram_bot import build_application

    with TelegramEmulator(TOKEN, limits=None) as tg:
        campaign = Campaign(tmp_path / "camp", TELEGRAM_ONLY)
        cfg = campaign.config()
        clock = FakeClock(DUE)
        engine = Engine(store, cfg, {}, clock)
        app = build_application(Services(store, cfg, clock, engine), TOKEN, api_base=tg.base_url, file_base=tg.base_file_url)
        tg.inject("500", method="setMyCommands", count=2)  # retried: the menu is set in the end
        await telegram_bot.start(app, poll_timeout=1, startup_backoff=0.01)
        try:
            assert len(tg.calls_to("setMyCommands")) >= 3
            assert {c["command"] for c in tg.commands()} >= {"today", "help"}
        finally:
            await telegram_bot.stop(app)
        tg.inject("500", method="setMyCommands", count=100)  # never works: the bot starts anyway
        app = build_application(Services(store, cfg, clock, engine), TOKEN, api_base=tg.base_url, file_base=tg.base_file_url)
        await telegram_bot.start(app, poll_timeout=1, startup_retries=2, startup_backoff=0.01)
        try:
            tg.user_message(555, "/homnay")
            await wait_for(lambda: tg.messages(555))
            assert tg.messages(555)[0]["plain"].startswith("🗓 Lịch ngày")
        finally:
            await telegram_bot.stop(app)
