"""One error hierarchy for Loa, so callers catch ``LoaError`` and users see a located message."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

# C0 controls but tab and newlines, DEL, C1 controls: never typed on purpose, and NUL breaks PostgreSQL text.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with control characters and undecodable file-name bytes escaped: safe to print and to store."""
    try:
        text = os.fsencode(text).decode("utf-8", "backslashreplace")  # a file name's undecodable bytes as \xff
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class LoaError(Exception):
    """Base of every error Loa raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One finding about an input file, located so an admin can jump to it."""

    path: Path | str
    line: int | None
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = printable(f"{self.path}:{self.line}" if self.line else f"{self.path}")
        return f"{where}: {self.message}"


class InputError(LoaError):
    """Bad configuration or content: carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ConfigError(InputError):
    """config.toml cannot be used."""


class ContentError(InputError):
    """A content file cannot be used."""


class TimeExpressionError(LoaError):
    """A time expression does not follow the grammar; the message lists the allowed forms."""


class NotAllowed(LoaError):
    """The person asking lacks the role for the action."""


class NotFound(LoaError):
    """The post, delivery or milestone named does not exist."""


class Conflict(LoaError):
    """The action no longer applies (post changed, already decided, wrong state)."""


class ChannelError(LoaError):
    """A delivery attempt failed; ``transient`` says whether trying again may help.

    ``ambiguous``: the request may have reached the platform (read timeout, connection cut after
    the request was written, an answer that cannot be read), so the message may be out. Such a
    send is never retried blindly: the delivery becomes ``unknown`` and the admins decide.
    """

    def __init__(self, reason: str, *, transient: bool, retry_after: float | None = None, ambiguous: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.retry_after = retry_after
        self.ambiguous = ambiguous


class ChatMoved(ChannelError):
    """The chat has a new id (a Telegram group upgraded to a supergroup); the request was refused, nothing sent."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__(f"nhóm {old} đã được nâng cấp thành siêu nhóm {new} / "
                         f"group {old} was upgraded to supergroup {new}", transient=False)
        self.old, self.new = old, new


class CannotDelete(ChannelError):
    """The platform refuses to delete the message (Telegram: older than 48 hours, or no right to)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, transient=False)


class ChannelSetupError(LoaError):
    """A channel cannot start (wrong token, missing environment variable)."""
