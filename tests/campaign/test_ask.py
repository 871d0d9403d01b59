"""campaign.ask on its own: commands and aliases (Telegram and Zalo spellings), questions, numbers, usage."""

from __future__ import annotations

import pytest

from campaign.ask import ALIASES, COMMANDS, MAX_ID, Ask, fold, number, parse_command, parse_question, usage


@pytest.mark.parametrize(("text", "expected"), [
    ("/today", Ask("today")), ("homnay", Ask("today")), ("/HomNay", Ask("today")), ("  /lich 27/01 2 ", Ask("date", ("27/01", "2"))),
    ("duyet 12", Ask("approve", ("12",))), ("/retry 1 2 3", Ask("retry", ("1", "2", "3"))),
    ("/today@loa_bot", Ask("today")), ("/today@LOA_BOT 2", Ask("today", ("2",))),
])
def test_commands_and_aliases(text: str, expected: Ask) -> None:
    assert parse_command(text, bot_username="loa_bot") == expected


def test_every_alias_names_its_command() -> None:
    for command, entry in COMMANDS.items():
        assert ALIASES[command] == command
        for alias in entry.aliases:
            assert parse_command(alias) == Ask(command)
            assert alias == fold(alias)  # typed on a phone without diacritics, and found


def test_a_command_for_another_bot_is_not_ours() -> None:
    assert parse_command("/today@other_bot", bot_username="loa_bot") is None
    assert parse_command("/today@other_bot") == Ask("today")  # without our name we cannot tell


@pytest.mark.parametrize("text", ["", "   ", "/", "/unknown", "hello there", "/todayx"])
def test_not_a_command(text: str) -> None:
    assert parse_command(text) is None


def test_a_rejection_keeps_its_reason_whole() -> None:
    assert parse_command("tuchoi 12 Sai tên  đại biểu") == Ask("reject", ("12", "Sai tên  đại biểu"))
    assert parse_command("/reject 12") == Ask("reject", ("12",))
    assert parse_command("/reject") == Ask("reject", ())


@pytest.mark.parametrize(("text", "expected"), [
    ("lịch ngày 27/01", Ask("date", ("27/01",))), ("có gì vào 27.01.2021?", Ask("date", ("27.01.2021",))),
    ("Hôm nay có gì", Ask("today")), ("hom nay", Ask("today")), ("ngày mai thế nào", Ask("tomorrow")),
    ("Tuần này", Ask("week")), ("sắp tới là gì", Ask("next")), ("các mốc", Ask("milestones")),
    ("bài chờ duyệt", Ask("pending")), ("what is on today", Ask("today")),
])
def test_plain_questions(text: str, expected: Ask) -> None:
    assert parse_question(text) == expected


@pytest.mark.parametrize("text", ["", "xin chào", "cảm ơn nhé", "12345"])
def test_chatter_is_not_a_question(text: str) -> None:
    assert parse_question(text) is None


def test_fold_drops_case_and_diacritics() -> None:
    assert fold("Hôm Nay ĐẸP") == "hom nay dep"
    assert fold("Đại hội") == "dai hoi"


@pytest.mark.parametrize(("text", "expected"), [
    ("12", 12), ("#12", 12), (" 7 ", 7), ("1", 1), (str(MAX_ID), MAX_ID),
    ("0", None), (str(MAX_ID + 1), None), ("-3", None), ("²", None), ("١٢", None), ("1e3", None),
    ("12a", None), ("", None), ("9" * 13, None), ("9" * 400, None),
])
def test_numbers_from_chat_are_bounded(text: str, expected: int | None) -> None:
    assert number(text) == expected


def test_numbers_within_custom_bounds() -> None:
    assert number("5", low=1, high=5) == 5
    assert number("6", low=1, high=5) is None
    assert number("0", low=0) == 0


def test_usage_in_both_languages_and_both_prefixes() -> None:
    assert usage("reject", "vi") == "Cách dùng: /tuchoi ID lý do — Từ chối"
    assert usage("reject", "en") == "Usage: /reject ID reason — Reject"
    assert usage("approve", "vi", prefix="") == "Cách dùng: duyet ID — Duyệt bài"
    assert usage("next", "en") == "Usage: /next — Next milestone and posts"  # no arguments: nothing after the name
