"""The engine: APScheduler jobs derived from the store, plus the sweep that catches the rest.

Jobs carry only ids and have deterministic names (``publish:<post>``, ``remind:<milestone>:<offset>``,
``digest``, ``sweep``); ``reconcile`` rebuilds them from the store with ``replace_existing`` after
every sync. ``misfire_grace_time=None``: APScheduler never drops a late job on its own — whether
late is too late is decided by ``campaign.publishing`` (catch-up window), which reports it.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from campaign import chats, deliveries, operations, publishing, reminders, review, sharekit
from campaign.clock import Clock
from campaign.config import Config
from campaign.errors import CannotDelete, ChannelError, ChatMoved
from campaign.payload import Payload
from campaign.states import UPCOMING, DeliveryState, MoveSource, PostState, PublishAction
from campaign.store import repo
from campaign.store.db import Store, is_outage
from campaign.sync import SyncReport, sync
from campaign.texts import pair
from channels.base import Channel, OutMessage
from jobs import runtime
from jobs.delivery import Deliverer
from jobs.relay import RelayPoller

log = logging.getLogger(__name__)
JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
DERIVED_PREFIXES = ("publish:", "broadcast:", "remind:", "approval:")
JOB_HORIZON = timedelta(hours=2)


class Engine:
    def __init__(self, store: Store, config: Config, adapters: Mapping[str, Channel], clock: Clock, *,
                 scheduler: AsyncIOScheduler | None = None, sweep_every: timedelta | None = None,
                 approval_requests: bool = False, relay: bool = False) -> None:
        self.store, self.config, self.clock = store, config, clock
        self.adapters = adapters
        self.deliverer = Deliverer(store, config, adapters, clock)
        self.scheduler = scheduler or AsyncIOScheduler(timezone=config.tz, job_defaults=JOB_DEFAULTS)
        self.sweep_every = sweep_every or config.delivery.sweep_every
        self.after_sync: list[Callable[[SyncReport], Awaitable[None]]] = []
        self._sweep_lock = asyncio.Lock()
        self.approval_requests = approval_requests  # False: no approval requests (no chat side to answer them)
        self._requests_checked: datetime | None = None
        self.relay_polling = relay  # False: [[relay]] sources are not polled (simulations, most tests)
        self.relay = RelayPoller(store, config, clock, on_drafts=self.resync)

    # --- life cycle ---------------------------------------------------------------------------

    async def start(self, *, run_sweep: bool = True) -> SyncReport:
        runtime.install(self)
        for adapter in dict.fromkeys(self.adapters.values()):
            await adapter.start()
        deliveries.recover(self.store, self.config, self.clock)
        report = await self.resync(full=True)
        self.scheduler.add_job(runtime.sweep_job, IntervalTrigger(seconds=self.sweep_every.total_seconds()),
                               id="sweep", replace_existing=True)
        self.scheduler.add_job(runtime.horizon_job, IntervalTrigger(seconds=JOB_HORIZON.total_seconds() / 2),
                               id="horizon", replace_existing=True)
        if self.config.reminders.digest and self.config.reminders.digest_chats:
            d = self.config.reminders.digest
            self.scheduler.add_job(runtime.digest_job, CronTrigger(hour=d.hour, minute=d.minute, timezone=self.config.tz),
                                   id="digest", replace_existing=True)
        for unit, at in sharekit.nudge_times(self.config):  # units under their share target: one reminder a day
            self.scheduler.add_job(runtime.share_nudge_job, CronTrigger(hour=at.hour, minute=at.minute, timezone=self.config.tz),
                                   args=[unit.id], id=f"sharenag:{unit.id}", replace_existing=True)
        if self.relay_polling:
            self.relay.warm()
            self.relay.schedule(self.scheduler)
        if not self.scheduler.running:
            self.scheduler.start()
        if run_sweep:
            await self.sweep()
        return report

    async def stop(self, timeout: float = 10.0) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.deliverer.stop(timeout)
        self.relay.close()
        for adapter in dict.fromkeys(self.adapters.values()):
            await adapter.close()
        runtime.install(None)

    # --- jobs ---------------------------------------------------------------------------------

    async def resync(self, *, full: bool = False) -> SyncReport:
        """Files -> store, then jobs <- store; hooks (approval requests) see the report."""
        report = await asyncio.to_thread(sync, self.store, self.config, self.clock)
        for p in report.problems:
            log.error("%s", p)
        keys = None if full else report.touched
        # the store is read in a worker thread (hundreds of posts touched must not stall the loop)
        self._apply_jobs(await asyncio.to_thread(self._wanted_jobs, keys), keys)
        if self.approval_requests:
            keys = [*report.added, *report.changed, *report.restored, *report.changed_after_publish]
            if keys and review.queue_requests(self.store, self.config, self.clock, keys):
                self.deliverer.start_ready()
        for hook in self.after_sync:
            await hook(report)
        return report

    def reconcile(self, keys: list[str] | None = None) -> None:
        """Jobs <- store, for what fires within ``JOB_HORIZON``; ``keys``: only these posts' jobs.

        Only the next hours are held as APScheduler jobs (the ``horizon`` job extends them every
        half horizon), so 10,000 posts cost a few hundred jobs in memory, not tens of thousands.
        """
        self._apply_jobs(self._wanted_jobs(keys), keys)

    def _wanted_jobs(self, keys: list[str] | None) -> dict[str, tuple[Callable[..., Awaitable[None]], tuple[str, ...], datetime]]:
        """The jobs the store asks for (reads only: ``resync`` runs it in a worker thread)."""
        now = self.clock.now()
        until = now + JOB_HORIZON
        wanted: dict[str, tuple[Callable[..., Awaitable[None]], tuple[str, ...], datetime]] = {}
        deadline, nudges = self.config.approval.deadline, self.config.approval.reminders
        lead = deadline + max(nudges, default=timedelta(0)) + max(self.config.zalo.broadcast_lead, timedelta(0))
        with self.store.session() as s:
            if keys is None:
                posts = repo.posts_between(s, now - self.config.catch_up, until + lead, statuses=list(UPCOMING), lean=True)
            else:  # one query for all of them (a relay poll or a large edit touches hundreds)
                posts = [p for p in repo.posts_for_keys(s, keys).values() if p.status in UPCOMING]
            for post in posts:
                for job_id, func, args, when in self._post_jobs(post, deadline, nudges):
                    if now < when <= until:
                        wanted[job_id] = (func, args, when)
        if keys is None:
            for ref, _m, _text, when in reminders.reminder_times(self.config):
                if now - self.config.catch_up < when <= until:  # one missed while down still goes out within catch-up
                    wanted[ref] = (runtime.remind_job, (ref,), max(when, now))
        return wanted

    def _apply_jobs(self, wanted: dict[str, tuple[Callable[..., Awaitable[None]], tuple[str, ...], datetime]],
                    keys: list[str] | None) -> None:
        """Make the scheduler's derived jobs ``wanted`` (on the event loop: APScheduler is not thread-safe)."""
        touched = set(keys or ())

        def mine(job_id: str) -> bool:
            if keys is None:
                return job_id.startswith(DERIVED_PREFIXES)
            return job_id.startswith(("publish:", "broadcast:", "approval:")) and job_id.split(":")[1] in touched

        for job in self.scheduler.get_jobs():
            if mine(job.id) and job.id not in wanted:
                job.remove()
        for job_id, (func, args, when) in wanted.items():
            self.scheduler.add_job(func, DateTrigger(when), args=list(args), id=job_id, replace_existing=True)

    def _post_jobs(self, post: Any, deadline: timedelta, nudges: tuple[timedelta, ...]) -> list[tuple[str, Any, tuple[str, ...], datetime]]:
        """Every job a post may need, with its time: publish (or the re-check of a held post), early broadcast, approval nudges."""
        key = post.key
        if post.status == PostState.HELD:  # look again when the catch-up window closes: sent then, or reported missed
            return [(f"publish:{key}", runtime.publish_job, (key,), post.scheduled_at + self.config.catch_up + timedelta(seconds=1))]
        jobs: list[tuple[str, Any, tuple[str, ...], datetime]] = [(f"publish:{key}", runtime.publish_job, (key,), post.scheduled_at)]
        if publishing.early_channels(self.config, post.channels):
            jobs.append((f"broadcast:{key}", runtime.broadcast_job, (key,), post.scheduled_at - self.config.zalo.broadcast_lead))
        jobs.append((f"approval:{key}:deadline", runtime.approval_job, (key, "deadline"), post.scheduled_at - deadline))
        jobs += [(f"approval:{key}:remind-{int(n.total_seconds())}", runtime.approval_job,
                  (key, f"remind-{int(n.total_seconds())}"), post.scheduled_at - deadline - n) for n in nudges]
        return jobs

    async def publish(self, key: str) -> publishing.Outcome:
        outcome = await asyncio.to_thread(publishing.publish_due, self.store, self.config, self.clock, key)
        if not outcome.repeated:
            log.info("post %s: %s %s", key, outcome.action, outcome.reason)
        if outcome.action == PublishAction.HELD:
            self.reconcile([key])  # its re-check when the catch-up window closes
        await self.deliverer.deliver_ready()
        return outcome

    async def publish_early(self, key: str) -> None:
        outcome = await asyncio.to_thread(publishing.publish_early, self.store, self.config, self.clock, key)
        log.info("post %s broadcast ahead: %s %s", key, outcome.action, outcome.reason)
        await self.deliverer.deliver(outcome.delivery_ids)

    async def remind(self, ref: str) -> None:
        ids = reminders.send_reminder(self.store, self.config, self.clock, ref)
        await self.deliverer.deliver(ids)

    async def approval_check(self, key: str, kind: str) -> None:
        ids = review.deadline_check(self.store, self.config, self.clock, key, kind)
        await self.deliverer.deliver(ids)
        await self.deliverer.deliver_ready()

    async def digest(self) -> None:
        ids = reminders.send_digest(self.store, self.config, self.clock)
        await self.deliverer.deliver(ids)

    async def share_nudge(self, unit_id: str) -> None:
        ids = await asyncio.to_thread(sharekit.send_nudge, self.store, self.config, self.clock, unit_id)
        await self.deliverer.deliver(ids)

    async def sweep(self) -> None:
        """Anything due and not sent: late posts (catch-up or missed), held posts, retries, alerts."""
        if self._sweep_lock.locked() or not self.deliverer.store_ok.is_set() or not self.deliverer.may_claim():
            return  # the store is down (deliveries wait for it), or this process is not the leader
        async with self._sweep_lock:
            try:
                outcomes = await asyncio.to_thread(publishing.publish_all_due, self.store, self.config, self.clock)
                for o in outcomes:
                    if o.action not in (PublishAction.WAIT, PublishAction.SKIPPED) and not o.repeated:  # a held post: once per state
                        log.info("sweep: post %s %s %s", o.key, o.action, o.reason)
                self._ask_approvers()
                self.deliverer.start_ready()
            except Exception as exc:
                if not is_outage(exc):
                    raise
                log.warning("sweep skipped, the store is unreachable: %s", str(exc).splitlines()[0][:200])

    def _ask_approvers(self) -> None:
        """At most once a minute: request approval for posts that have come within ``ask_ahead``."""
        now = self.clock.now()
        if not self.approval_requests or (self._requests_checked and now - self._requests_checked < timedelta(minutes=1)):
            return
        self._requests_checked = now
        review.queue_requests(self.store, self.config, self.clock)

    # --- admin operations on published posts ----------------------------------------------------

    async def retract(self, actor: review.Actor, ref: str) -> operations.Retraction:
        """Delete the post's messages in every channel; where deleting is refused, edit them to the notice."""
        post_id, _title, targets = operations.retract_targets(self.store, self.clock, actor, ref)
        notice = self.config.telegram.retraction_notice.strip()
        replaced: dict[int, int] = {}  # delivery id -> album items left showing

        async def withdraw(adapter: Channel, target: str, t: operations.Target) -> None:
            try:
                await adapter.delete(target, t.message_ids)
            except CannotDelete as refused:  # Telegram: older than 48 hours, or no right to delete
                if not notice:
                    raise ChannelError(" / ".join(pair("retract.no_notice", error=refused.reason)), transient=False) from None
                message = OutMessage(html.escape(notice, quote=False), notice,
                                     media=tuple(self.config.content_dir / m for m in t.media))
                try:  # the caption of the first item (an album keeps its other photos; the report says so)
                    await adapter.edit(target, t.message_ids[:1], message)
                except ChannelError as exc:
                    raise ChannelError(" / ".join(pair("retract.refused_both", error=exc.reason)), transient=False) from None
                replaced[t.delivery_id] = len(t.message_ids) - 1

        done, errors = await self._each(targets, withdraw)
        return operations.record_retraction(self.store, self.clock, actor, post_id, done, errors, replaced)

    async def correct(self, actor: review.Actor, ref: str) -> tuple[list[int], dict[int, str]]:
        """Edit the published messages to the approved new content."""
        post_id, payload, targets = operations.correct_targets(self.store, self.clock, actor, ref)
        message = OutMessage.from_payload(payload, self.config.content_dir)
        done, errors = await self._each(targets, lambda adapter, target, t: adapter.edit(target, t.message_ids, message))
        operations.record_correction(self.store, self.clock, actor, post_id, payload, done, errors)
        return done, errors

    async def edit_deliveries(self, ref: str, payload: Payload) -> None:
        """Re-render messages already sent under ``ref`` (approval requests after a decision)."""
        with self.store.session() as s:
            targets = [operations.sent_target(d) for d in repo.deliveries_for(s, ref) if d.status == DeliveryState.SENT and d.message_ids]
        message = OutMessage.from_payload(payload, self.config.content_dir)
        _done, errors = await self._each(targets, lambda adapter, target, t: adapter.edit(target, t.message_ids, message))
        for d_id, error in errors.items():
            log.warning("could not update message of delivery %s: %s", d_id, error)

    async def retry(self, actor: review.Actor, delivery_id: int) -> None:
        operations.retry_delivery(self.store, self.clock, actor, delivery_id)
        await self.deliverer.deliver([delivery_id])

    async def chat_moved(self, kind: str, old: str, new: str, *, source: str) -> bool:
        """A chat's new id learned from the platform (a group upgraded): remember it, tell the admins once."""
        learned = chats.record_move(self.store, self.config, self.clock, kind, old, new, source=source)
        self.deliverer.routes.forget()
        if learned:
            self.deliverer.start_ready()
        return learned

    async def _each(self, targets: list[operations.Target], call: Callable[..., Awaitable[None]]) -> tuple[list[int], dict[int, str]]:
        """``call(adapter, chat, target)`` for each sent message, in the chat it lives in (it may have moved)."""
        done: list[int] = []
        errors: dict[int, str] = {}

        async def one(t: operations.Target) -> None:
            channel, adapter = self.config.channels.get(t.channel), self.adapters.get(t.channel)
            if channel is None or adapter is None:
                errors[t.delivery_id] = f"channel {t.channel} no longer configured"
                return
            try:
                await call(adapter, chats.where_sent(self.store, channel.kind, channel.target, t.sent_at), t)
                done.append(t.delivery_id)
            except ChatMoved as moved:  # sent before the group was upgraded: the old chat is closed to the bot
                await self.chat_moved(channel.kind, moved.old, moved.new, source=MoveSource.SEND)
                errors[t.delivery_id] = " / ".join(pair("retract.old_group", old=moved.old, new=moved.new))
            except ChannelError as exc:
                errors[t.delivery_id] = exc.reason

        await asyncio.gather(*(one(t) for t in targets))
        return done, errors
