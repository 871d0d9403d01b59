"""A channel that prints: the offline mode, demos and ``loa simulate``."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime

from rich.console import Console

from campaign.kinds import ChannelKind
from channels.base import OutMessage, Sent


class ConsoleChannel:
    kind = ChannelKind.CONSOLE

    def __init__(self, console: Console | None = None, *, now: Callable[[], datetime] | None = None,
                 label: Callable[[str], str] | None = None, width: int = 300, brief: bool = False) -> None:
        self.console = console or Console(highlight=False)
        self._now = now
        self._label = label or (lambda target: target)
        self._ids = itertools.count(1)
        self.width = width
        self.brief = brief  # first line only (simulations print hundreds of messages)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def acquire(self, target: str) -> None:
        return None

    async def send(self, target: str, message: OutMessage) -> Sent:
        when = f"{self._now():%d/%m/%Y %H:%M} " if self._now else ""
        text = message.plain.split("\n", 1)[0] if self.brief else message.plain.replace("\n", " ⏎ ")
        if len(text) > self.width:
            text = text[: self.width - 1] + "…"
        media = f" [+{len(message.media)} media]" if message.media else ""
        self.console.print(f"{when}→ {self._label(target)}: {text}{media}", markup=False)
        return Sent((str(next(self._ids)),))

    async def edit(self, target: str, message_ids: tuple[str, ...], message: OutMessage) -> None:
        self.console.print(f"✎ {self._label(target)} #{','.join(message_ids)}: {message.plain[:120]}", markup=False)

    async def delete(self, target: str, message_ids: tuple[str, ...]) -> None:
        self.console.print(f"✗ {self._label(target)} #{','.join(message_ids)}", markup=False)
