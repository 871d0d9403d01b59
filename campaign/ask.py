"""What a chat message asks for: commands and their aliases, and plain questions.

One table serves Telegram (``/homnay``) and the Zalo Bot (``homnay``), so both accept the same
words and the help text lists exactly what works.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# canonical command -> (aliases, needs role, help vi, help en)
COMMANDS: dict[str, tuple[tuple[str, ...], str | None, str, str]] = {
    "start": ((), None, "Giới thiệu", "About this bot"),
    "help": (("trogiup",), None, "Hướng dẫn", "Help"),
    "today": (("homnay",), None, "Lịch hôm nay", "Today's schedule"),
    "tomorrow": (("ngaymai",), None, "Lịch ngày mai", "Tomorrow's schedule"),
    "week": (("tuannay",), None, "Lịch tuần này", "This week"),
    "date": (("lich",), None, "Lịch một ngày: /lich DD/MM", "One day: /date DD/MM"),
    "next": (("tieptheo",), None, "Mốc và bài sắp tới", "Next milestone and posts"),
    "milestones": (("cacmoc",), None, "Các mốc chiến dịch", "Campaign milestones"),
    "pending": (("choduyet",), "approver", "Bài chờ duyệt", "Posts awaiting approval"),
    "status": (("trangthai",), "approver", "Tình trạng gửi", "Delivery status"),
    "post": (("bai",), "approver", "Xem bài và lịch sử: /post ID", "Post preview and history: /post ID"),
    "audit": (("nhatky",), "approver", "Nhật ký của bài: /audit ID", "A post's audit trail: /audit ID"),
    "approve": (("duyet",), "approver", "Duyệt bài: duyet ID", "Approve: approve ID"),
    "reject": (("tuchoi",), "approver", "Từ chối: tuchoi ID lý do", "Reject: reject ID reason"),
    "override": (("gotuchoi",), "admin", "Gỡ từ chối: /override ID", "Lift a rejection: /override ID"),
    "pause": (("tamdung",), "admin", "Tạm dừng mọi đăng bài", "Pause all publishing"),
    "resume": (("tieptuc",), "admin", "Tiếp tục đăng bài", "Resume publishing"),
    "sync": (("dongbo",), "admin", "Nạp lại nội dung", "Reload content now"),
    "retry": (("guilai",), "admin", "Gửi lại: /retry ID", "Resend a delivery: /retry ID"),
    "skip": (("boqua",), "admin", "Bỏ qua / coi như đã gửi: /skip ID", "Skip / mark sent: /skip ID"),
    "retract": (("thuhoi",), "admin", "Thu hồi bài đã đăng: /retract ID", "Retract a published post: /retract ID"),
    "correct": (("dinhchinh",), "admin", "Đính chính bài đã đăng: /correct ID", "Correct a published post: /correct ID"),
    "web": (("trangweb",), "approver", "Trang quản lý: liên kết đăng nhập (chat riêng)", "Dashboard: a sign-in link (private chat)"),
}
ALIASES: dict[str, str] = {a: c for c, (aliases, *_rest) in COMMANDS.items() for a in (c, *aliases)}
# what a command takes after its name (vi, en), for the usage line shown when the arguments do not fit
ARGS: dict[str, tuple[str, str]] = {
    "today": ("[trang]", "[page]"), "tomorrow": ("[trang]", "[page]"), "week": ("[trang]", "[page]"),
    "pending": ("[trang]", "[page]"), "date": ("DD/MM [trang]", "DD/MM [page]"),
    "post": ("ID", "ID"), "audit": ("ID", "ID"), "approve": ("ID", "ID"), "reject": ("ID lý do", "ID reason"),
    "override": ("ID", "ID"), "retry": ("ID…", "ID…"), "skip": ("ID…", "ID…"),
    "retract": ("ID", "ID"), "correct": ("ID", "ID"),
}
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
    aliases, _role, vi, en = COMMANDS[command]
    word = (aliases or (command,))[0] if lang != "en" else command
    args = ARGS.get(command, ("", ""))[1 if lang == "en" else 0]
    call = f"{prefix}{word} {args}".strip()
    what = (en if lang == "en" else vi).split(":")[0]  # the help text without its own example
    return f"Usage: {call} — {what}" if lang == "en" else f"Cách dùng: {call} — {what}"


def fold(text: str) -> str:
    """Lower case without diacritics, so "Hôm nay" and "hom nay" read the same."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


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
    if command == "reject":
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
