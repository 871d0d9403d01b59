"""Replaying the campaign on a virtual clock through the real scheduler and delivery code.

APScheduler 3 reads ``datetime.now`` directly, so for the length of a simulation its modules see
a ``datetime`` whose ``now()`` is the fake clock, and ``VirtualScheduler`` reports its next
wake-up instead of arming a real timer. The loop then jumps the clock to that wake-up: weeks of
campaign run in seconds, with the same jobs, rules and deliveries as ``loa run``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import apscheduler.executors.base
import apscheduler.schedulers.base
import apscheduler.triggers.interval
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from campaign.clock import Clock, FakeClock
from jobs.engine import JOB_DEFAULTS, Engine

_PATCHED = (apscheduler.schedulers.base, apscheduler.executors.base, apscheduler.triggers.interval)


class VirtualScheduler(AsyncIOScheduler):  # type: ignore[misc]  # apscheduler 3 ships no type hints
    next_wait: float | None = None

    def _start_timer(self, wait_seconds: float | None) -> None:
        self._stop_timer()
        self.next_wait = wait_seconds

    def pending(self) -> set[asyncio.Future[Any]]:
        return {f for ex in self._executors.values() for f in getattr(ex, "_pending_futures", set())}


class ScaledScheduler(AsyncIOScheduler):  # type: ignore[misc]  # apscheduler 3 ships no type hints
    """The real asyncio scheduler on a clock ``speed`` times faster (``campaign.clock.ScaledClock``): it
    computes its waits in campaign time (``virtual_time`` shows it that clock) and arms 1/speed of each."""

    def __init__(self, speed: float, **options: Any) -> None:
        super().__init__(**options)
        self.speed = speed

    def _start_timer(self, wait_seconds: float | None) -> None:
        super()._start_timer(None if wait_seconds is None else wait_seconds / self.speed)


def scaled_scheduler(tz: tzinfo, speed: float) -> ScaledScheduler:
    return ScaledScheduler(speed, timezone=tz, job_defaults=JOB_DEFAULTS)


def virtual_scheduler(tz: tzinfo) -> VirtualScheduler:
    return VirtualScheduler(timezone=tz, job_defaults=JOB_DEFAULTS)


@contextmanager
def virtual_time(clock: Clock) -> Iterator[None]:
    class VirtualDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return clock.now().astimezone(tz) if tz else clock.now().astimezone(UTC).replace(tzinfo=None)

    saved = [m.datetime for m in _PATCHED]
    for m in _PATCHED:
        m.datetime = VirtualDatetime
    try:
        yield
    finally:
        for m, original in zip(_PATCHED, saved, strict=True):
            m.datetime = original


async def run_until(engine: Engine, clock: FakeClock, until: datetime, *, max_steps: int = 1_000_000) -> int:
    """Advance from wake-up to wake-up until ``until``; returns the number of steps taken."""
    scheduler = engine.scheduler
    assert isinstance(scheduler, VirtualScheduler)
    steps = 0
    while steps < max_steps:
        steps += 1
        wait = scheduler._process_jobs()
        while pending := scheduler.pending():
            await asyncio.gather(*pending, return_exceptions=True)
        await engine.sweep()
        await engine.deliverer.deliver_ready()
        nxt = until if wait is None else clock.now() + timedelta(seconds=wait)
        if clock.now() >= until:
            break
        clock.set(min(nxt, until))
    return steps
