"""A campaign with a feed and an LED screen, its engine on a virtual clock, and the web server on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.app import build_adapters
from campaign.clock import FakeClock
from campaign.config import Config
from campaign.review import Actor
from campaign.store.db import Store
from jobs.engine import Engine
from jobs.simulate import virtual_time
from tests.conftest import CONFIG, Campaign, post_text
from tests.jobs.conftest import approve
from tests.jobs.test_engine import settle
from web.app import Runtime, build_app
from web.server import WebServer

START = datetime(2021, 1, 26, 0, 0, tzinfo=UTC)  # 07:00 in Hà Nội, the day of khai-mac
PUBLIC = "https://loa.example.vn"
WEB_CONFIG = CONFIG.split("[web]")[0] + f"""
[web]
listen = "127.0.0.1:0"
public_url = "{PUBLIC}"

[channels.so_feed]
kind = "feed"
target = "so-tttt"
label = "Tin của Sở"

[channels.so_led]
kind = "led"
target = "sanh"
label = "Màn hình sảnh"
rotate_seconds = 3
recent = 3
"""
# a 1×1 PNG, for enclosures and the LED image
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cfc0"
                    "f01f0005000201e2e1a5d60000000049454e44ae426082")


@dataclass
class Site:
    campaign: Campaign
    config: Config
    store: Store
    clock: FakeClock
    engine: Engine
    server: WebServer
    http: httpx.AsyncClient
    times: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)  # key -> (time, front matter)

    async def publish(self, key: str, title: str, body: str = "Nội dung **đậm** của bài.", **extra: str) -> None:
        """Write a post due five minutes from now, approve it, let its time come and the deliveries settle."""
        due = self.clock.now() + timedelta(minutes=5)
        self.times[key] = (f"{due.astimezone(self.config.tz):%H:%M}", extra)
        self._write(key, title, body)
        await self.engine.resync()
        approve(self.store, key)
        self.clock.set(due)
        await settle(self.engine)

    async def correct(self, key: str, title: str, body: str) -> None:
        """Edit the published post, approve the new text, and correct it everywhere (as /dinhchinh does)."""
        self._write(key, title, body)
        await self.engine.resync()
        approve(self.store, key)
        _done, errors = await self.engine.correct(Actor("admin", self.config.people["admin"]), key)
        assert not errors

    async def retract(self, key: str) -> None:
        result = await self.engine.retract(Actor("admin", self.config.people["admin"]), key)
        assert result.complete

    def _write(self, key: str, title: str, body: str) -> None:
        time, extra = self.times[key]
        self.campaign.write(f"{key}.md", post_text(title=title, time=time, body=body, channels="[so_feed, so_led]", **extra))


@pytest.fixture
async def site(tmp_path: Path, store: Store) -> AsyncIterator[Site]:
    clock = FakeClock(START)
    campaign = Campaign(tmp_path / "camp", WEB_CONFIG)
    (campaign.content / "media").mkdir(parents=True, exist_ok=True)
    (campaign.content / "media" / "anh.png").write_bytes(PNG)
    config = campaign.config()
    with virtual_time(clock):
        engine = Engine(store, config, build_adapters(config, offline=True, store=store, clock=clock), clock)
        await engine.start(run_sweep=False)
        runtime = Runtime(role=lambda: "single", scheduler_running=lambda: bool(engine.scheduler.running))
        server = WebServer(build_app(store, config, runtime), "127.0.0.1", 0)
        await server.start()
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            yield Site(campaign, config, store, clock, engine, server, http)
        await server.stop()
        await engine.stop()
