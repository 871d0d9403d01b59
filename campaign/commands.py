"""The chat command registry: every command once, with its names, who may use it, its arguments and help.

The Telegram handlers and menu, the Zalo Bot's text commands, the ``/help`` answer and the
dispatcher all read this table, so a command is reachable everywhere it is listed and nowhere
else. Names are English (Telegram's menu wants ASCII), aliases Vietnamese without diacritics;
the help lines and argument usage are in the message catalog (``campaign.texts.commands``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from campaign.config.model import Person
from campaign.payload import Action, Choice
from campaign.texts import pair, t


class Role(StrEnum):
    """Who may use a command: anyone, editors, approvers (admins may do both), or admins only (as in ``config.toml``)."""

    PUBLIC = "public"
    EDITOR = "editor"
    APPROVER = "approver"
    ADMIN = "admin"

    def allows(self, person: Person | None) -> bool:
        """Whether ``person`` holds this role (``campaign.review.require`` enforces it; help and menus show it)."""
        if self is Role.PUBLIC:
            return True
        if person is None:
            return False
        return {Role.EDITOR: person.is_editor, Role.APPROVER: person.is_approver}.get(self, person.is_admin)


@dataclass(frozen=True)
class Command:
    name: str  # English, the Telegram command and the dispatcher's key
    aliases: tuple[str, ...]  # Vietnamese words, the first is the one help and usage show
    role: Role = Role.PUBLIC
    args: str | None = None  # catalog key of what follows the name ("args.id"…)
    paged: bool = False  # a listing: takes a page number, answers with page buttons
    listed: bool = True  # in the help text and the Telegram menu ("start" is not)
    reason: bool = False  # after the first argument comes free text (a rejection's reason)
    private: bool = False  # answers with something personal (a link): refused in a group, in every chat platform

    @property
    def words(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def needs(self) -> str | None:
        """The role ``campaign.review.require`` checks, or None for everyone."""
        return None if self.role is Role.PUBLIC else self.role.value

    def word(self, lang: str) -> str:
        """How the command is written in ``lang``: the Vietnamese alias, or the English name."""
        return self.name if lang == "en" or not self.aliases else self.aliases[0]

    def help(self, lang: str) -> str:
        return t(f"cmd.{self.name}", lang)

    def usage(self, lang: str, *, prefix: str = "/") -> str:
        """The polite answer to arguments that do not fit: how the command is written."""
        args = t(self.args, lang) if self.args else ""
        call = f"{prefix}{self.word(lang)} {args}".strip()
        what = self.help(lang).split(":")[0]  # the help text without its own example
        return t("cmd.usage", lang, call=call, what=what)


_PUBLIC, _EDITOR, _APPROVER, _ADMIN = Role.PUBLIC, Role.EDITOR, Role.APPROVER, Role.ADMIN
REGISTRY: tuple[Command, ...] = (
    Command("start", (), listed=False),
    Command("help", ("trogiup",)),
    Command("today", ("homnay",), args="args.page", paged=True),
    Command("tomorrow", ("ngaymai",), args="args.page", paged=True),
    Command("week", ("tuannay",), args="args.page", paged=True),
    Command("date", ("lich", "timeline"), args="args.date_page", paged=True),  # no date: a picture
    Command("next", ("tieptheo",)),
    Command("milestones", ("cacmoc",)),
    Command("pending", ("choduyet",), _APPROVER, args="args.page", paged=True),
    Command("status", ("trangthai",), _APPROVER),
    Command("post", ("bai",), _APPROVER, args="args.id"),
    Command("audit", ("nhatky",), _APPROVER, args="args.id"),
    Command("approve", ("duyet",), _APPROVER, args="args.id"),
    Command("reject", ("tuchoi",), _APPROVER, args="args.id_reason", reason=True),
    Command("override", ("gotuchoi",), _ADMIN, args="args.id"),
    Command("pause", ("tamdung",), _ADMIN),
    Command("resume", ("tieptuc",), _ADMIN),
    Command("sync", ("dongbo",), _ADMIN),
    Command("retry", ("guilai",), _ADMIN, args="args.ids"),
    Command("skip", ("boqua",), _ADMIN, args="args.ids"),
    Command("retract", ("thuhoi",), _ADMIN, args="args.id"),
    Command("correct", ("dinhchinh",), _ADMIN, args="args.id"),
    Command("report", ("baocao",), _ADMIN, args="args.report"),
    Command("web", ("trangweb",), _APPROVER, private=True),
    Command("mycalendar", ("lichcanhan",), args="args.calendar", private=True),  # people in [people]: checked by the domain
    Command("new", ("moi",), _EDITOR, private=True),
    Command("cancel", ("huy",), _EDITOR),
    Command("shares", ("chiase",), _APPROVER),
    Command("shared", ("dachiase",), args="args.id_unit"),
)
COMMANDS: dict[str, Command] = {c.name: c for c in REGISTRY}


def fold(text: str) -> str:
    """Lower case without diacritics, so "Hôm nay" and "hom nay" read the same."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


def _words() -> dict[str, str]:
    """Every name and alias -> its command; a word may name one command only."""
    out: dict[str, str] = {}
    for c in REGISTRY:
        for word in c.words:
            if word != fold(word) or out.setdefault(word, c.name) != c.name:
                raise RuntimeError(f"command word {word!r} is not folded or names two commands")
    return out


ALIASES: dict[str, str] = _words()


# The command a reader types for a choice where there are no buttons (the Zalo Bot): same action, same target.
_TYPED: dict[Action, str] = {Action.APPROVE: "approve", Action.REJECT: "reject", Action.DIFF: "post",
                             Action.RESEND: "retry", Action.WENT_OUT: "skip"}


def typed_hint(choices: tuple[tuple[Choice, ...], ...]) -> str:
    """ "Trả lời / Reply: /duyet 12 · /tuchoi 12 lý do / reason…": the choices as commands to type, one line.

    Vietnamese words, which the bot reads in either language; only the reason is said in both.
    """
    calls = []
    for choice in (c for row in choices for c in row):
        command = COMMANDS[_TYPED[choice.action]]
        reason = " " + "/".join(pair("args.reason")) if command.reason else ""
        calls.append(f"/{command.word('vi')} {choice.target}{reason}")
    return f"{' / '.join(pair('choice.hint'))}: " + " · ".join(calls) if calls else ""
