"""Feed and LED channels: "sending" records the post in the store, where ``web/`` serves it from.

The message ids a delivery keeps are the recorded items' ids, so retract (``delete``) and correct
(``edit``) reach exactly those items. The store is written off the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from campaign import pull
from campaign.kinds import ChannelKind
from campaign.store.db import Store
from channels.base import OutMessage, Sent


class PullChannel:

    def __init__(self, kind: str, store: Store, content_dir: Path, *, now: Callable[[], datetime] | None = None) -> None:
        self.kind = ChannelKind(kind)  # feed | led
        self.store = store
        self.content_dir = content_dir
        self._now = now or (lambda: datetime.now(UTC))

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def acquire(self, target: str) -> None:
        return None  # nobody to overwhelm: readers fetch

    def _item(self, message: OutMessage) -> pull.Published:
        media = []
        for path in message.media:
            try:
                media.append(path.resolve().relative_to(self.content_dir.resolve()).as_posix())
            except ValueError:
                media.append(path.name)
        return pull.from_rendering(message.html, message.plain, media)

    async def send(self, target: str, message: OutMessage) -> Sent:
        item_id = await asyncio.to_thread(pull.record, self.store, self.kind, target, self._item(message), self._now())
        return Sent((str(item_id),))

    async def edit(self, target: str, message_ids: tuple[str, ...], message: OutMessage) -> None:
        await asyncio.to_thread(pull.rewrite, self.store, pull.item_ids(message_ids), self._item(message), self._now())

    async def delete(self, target: str, message_ids: tuple[str, ...]) -> None:
        await asyncio.to_thread(pull.retract, self.store, pull.item_ids(message_ids), self._now())
