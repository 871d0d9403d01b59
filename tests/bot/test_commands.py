"""Every registered command answers on Telegram and on the Zalo Bot exactly as the dispatcher does,
the Telegram menu lists the registry, and nothing outside the registry is handled."""

from __future__ import annotations

from bot import dispatch, zalo_chat
from bot.dispatch import Services, Who
from campaign.ask import Ask
from campaign.commands import COMMANDS, REGISTRY, Role
from campaign.review import Actor
from tests.bot.conftest import ADMINS, BOSS, Live
from tests.bot.test_zalo_chat import Both, both  # noqa: F401 - the Zalo Bot fixture

ZALO_USER = "zl_11"  # Lan, an approver


async def test_every_command_is_reachable_on_telegram_and_in_its_menu(live: Live) -> None:
    config = live.engine.config
    sv = Services(live.store, config, live.clock, live.engine)
    boss = Who(Actor("admin", config.people["admin"]), "en")
    for command in REGISTRY:
        expected = await dispatch.answer(sv, boss, Ask(command.name))
        assert await live.say(BOSS, f"/{command.name}", lang="en") == expected.text, command.name
    assert await live.say(BOSS, "/xoahet", lang="en") == "Không hiểu lệnh này. Gõ /help. / Unknown command. Try /help."
    listed = [c.name for c in REGISTRY if c.listed]
    admins = {"type": "chat", "chat_id": ADMINS}
    assert [c["command"] for c in live.tg.commands(admins, "en")] == listed
    assert [c["command"] for c in live.tg.commands()] == [c.name for c in REGISTRY if c.listed and c.role is Role.PUBLIC]
    assert [c["description"] for c in live.tg.commands(admins)] == [COMMANDS[n].help("vi") for n in listed]


async def test_every_command_is_reachable_on_the_zalo_bot_by_its_vietnamese_word(both: Both) -> None:  # noqa: F811 - the fixture
    asker = zalo_chat.who(both.sv, ZALO_USER)
    for command in REGISTRY:
        expected = await dispatch.answer(both.sv, asker, Ask(command.name), buttons=False)
        assert await both.say(ZALO_USER, command.word("vi"), chat=ZALO_USER) == expected.text, command.name


def test_the_dispatcher_handles_the_registry_and_nothing_else() -> None:
    assert dispatch.HANDLERS.keys() == COMMANDS.keys()
    assert set(dispatch.PAGED) == {c.name for c in REGISTRY if c.paged}
