"""``loa simulate``: a throw-away store, console channels, the real engine on a virtual clock."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console

from campaign.clock import FakeClock
from campaign.config import Config
from campaign.states import PostState
from campaign.store import repo
from campaign.store.db import Store
from campaign.texts import inline
from channels.console import ConsoleChannel
from jobs.engine import Engine
from jobs.simulate import run_until, virtual_scheduler, virtual_time


async def simulate(config: Config, start: datetime, end: datetime, *, speed: float = 0, approved: bool = False,
                   console: Console | None = None, approvals_from: str | None = None) -> dict[str, int]:
    console = console or Console(highlight=False)
    clock = FakeClock(start)
    with tempfile.TemporaryDirectory(prefix="loa-sim-") as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'sim.db'}")
        labels = {ch.target: f"{ch.label} [{ch.key}]" for ch in config.channels.values()}
        channel = ConsoleChannel(console, now=lambda: clock.now().astimezone(config.tz), label=lambda t: labels.get(t, t),
                                 brief=True)
        adapters = dict.fromkeys(config.channels, channel)
        with virtual_time(clock):
            engine = Engine(store, config, adapters, clock, scheduler=virtual_scheduler(config.tz),
                            sweep_every=timedelta(hours=6))
            engine.after_sync.append(lambda _r: _prepare(store, start, approved, approvals_from))
            console.print(f"{inline('sim.simulating')} {config.name}: {start.astimezone(config.tz):%d/%m/%Y %H:%M} → "
                          f"{end.astimezone(config.tz):%d/%m/%Y %H:%M} ({config.zone_name})")
            await engine.start()
            if speed > 0:
                await _paced(engine, clock, end, speed)
            else:
                await run_until(engine, clock, end)
            await engine.stop()
        summary = _summary(store)
        store.close()
    console.print(
        f"{inline('sim.summary')}: "
        + ", ".join(f"{summary[k]} {inline('sim.' + k)}" for k in ("published", "held", "missed", "scheduled"))
        + "; " + ", ".join(f"{summary[k]} {inline('sim.' + k)}" for k in ("sent", "failed"))
    )
    return summary


async def _paced(engine: Engine, clock: FakeClock, end: datetime, speed: float) -> None:
    """Advance in real time slices so an audience can follow: ``speed`` virtual seconds per second."""
    tick = 0.2
    while clock.now() < end:
        await run_until(engine, clock, min(end, clock.now() + timedelta(seconds=speed * tick)))
        await asyncio.sleep(tick)


async def _prepare(store: Store, start: datetime, approve_all: bool, approvals_from: str | None) -> None:
    """Leave out posts before the window, and give the rest the approvals to assume: all, or the real store's."""
    with store.session() as s:
        for p in repo.posts_between(s, None, None):
            if p.scheduled_at < start:
                p.status = PostState.WITHDRAWN  # outside the simulated window: neither sent nor "missed"
        s.commit()
    assume_approvals(store, approve_all, approvals_from, actor="simulate")


def assume_approvals(store: Store, approve_all: bool, approvals_from: str | None, *, actor: str,
                     keys: Iterable[str] | None = None) -> None:
    """Approvals a throw-away store starts from (``loa simulate``, ``loa run --rehearse``): every post
    approved (by ``actor-0``, ``actor-1``… as many as it needs), or the real store's approvals of the
    same content copied over (``approvals_from``, its URL; none when it does not exist yet).
    ``keys``: only these posts (those a sync just added or changed); None: all."""
    with store.session() as s:
        posts = list(repo.posts_between(s, None, None)) if keys is None else list(repo.posts_for_keys(s, keys).values())
        if not posts:
            return
        if approve_all:
            for p in posts:
                if not repo.live_approvals(s, p.id or 0):
                    for i in range(p.approvals_required):
                        repo.add_approval(s, p, f"{actor}-{i}", "approve", p.updated_at)
        elif approvals_from and (approvals_from.startswith("postgresql") or Path(approvals_from.split("///", 1)[-1]).exists()):
            real = Store(approvals_from or "", run_migrations=False)
            try:
                with real.session() as r:
                    by_key = repo.posts_by_key(r)
                    live = repo.approvals_for(r, [p.id for p in by_key.values() if p.id])
            except Exception:  # no store yet, or an older schema: start without approvals
                by_key, live = {}, {}
            finally:
                real.close()
            for p in posts:
                src = by_key.get(p.key)
                if repo.live_approvals(s, p.id or 0):
                    continue  # copied already (this runs after every sync)
                for a in live.get(src.id if src and src.id is not None else -1, []):
                    if a.content_hash == p.content_hash:
                        repo.add_approval(s, p, a.person, a.decision, a.at, a.reason)
        s.commit()


def _summary(store: Store) -> dict[str, int]:
    with store.session() as s:
        posts = repo.post_counts(s)
        deliveries = repo.delivery_counts(s)
    return {k: posts.get(k, 0) for k in ("published", "held", "missed", "scheduled")} | {
        "sent": deliveries.get("sent", 0), "failed": deliveries.get("failed", 0)}
