"""The Telegram and Zalo Bot webhooks: a wrong secret or an oversized body is refused before the
body is read, malformed JSON is a 400, and none of it leaves a traceback; real updates still work."""

from __future__ import annotations

import asyncio
import gc
import http.client
import logging
import socket
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from bot import telegram_bot, zalo_chat
from bot.dispatch import Services
from bot.telegram_bot import TELEGRAM_SECRET_HEADER, build_application
from bot.webhook import MAX_BODY, Webhook
from campaign.clock import FakeClock
from campaign.errors import ChannelSetupError
from campaign.store.db import Store
from channels.zalo.bot import ZaloBotClient
from jobs.engine import Engine
from tests.bot.test_runner import TELEGRAM_ONLY
from tests.conftest import Campaign
from tests.emulators.telegram import TelegramEmulator
from tests.emulators.waiting import wait_for
from tests.emulators.zalo import ZaloBotEmulator
from tests.jobs.conftest import TOKEN

SECRET = "s3cret-token-value"
ZALO_TOKEN = "1459232241454765289:test-bot-token"


@dataclass
class Hook:
    name: str
    host: str
    port: int
    path: str
    header: str
    tg: TelegramEmulator | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"


def forget_unbound_socket() -> None:
    """tornado's ``bind_sockets`` leaves the socket it could not bind to the garbage collector (a
    ResourceWarning whenever it is collected): collect it now, quietly, so it is not blamed on a later test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=["telegram", "zalo"])
async def hook(request: pytest.FixtureRequest, tmp_path: Path, store: Store) -> AsyncIterator[Hook]:
    cfg = Campaign(tmp_path / "camp", TELEGRAM_ONLY).config()
    clock = FakeClock(datetime(2021, 1, 25, 1, 0, tzinfo=UTC))
    if request.param == "telegram":
        with TelegramEmulator(TOKEN, limits=None) as tg:
            for _attempt in range(5):  # a free port can be taken by another process before we listen on it
                port = free_port()
                app = build_application(Services(store, cfg, clock, Engine(store, cfg, {}, clock)), TOKEN,
                                        api_base=tg.base_url, file_base=tg.base_file_url)
                try:
                    await telegram_bot.start(app, Webhook(f"http://127.0.0.1:{port}/telegram", SECRET, "127.0.0.1", port))
                    break
                except ChannelSetupError:
                    continue
            try:
                yield Hook("telegram", "127.0.0.1", port, "/telegram", TELEGRAM_SECRET_HEADER, tg)
            finally:
                await telegram_bot.stop(app)
    else:
        with ZaloBotEmulator(ZALO_TOKEN) as bot:
            client = ZaloBotClient(ZALO_TOKEN, api_base=bot.base_url)
            server = zalo_chat.webhook_server(Services(store, cfg, clock, Engine(store, cfg, {}, clock)), client, SECRET)
            for _attempt in range(5):  # as above: the port may be taken meanwhile
                port = free_port()
                try:
                    server.listen(port, "127.0.0.1")
                    break
                except OSError:
                    forget_unbound_socket()
                    continue
            try:
                yield Hook("zalo", "127.0.0.1", port, "/zalo", zalo_chat.SECRET_HEADER)
            finally:
                server.stop()
                client.close()


def headers_only(hook: Hook, headers: dict[str, str]) -> int:
    """Send a request's headers and no body; the answer must come without waiting for one."""
    conn = http.client.HTTPConnection(hook.host, hook.port, timeout=5)
    try:
        conn.putrequest("POST", hook.path)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        return conn.getresponse().status
    finally:
        conn.close()


async def post(hook: Hook, body: bytes, secret: str = SECRET) -> int:
    response = await asyncio.to_thread(requests.post, hook.url, data=body, timeout=5,
                                       headers={hook.header: secret, "Content-Type": "application/json"})
    return response.status_code


