"""The sample campaign running with its Telegram chat side (emulator) and the web server: the dashboard's harness."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bot import telegram_bot
from bot.dispatch import Services
from bot.telegram_bot import build_application
from campaign.clock import FakeClock
from campaign.store import repo
from campaign.store.db import Store
from jobs.engine import Engine
from jobs.simulate import virtual_time
from tests.conftest import Campaign
from tests.emulators.telegram import TelegramEmulator
from tests.jobs.conftest import TOKEN, fast, telegram_adapters
from web.app import build_app
from web.server import WebServer

ROOT = Path(__file__).resolve().parents[2]
MINH, LAN, STRANGER = 100000001, 100000002, 999  # admin+approver, approver, nobody
NOW = datetime(2021, 1, 21, 1, 0, tzinfo=UTC)  # 08:00 on 21/01/2021: the congress's peak week
LINK = re.compile(r"https?://\S+/signin/\S+")


def sample_config(tg: TelegramEmulator, public_url: str = "") -> str:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('[telegram]\n', f'[telegram]\napi_base = "{tg.base_url}"\nfile_base = "{tg.base_file_url}"\n', 1)
    web = 'listen = "127.0.0.1:0"' + (f'\npublic_url = "{public_url}"' if public_url else "")
    return re.sub(r'^listen = "127\.0\.0\.1:8080".*$', web, text, count=1, flags=re.MULTILINE)


@dataclass
class Board:
    tg: TelegramEmulator
    store: Store
    engine: Engine
    clock: FakeClock
    campaign: Campaign
    url: str
    http: httpx.AsyncClient

    async def link(self, user: int = MINH) -> str:
        """Ask the bot for a sign-in link in a private chat, as ``user``; the URL it answered."""
        before = len(self.tg.messages(user))
        self.tg.user_message(user, "/web", language_code="vi")
        await self.tg.wait_for(lambda: len(self.tg.messages(user)) > before)
        text = self.tg.messages(user)[-1].get("plain") or ""
        m = LINK.search(text)
        assert m, text
        return m.group(0)

    async def signed_in(self, user: int = MINH) -> httpx.AsyncClient:
        """A client with a session for ``user`` (through the link and the sign-in button's form)."""
        link = await self.link(user)
        client = httpx.AsyncClient(base_url=self.url, timeout=10)
        page = await client.get(link.replace(link.split("/signin/")[0], ""))
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token, page.text
        r = await client.post("/signin", data={"token": token.group(1)})
        assert r.status_code == 303 and r.headers["location"] == "/", r.text
        return client

    def post_id(self, key: str) -> int:
        with self.store.session() as s:
            post = repo.post_by_key(s, key)
            assert post is not None and post.id is not None
            return post.id


@asynccontextmanager
async def running_board(root: Path, store: Store, *, public_url: str = "", clock: FakeClock | None = None) -> AsyncIterator[Board]:
    clock = clock or FakeClock(NOW)
    with TelegramEmulator(TOKEN, limits=None, clock=lambda: clock.now().timestamp()) as tg:
        campaign = Campaign(root, sample_config(tg, public_url))
        shutil.copytree(ROOT / "content", campaign.content, dirs_exist_ok=True)
        with virtual_time(clock):
            cfg = fast(campaign.config())
            engine = Engine(store, cfg, telegram_adapters(cfg, tg), clock, approval_requests=True)
            await engine.start()
            server = WebServer(build_app(store, cfg, engine=engine), "127.0.0.1", 0)
            await server.start()
            sv = Services(store, cfg, clock, engine, web_url=server.url)
            app = build_application(sv, TOKEN, api_base=tg.base_url, file_base=tg.base_file_url)
            await telegram_bot.start(app, poll_timeout=1)
            try:
                async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                    yield Board(tg, store, engine, clock, campaign, server.url, http)
            finally:
                await telegram_bot.stop(app)
                await server.stop()
                await engine.stop()
