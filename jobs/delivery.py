"""Delivery: claim a row, wait for the channel's turn, send, record. Exactly once per row."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping

from campaign import chats, publishing
from campaign.clock import Clock
from campaign.config import ChannelConfig, Config
from campaign.errors import ChannelError, ChatMoved
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Delivery
from channels.base import Channel, OutMessage, Sent

log = logging.getLogger(__name__)


class Deliverer:
    def __init__(self, store: Store, config: Config, adapters: Mapping[str, Channel], clock: Clock) -> None:
        self.store, self.config, self.adapters, self.clock = store, config, adapters, clock
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._on_wire: set[int] = set()  # claimed and calling the platform (the rest wait for a turn)
        self.routes = chats.Routes(store)  # chats that moved (upgraded groups): sends go to their new id

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    def start_ready(self) -> list[asyncio.Task[None]]:
        """Start a task for every pending row whose time has come (not already running)."""
        with self.store.session() as s:
            rows = repo.ready_deliveries(s, self.clock.now())
        return [self._spawn(d) for d in rows if d.id not in self._inflight]

    async def deliver_ready(self) -> None:
        """Start what is ready and wait for every send in flight (each is one attempt, so this ends)."""
        self.start_ready()
        await _wait(list(self._inflight.values()))

    async def deliver(self, ids: Iterable[int]) -> None:
        with self.store.session() as s:
            rows = [d for i in ids if (d := s.get(Delivery, i)) is not None and d.status == "pending"]
        await _wait([self._inflight.get(d.id or 0) or self._spawn(d) for d in rows])

    def _spawn(self, d: Delivery) -> asyncio.Task[None]:
        assert d.id is not None
        task = asyncio.get_running_loop().create_task(self._deliver(d), name=f"deliver:{d.id}")
        self._inflight[d.id] = task
        task.add_done_callback(lambda _t, i=d.id: self._inflight.pop(i, None))
        return task

    async def _deliver(self, d: Delivery) -> None:
        """Wait for the channel's turn first, then claim: only rows really on the wire are 'sending'."""
        assert d.id is not None
        channel = self.config.channels.get(d.channel)
        adapter = self.adapters.get(d.channel)
        if channel is None or adapter is None:
            if self._claim(d.id):
                self._failed(d, f"kênh '{d.channel}' không còn trong config / channel no longer configured", transient=False)
            return
        target = self.routes.current(channel.kind, channel.target)  # a group upgraded since config.toml was written
        await adapter.acquire(target)
        if not self._claim(d.id):
            return
        self._on_wire.add(d.id)
        try:
            sent = await self._send_following(adapter, channel, target, OutMessage.from_payload(d.payload, self.config.content_dir))
        except ChannelError as exc:
            self._failed(d, exc.reason, transient=exc.transient, retry_after=exc.retry_after)
            return
        except Exception as exc:  # a bug or a vanished media file: fail loudly, do not loop
            log.exception("delivery %s to %s crashed", d.id, d.channel)
            self._failed(d, f"{type(exc).__name__}: {exc}", transient=False)
            return
        finally:
            self._on_wire.discard(d.id)
        publishing.mark_sent(self.store, d.id, sent.message_ids, self.clock.now())

    async def _send_following(self, adapter: Channel, channel: ChannelConfig, target: str, message: OutMessage) -> Sent:
        """Send; a chat that moved (a group upgraded: refused, nothing went out) is remembered and followed at once."""
        try:
            return await adapter.send(target, message)
        except ChatMoved as moved:
            learned = chats.record_move(self.store, self.config, self.clock, channel.kind, moved.old, moved.new, source="send")
            self.routes.forget()
            if learned:
                self.start_ready()  # the admins' note about config.toml goes out now
            await adapter.acquire(moved.new)
            return await adapter.send(moved.new, message)

    def _claim(self, delivery_id: int) -> bool:
        with self.store.session() as s:
            return repo.claim_delivery(s, delivery_id)

    def _failed(self, d: Delivery, error: str, *, transient: bool, retry_after: float | None = None) -> None:
        assert d.id is not None
        status = publishing.mark_failed_attempt(self.store, self.config, d.id, error, transient=transient,
                                                retry_after=retry_after, now=self.clock.now())
        log.warning("delivery %s (%s → %s) %s: %s", d.id, d.ref, d.channel, "will retry" if status == "pending" else status, error)
        if status == "failed":
            self.start_ready()  # the admins' alert about it goes out now, not at the next sweep

    async def stop(self, timeout: float) -> None:
        """Let in-flight sends finish; cancel what is left (rows still waiting for a turn were never claimed)."""
        for d_id, task in list(self._inflight.items()):
            if d_id not in self._on_wire:
                task.cancel()  # still waiting for a rate-limit turn: unclaimed, stays pending
        tasks = list(self._inflight.values())
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def _wait(tasks: list[asyncio.Task[None]]) -> None:
    """Wait without owning: if the waiting job is cancelled (shutdown), the sends carry on."""
    if tasks:
        await asyncio.wait(tasks)
