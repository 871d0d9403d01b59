"""The command registry: each command once, every word parses to it, help and usage read from it."""

from __future__ import annotations

import pytest

from campaign.answers import help_text
from campaign.ask import parse_command
from campaign.commands import ALIASES, COMMANDS, REGISTRY, Role, fold
from campaign.config import Config
from tests.conftest import Campaign


def test_each_command_and_word_is_registered_once() -> None:
    assert len(COMMANDS) == len(REGISTRY)
    words = [w for c in REGISTRY for w in c.words]
    assert len(words) == len(set(words)) == len(ALIASES)
    assert all(w == fold(w) and w.isascii() for w in words)


@pytest.mark.parametrize("word", sorted(ALIASES))
def test_every_name_and_alias_parses_on_both_platforms(word: str) -> None:
    command = ALIASES[word]
    assert parse_command(f"/{word} 1") is not None and parse_command(f"/{word} 1").command == command  # Telegram
    assert parse_command(word.upper()) is not None and parse_command(word.upper()).command == command  # Zalo, any case


def test_words_that_are_not_registered_are_not_commands() -> None:
    assert parse_command("/xoahet") is None
    assert parse_command("delete 5") is None


def test_usage_lines_come_from_the_registry() -> None:
    assert COMMANDS["reject"].usage("vi", prefix="") == "Cách dùng: tuchoi ID lý do — Từ chối"
    assert COMMANDS["retry"].usage("en") == "Usage: /retry ID… — Resend a delivery"
    assert COMMANDS["week"].usage("vi") == "Cách dùng: /tuannay [trang] — Lịch tuần này"


def test_help_lists_what_the_reader_may_use(tmp_path) -> None:  # noqa: ANN001 - pytest's path
    config: Config = Campaign(tmp_path).config()
    admin, approver = config.people["admin"], config.people["lan"]
    for lang in ("vi", "en"):
        everything = help_text(config, lang, admin).text()
        staff = help_text(config, lang, approver).text()
        public = help_text(config, lang, None).text()
        for c in REGISTRY:
            shown = [f"/{w} " in everything for w in c.words]
            assert all(shown) if c.listed else not any(shown), c.name
            if c.listed:
                assert c.help(lang) in everything
                assert (f"/{c.name} " in staff) == (c.role in (Role.PUBLIC, Role.APPROVER))  # not admins' nor editors'
                assert (f"/{c.name} " in public) == (c.role is Role.PUBLIC)
