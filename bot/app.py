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

from bot import callbacks, telegram_bot, zalo_chat
from bot.dispatch import Services
from bot.incidents import Incidents
from bot.telegram_bot import TelegramApp, Webhook, build_application
from campaign.clock import Clock, SystemClock
from campaign.config import ChannelConfig, Config
from campaign.deliveries import raise_alert
from campaign.errors import ChannelSetupError, LoaError
from campaign.kinds import ChannelKind, spec
from campaign.store.db import Store, sqlite_path
from campaign.store.leader import Leadership, SqliteLock, runners
from campaign.sync import SyncReport
from campaign.texts import both, inline, pair, t
from channels.base import Channel
from channels.console import ConsoleChannel
from channels.facebook import FacebookLimits, FacebookPageChannel, GraphClient
from channels.pull import PullChannel
from channels.telegram import TelegramChannel
from channels.webhook import WebhookChannel
from channels.zalo.bot import ZaloBotChannel, ZaloBotClient
from channels.zalo.http import media_url_from_base
from channels.zalo.oa import ZaloOA, ZaloOAChannel
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
        return [f"SQLite {path}: " + (f"loa run pid {pid} {inline('run.pid_running')}" if pid else inline("run.nobody"))]
    found = runners(url)
    if not found:
        return [f"PostgreSQL: {inline('run.nobody_connected')}"]
    return [f"{r.role:8} {r.name}  {inline('run.since')} {r.since}  ({r.client})" for r in found] + (
        [] if any(r.role == "leader" for r in found) else [f"⚠ {inline('run.no_leader')}"])


async def _nothing() -> None:
    return None


class _Adapters:
    """Builds the adapters from ``config`` and the environment, each on first use: one per platform account
    (the two Zalo OA kinds share one ``ZaloOA``), one per fanpage or webhook (each its own token or secret)."""

    def __init__(self, config: Config, env: Mapping[str, str], console: ConsoleChannel, store: Store | None,
                 clock: Clock | None, on_zalo_stop: Callable[[str], None] | None,
                 on_facebook_problem: Callable[[str, str], None] | None = None) -> None:
        self.config, self.env, self.console, self.store, self.clock = config, env, console, store, clock
        self.on_zalo_stop, self.on_facebook_problem = on_zalo_stop, on_facebook_problem
        self.media_url = media_url_from_base(config.zalo.media_base_url, config.content_dir)
        self.built: dict[str, Channel] = {}
        self.oa: ZaloOA | None = None
        self.fb_limits: FacebookLimits | None = None  # one Facebook app: its usage headers pace every Page

    def get(self, ch: ChannelConfig, kind: ChannelKind) -> Channel:
        return ADAPTER_FACTORIES[kind](self, ch, kind)

    def _once(self, name: str, make: Callable[[], Channel]) -> Channel:
        if name not in self.built:
            self.built[name] = make()
        return self.built[name]

    def telegram(self, ch: ChannelConfig, kind: ChannelKind) -> Channel:
        t = self.config.telegram
        return self._once(kind, lambda: TelegramChannel(_secret(self.env, t.token_env), api_base=t.api_base,
                                                        file_base=t.file_base, encode=callbacks.encode_choice))

    def zalo_oa(self, ch: ChannelConfig, kind: ChannelKind) -> Channel:
        if self.oa is None:
            if self.store is None:
                raise ChannelSetupError(inline("run.oa_needs_store"))
            z = self.config.zalo
            self.oa = ZaloOA.from_settings(z, self.store, self.env, clock=self.clock, media_url=self.media_url,
                                           refresh_margin=z.refresh_margin, on_stop=self.on_zalo_stop,
                                           default_cover_url=z.default_cover_url or None,
                                           author=z.article_author or self.config.name)
        oa = self.oa
        return self._once(kind, lambda: ZaloOAChannel(oa, kind))

    def zalo_bot(self, ch: ChannelConfig, kind: ChannelKind) -> Channel:
        z = self.config.zalo
        return self._once(kind, lambda: ZaloBotChannel(_secret(self.env, z.bot_token_env), api_base=z.bot_api_base,
                                                       media_url=self.media_url))

    def facebook(self, ch: ChannelConfig, kind: ChannelKind) -> Channel:
        token = self.env.get(ch.token_env, "")
        if not token:
            raise ChannelSetupError(" / ".join(pair("fb.no_env", env=ch.token_env, channel=ch.key)))
        fb = self.config.facebook
        limits = self.fb_limits = self.fb_limits or FacebookLimits(slow_from=fb.slow_from_percent)
        hook = self.on_facebook_problem
        return self._once(f"{kind}:{ch.key}", lambda: FacebookPageChannel(
            GraphClient(fb.api_base, fb.graph_version), token, limits=limits, token_env=ch.token_env,
            on_problem=(lambda reason: hook(ch.key, reason)) if hook is not None else None))

    def webhook(self, ch: ChannelConfig, kind: ChannelKind) -> Channel:
        secret = self.env.get(ch.secret_env, "")
        if not secret:
            raise ChannelSetupError(" / ".join(pair("wh.no_env", env=ch.secret_env, channel=ch.key)))
        w, content_dir = self.config.webhook, self.config.content_dir
        media_url = media_url_from_base(w.media_base_url or self.config.zalo.media_base_url, content_dir)
        return self._once(f"{kind}:{ch.key}", lambda: WebhookChannel(
            secret, channel=ch.key, content_dir=content_dir, media_url=media_url, timeout=w.timeout.total_seconds()))

    def pull(self, ch: ChannelConfig, kind: ChannelKind) -> Channel:
        if self.store is None:  # a simulation without a store: nothing to serve from
            return self.console
        store, clock = self.store, self.clock
        return self._once(kind, lambda: PullChannel(kind, store, self.config.content_dir,
                                                    now=clock.now if clock else None))

    def local_console(self, ch: ChannelConfig, kind: ChannelKind) -> Channel:
        return self.console