async def test_wrong_secret_is_403_before_the_body(hook: Hook, caplog: pytest.LogCaptureFixture) -> None:
    thirty_mb = str(30 * 1024 * 1024)
    assert await asyncio.to_thread(headers_only, hook, {"Content-Length": thirty_mb}) == 403
    assert await asyncio.to_thread(headers_only, hook, {"Content-Length": thirty_mb, hook.header: "nope"}) == 403
    assert await post(hook, b'{"update_id": 1}', secret="wrong-secret") == 403
    assert [r for r in caplog.records if r.exc_info] == []


async def test_body_over_one_megabyte_is_413_before_reading_it(hook: Hook, caplog: pytest.LogCaptureFixture) -> None:
    assert await asyncio.to_thread(headers_only, hook, {"Content-Length": str(30 * 1024 * 1024), hook.header: SECRET}) == 413
    assert await asyncio.to_thread(headers_only, hook, {"Content-Length": str(MAX_BODY + 1), hook.header: SECRET}) == 413
    assert [r for r in caplog.records if r.exc_info] == []


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b"[1, 2]", b'"text"', b"null", b"{}"])
async def test_malformed_json_is_400(hook: Hook, caplog: pytest.LogCaptureFixture, body: bytes) -> None:
    with caplog.at_level(logging.WARNING):
        status = await post(hook, body)
    if hook.name == "zalo" and body == b"{}":
        assert status == 200  # an object without a message: nothing to answer, and nothing to fail
    else:
        assert status == 400
    assert [r for r in caplog.records if r.exc_info] == []


async def test_real_updates_still_arrive_by_webhook(hook: Hook) -> None:
    if hook.tg is None:
        pytest.skip("the Zalo webhook's happy path: tests/bot/test_zalo_chat.py::test_webhook_checks_the_secret")
    tg = hook.tg
    assert tg.calls_to("setWebhook")
    tg.user_message(555, "/homnay")  # the emulator posts it to our webhook, with the secret header
    await wait_for(lambda: tg.messages(555))
    assert tg.messages(555)[0]["plain"].startswith("🗓 Lịch ngày")
    assert all(d.status == 200 for d in tg.webhook_deliveries)


async def test_a_failing_set_webhook_is_not_fatal(tmp_path: Path, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    cfg = Campaign(tmp_path / "camp", TELEGRAM_ONLY).config()
    clock = FakeClock(datetime(2021, 1, 25, 1, 0, tzinfo=UTC))
    port = free_port()
    with TelegramEmulator(TOKEN, limits=None) as tg:
        tg.inject("500", method="setWebhook", count=100)
        app = build_application(Services(store, cfg, clock, Engine(store, cfg, {}, clock)), TOKEN,
                                api_base=tg.base_url, file_base=tg.base_file_url)
        await telegram_bot.start(app, Webhook(f"http://127.0.0.1:{port}/telegram", SECRET, "127.0.0.1", port),
                                 startup_retries=2, startup_backoff=0.01)
        try:
            assert len(tg.calls_to("setWebhook")) == 2
            assert any("webhook not registered" in r.getMessage() for r in caplog.records)
            assert await asyncio.to_thread(headers_only, Hook("t", "127.0.0.1", port, "/telegram", TELEGRAM_SECRET_HEADER),
                                           {"Content-Length": "5"}) == 403  # the server still runs
        finally:
            await telegram_bot.stop(app)


async def test_a_taken_webhook_port_is_a_clear_error_and_leaves_nothing_open(tmp_path: Path, store: Store) -> None:
    cfg = Campaign(tmp_path / "camp", TELEGRAM_ONLY).config()
    clock = FakeClock(datetime(2021, 1, 25, 1, 0, tzinfo=UTC))
    with TelegramEmulator(TOKEN, limits=None) as tg, socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = build_application(Services(store, cfg, clock, Engine(store, cfg, {}, clock)), TOKEN,
                                api_base=tg.base_url, file_base=tg.base_file_url)
        with pytest.raises(ChannelSetupError, match=f"127.0.0.1:{port}") as refused:
            await telegram_bot.start(app, Webhook(f"http://127.0.0.1:{port}/telegram", SECRET, "127.0.0.1", port))
        assert "change --listen" in str(refused.value) and not app.running
