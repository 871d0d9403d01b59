"""Clocks: the only place Loa asks for the time, so tests and simulations can drive it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told: used by tests and ``loa simulate``."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta | float) -> None:
        self._now += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)


class ShiftedClock:
    """Real time moved by a fixed offset: runs at real speed, but in another day (tests, demos)."""

    def __init__(self, start: datetime) -> None:
        self._offset = start.astimezone(UTC) - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


class ScaledClock:
    """Time that starts at ``start`` and runs ``speed`` times faster than real time (``loa run --rehearse
    --speed N``): the real scheduler waits 1/N of each campaign interval (``jobs.simulate.ScaledScheduler``)."""

    def __init__(self, start: datetime, speed: float) -> None:
        if start.tzinfo is None or speed <= 0:
            raise ValueError("ScaledClock needs an aware start and a positive speed")
        self._start, self.speed = start.astimezone(UTC), speed
        self._t0: float | None = None

    def run(self) -> None:
        """Start moving (until then it reads ``start``): a rehearsal's start-up time is not campaign time."""
        if self._t0 is None:
            self._t0 = time.monotonic()

    def now(self) -> datetime:
        if self._t0 is None:
            return self._start
        return self._start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)