# Channel kind -> how its adapter is built. Adding a kind: its entry in campaign.kinds.SPECS and one here.
ADAPTER_FACTORIES: Mapping[ChannelKind, Callable[[_Adapters, ChannelConfig, ChannelKind], Channel]] = {
    ChannelKind.TELEGRAM: _Adapters.telegram,
    ChannelKind.ZALO_OA_GROUP: _Adapters.zalo_oa,
    ChannelKind.ZALO_OA_BROADCAST: _Adapters.zalo_oa,
    ChannelKind.ZALO_BOT: _Adapters.zalo_bot,
    ChannelKind.FACEBOOK_PAGE: _Adapters.facebook,
    ChannelKind.WEBHOOK: _Adapters.webhook,
    ChannelKind.FEED: _Adapters.pull,
    ChannelKind.LED: _Adapters.pull,
    ChannelKind.CONSOLE: _Adapters.local_console,
}


def build_adapters(config: Config, *, offline: bool, env: Mapping[str, str] | None = None,
                   console: ConsoleChannel | None = None, store: Store | None = None, clock: Clock | None = None,
                   on_zalo_stop: Callable[[str], None] | None = None,
                   on_facebook_problem: Callable[[str, str], None] | None = None) -> dict[str, Channel]:
    """Channel key -> adapter. One adapter instance per platform (or OA channel kind), shared by its channels;
    a fanpage (its own token) and a webhook (its own secret) have one each. Offline, every kind that sends
    prints to the console instead (a pull kind records as usual: nothing leaves the machine).
    ``on_facebook_problem(channel key, reason)``: a Page token was refused or lacks a permission."""
    adapters = _Adapters(config, os.environ if env is None else env, console or ConsoleChannel(label=_labeller(config)),
                         store, clock, on_zalo_stop, on_facebook_problem)

    def kind_of(ch: ChannelConfig) -> ChannelKind:
        kind = ChannelKind(ch.kind)
        return ChannelKind.CONSOLE if offline and not spec(kind).pull else kind

    return {key: adapters.get(ch, kind_of(ch)) for key, ch in config.channels.items()}


def console_channel(config: Config, console: Console, clock: Clock, *, brief: bool) -> ConsoleChannel:
    """The console adapter of a rehearsal: each line stamped with the campaign's (moved) local time."""
    return ConsoleChannel(console, now=lambda: clock.now().astimezone(config.tz), label=_labeller(config), brief=brief)


