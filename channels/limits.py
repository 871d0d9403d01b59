"""Rate limits for every platform: a leaky bucket per sender and per chat, and per-chat pauses.

A platform's 429 (or Zalo's -32) pauses only the chat it names, for the time it asks; other chats
keep their turns. By default every chat gets the same rate; Telegram's differs by kind of chat.
"""

from __future__ import annotations

import asyncio
import time

from aiolimiter import AsyncLimiter


class ChatLimits:
    def __init__(self, overall: AsyncLimiter, per_chat: tuple[float, float] = (1.0, 1.0)) -> None:
        self.overall = overall
        self.per_chat = per_chat  # (messages, seconds) for any one chat
        self._chats: dict[str, AsyncLimiter] = {}
        self._blocked_until: dict[str, float] = {}

    def chat_limiter(self, target: str) -> AsyncLimiter:
        return AsyncLimiter(*self.per_chat)

    def blocked_for(self, target: str) -> float:
        return max(0.0, self._blocked_until.get(target, 0.0) - time.monotonic())

    def block(self, target: str, seconds: float) -> None:
        self._blocked_until[target] = max(self._blocked_until.get(target, 0.0), time.monotonic() + seconds)

    async def acquire(self, target: str) -> None:
        if wait := self.blocked_for(target):
            await asyncio.sleep(wait)
        limiter = self._chats.get(target)
        if limiter is None:
            limiter = self._chats[target] = self.chat_limiter(target)
        await limiter.acquire()
        await self.overall.acquire()
