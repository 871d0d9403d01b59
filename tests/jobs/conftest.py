"""Engine fixtures: a Telegram emulator, a campaign pointed at it, adapters with short timeouts."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from campaign.config import Config
from campaign.payload import Choice
from campaign.store import repo
from campaign.store.db import Store
from channels.console import ConsoleChannel
from channels.telegram import TelegramChannel
from tests.conftest import CONFIG, Campaign
from tests.emulators.telegram import TelegramEmulator

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
def tg() -> Iterator[TelegramEmulator]:
    with TelegramEmulator(TOKEN, hang_seconds=0.6) as emulator:
        yield emulator


@pytest.fixture
def tg_campaign(tmp_path, tg: TelegramEmulator) -> Campaign:
    text = CONFIG + f'\n[telegram]\napi_base = "{tg.base_url}"\nfile_base = "{tg.base_file_url}"\n'
    return Campaign(tmp_path / "camp", text)


def fast(config: Config) -> Config:
    """Retries in tens of milliseconds, so fault tests take no real time to speak of."""
    return dataclasses.replace(config, delivery=dataclasses.replace(
        config.delivery, backoff=timedelta(milliseconds=20), backoff_max=timedelta(milliseconds=100), max_attempts=8))


def telegram_adapters(config: Config, tg: TelegramEmulator, *, encode: Callable[[Choice], str] | None = None,
                      **kw: float) -> dict[str, TelegramChannel | ConsoleChannel]:
    """``encode``: the callback codec that turns choices into buttons (the bot's, or a test's)."""
    channel = TelegramChannel(TOKEN, api_base=tg.base_url, file_base=tg.base_file_url, read_timeout=kw.get("read_timeout", 0.3),
                              connect_timeout=0.3, startup_backoff=0.05, encode=encode)
    console = ConsoleChannel()
    return {key: channel if ch.kind == "telegram" else console for key, ch in config.channels.items()}


def approve(store: Store, key: str, *people: str) -> None:
    with store.session() as s:
        post = repo.post_by_key(s, key)
        assert post is not None, key
        for person in people or ("lan",):
            repo.add_approval(s, post, person, "approve", post.updated_at)
        s.commit()
