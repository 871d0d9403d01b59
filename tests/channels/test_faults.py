"""Which failures may have delivered the message: every adapter against its emulator.

Before the request was written (nothing listens) or an answer that was read (5xx, 429): not
ambiguous, a retry is safe. After it (answer lost, reset, unreadable, read timeout): ambiguous.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaign.clock import FakeClock
from campaign.errors import ChannelError
from campaign.store.db import Store
from channels.telegram import TelegramChannel
from channels.zalo.bot import ZaloBotChannel
from tests.channels.test_telegram import CHAN, TOKEN, make_channel, msg, send
from tests.channels.test_zalo import BOT_TOKEN, PNG, bot_channel, group, login, make_oa, text
from tests.emulators.telegram import TelegramEmulator
from tests.emulators.zalo import ZaloBotEmulator, ZaloOAEmulator

# fault -> (ambiguous, the platform has the message)
FAULTS = {
    "500": (False, False), "502": (False, False),
    "drop": (True, False), "timeout": (True, False),  # the client cannot tell these from a lost answer
    "lost_response": (True, True), "reset": (True, True), "garbage": (True, True),
}


@pytest.fixture
def tg() -> Iterator[TelegramEmulator]:
    with TelegramEmulator(TOKEN, hang_seconds=0.6) as emulator:
        yield emulator


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_telegram_says_whether_a_failed_send_may_be_out(tg: TelegramEmulator, fault: str) -> None:
    ambiguous, delivered = FAULTS[fault]
    ch = make_channel(tg)
    await ch.start()
    try:
        tg.inject(fault, chat_id=CHAN)
        with pytest.raises(ChannelError) as err:
            await send(ch, CHAN, msg())
        assert err.value.ambiguous is ambiguous and err.value.transient is True
        assert len(tg.messages(CHAN)) == int(delivered)
        await send(ch, CHAN, msg())  # the channel still works
    finally:
        await ch.close()


async def test_telegram_429_and_refused_connections_are_not_ambiguous(tg: TelegramEmulator) -> None:
    ch = make_channel(tg)
    await ch.start()
    try:
        tg.inject("429", chat_id=CHAN, retry_after=1)
        with pytest.raises(ChannelError) as err:
            await ch.send(CHAN, msg())
        assert err.value.ambiguous is False and err.value.retry_after == 1
    finally:
        await ch.close()
    with socket.socket() as s:  # nothing listens here: the request is never written
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = TelegramChannel(TOKEN, api_base=f"http://127.0.0.1:{port}/bot", file_base=f"http://127.0.0.1:{port}/file/bot",
                           read_timeout=0.3, connect_timeout=0.3)
    try:
        with pytest.raises(ChannelError) as err:
            await dead.send(CHAN, msg())
        assert err.value.transient is True and err.value.ambiguous is False
    finally:
        await dead.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2021, 1, 20, tzinfo=UTC))


@pytest.fixture
def oa(clock: FakeClock) -> Iterator[ZaloOAEmulator]:
    with ZaloOAEmulator(groups=("g1",), hang_seconds=0.5) as emulator:
        yield emulator


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_zalo_oa_group_message_says_whether_it_may_be_out(store: Store, oa: ZaloOAEmulator, clock: FakeClock,
                                                               fault: str) -> None:
    ambiguous, delivered = FAULTS[fault]
    login(store, oa, clock)
    channel = group(make_oa(store, oa, clock))
    oa.inject(fault, path="/v3.0/oa/group/message")
    with pytest.raises(ChannelError) as err:
        await channel.send("g1", text())
    assert err.value.ambiguous is ambiguous
    assert len(oa.groups["g1"]) == int(delivered)


async def test_zalo_oa_lost_upload_answer_is_safe_to_redo(store: Store, oa: ZaloOAEmulator, clock: FakeClock,
                                                          tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(PNG)
    login(store, oa, clock)
    channel = group(make_oa(store, oa, clock))
    oa.inject("lost_response", path="/v2.0/oa/upload/image")  # an upload shows nothing to anyone
    with pytest.raises(ChannelError) as err:
        await channel.send("g1", text(media=(image,)))
    assert err.value.transient is True and err.value.ambiguous is False
    await channel.send("g1", text(media=(image,)))
    assert len(oa.groups["g1"]) == 2  # image and text, once each


@pytest.fixture
def zbot() -> Iterator[ZaloBotEmulator]:
    with ZaloBotEmulator(BOT_TOKEN, hang_seconds=0.5, max_poll_seconds=1.0) as emulator:
        yield emulator


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_zalo_bot_says_whether_a_send_may_be_out(zbot: ZaloBotEmulator, fault: str) -> None:
    ambiguous, delivered = FAULTS[fault]
    channel: ZaloBotChannel = bot_channel(zbot)
    await channel.start()
    try:
        zbot.inject(fault, path="sendMessage")
        with pytest.raises(ChannelError) as err:
            await channel.send("u1", text("Duyệt bài #3"))
        assert err.value.ambiguous is ambiguous
        assert len(zbot.messages("u1")) == int(delivered)
    finally:
        await channel.close()
