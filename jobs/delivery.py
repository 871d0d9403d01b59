"""Delivery: claim a row, wait for the channel's turn, send, record. Exactly once per row.

Faults are sorted by whether the message may be out. A failure known to precede delivery is
retried with back-off; an ambiguous one (the answer was lost) makes the row ``unknown`` and asks
the admins, unless ``[delivery] on_ambiguous = "resend"`` or the receiver deduplicates. The store
may be unreachable for a while: recording is retried for ``record_patience`` while new claims
pause; a send that still cannot be recorded is reported by id and ``store_lost`` is set, so the
process exits non-zero and the next start's recovery resolves the row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TypeVar

from campaign import chats, deliveries, sharekit
from campaign.clock import Clock
from campaign.config import ChannelConfig, Config
from campaign.errors import ChannelError, ChatMoved
from campaign.kinds import spec
from campaign.payload import Payload
from campaign.states import DeliveryState, MoveSource
from campaign.store import repo
from campaign.store.db import Store, is_outage
from campaign.store.models import Delivery
from campaign.texts import inline
from channels.base import Channel, OutMessage, Sent
from jobs import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")
FIRST_WAIT, LONGEST_WAIT = 0.05, 2.0  # back-off between attempts to reach the store (seconds)
LOW_IN_FLIGHT = 2  # share kits of one sender past the priority gate at once (between them, public posts wait for none)


class Deliverer:
    def __init__(self, store: Store, config: Config, adapters: Mapping[str, Channel], clock: Clock) -> None:
        self.store, self.config, self.adapters, self.clock = store, config, adapters, clock
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._on_wire: set[int] = set()  # being claimed, sent or recorded (the rest wait for a turn)
        self.routes = chats.Routes(store)  # chats that moved (upgraded groups): sends go to their new id
        self.store_ok = asyncio.Event()  # cleared while the store is unreachable: no new claims
        self.store_ok.set()
        self.store_lost = asyncio.Event()  # set when a send could not be recorded within record_patience
        self.unrecorded: dict[int, str] = {}  # delivery id -> what happened to it but is not in the store
        self.may_claim: Callable[[], bool] = lambda: True  # the leader's fence: False once leadership is lost
        # Claims and results are written off the event loop (a locked or lost database must not
        # freeze it), by one thread: in the order they are asked for, as a single writer.
        self._writer: ThreadPoolExecutor | None = None
        # Public channels first: per adapter (one sender's rate limits), how many other rows are waiting or on the
        # wire, an event set when none is, and the slots of low-priority rows (share kits) past that point.
        self._urgent: dict[int, int] = {}
        self._calm: dict[int, asyncio.Event] = {}
        self._low_slots: dict[int, asyncio.Semaphore] = {}

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    def start_ready(self) -> list[asyncio.Task[None]]:
        """Start a task for every pending row whose time has come (not already running)."""
        if not self.may_claim() or not self.store_ok.is_set():
            return []
        try:
            with self.store.session() as s:
                rows = repo.ready_deliveries(s, self.clock.now(), later=sharekit.LOW_PRIORITY, besides=self._inflight)
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("store unreachable, nothing started: %s", str(exc).splitlines()[0][:200])
            return []  # the sweep tries again
        return [self._spawn(d) for d in rows if d.id not in self._inflight]

    async def deliver_ready(self) -> None:
        """Start what is ready and wait for every send in flight (each is one attempt, so this ends)."""
        self.start_ready()
        await _wait(list(self._inflight.values()))

    async def deliver(self, ids: Iterable[int]) -> None:
        if not self.may_claim():
            return  # a standby: the rows stay pending for the leader's sweep
        with self.store.session() as s:
            rows = [d for i in ids if (d := s.get(Delivery, i)) is not None and d.status == DeliveryState.PENDING]
        await _wait([self._inflight.get(d.id or 0) or self._spawn(d) for d in rows])

    def _spawn(self, d: Delivery) -> asyncio.Task[None]:
        assert d.id is not None
        task = asyncio.get_running_loop().create_task(self._deliver(d), name=f"deliver:{d.id}")
        self._inflight[d.id] = task
        delivery_id = d.id
        task.add_done_callback(lambda _t: self._inflight.pop(delivery_id, None))
        return task

    async def _deliver(self, d: Delivery) -> None:
        """One attempt; whatever goes wrong is logged here (no "Task exception was never retrieved")."""
        try:
            await self._attempt(d)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery %s (%s → %s) crashed", d.id, d.ref, d.channel)

    async def _attempt(self, d: Delivery) -> None:
        """Wait for the channel's turn first, then claim: only rows really on the wire are 'sending'."""
        assert d.id is not None
        channel = self.config.channels.get(d.channel)
        adapter = self.adapters.get(d.channel)
        if channel is None or adapter is None:
            if await self._claim(d.id):
                await self._failed(d, inline("delivery.channel_gone", channel=d.channel), transient=False)
            return
        target = self.routes.current(channel.kind, channel.target)  # a group upgraded since config.toml was written
        async with self._priority(d, adapter):
            await adapter.acquire(target)
            await self.store_ok.wait()
            self._on_wire.add(d.id)  # from the claim until the result is recorded, a stop waits for this row
            try:
                await self._claim_send_record(d, adapter, channel, target)
            finally:
                self._on_wire.discard(d.id)

    @asynccontextmanager
    async def _priority(self, d: Delivery, adapter: Channel) -> AsyncIterator[None]:
        """Public posts first. A low-priority row (a share kit, a share reminder) starts only while no other row of
        the same sender is waiting or on the wire, and at most ``LOW_IN_FLIGHT`` of them are past that point, so
        a public post that comes up meanwhile waits for at most that many sends (``bench/sharekit.py`` measures it)."""
        key = id(adapter)
        calm = self._calm.setdefault(key, asyncio.Event())
        if not sharekit.is_low_priority(d.ref):
            self._urgent[key] = self._urgent.get(key, 0) + 1
            calm.clear()
            try:
                yield
            finally:
                self._urgent[key] -= 1
                if not self._urgent[key]:
                    calm.set()
            return
        async with self._low_slots.setdefault(key, asyncio.Semaphore(LOW_IN_FLIGHT)):
            while self._urgent.get(key):
                await calm.wait()
            yield

    async def _claim_send_record(self, d: Delivery, adapter: Channel, channel: ChannelConfig, target: str) -> None:
        assert d.id is not None
        if not await self._claim(d.id):
            return
        try:
            payload = Payload.from_json(d.payload) if not d.ref.startswith("alert:") else await self._store(lambda: self._payload(d))
            sent = await self._send_following(adapter, channel, target, OutMessage.from_payload(payload, self.config.content_dir, delivery_id=d.id))
        except ChannelError as exc:
            if exc.ambiguous and not (spec(adapter.kind).deduplicates or self.config.delivery.on_ambiguous == "resend"):
                await self._unknown(d, exc.reason)
            else:
                await self._failed(d, exc.reason, transient=exc.transient, retry_after=exc.retry_after)
            return
        except Exception as exc:  # a bug or a vanished media file: fail loudly, do not loop
            log.exception("delivery %s to %s crashed", d.id, d.channel)
            await self._failed(d, f"{type(exc).__name__}: {exc}", transient=False)
            return
        now = self.clock.now()
        queued = await self._record(d, f"sent as message(s) {', '.join(sent.message_ids) or '?'}",
                                    lambda: deliveries.mark_sent(self.store, d.id or 0, sent.message_ids, now, self.config))
        metrics.LATENESS.labels(channel.kind).observe(max(0.0, (now - d.due_at).total_seconds()))
        if queued:
            self.start_ready()  # the post's share kits, queued as its last public send was recorded

    async def _send_following(self, adapter: Channel, channel: ChannelConfig, target: str, message: OutMessage) -> Sent:
        """Send; a chat that moved (a group upgraded: refused, nothing went out) is remembered and followed at once."""
        try:
            return await adapter.send(target, message)
        except ChatMoved as moved:
            old, new = moved.old, moved.new
            learned = await self._store(lambda: chats.record_move(self.store, self.config, self.clock, channel.kind,
                                                                  old, new, source=MoveSource.SEND))
            self.routes.forget()
            if learned:
                self.start_ready()  # the admins' note about config.toml goes out now
            await adapter.acquire(moved.new)
            return await adapter.send(moved.new, message)

    async def _claim(self, delivery_id: int) -> bool:
        """pending -> sending. If the store fails mid-claim the claim may have been committed, so a
        second try takes a row already 'sending' as ours (only the leader claims, one task per row)."""
        if not self.may_claim():
            return False
        tries = 0

        def claim() -> bool:
            nonlocal tries
            tries += 1
            with self.store.session() as s:
                if tries > 1 and (row := s.get(Delivery, delivery_id)) is not None and row.status == DeliveryState.SENDING:
                    return True
                return repo.claim_delivery(s, delivery_id)

        try:
            return await self._store(claim)
        except Exception as exc:
            if not is_outage(exc):
                raise
            self._lost(delivery_id, "claimed or not, never sent", exc)
            return False

    def _payload(self, d: Delivery) -> Payload:
        """An alert's text as it is now: rows that became unknown after it was queued join it."""
        with self.store.session() as s:
            row = s.get(Delivery, d.id)
            return Payload.from_json(row.payload if row is not None else d.payload)

    async def _unknown(self, d: Delivery, error: str) -> None:
        now = self.clock.now()
        status = await self._record(d, f"unknown (answer lost: {error})",
                                    lambda: deliveries.mark_ambiguous(self.store, self.config, d.id or 0, error, now))
        if status is None:
            return
        log.warning("delivery %s (%s → %s) may or may not be out, admins asked: %s", d.id, d.ref, d.channel, error)
        self.start_ready()  # the admins' alert goes out now, not at the next sweep

    async def _failed(self, d: Delivery, error: str, *, transient: bool, retry_after: float | None = None) -> None:
        assert d.id is not None
        now = self.clock.now()
        status = await self._record(d, f"failed ({error})", lambda: deliveries.mark_failed_attempt(
            self.store, self.config, d.id or 0, error, transient=transient, retry_after=retry_after, now=now))
        if status is None:
            return
        kind = ch.kind if (ch := self.config.channels.get(d.channel)) is not None else "?"
        if retry_after is not None:
            metrics.RATE_LIMITED.labels(kind).inc()
        if status == DeliveryState.PENDING:
            metrics.RETRIES.labels(kind).inc()
        log.warning("delivery %s (%s → %s) %s: %s", d.id, d.ref, d.channel, "will retry" if status == DeliveryState.PENDING else status, error)
        if status == DeliveryState.FAILED:
            self.start_ready()  # the admins' alert about it goes out now, not at the next sweep

    async def _record(self, d: Delivery, what: str, fn: Callable[[], T]) -> T | None:
        """Write a send's outcome, waiting out a store outage; None if it could not be written."""
        try:
            return await self._store(fn)
        except Exception as exc:
            if not is_outage(exc):
                raise
            self._lost(d.id or 0, what, exc)
            return None

    async def _store(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` (in the writer thread) until the store answers or ``record_patience`` runs out.

        While it fails, ``store_ok`` is cleared so no new row is claimed; the first success sets it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.delivery.record_patience.total_seconds()
        wait = FIRST_WAIT
        while True:
            try:
                if self._writer is None:
                    self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="loa-store")
                result = await loop.run_in_executor(self._writer, fn)
            except Exception as exc:
                if not is_outage(exc) or loop.time() >= deadline:
                    raise
                if self.store_ok.is_set():
                    log.warning("store unreachable, new sends paused: %s", str(exc).splitlines()[0][:200])
                    self.store_ok.clear()
                await asyncio.sleep(min(wait, max(0.0, deadline - loop.time())))
                wait = min(wait * 2, LONGEST_WAIT)
                continue
            if not self.store_ok.is_set():
                log.warning("store reachable again, sends resume")
                self.store_ok.set()
            return result

    def _lost(self, delivery_id: int, what: str, exc: BaseException) -> None:
        self.unrecorded[delivery_id] = what
        log.error("delivery %s: %s, but the store could not record it within %s (%s); stopping so that the restart "
                  "resolves it", delivery_id, what, self.config.delivery.record_patience, str(exc).splitlines()[0][:200])
        self.store_lost.set()

    async def stop(self, timeout: float) -> None:
        """Let in-flight sends finish; cancel what is left (rows still waiting for a turn were never claimed)."""
        for d_id, task in list(self._inflight.items()):
            if d_id not in self._on_wire:
                task.cancel()  # still waiting for a rate-limit turn: unclaimed, stays pending
        tasks = list(self._inflight.values())
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=timeout)
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._writer is not None:
            self._writer.shutdown(wait=False)
            self._writer = None


async def _wait(tasks: list[asyncio.Task[None]]) -> None:
    """Wait without owning: if the waiting job is cancelled (shutdown), the sends carry on."""
    if tasks:
        await asyncio.wait(tasks)
