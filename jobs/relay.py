"""Polling relayed sources ("tiếp sóng"): one APScheduler job per [[relay]] source, politely.

Each poll is a conditional GET (``If-None-Match`` / ``If-Modified-Since`` from the last answer)
with the source's timeout, done in a worker thread of the poller's own pool, so the event loop
(and the posts scheduled on it) never waits on a feed. Parsing (pure-Python CPU
work) runs in worker processes; writing drafts and the store back in the thread pool. A source that fails is polled less often (back-off
doubling from ``every`` up to ``BACKOFF_MAX``); after ``ALERT_AFTER`` of failing the admins get one
alert through the alert chats, and one more only after the source answered again and failed anew.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from campaign.clock import Clock
from campaign.config import Config, RelaySource
from campaign.deliveries import alert
from campaign.feeds import FeedError, FeedItem, parse_feed
from campaign.relay import PollOutcome, take_items
from campaign.store.db import Store
from campaign.store.models import RelayFeed
from campaign.texts import both, local
from jobs import runtime

log = logging.getLogger(__name__)
ALERT_AFTER = timedelta(hours=1)
BACKOFF_MAX = timedelta(minutes=30)  # or the source's own ``every``, when that is longer
MAX_BYTES = 32 * 1024 * 1024  # a feed larger than this is refused (an endless or wrong URL)
WORKERS = 8  # feeds fetched at once
# processes reading feeds: one leaves the other core to the event loop (bench.relay: two were no faster
# on 2 cores under load, with more loop lag)
PARSERS = 1
USER_AGENT = "Loa/0.1 (+relay; campaign communications scheduler)"


@dataclass(frozen=True)
class Fetched:
    status: int
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None


class RelayPoller:
    """The polls of every [[relay]] source; ``on_drafts`` runs after a poll wrote or rewrote drafts (a resync)."""

    def __init__(self, store: Store, config: Config, clock: Clock, *,
                 on_drafts: Callable[[], Awaitable[Any]] | None = None, workers: int = WORKERS) -> None:
        self.store, self.config, self.clock = store, config, clock
        self.on_drafts = on_drafts
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="relay")  # waiting on feeds (I/O)
        # Reading feeds is pure-Python CPU work (feedparser): in threads it competes with the event loop for
        # the GIL (bench.relay: loop stalls of 100-900 ms), so it runs in worker processes, started on first
        # use (``warm``); a thread of its own is the fallback if they cannot run.
        self._parser: ProcessPoolExecutor | None = None
        self._cpu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-parse")
        self._sessions: dict[str, requests.Session] = {}  # one per source: a Session is not shared across threads
        self._resync_lock = asyncio.Lock()
        self._dirty = False

    def schedule(self, scheduler: BaseScheduler) -> None:
        """A job ``relay:<id>`` per source, every ``every``, the first one right away."""
        for source in self.config.relays:
            scheduler.add_job(runtime.relay_job, IntervalTrigger(seconds=source.every.total_seconds()), args=[source.id],
                              id=f"relay:{source.id}", replace_existing=True, next_run_time=datetime.now(UTC))

    def warm(self) -> Future[int] | None:
        """Start the parsing process now (``loa run`` at start-up), so the first poll does not wait for it."""
        if not self.config.relays:
            return None
        pool = self._parse_pool()
        started = [pool.submit(int) for _ in range(PARSERS)]  # ProcessPoolExecutor starts its processes on demand
        return started[-1]

    def _parse_pool(self) -> Executor:
        if self._parser is None:
            self._parser = ProcessPoolExecutor(max_workers=PARSERS, mp_context=multiprocessing.get_context("spawn"),
                                               initializer=_quiet_worker)
        return self._parser

    async def _parse(self, body: bytes, url: str) -> list[FeedItem]:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._parse_pool(), parse_feed, body, url)
        except (BrokenProcessPool, OSError) as exc:  # the worker died (memory?) or could not start: a thread will do
            log.warning("relay: parsing process unavailable (%s); parsing in a thread", exc)
            if self._parser is not None:
                self._parser.shutdown(wait=False, cancel_futures=True)
                self._parser = None
            return await loop.run_in_executor(self._cpu, parse_feed, body, url)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._cpu.shutdown(wait=False, cancel_futures=True)
        if self._parser is not None:
            self._parser.shutdown(wait=True, cancel_futures=True)
            self._parser = None
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()

    async def poll_all(self) -> dict[str, PollOutcome | None]:
        """Every source at once (``loa run`` polls each on its own job; tests and the bench use this)."""
        ids = [s.id for s in self.config.relays]
        return dict(zip(ids, await asyncio.gather(*(self.poll(i) for i in ids)), strict=True))

    async def poll(self, source_id: str) -> PollOutcome | None:
        """Poll one source now, unless it is backing off; None when nothing was read (304, failure, waiting)."""
        source = self.config.relay(source_id)
        if source is None:
            return None
        loop = asyncio.get_running_loop()
        feed = await loop.run_in_executor(self._pool, self._state, source_id)
        if feed.next_poll_at is not None and self.clock.now() < feed.next_poll_at:
            return None
        try:
            got = await loop.run_in_executor(self._pool, self._fetch, source, feed.etag, feed.last_modified)
            if got.status == 304:
                await loop.run_in_executor(self._pool, self._answered, source, None)
                return None
            if got.status != 200:
                raise FeedError(f"HTTP {got.status}")
            items = await self._parse(got.body, source.url)
            outcome = await loop.run_in_executor(self._pool, self._take, source, got, items)
        except (requests.RequestException, FeedError) as exc:
            await loop.run_in_executor(self._pool, self._failed, source, _reason(exc))
            return None
        if outcome.files:
            log.info("relay %s: %d new draft(s), %d updated", source.id, len(outcome.written), len(outcome.updated))
            await self._drafts_changed()
        return outcome

    async def _drafts_changed(self) -> None:
        """Run ``on_drafts`` once for any number of polls that wrote meanwhile (20 sources: not 20 resyncs)."""
        if self.on_drafts is None:
            return
        self._dirty = True
        if self._resync_lock.locked():
            return  # the running one goes round again
        async with self._resync_lock:
            while self._dirty:
                self._dirty = False
                await self.on_drafts()

    # --- in the pool ------------------------------------------------------------------------

    def _state(self, source_id: str) -> RelayFeed:
        with self.store.session() as s:
            feed = s.get(RelayFeed, source_id) or RelayFeed(source=source_id)
            s.expunge_all()
            return feed

    def _fetch(self, source: RelaySource, etag: str | None, last_modified: str | None) -> Fetched:
        session = self._sessions.get(source.id)
        if session is None:
            session = self._sessions[source.id] = requests.Session()
        headers = {"User-Agent": USER_AGENT, "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        with session.get(source.url, headers=headers, timeout=source.timeout.total_seconds(), stream=True) as r:
            if r.status_code != 200:
                return Fetched(r.status_code)
            body = bytearray()
            for chunk in r.iter_content(64 * 1024):
                body += chunk
                if len(body) > MAX_BYTES:
                    raise FeedError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
            return Fetched(200, bytes(body), r.headers.get("ETag"), r.headers.get("Last-Modified"))

    def _take(self, source: RelaySource, got: Fetched, items: list[FeedItem]) -> PollOutcome:
        outcome = take_items(self.store, self.config, self.clock, source, items)
        # items still waiting (over max_items): keep the old validators, so the next poll reads the feed again
        self._answered(source, None if outcome.waiting else got)
        return outcome

    def _answered(self, source: RelaySource, got: Fetched | None) -> None:
        with self.store.session() as s:
            feed = s.get(RelayFeed, source.id) or RelayFeed(source=source.id)
            if feed.failing_since is not None:
                log.info("relay %s answers again after %d failure(s)", source.id, feed.failures)
            feed.failures, feed.failing_since, feed.next_poll_at, feed.alerted = 0, None, None, False
            feed.last_error, feed.last_ok_at = None, self.clock.now()
            if got is not None:
                feed.etag, feed.last_modified = (got.etag or None), (got.last_modified or None)
            s.add(feed)
            s.commit()

    def _failed(self, source: RelaySource, reason: str) -> None:
        """Back off, and tell the admins once when the source has failed for ``ALERT_AFTER``."""
        now = self.clock.now()
        with self.store.session() as s:
            feed = s.get(RelayFeed, source.id) or RelayFeed(source=source.id)
            feed.failures += 1
            since = feed.failing_since = feed.failing_since or now
            feed.last_error = reason
            feed.next_poll_at = now + backoff(source.every, feed.failures)
            (log.warning if feed.failures == 1 else log.info)(
                "relay %s failed (%d in a row): %s; next try %s", source.id, feed.failures, reason, feed.next_poll_at)
            if not feed.alerted and now - since >= ALERT_AFTER:
                feed.alerted = True
                text = both("alert.relay_failing", label=source.label, relay=source.id, url=source.url, error=reason,
                            since=local(since, self.config.tz), minutes=int((now - since).total_seconds() // 60))
                alert(s, self.config, now, f"relay:{source.id}:{since:%Y%m%dT%H%M%S}", text)
            s.add(feed)
            s.commit()


def _quiet_worker() -> None:
    """The parsing process leaves Ctrl-C to ``loa run``, which stops it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def backoff(every: timedelta, failures: int) -> timedelta:
    """How long after the n-th failure in a row the source is tried again: ``every``, doubling, capped."""
    grown: timedelta = every * 2 ** min(failures - 1, 16)
    return min(grown, max(every, BACKOFF_MAX))


def _reason(exc: Exception) -> str:
    """One short line for the alert and the log (no URL credentials: requests does not put them in messages)."""
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
