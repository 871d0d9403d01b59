"""``loa run --rehearse``: the real service — scheduler, delivery pipeline, web dashboard — on a moved timeline.

The timeline is moved in the configuration (``campaign.rehearsal``: milestones and posts shifted, so the
store, the dashboard and the console all hold rehearsal times near today). With ``--speed N`` the clock
is a ``ScaledClock`` started at now, and the real APScheduler runs on it: its modules see that clock
(``jobs.simulate.virtual_time``) and ``ScaledScheduler`` arms 1/N of each wait. Intervals that pace
work rather than the campaign (the sweep) are stretched N times so they keep their real-time pace.
The rehearsal writes only to its own SQLite file next to the real store, emptied at each start.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import RehearsalRun
from bot.simulation import assume_approvals
from campaign import rehearsal, signin
from campaign.clock import Clock, ScaledClock, SystemClock
from campaign.config import Config, Milestone
from campaign.content import scan_content
from campaign.store.db import Store, sqlite_path
from campaign.sync import SyncReport
from campaign.texts import inline, local
from jobs.simulate import scaled_scheduler, virtual_time

REHEARSAL_SUFFIX = "-rehearsal"


def database_path(config: Config) -> Path:
    """The rehearsal's SQLite file: ``<real file>-rehearsal.db`` next to a SQLite store, else
    ``data/loa-rehearsal.db`` next to ``config.toml`` (a PostgreSQL store is never written to)."""
    real = sqlite_path(config.database_url) or config.path.parent / "data" / "loa.db"
    return real.with_name(f"{real.stem}{REHEARSAL_SUFFIX}{real.suffix or '.db'}")


@dataclass(frozen=True)
class Rehearsal:
    config: Config  # moved (and, with a speed, its catch-up widened); database_url is the rehearsal's file
    real_url: str  # the real store: only read, for the approvals to copy
    clock: Clock
    speed: float
    milestone: Milestone
    approved: bool
    live: bool
    left_out: int  # posts the shift puts before the start

    @property
    def path(self) -> Path:
        found = sqlite_path(self.config.database_url)
        assert found is not None
        return found

    def run_options(self, store: Store, banner: Callable[[str | None], None] | None = None) -> RehearsalRun:
        """The service's rehearsal parts; ``store`` is the rehearsal's (its posts get the approvals to assume)."""
        scheduler = scaled_scheduler(self.config.tz, self.speed) if self.speed != 1 else None
        real_url = None if self.approved else self.real_url

        async def approvals(report: SyncReport) -> None:
            if report.touched:
                await asyncio.to_thread(assume_approvals, store, self.approved, real_url, actor="rehearsal",
                                        keys=report.touched)

        return RehearsalRun(scheduler=scheduler, sweep_every=self.config.delivery.sweep_every * self.speed,
                            approval_requests=not self.approved, after_sync=(approvals,), banner=banner)

    @contextmanager
    def time(self) -> Iterator[None]:
        """For the length of the run: APScheduler sees the rehearsal's clock (with a speed)."""
        noisy = logging.getLogger("apscheduler.scheduler")  # "skipped: maximum number of running instances": a
        level = noisy.level  # job re-armed within the widened catch-up while its run is finishing; nothing is lost
        noisy.setLevel(logging.ERROR)
        if isinstance(self.clock, ScaledClock):
            self.clock.run()  # --start-in counts from here, not from the reading of the content
        try:
            with virtual_time(self.clock) if self.speed != 1 else nullcontext():
                yield
        finally:
            noisy.setLevel(level)

    def fresh_store(self) -> None:
        """Empty the rehearsal's file (call with its lock held): the shift differs at every start."""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def banner(self, web_url: str | None, signin_link: tuple[str, str] | None) -> list[str]:
        """What the run prints first: the campaign, the mode, where its data goes, the dashboard."""
        cfg, m = self.config, self.milestone
        r = cfg.rehearsal
        assert r is not None
        lines = [f"Loa — {cfg.name}",
                 f"{inline('rehearse.mode')} — {inline('rehearse.live' if self.live else 'rehearse.console')}",
                 inline("rehearse.first", title=m.title, at=local(m.span.start, cfg.tz), shift=_days(r.shift))]
        if self.speed != 1:
            lines.append(inline("rehearse.speed", speed=f"{self.speed:g}", per_second=_days(timedelta(seconds=self.speed))))
        lines.append(inline("rehearse.approved" if self.approved else "rehearse.approvals"))
        if self.left_out:
            lines.append(inline("rehearse.left_out", n=self.left_out))
        lines.append(inline("rehearse.database", path=self.path))
        lines.append(inline("rehearse.dashboard", url=web_url) if web_url else inline("rehearse.no_dashboard"))
        if signin_link is not None:
            lines.append(inline("rehearse.signin", name=signin_link[0], url=signin_link[1]))
        return lines


def prepare(config: Config, *, start_in: timedelta, speed: float, milestone: str | None, approved: bool,
            live: bool, now: datetime | None = None) -> Rehearsal:
    """The rehearsal of ``config``: the milestone it starts with begins ``start_in`` (real time) from now."""
    now = now or SystemClock().now()
    posts = scan_content(config).posts
    first = rehearsal.pick_milestone(config, (p.milestone for p in posts), now, milestone)
    moved = rehearsal.rehearse(config, first, now + start_in * speed)
    if speed != 1:
        moved = rehearsal.speeded(moved, speed)
    moved = dataclasses.replace(moved, database_url=f"sqlite:///{database_path(config)}")
    r = moved.rehearsal
    assert r is not None
    left_out = sum(1 for p in posts if p.scheduled_at + r.shift < r.start)  # every time moves by the one shift
    clock: Clock = ScaledClock(now, speed) if speed != 1 else SystemClock()
    return Rehearsal(moved, config.database_url, clock, speed, moved.milestone(first.id) or first, approved, live, left_out)


def signin_link(store: Store, config: Config, base_url: str) -> tuple[str, str] | None:
    """A one-time dashboard link for the first admin (else approver) in ``[people]``: the rehearsal's store
    is the rehearsal's own, and the console is the person who runs it."""
    person = next((p for p in config.people.values() if p.is_admin), None) or \
        next((p for p in config.people.values() if p.is_approver), None)
    if person is None:
        return None
    key = signin.secret(store, os.environ.get(signin.SECRET_ENV))
    return person.name, signin.issue_link(store, config, SystemClock(), key, person, base_url)


def _days(delta: timedelta) -> str:
    """A shift or a pace in words a person reads at a glance: "1234 d 5 h 6 min"."""
    sign = "-" if delta < timedelta(0) else ""
    total = int(abs(delta).total_seconds())
    d, rest = divmod(total, 86400)
    h, rest = divmod(rest, 3600)
    mins, secs = divmod(rest, 60)
    parts = [f"{d} d" if d else "", f"{h} h" if h else "", f"{mins} min" if mins else "", f"{secs} s" if secs and not d else ""]
    return sign + (" ".join(p for p in parts if p) or "0 s")
