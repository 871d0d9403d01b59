"""What a chat message asks for: commands and their aliases, and plain questions.

One registry (``campaign.commands``) serves Telegram (``/homnay``) and the Zalo Bot (``homnay``),
so both accept the same words and the help text lists exactly what works.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from campaign.commands import ALIASES, COMMANDS, fold

__all__ = ["ALIASES", "COMMANDS", "Ask", "fold", "number", "parse_command", "parse_question", "usage"]

MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger "ID" names nothing and must not reach the database
MAX_PAGE = 1000
_NUMBER = re.compile(r"#?([0-9]{1,12})")
_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?\b")


@dataclass(frozen=True)
class Ask:
    command: str
    args: tuple[str, ...] = ()


def number(text: str, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """``text`` as a whole number in [low, high] (ASCII digits, an optional ``#``), else None.

    Chat arguments are untrusted: "²" passes ``str.isdigit`` but not ``int``, and 20 digits
    overflow the database's integers, so every number from a user goes through here.
    """
    m = _NUMBER.fullmatch(text.strip())
    if m is None:
        return None
    value = int(m.group(1))
    return value if low <= value <= high else None


def usage(command: str, lang: str, *, prefix: str = "/") -> str:
    """The polite answer to arguments that do not fit: how the command is written."""
    return COMMANDS[command].usage(lang, prefix=prefix)


def parse_command(text: str, *, bot_username: str | None = None) -> Ask | None:
    """``/cmd@bot args`` or ``cmd args`` (Zalo) -> Ask, for any known command or alias."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return None
    word = parts[0].lstrip("/")
    if "@" in word:
        word, _, target = word.partition("@")
        if bot_username and target.lower() != bot_username.lower():
            return None
    command = ALIASES.get(fold(word))
    if command is None:
        return None
    rest = parts[1] if len(parts) > 1 else ""
    if COMMANDS[command].reason:
        first, _, reason = rest.partition(" ")
        return Ask(command, tuple(x for x in (first, reason.strip()) if x))
    return Ask(command, tuple(rest.split()))


def parse_question(text: str) -> Ask | None:
    """Plain questions: "lịch ngày 27/01", "hôm nay có gì", "tuần này", "sắp tới"…"""
    f = fold(text)
    if m := _DATE.search(f):
        return Ask("date", (m.group(0),))
    for needles, command in (
        (("hom nay", "today"), "today"),
        (("ngay mai", "tomorrow"), "tomorrow"),
        (("tuan nay", "this week", "tuan toi"), "week"),
        (("tiep theo", "sap toi", "next"), "next"),
        (("cac moc", "moc thoi gian", "milestone"), "milestones"),
        (("cho duyet", "pending"), "pending"),
    ):
        if any(n in f for n in needles):
            return Ask(command)
    return None
