"""One error hierarchy for Loa, so callers catch ``LoaError`` and users see a located message."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
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


class ChannelSetupError(LoaError):
    """A channel cannot start (wrong token, missing environment variable)."""
