"""The engine: APScheduler jobs derived from the store, plus the sweep that catches the rest.

Jobs carry only ids and have deterministic names (``publish:<post>``, ``remind:<milestone>:<offset>``,
``digest``, ``sweep``); ``reconcile`` rebuilds them from the store with ``replace_existing`` after
every sync. ``misfire_grace_time=None``: APScheduler never drops a late job on its own — whether
late is too late is decided by ``campaign.publishing`` (catch-up window), which reports it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from campaign import publishing
from campaign.clock import Clock
from campaign.config import Config
from campaign.store import repo
from campaign.store.db import Store
from campaign.sync import SyncReport, sync
from channels.base import Channel
from jobs import runtime
from jobs.delivery import Deliverer

log = logging.getLogger(__name__)
JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
DERIVED_PREFIXES = ("publish:", "remind:")


class Engine:
    def __init__(self, store: Store, config: Config, adapters: Mapping[str, Channel], clock: Clock, *,
                 scheduler: AsyncIOScheduler | None = None, sweep_every: timedelta | None = None) -> None:
        self.store, self.config, self.clock = store, config, clock
        self.adapters = adapters
        self.deliverer = Deliverer(store, config, adapters, clock)
        self.scheduler = scheduler or AsyncIOScheduler(timezone=config.tz, job_defaults=JOB_DEFAULTS)
        self.sweep_every = sweep_every or config.delivery.sweep_every
        self.after_sync: list[Callable[[SyncReport], Awaitable[None]]] = []
        self._sweep_lock = asyncio.Lock()

    # --- life cycle ---------------------------------------------------------------------------

    async def start(self, *, run_sweep: bool = True) -> SyncReport:
        runtime.install(self)
        for adapter in dict.fromkeys(self.adapters.values()):
            await adapter.start()
        publishing.recover(self.store, self.config, self.clock)
        report = await self.resync()
        self.scheduler.add_job(runtime.sweep_job, IntervalTrigger(seconds=self.sweep_every.total_seconds()),
                               id="sweep", replace_existing=True)
        if self.config.reminders.digest and self.config.reminders.digest_chats:
            d = self.config.reminders.digest
            self.scheduler.add_job(runtime.digest_job, CronTrigger(hour=d.hour, minute=d.minute, timezone=self.config.tz),
                                   id="digest", replace_existing=True)
        if not self.scheduler.running:
            self.scheduler.start()
        if run_sweep:
            await self.sweep()
        return report

    async def stop(self, timeout: float = 10.0) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.deliverer.stop(timeout)
        for adapter in dict.fromkeys(self.adapters.values()):
            await adapter.close()
        runtime.install(None)

    # --- jobs ---------------------------------------------------------------------------------

    async def resync(self) -> SyncReport:
        """Files -> store, then jobs <- store; hooks (approval requests) see the report."""
        report = await asyncio.to_thread(sync, self.store, self.config, self.clock)
        for p in report.problems:
            log.error("%s", p)
        self.reconcile()
        for hook in self.after_sync:
            await hook(report)
        return report

    def reconcile(self) -> None:
        now = self.clock.now()
        wanted: dict[str, tuple[Callable[..., Awaitable[None]], str, object]] = {}
        with self.store.session() as s:
            for post in repo.posts_between(s, now, None, statuses=["scheduled"]):
                wanted[f"publish:{post.key}"] = (runtime.publish_job, post.key, post.scheduled_at)
        for ref, _m, _text, when in publishing.reminder_times(self.config):
            if when > now:
                wanted[ref] = (runtime.remind_job, ref, when)
        for job in self.scheduler.get_jobs():
            if job.id.startswith(DERIVED_PREFIXES) and job.id not in wanted:
                job.remove()
        for job_id, (func, arg, when) in wanted.items():
            self.scheduler.add_job(func, DateTrigger(when), args=[arg], id=job_id, replace_existing=True)

    async def publish(self, key: str) -> publishing.Outcome:
        outcome = await asyncio.to_thread(publishing.publish_due, self.store, self.config, self.clock, key)
        log.info("post %s: %s %s", key, outcome.action, outcome.reason)
        await self.deliverer.deliver_ready()
        return outcome

    async def remind(self, ref: str) -> None:
        ids = publishing.send_reminder(self.store, self.config, self.clock, ref)
        await self.deliverer.deliver(ids)

    async def digest(self) -> None:
        ids = publishing.send_digest(self.store, self.config, self.clock)
        await self.deliverer.deliver(ids)

    async def sweep(self) -> None:
        """Anything due and not sent: late posts (catch-up or missed), held posts, retries, alerts."""
        if self._sweep_lock.locked():
            return
        async with self._sweep_lock:
            outcomes = await asyncio.to_thread(publishing.publish_all_due, self.store, self.config, self.clock)
            for o in outcomes:
                if o.action not in ("wait", "skipped"):
                    log.info("sweep: post %s %s %s", o.key, o.action, o.reason)
            self.deliverer.start_ready()
