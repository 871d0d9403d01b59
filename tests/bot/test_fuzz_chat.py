"""Properties over random chat input: every command of the table with random arguments, on Telegram
(the path ``on_command`` takes) and on the Zalo Bot (``handle_update``, answering through the Zalo
emulator), and random button data (the path ``on_button`` takes). No traceback, ever; always a
polite, non-empty reply. ``HYPOTHESIS_PROFILE=deep`` runs many more examples.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from bot import dispatch, telegram_bot, zalo_chat
from bot.dispatch import Services
from campaign.ask import ALIASES, parse_command
from campaign.clock import FakeClock
from campaign.store.db import Store
from channels.console import ConsoleChannel
from channels.zalo.bot import ZaloBotClient
from jobs.engine import Engine
from tests.conftest import CONFIG, Campaign, post_text
from tests.emulators.zalo import ZaloBotEmulator

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import example, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ZALO_TOKEN = "1459232241454765289:test-bot-token"
PEOPLE = {11: "zl_11", 13: "zl_13", 99: "zl_99"}  # approver, admin, stranger
FUZZ_CONFIG = CONFIG.replace("telegram = 11\n", 'telegram = 11\nzalo = "zl_11"\n').replace(
    "telegram = 13\n", 'telegram = 13\nzalo = "zl_13"\n')

BOUNDS = [str(2**31 - 1), str(2**31), str(2**63), "9" * 20, "99999999999", "1000", "1001", "-5", "-1", "0", "1", "2"]
numbers = st.one_of(st.sampled_from(BOUNDS), st.integers(-10**25, 10**25).map(str), st.integers(0, 50).map(str))
words = st.sampled_from(["xacnhan", "confirm", "ok", "27/01", "26/1/2021", "32/13", "#1", "1", "2", "0", "-0", "²",
                         "٣", "1e9", "0x1f", "a", "a:b", "#R1-deadbeef", "", "  ", "\n", "🎉", "9" * 40])
arguments = st.lists(st.one_of(numbers, numbers, words, st.text(max_size=12)), max_size=4).map(" ".join)
commands = st.sampled_from(sorted(ALIASES))
people = st.sampled_from(sorted(PEOPLE))
codes = st.sampled_from(["a", "r", "d", "P", "R", "N", "X", "C", "g", "", "Z", "aa"])
parts = st.one_of(numbers, words, st.sampled_from(sorted(ALIASES)), st.text(alphabet="0123456789abcdef", max_size=70))
button_data = st.one_of(
    st.text(max_size=80),
    st.tuples(codes, st.lists(parts, max_size=4)).map(lambda t: ":".join([t[0], *t[1]])),
)


@dataclass
class World:
    loop: asyncio.AbstractEventLoop
    sv: Services
    zalo: ZaloBotClient
    bot: ZaloBotEmulator

    def run(self, coro):  # noqa: ANN001, ANN201 - a coroutine in, its result out
        return self.loop.run_until_complete(coro)


@pytest.fixture
def world(tmp_path: Path, store: Store) -> Iterator[World]:
    campaign = Campaign(tmp_path / "camp", FUZZ_CONFIG)
    for n in range(3):
        campaign.write(f"p{n}.md", post_text(title=f"Bài {n}", time=f"08:3{n}"))
    cfg = campaign.config()
    clock = FakeClock(datetime(2021, 1, 25, 1, 0, tzinfo=UTC))
    console = ConsoleChannel(console=Console(file=io.StringIO()))
    loop = asyncio.new_event_loop()
    with ZaloBotEmulator(ZALO_TOKEN, max_poll_seconds=1) as bot:
        engine = Engine(store, cfg, {key: console for key in cfg.channels}, clock, approval_requests=True)
        loop.run_until_complete(engine.resync(full=True))
        client = ZaloBotClient(ZALO_TOKEN, api_base=bot.base_url)
        try:
            yield World(loop, Services(store, cfg, clock, engine), client, bot)
        finally:
            client.close()
            loop.run_until_complete(engine.stop())
            loop.close()


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    failures = [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    caplog.clear()
    assert failures == []


def _polite(text: str) -> None:
    assert text.strip() and "Traceback" not in text and "Something went wrong" not in text


def test_any_telegram_command_gets_a_polite_reply(world: World, caplog: pytest.LogCaptureFixture) -> None:
    @given(command=commands, args=arguments, user=people, mention=st.booleans())
    @example(command="bai", args="9" * 20, user=13, mention=False)  # the cases of the issue, always tried
    @example(command="homnay", args="99999999999", user=13, mention=False)
    @example(command="choduyet", args="-5", user=13, mention=False)
    @example(command="guilai", args="²", user=13, mention=False)
    def check(command: str, args: str, user: int, mention: bool) -> None:
        from telegram import User

        text = f"/{command}{'@loa_test_bot' if mention else ''} {args}"
        ask = parse_command(text, bot_username="loa_test_bot")
        assert ask is not None
        who = telegram_bot.who(world.sv, User(user, "T", False, language_code="vi"))
        reply = world.run(dispatch.answer(world.sv, who, ask))
        _polite(reply.text)
        chunks = telegram_bot.split(reply.html)  # what ``send`` would send: something, each piece within the limit
        assert "".join(chunks).strip() and all(len(c) <= telegram_bot.TEXT_LIMIT for c in chunks)
        _no_tracebacks(caplog)

    with caplog.at_level(logging.WARNING):
        check()


def test_any_zalo_command_gets_a_polite_reply(world: World, caplog: pytest.LogCaptureFixture) -> None:
    @given(command=commands, args=arguments, user=people)
    @example(command="bai", args="9" * 20, user=13)
    @example(command="tuannay", args="99999999999", user=13)
    def check(command: str, args: str, user: int) -> None:
        chat = PEOPLE[user]
        update = {"message": {"from": {"id": PEOPLE[user]}, "chat": {"id": chat, "chat_type": "PRIVATE"},
                              "text": f"{command} {args}"}}
        before = len(world.bot.messages(chat))
        reply = world.run(zalo_chat.handle_update(world.sv, world.zalo, update))
        assert reply is not None
        _polite(reply.text)
        assert len(world.bot.messages(chat)) > before  # it reached the chat
        _no_tracebacks(caplog)

    with caplog.at_level(logging.WARNING):
        check()


def test_any_button_data_gets_a_polite_answer(world: World, caplog: pytest.LogCaptureFixture) -> None:
    @given(data=button_data, user=people)
    @example(data="g:nope::1", user=13)
    @example(data=f"a:{'9' * 20}:0123abcd", user=13)
    @example(data="g:today::99999999999", user=13)
    def check(data: str, user: int) -> None:
        from telegram import User

        who = telegram_bot.who(world.sv, User(user, "T", False, language_code="vi"))
        cb, pressed = world.run(dispatch.press_data(world.sv, who, data))
        assert pressed.toast or pressed.reply is not None
        _polite(pressed.toast or pressed.reply.text)  # type: ignore[union-attr]
        if cb is None:
            assert not pressed.ok
        _no_tracebacks(caplog)

    with caplog.at_level(logging.WARNING):
        check()
