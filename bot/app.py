"""The composition root: builds channels, store, engine (and, later, the chat bots) from config."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR
from rich.console import Console
from telegram.ext import Application

from bot import callbacks, telegram_bot, zalo_chat
from bot.dispatch import Services
from bot.incidents import Incidents
from bot.telegram_bot import Webhook, build_application
from campaign.clock import Clock, SystemClock
from campaign.config import PULL_KINDS, Config
from campaign.errors import ChannelSetupError, LoaError
from campaign.publishing import raise_alert
from campaign.store.db import Store, sqlite_path
from campaign.store.leader import Leadership, SqliteLock, runners
from campaign.sync import SyncReport
from campaign.texts import t
from channels.base import Channel
from channels.console import ConsoleChannel
from channels.pull import PullChannel
from channels.telegram import TelegramChannel
from channels.zalo_bot import ZaloBotChannel, ZaloBotClient
from channels.zalo_oa import ZaloOA, ZaloOAChannel, media_url_from_base
from jobs.engine import Engine
from web.app import Runtime, build_app
from web.server import WebServer

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
        if ch.kind in PULL_KINDS and store is not None:  # nothing leaves the machine: the same offline or not
            adapters[key] = shared.get(ch.kind) or shared.setdefault(
                ch.kind, PullChannel(ch.kind, store, config.content_dir, now=clock.now if clock else None))
        elif offline or ch.kind in ("console", *PULL_KINDS):  # (a pull kind without a store: a simulation)
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
    serve_web: bool = False  # the web server on config.web.listen (the CLI turns it on unless --no-web)
    web_server: WebServer | None = None  # while running (tests read its port)

    async def run(self) -> None:
        """Until a signal or ``run_for``; raises ``ServiceFailed`` (one line) if a part of the service died.

        Unexpected errors inside the parts (a job, the watcher, a chat handler, a stray task) are
        reported through ``Incidents`` and the service goes on; only a part that ends by itself is fatal.
        """
        engine = Engine(self.store, self.config, self.adapters, self.clock, request_encoder=callbacks.encode)
        incidents = Incidents(self.store, self.config, self.clock, on_alert=engine.deliverer.start_ready)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        previous_handler = loop.get_exception_handler()
        loop.set_exception_handler(lambda _loop, context: _stray(incidents, context))
        engine.scheduler.add_listener(lambda event: incidents.report(f"job {event.job_id}", event.exception), EVENT_JOB_ERROR)
        job_log = logging.getLogger("apscheduler.executors.default")
        job_log.addFilter(_reported_elsewhere)
        sv = Services(self.store, self.config, self.clock, engine)
        leadership = self.leadership
        chat: Application | None = None
        zalo: Callable[[], Awaitable[None]] = _nothing
        zalo_task: asyncio.Task[None] | None = None
        parts: dict[asyncio.Task[Any], str] = {asyncio.create_task(stop.wait()): "stop"}
        if self.run_for is not None:
            parts[asyncio.create_task(asyncio.sleep(self.run_for.total_seconds()))] = "stop"
        try:
            if self.serve_web and (address := self.config.web.address) is not None:  # standbys serve pages too
                runtime = Runtime(role=lambda: "single" if leadership is None else "leader" if leadership.held else "standby",
                                  scheduler_running=lambda: bool(engine.scheduler.running))
                self.web_server = WebServer(build_app(self.store, self.config, runtime, engine=engine), *address)
                parts[await self.web_server.start()] = "web server"
                sv.web_url = self.web_server.url  # sign-in links (/web) when [web] public_url is unset
                self.console.print(f"Máy chủ web / web server: {self.web_server.url} (/, /public, /healthz, /metrics, /feeds, /led)")
            if leadership is not None:
                engine.deliverer.may_claim = lambda: leadership.held  # the fence: no claim unless leading
                chat, zalo = await self._start_webhooks(sv, stop, incidents)  # a standby answers webhooks (store-backed)
                if not await self._wait_to_lead(leadership, list(parts)):
                    return
            report = await engine.start()
            self._tell_problems(report)
            chat = chat or await self._start_chat(sv, incidents)
            if zalo is _nothing:
                zalo, zalo_task = self._start_zalo(sv, stop)
            self.console.print(
                f"Loa đang chạy / running: {self.config.name} — {report.changes} thay đổi / changes, "
                f"{len(report.problems)} lỗi / errors. Ctrl-C để dừng / to stop."
            )
            if self.watch:
                parts[asyncio.create_task(self._watch(engine, stop, incidents))] = "content watcher"
            if zalo_task is not None:
                parts[zalo_task] = "Zalo Bot polling"
            parts[asyncio.create_task(engine.deliverer.store_lost.wait())] = HALT  # exit 3, rows listed after the stop
            if leadership is not None:
                parts[asyncio.create_task(self._fence(leadership))] = HALT  # exit 3: a standby takes over
            done, _ = await asyncio.wait(parts, return_when=asyncio.FIRST_COMPLETED)
            ended = next((t for t in done if _failed(parts[t], t)), None)
            if ended is not None and not stop.is_set():
                raise ServiceFailed(_ended(parts[ended], ended))
        finally:
            for t in parts:
                if parts[t] != "web server":  # stopped below, after the chat side: it drains its requests
                    t.cancel()
            self.console.print("Đang dừng / stopping…")
            if chat is not None:
                await telegram_bot.stop(chat)
            if self.web_server is not None:
                await self.web_server.stop()
            await zalo()
            await engine.stop()
            self._report_unrecorded(engine)  # after the stop: sends that finished meanwhile are listed too
            if leadership is not None:
                await asyncio.to_thread(leadership.release)
            loop.set_exception_handler(previous_handler)
            job_log.removeFilter(_reported_elsewhere)
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    # --- one leader (PostgreSQL) ------------------------------------------------------------------

    async def _start_webhooks(self, sv: Services, stop: asyncio.Event,
                              incidents: Incidents) -> tuple[Application | None, Callable[[], Awaitable[None]]]:
        """Webhook receivers start at once on every process, leader or not; polling waits for the lead."""
        chat = await self._start_chat(sv, incidents) if self.webhook is not None else None
        zalo = self._start_zalo(sv, stop)[0] if self.zalo_webhook is not None else _nothing
        return chat, zalo

    async def _wait_to_lead(self, leadership: Leadership, tasks: list[asyncio.Task[Any]]) -> bool:
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

    async def _start_chat(self, sv: Services, incidents: Incidents) -> Application | None:
        if not self.chat_token:
            return None
        app = build_application(sv, self.chat_token, api_base=self.config.telegram.api_base,
                                file_base=self.config.telegram.file_base)
        app.bot_data[telegram_bot.INCIDENTS] = incidents
        await telegram_bot.start(app, self.webhook)
        return app

    def _start_zalo(self, sv: Services, stop: asyncio.Event) -> tuple[Callable[[], Awaitable[None]], asyncio.Task[None] | None]:
        """Zalo Bot chat side (polling or webhook); returns how to stop it, and the polling task."""
        if not self.zalo_token:
            return _nothing, None
        client = ZaloBotClient(self.zalo_token, api_base=self.config.zalo.bot_api_base)
        if self.zalo_webhook is None:
            task = asyncio.create_task(zalo_chat.poll(sv, client, stop))

            async def stop_polling() -> None:
                stop.set()
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                client.close()

            return stop_polling, task
        hook = self.zalo_webhook
        client.set_webhook(hook.url, hook.secret)
        server = zalo_chat.webhook_server(sv, client, hook.secret, "/" + hook.path)
        server.listen(hook.port, hook.listen)

        async def stop_server() -> None:
            server.stop()
            client.close()

        return stop_server, None

    async def _watch(self, engine: Engine, stop: asyncio.Event, incidents: Incidents) -> None:
        """Resync on every change in content/ until ``stop``; it never ends the process.

        A resync that raises (whatever a file does to it) is reported and the watch goes on; if
        watching itself fails (the folder removed, the OS's watch limit), it starts again after a pause.
        """
        from watchfiles import awatch

        pause = 1.0
        # config.toml is not watched: a changed config needs a restart (the engine holds the parsed one).
        while not stop.is_set():
            try:
                async for _changes in awatch(self.config.content_dir, stop_event=stop, debounce=800, recursive=True):
                    pause = 1.0
                    await self._resync(engine, incidents)
            except Exception as exc:  # noqa: BLE001 - reported; the watch starts again
                incidents.report("content watcher", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
                pause = min(pause * 2, 60.0)

    async def _resync(self, engine: Engine, incidents: Incidents) -> None:
        try:
            report = await engine.resync()
        except Exception as exc:  # noqa: BLE001 - e.g. a file sync could not cope with; every other post keeps its jobs
            incidents.report("sync", exc)
            self.console.print(f"Đồng bộ lại thất bại / resync failed: {type(exc).__name__}: {exc}", markup=False)
            return
        if report.changes or report.problems:
            self.console.print(f"Đồng bộ lại / resynced: {report.changes} thay đổi / changes, {len(report.problems)} lỗi / errors")
        for p in report.problems:
            self.console.print(str(p), markup=False)
        self._tell_problems(report)
        engine.deliverer.start_ready()

    def _tell_problems(self, report: SyncReport) -> None:
        """Admins editing a synced folder do not see this console: the problems go to their chat, once per set."""
        if not report.problems:
            return
        lines = sorted({str(p) for p in report.problems})
        digest = hashlib.sha1("\n".join(lines).encode()).hexdigest()[:12]
        text = "\n".join([t("alert.problems", "vi"), t("alert.problems", "en"), *lines[:20]])
        raise_alert(self.store, self.config, self.clock, f"problems:{digest}", text)


class ServiceFailed(LoaError):
    """A part of the running service ended by itself: ``loa run`` exits non-zero with this one line."""


def _ended(name: str, task: asyncio.Task[Any]) -> str:
    exc = None if task.cancelled() else task.exception()
    why = f"{type(exc).__name__}: {exc}" if exc is not None else "ended unexpectedly / dừng bất ngờ"
    return f"Loa dừng vì {name} ngừng chạy / Loa stopped because the {name} stopped: {why}"


HALT = "halt"  # a part whose normal end is an honest stop with exit status 3 (lead lost, store unreachable)


def _failed(name: str, task: asyncio.Task[Any]) -> bool:
    """A part that ended other than by a stop: it raised, or it ended by itself though it should run on."""
    if name == "stop":
        return False
    return task.cancelled() or task.exception() is not None or name != HALT


def _reported_elsewhere(record: logging.LogRecord) -> bool:
    """APScheduler logs a failing job's traceback on every run; the Runner's listener reports it once."""
    return not (record.exc_info and record.levelno >= logging.ERROR)


def _stray(incidents: Incidents, context: dict[str, Any]) -> None:
    """asyncio's handler for errors nobody awaited (a task's exception, a failing callback)."""
    exc = context.get("exception")
    if isinstance(exc, BaseException):
        incidents.report("background task", exc)
    else:
        log.error("asyncio: %s", context.get("message"))
