"""The composition root: builds channels, store, engine (and, later, the chat bots) from config."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from rich.console import Console
from telegram.ext import Application

from bot import callbacks, telegram_bot, zalo_chat
from bot.dispatch import Services
from bot.telegram_bot import Webhook, build_application
from campaign.clock import Clock, SystemClock
from campaign.config import Config
from campaign.errors import ChannelSetupError
from campaign.store.db import Store, sqlite_path
from campaign.store.leader import Leadership, SqliteLock, runners
from channels.base import Channel
from channels.console import ConsoleChannel
from channels.telegram import TelegramChannel
from channels.zalo_bot import ZaloBotChannel, ZaloBotClient
from channels.zalo_oa import ZaloOA, ZaloOAChannel, media_url_from_base
from jobs.engine import Engine

log = logging.getLogger(__name__)
STANDBY_RETRY = 1.0  # seconds between a standby's attempts at the leader lock
FENCE_EVERY = 1.0  # seconds between the leader's checks of its lock


def single_runner(url: str) -> SqliteLock | None:
    """SQLite: lock the database file for this process (AnotherRunner if one runs already).
    PostgreSQL needs no such lock: processes compete for the lead instead (``Leadership``)."""
    path = sqlite_path(url)
    if path is None:
        return None
    lock = SqliteLock(path)
    lock.acquire()
    return lock


def runners_text(url: str) -> list[str]:
    """``loa status``: who runs the schedule on this database."""
    path = sqlite_path(url)
    if path is not None:
        pid = SqliteLock(path).holder()
        return [f"SQLite {path}: " + (f"loa run pid {pid} đang chạy / running" if pid else
                                      "không có loa run nào / no loa run is running")]
    found = runners(url)
    if not found:
        return ["PostgreSQL: không có loa run nào / no loa run is connected"]
    return [f"{r.role:8} {r.name}  từ / since {r.since}  ({r.client})" for r in found] + (
        [] if any(r.role == "leader" for r in found) else ["⚠ không có tiến trình dẫn đầu / no leader"])


async def _nothing() -> None:
    return None


def build_adapters(config: Config, *, offline: bool, env: Mapping[str, str] | None = None,
                   console: ConsoleChannel | None = None, store: Store | None = None, clock: Clock | None = None,
                   on_zalo_stop: Callable[[str], None] | None = None) -> dict[str, Channel]:
    """Channel key -> adapter. One adapter instance per platform (or OA channel kind), shared by its channels."""
    env = os.environ if env is None else env
    console = console or ConsoleChannel(label=_labeller(config))
    media_url = media_url_from_base(config.zalo.media_base_url, config.content_dir)
    adapters: dict[str, Channel] = {}
    shared: dict[str, Channel] = {}

    def telegram() -> Channel:
        token = _secret(env, config.telegram.token_env)
        return TelegramChannel(token, api_base=config.telegram.api_base, file_base=config.telegram.file_base)

    def zalo_oa() -> ZaloOA:
        if store is None:
            raise ChannelSetupError("Zalo OA cần kho dữ liệu / Zalo OA needs the store")
        return ZaloOA.from_settings(config.zalo, store, env, clock=clock, media_url=media_url,
                                    refresh_margin=config.zalo.refresh_margin, on_stop=on_zalo_stop,
                                    default_cover_url=config.zalo.default_cover_url or None,
                                    author=config.zalo.article_author or config.name)

    def zalo_bot() -> Channel:
        return ZaloBotChannel(_secret(env, config.zalo.bot_token_env), api_base=config.zalo.bot_api_base, media_url=media_url)

    oa: ZaloOA | None = None
    for key, ch in config.channels.items():
        if offline or ch.kind == "console":
            adapters[key] = console
        elif ch.kind in ("zalo_oa_group", "zalo_oa_broadcast"):
            oa = oa or zalo_oa()
            adapters[key] = shared.setdefault(ch.kind, ZaloOAChannel(oa, ch.kind))
        else:
            adapters[key] = shared.get(ch.kind) or shared.setdefault(ch.kind, telegram() if ch.kind == "telegram" else zalo_bot())
    return adapters


def _secret(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise ChannelSetupError(f"biến môi trường {name} chưa đặt (hoặc chạy --offline) / "
                                f"environment variable {name} is not set (or run with --offline)")
    return value


def _labeller(config: Config):  # noqa: ANN202 - a small closure
    by_target = {ch.target: f"{ch.label} [{ch.key}]" for ch in config.channels.values()}
    return lambda target: by_target.get(target, target)


@dataclass
class Runner:
    """``loa run``: sync, jobs, chat bot, watch content/, stop cleanly on SIGINT/SIGTERM."""

    config: Config
    store: Store
    adapters: dict[str, Channel]
    clock: Clock = field(default_factory=SystemClock)
    run_for: timedelta | None = None
    watch: bool = True
    chat_token: str | None = None  # Telegram token for the chat bot (None: no chat side, e.g. offline)
    webhook: Webhook | None = None
    zalo_token: str | None = None  # Zalo Bot token for its chat side (None: none)
    zalo_webhook: Webhook | None = None
    console: Console = field(default_factory=lambda: Console(highlight=False))
    leadership: Leadership | None = None  # PostgreSQL: compete for the lead; None: this process runs alone
    exit_status: int = 0  # 3: stopped to keep delivery exactly-once (store unreachable, lead lost)

    async def run(self) -> None:
        engine = Engine(self.store, self.config, self.adapters, self.clock, request_encoder=callbacks.encode)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        sv = Services(self.store, self.config, self.clock, engine)
        leadership = self.leadership
        chat = zalo = None
        tasks = [asyncio.create_task(stop.wait())]
        if self.run_for is not None:
            tasks.append(asyncio.create_task(asyncio.sleep(self.run_for.total_seconds())))
        try:
            if leadership is not None:
                engine.deliverer.may_claim = lambda: leadership.held  # the fence: no claim unless leading
                chat, zalo = await self._start_webhooks(sv, stop)  # a standby answers webhooks (store-backed)
                if not await self._wait_to_lead(leadership, stop, tasks):
                    return
            report = await engine.start()
            chat = chat or await self._start_chat(sv)
            zalo = zalo or self._start_zalo(sv, stop)
            self.console.print(
                f"Loa đang chạy / running: {self.config.name} — {report.changes} thay đổi / changes, "
                f"{len(report.problems)} lỗi / errors. Ctrl-C để dừng / to stop."
            )
            if self.watch:
                tasks.append(asyncio.create_task(self._watch(engine, stop)))
            tasks.append(asyncio.create_task(engine.deliverer.store_lost.wait()))
            if leadership is not None:
                tasks.append(asyncio.create_task(self._fence(leadership)))
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            self.console.print("Đang dừng / stopping…")
            if chat is not None:
                await telegram_bot.stop(chat)
            if zalo is not None:
                await zalo()
            await engine.stop()
            self._report_unrecorded(engine)  # after the stop: sends that finished meanwhile are listed too
            if leadership is not None:
                await asyncio.to_thread(leadership.release)
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    # --- one leader (PostgreSQL) ------------------------------------------------------------------

    async def _start_webhooks(self, sv: Services, stop: asyncio.Event) -> tuple[Application | None, Callable[[], Awaitable[None]] | None]:
        """Webhook receivers start at once on every process, leader or not; polling waits for the lead."""
        chat = await self._start_chat(sv) if self.webhook is not None else None
        zalo = self._start_zalo(sv, stop) if self.zalo_webhook is not None else None
        return chat, zalo

    async def _wait_to_lead(self, leadership: Leadership, stop: asyncio.Event, tasks: list[asyncio.Task[Any]]) -> bool:
        """Standby until this process holds the lock (True), or until told to stop (False)."""
        said = False
        while not any(t.done() for t in tasks):
            try:
                if await asyncio.to_thread(leadership.try_acquire):
                    self.console.print(f"Tiến trình này dẫn đầu / this process leads: {leadership.name}")
                    return True
            except Exception as exc:  # the database is down: keep trying, it is the same for the leader
                log.warning("cannot try the leader lock: %s", str(exc).splitlines()[0][:200])
            if not said:
                self.console.print(f"Dự phòng / standby ({leadership.name}): một tiến trình khác đang dẫn đầu, "
                                   f"chờ tiếp quản / another process leads; waiting to take over")
                said = True
            await asyncio.wait(tasks, timeout=STANDBY_RETRY, return_when=asyncio.FIRST_COMPLETED)
        return False

    async def _fence(self, leadership: Leadership) -> None:
        """Check the lock every second; a check that fails or takes over a second ends the lead
        (``held`` false: no new claim), so a leader cut off from the database stops within 2 s."""
        while True:
            await asyncio.sleep(FENCE_EVERY)
            try:
                ok = await asyncio.wait_for(asyncio.to_thread(leadership.check), FENCE_EVERY)
            except TimeoutError:
                ok = leadership.held = False
            if not ok:
                self.exit_status = 3
                self.console.print(f"Dừng: mất quyền dẫn đầu, không gửi thêm / stopping: leadership lost, no new sends "
                                   f"({leadership.name}); một tiến trình dự phòng sẽ tiếp quản / a standby takes over",
                                   markup=False)
                return

    def _report_unrecorded(self, engine: Engine) -> None:
        """The rows whose send could not be recorded, by id, and a non-zero exit status."""
        lost = engine.deliverer.unrecorded
        if engine.deliverer.store_lost.is_set():
            self.exit_status = 3
            self.console.print("Dừng: không ghi được kết quả gửi vào cơ sở dữ liệu / stopping: could not record sends "
                               "in the database. Khởi động lại sẽ xử lý / the restart resolves: "
                               + "; ".join(f"#{i} {what}" for i, what in sorted(lost.items())), markup=False)

    async def _start_chat(self, sv: Services) -> Application | None:
        if not self.chat_token:
            return None
        app = build_application(sv, self.chat_token, api_base=self.config.telegram.api_base,
                                file_base=self.config.telegram.file_base)
        await telegram_bot.start(app, self.webhook)
        return app

    def _start_zalo(self, sv: Services, stop: asyncio.Event) -> Callable[[], Awaitable[None]]:
        """Zalo Bot chat side (polling or webhook); returns how to stop it."""
        if not self.zalo_token:
            return _nothing
        client = ZaloBotClient(self.zalo_token, api_base=self.config.zalo.bot_api_base)
        if self.zalo_webhook is None:
            task = asyncio.create_task(zalo_chat.poll(sv, client, stop))

            async def stop_polling() -> None:
                stop.set()
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                client.close()

            return stop_polling
        hook = self.zalo_webhook
        client.set_webhook(hook.url, hook.secret)
        server = zalo_chat.webhook_server(sv, client, hook.secret, "/" + hook.path)
        server.listen(hook.port, hook.listen)

        async def stop_server() -> None:
            server.stop()
            client.close()

        return stop_server

    async def _watch(self, engine: Engine, stop: asyncio.Event) -> None:
        from watchfiles import awatch

        # config.toml is not watched: a changed config needs a restart (the engine holds the parsed one).
        async for _changes in awatch(self.config.content_dir, stop_event=stop, debounce=800, recursive=True):
            report = await engine.resync()
            if report.changes or report.problems:
                self.console.print(f"Đồng bộ lại / resynced: {report.changes} thay đổi / changes, {len(report.problems)} lỗi / errors")
