"""The composition root: builds channels, store, engine (and, later, the chat bots) from config."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from rich.console import Console
from telegram.ext import Application

from bot import callbacks, telegram_bot
from bot.dispatch import Services
from bot.telegram_bot import Webhook, build_application
from campaign.clock import Clock, SystemClock
from campaign.config import Config
from campaign.errors import ChannelSetupError
from campaign.store.db import Store
from channels.base import Channel
from channels.console import ConsoleChannel
from channels.telegram import TelegramChannel
from jobs.engine import Engine

log = logging.getLogger(__name__)


def build_adapters(config: Config, *, offline: bool, env: Mapping[str, str] | None = None,
                   console: ConsoleChannel | None = None) -> dict[str, Channel]:
    """Channel key -> adapter. One adapter instance per platform, shared by its channels."""
    env = os.environ if env is None else env
    console = console or ConsoleChannel(label=_labeller(config))
    adapters: dict[str, Channel] = {}
    telegram: TelegramChannel | None = None
    for key, ch in config.channels.items():
        if offline or ch.kind == "console":
            adapters[key] = console
        elif ch.kind == "telegram":
            if telegram is None:
                token = env.get(config.telegram.token_env, "")
                if not token:
                    raise ChannelSetupError(
                        f"biến môi trường {config.telegram.token_env} chưa đặt (hoặc chạy --offline) / "
                        f"environment variable {config.telegram.token_env} is not set (or run with --offline)"
                    )
                telegram = TelegramChannel(token, api_base=config.telegram.api_base, file_base=config.telegram.file_base)
            adapters[key] = telegram
        else:
            raise ChannelSetupError(
                f"kênh '{key}' loại {ch.kind} chưa được hỗ trợ trong bản này (chạy --offline) / "
                f"channel '{key}' of kind {ch.kind} is not supported yet (run with --offline)"
            )
    return adapters


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
    console: Console = field(default_factory=lambda: Console(highlight=False))

    async def run(self) -> None:
        engine = Engine(self.store, self.config, self.adapters, self.clock, request_encoder=callbacks.encode)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        report = await engine.start()
        chat = await self._start_chat(engine)
        self.console.print(
            f"Loa đang chạy / running: {self.config.name} — {report.changes} thay đổi / changes, "
            f"{len(report.problems)} lỗi / errors. Ctrl-C để dừng / to stop."
        )
        tasks = [asyncio.create_task(stop.wait())]
        if self.watch:
            tasks.append(asyncio.create_task(self._watch(engine, stop)))
        if self.run_for is not None:
            tasks.append(asyncio.create_task(asyncio.sleep(self.run_for.total_seconds())))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            self.console.print("Đang dừng / stopping…")
            if chat is not None:
                await telegram_bot.stop(chat)
            await engine.stop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    async def _start_chat(self, engine: Engine) -> Application | None:
        if not self.chat_token:
            return None
        sv = Services(self.store, self.config, self.clock, engine)
        app = build_application(sv, self.chat_token, api_base=self.config.telegram.api_base,
                                file_base=self.config.telegram.file_base)
        await telegram_bot.start(app, self.webhook)
        return app

    async def _watch(self, engine: Engine, stop: asyncio.Event) -> None:
        from watchfiles import awatch

        # config.toml is not watched: a changed config needs a restart (the engine holds the parsed one).
        async for _changes in awatch(self.config.content_dir, stop_event=stop, debounce=800, recursive=True):
            report = await engine.resync()
            if report.changes or report.problems:
                self.console.print(f"Đồng bộ lại / resynced: {report.changes} thay đổi / changes, {len(report.problems)} lỗi / errors")