def _secret(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise ChannelSetupError(inline("run.env_missing", name=name))
    return value


def _labeller(config: Config) -> Callable[[str], str]:
    by_target = {ch.target: f"{ch.label} [{ch.key}]" for ch in config.channels.values()}
    return lambda target: by_target.get(target, target)


@dataclass(frozen=True)
class RehearsalRun:
    """What a rehearsal changes in the running service (``bot.rehearsal`` builds it): a scheduler on the
    faster clock, the sweep paced in real seconds, approvals assumed (then no requests go out)."""

    scheduler: Any = None  # jobs.simulate.ScaledScheduler when --speed is given, else the engine's own
    sweep_every: timedelta | None = None
    approval_requests: bool = True
    after_sync: tuple[Callable[[SyncReport], Awaitable[None]], ...] = ()
    banner: Callable[[str | None], None] | None = None  # printed first, told the dashboard's address (None: no web)


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
    relay: bool = True  # poll the [[relay]] sources (jobs.relay)
    rehearsal: RehearsalRun | None = None  # `loa run --rehearse`: its scheduler, sweep pace and start-up hooks

    async def run(self) -> None:
        """Until a signal or ``run_for``; raises ``ServiceFailed`` (one line) if a part of the service died.

        Unexpected errors inside the parts (a job, the watcher, a chat handler, a stray task) are
        reported through ``Incidents`` and the service goes on; only a part that ends by itself is fatal.
        """
        r = self.rehearsal
        engine = Engine(self.store, self.config, self.adapters, self.clock, approval_requests=r is None or r.approval_requests,
                        scheduler=r.scheduler if r else None, sweep_every=r.sweep_every if r else None, relay=self.relay and r is None)
        engine.after_sync.extend(r.after_sync if r else ())
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
        chat: TelegramApp | None = None
        zalo: Callable[[], Awaitable[None]] = _nothing
        zalo_task: asyncio.Task[None] | None = None
        parts: dict[asyncio.Task[Any], str] = {asyncio.create_task(stop.wait()): "stop"}
        if self.run_for is not None:
            parts[asyncio.create_task(asyncio.sleep(self.run_for.total_seconds()))] = "stop"
        try:
            if (web_task := await self._start_web(engine, sv)) is not None:  # standbys serve pages too
                parts[web_task] = "web server"
            if self.rehearsal is not None and self.rehearsal.banner is not None:
                self.rehearsal.banner(self.web_server.url + "/" if self.web_server else None)
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
                f"{inline('run.running')}: {self.config.name} — {report.changes} {inline('run.changes')}, "
                f"{len(report.problems)} {inline('run.errors')}. {inline('run.ctrl_c')}."
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
            self.console.print(f"{inline('run.stopping')}…")
            await self._stop_parts(chat, zalo, engine)
            loop.set_exception_handler(previous_handler)
            job_log.removeFilter(_reported_elsewhere)
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    async def _stop_parts(self, chat: TelegramApp | None, zalo: Callable[[], Awaitable[None]], engine: Engine) -> None:
        """The chat side first (no new work), then the web server (it drains its requests), then the engine."""
        if chat is not None:
            await telegram_bot.stop(chat)
        if self.web_server is not None:
            await self.web_server.stop()
        await zalo()
        await engine.stop()
        self._report_unrecorded(engine)  # after the stop: sends that finished meanwhile are listed too
        if self.leadership is not None:
            await asyncio.to_thread(self.leadership.release)

    async def _start_web(self, engine: Engine, sv: Services) -> asyncio.Task[Any] | None:
        """The web server on ``[web] listen`` (None when it is off); its task ends only if it fails."""
        if not self.serve_web or (address := self.config.web.address) is None:
            return None
        leadership = self.leadership
        runtime = Runtime(role=lambda: "single" if leadership is None else "leader" if leadership.held else "standby",
                          scheduler_running=lambda: bool(engine.scheduler.running))
        wall = SystemClock() if self.rehearsal is not None else None
        self.web_server = WebServer(build_app(self.store, self.config, runtime, engine=engine, clock=self.clock, wall=wall),
                                    *address)
        task = await self.web_server.start()
        sv.web_url = self.web_server.url  # sign-in links (/web) when [web] public_url is unset
        if self.rehearsal is None or self.rehearsal.banner is None:  # a rehearsal's banner names the address
            self.console.print(both("web.serving", url=self.web_server.url).replace("\n", " / "), markup=False)
        return task

    # --- one leader (PostgreSQL) ------------------------------------------------------------------

    async def _start_webhooks(self, sv: Services, stop: asyncio.Event,
                              incidents: Incidents) -> tuple[TelegramApp | None, Callable[[], Awaitable[None]]]:
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
                    self.console.print(f"{inline('run.leads')}: {leadership.name}")
                    return True
            except Exception as exc:  # the database is down: keep trying, it is the same for the leader
                log.warning("cannot try the leader lock: %s", str(exc).splitlines()[0][:200])
            if not said:
                self.console.print(f"{inline('run.standby')} ({leadership.name}): {inline('run.waiting')}")
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
                self.console.print(f"{inline('run.lead_lost')} ({leadership.name}); {inline('run.standby_takes_over')}",
                                   markup=False)
                return

    def _report_unrecorded(self, engine: Engine) -> None:
        """The rows whose send could not be recorded, by id, and a non-zero exit status."""
        lost = engine.deliverer.unrecorded
        if engine.deliverer.store_lost.is_set():
            self.exit_status = 3
            self.console.print(f"{inline('run.store_lost')}. {inline('run.restart_resolves')}: "
                               + "; ".join(f"#{i} {what}" for i, what in sorted(lost.items())), markup=False)

    async def _start_chat(self, sv: Services, incidents: Incidents) -> TelegramApp | None:
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
            self.console.print(f"{inline('run.resync_failed')}: {type(exc).__name__}: {exc}", markup=False)
            return
        if report.changes or report.problems:
            self.console.print(f"{inline('run.resynced')}: {report.changes} {inline('run.changes')}, "
                               f"{len(report.problems)} {inline('run.errors')}")
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
    why = f"{type(exc).__name__}: {exc}" if exc is not None else inline("run.ended_unexpectedly")
    return f"{inline('run.part_ended', name=name)}: {why}"


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


def facebook_alert(config: Config, key: str, reason: str) -> str:
    """The admins' alert when a fanpage's token is refused or lacks a permission (``reason`` is "vi / en")."""
    vi, _, en = reason.partition(" / ")
    channel = config.channels[key].label if key in config.channels else key
    return both("fb.alert", channel=channel, reason=(vi, en or vi))
