"""A running Loa with its Telegram chat side, against the emulator; tests talk to it as users."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import TypeHandler

from bot import callbacks, telegram_bot
from bot.dispatch import Services
from bot.telegram_bot import build_application
from campaign.clock import FakeClock
from campaign.config import Config
from campaign.store.db import Store
from channels.base import Channel
from jobs.engine import Engine
from jobs.simulate import virtual_time
from tests.conftest import CONFIG, Campaign
from tests.emulators.telegram import TelegramEmulator
from tests.jobs.conftest import TOKEN, fast, telegram_adapters

APPROVERS, ADMINS, CHANNEL = -100300, -100400, "@kenh"
LAN, MINH, BOSS, STRANGER = 11, 12, 13, 99


@dataclass
class Live:
    tg: TelegramEmulator
    store: Store
    engine: Engine
    clock: FakeClock
    campaign: Campaign
    handled: set[int] = field(default_factory=set)  # update ids the chat side has finished with
    handled_queries: set[str] = field(default_factory=set)  # callback query ids, likewise

    def texts(self, chat: int | str) -> list[str]:
        return [m.get("plain") or "" for m in self.tg.messages(chat)]

    async def say(self, user: int, text: str, *, chat: int | None = None, lang: str = "vi",
                  reply_to: int | None = None) -> str:
        """Send as ``user``; return the bot's answer (all bot messages in that chat while it handled this one)."""
        where = chat if chat is not None else user
        before = len(self.tg.messages(where))
        update = self.tg.user_message(user, text, chat_id=chat, language_code=lang, reply_to_message_id=reply_to)
        await self.tg.wait_for(lambda: update["update_id"] in self.handled)
        return "\n".join(m.get("plain") or "" for m in self.tg.messages(where)[before:])

    async def press(self, user: int, chat: int | str, message_id: int, data: str, lang: str = "vi", *,
                    forged: bool = False) -> str:
        """Press a button (``forged``: send ``data`` whatever the buttons say); returns the toast text.

        Returns once the bot has handled the press (toast, edit and any reply sent)."""
        qid = self.tg.press_button(user, message_id, chat, data, lang, forged=forged)
        await self.tg.wait_for(lambda: qid in self.handled_queries)
        answer = next((a for a in self.tg.answers if a.id == qid), None)
        assert answer is not None, f"button press {qid} handled without an answerCallbackQuery"
        return answer.text or ""

    def request(self, post_id: int) -> dict:
        """The approvers' control message for a post (the one with the buttons)."""
        for m in reversed(self.tg.messages(APPROVERS)):
            if (m.get("plain") or "").startswith(f"📝 Duyệt bài #{post_id} "):
                return m
        raise AssertionError(f"no request for post {post_id} in {self.texts(APPROVERS)}")

    @staticmethod
    def button(message: dict, prefix: str) -> str:
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for b in row:
                if b["callback_data"].startswith(prefix):
                    return b["callback_data"]
        raise AssertionError(f"no button {prefix!r} in {message.get('reply_markup')}")


CHAT_CONFIG = CONFIG.replace('required = 1\ndeadline = "2h"', 'required = 2\ndeadline = "2h"\nreminders = ["1h"]').replace(
    '[people.admin]\nname = "Quản trị"\nroles = ["admin"]\ntelegram = 13',
    '[people.admin]\nname = "Quản trị"\nroles = ["admin"]\ntelegram = 13\nlanguage = "en"')


@asynccontextmanager
async def running(root: Path, store: Store, config_text: Callable[[TelegramEmulator], str], clock: FakeClock,
                  content: Path | None = None, more_adapters: Callable[[Config], dict[str, Channel]] | None = None,
                  ) -> AsyncIterator[Live]:
    """Loa with its chat side, on ``config_text`` (given the emulator's URLs) and optional content;
    ``more_adapters`` replaces the console stand-ins of some channels (a feed, a Zalo group)."""
    with TelegramEmulator(TOKEN, limits=None, clock=lambda: clock.now().timestamp()) as tg:  # one time for both
        campaign = Campaign(root, config_text(tg))
        if content is not None:
            shutil.copytree(content, campaign.content, dirs_exist_ok=True)
        with virtual_time(clock):
            cfg = fast(campaign.config())
            adapters: dict[str, Channel] = {**telegram_adapters(cfg, tg, encode=callbacks.encode_choice),
                                            **(more_adapters(cfg) if more_adapters else {})}
            engine = Engine(store, cfg, adapters, clock, approval_requests=True)
            await engine.start()
            app = build_application(Services(store, cfg, clock, engine), TOKEN, api_base=tg.base_url,
                                    file_base=tg.base_file_url)
            live = Live(tg, store, engine, clock, campaign)
            app.add_handler(TypeHandler(Update, _tracker(live)), group=HANDLED)
            await telegram_bot.start(app, poll_timeout=1)
            try:
                yield live
            finally:
                await telegram_bot.stop(app)
                await engine.stop()


HANDLED = 1_000  # a handler group after the bot's own (group 0): it runs once they are done, error replies included


def _tracker(live: Live) -> Callable[[Update, object], Awaitable[None]]:
    """Record each update when the bot's handlers have finished with it: tests wait on that, not on time."""
    async def seen(update: Update, _context: object) -> None:
        live.handled.add(update.update_id)
        if update.callback_query is not None:
            live.handled_queries.add(update.callback_query.id)

    return seen


def with_urls(text: str, tg: TelegramEmulator) -> str:
    return text + f'\n[telegram]\napi_base = "{tg.base_url}"\nfile_base = "{tg.base_file_url}"\n'


@pytest.fixture
async def live(tmp_path: Path, store: Store) -> AsyncIterator[Live]:
    clock = FakeClock(datetime(2021, 1, 25, 1, 0, tzinfo=UTC))  # 08:00 local, the day before khai-mac
    async with running(tmp_path / "camp", store, lambda tg: with_urls(CHAT_CONFIG, tg), clock) as it:
        yield it
