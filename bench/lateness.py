"""Lateness: how long after its scheduled instant a post reaches Telegram, with the real scheduler.

    python -m bench.lateness
    python -m bench.lateness --posts 200 --seconds 60 --db postgresql+psycopg://postgres@127.0.0.1:5432/test

A temporary campaign gets N Telegram groups and N approved posts, one per group, so no per-chat
limit can ever apply. Post times are minute-resolution in the files, so after the first sync
the bench rewrites each post's ``scheduled_at`` in the store to spread the N posts evenly over
``--seconds`` (post i at T + i·seconds/N); the file hashes are unchanged, so the engine's own
start-up sync keeps those times, and ``Engine.reconcile`` builds one ``publish:<post>`` job each.

The engine is ``loa run``'s: adapters from ``bot.app.build_adapters`` (python-telegram-bot over
HTTP, TelegramChannel's aiolimiter limits in force), APScheduler's ``AsyncIOScheduler`` firing
the jobs in real time on a ``ShiftedClock`` (seen by APScheduler through
``jobs.simulate.virtual_time``), the sweep every ``[delivery].sweep_every`` (5 s by default).
The ``TelegramEmulator`` runs with ``limits=None``: no 429 can add to the figures.

lateness = (emulator's arrival time of the sendMessage, on the shifted clock) - scheduled_at.
Arrival times are the emulator's ``time.monotonic()`` stamps, mapped onto the shifted clock by
one (monotonic, clock.now()) pair taken at start (the drift of that mapping over the run is
printed). Printed: p50/p95/p99/max lateness in ms (target p99 < 250 ms) and how many posts the
publish job published versus the sweep, plus where the time goes (job firing, publishing
rules in the store, the send).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench._common import (
    DUE,
    TOKEN,
    FailureTally,
    LoopLag,
    approve,
    channel_key,
    channel_target,
    delivery_arguments,
    load,
    machine,
    open_store,
    peak_rss_mib,
    percentile,
    run_delivery_bench,
    telegram_adapters,
    write_campaign,
)

TARGET_P99_MS = 250.0
LEAD = timedelta(seconds=3)  # start-up time before the first post is due


def _engine_class() -> type:
    from jobs.engine import Engine

    class TimedEngine(Engine):
        """The product's Engine, noting when each publish job ran and what it decided."""

        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, **kw)
            self.job_runs: dict[str, dict[str, Any]] = {}

        async def publish(self, key: str):  # type: ignore[no-untyped-def]
            run = self.job_runs.setdefault(key, {})
            run["entered"], run["entered_m"] = self.clock.now(), time.monotonic()
            outcome = await super().publish(key)
            run["action"], run["done_m"] = outcome.action, time.monotonic()
            return outcome

    return TimedEngine


RULES: list[tuple[str, float, float, str]] = []  # (post key, start, end, action) of every publish_due call


@contextmanager
def timed_rules() -> Iterator[None]:
    """Time ``campaign.publishing.publish_due`` (the job's and the sweep's) without changing it."""
    from campaign import publishing

    original = publishing.publish_due

    def publish_due(store: Any, config: Any, clock: Any, key: str) -> Any:
        t0 = time.monotonic()
        outcome = original(store, config, clock, key)
        RULES.append((key, t0, time.monotonic(), outcome.action))
        return outcome

    publishing.publish_due = publish_due  # type: ignore[assignment]
    try:
        yield
    finally:
        publishing.publish_due = original  # type: ignore[assignment]


async def _run(n: int, seconds: float, db: str | None, workdir: Path, timeout: float) -> dict[str, Any]:
    from sqlmodel import select

    from campaign.clock import ShiftedClock
    from campaign.store import repo
    from campaign.store.models import Post
    from campaign.sync import sync
    from jobs.simulate import virtual_time
    from tests.emulators.telegram import TelegramEmulator

    with TelegramEmulator(TOKEN, limits=None) as tg:
        keys = [f"p{i:04d}" for i in range(n)]
        config_path = write_campaign(workdir / "camp", n, [(k, "08:30", [channel_key(i)]) for i, k in enumerate(keys)],
                                     api_base=tg.base_url, file_base=tg.base_file_url)
        config = load(config_path)
        store = open_store(db, workdir)
        clock = ShiftedClock(DUE - LEAD)
        report = sync(store, config, clock)
        assert len(report.added) == n and not report.problems, report.problems[:3]
        step = timedelta(seconds=seconds / n)
        due = {k: DUE + i * step for i, k in enumerate(keys)}
        with store.session() as s:
            for post in s.exec(select(Post)).all():
                post.scheduled_at = due[post.key]
            s.commit()
        approve(store, keys)
        target_of = {int(channel_target(i)): k for i, k in enumerate(keys)}
        rss_before = peak_rss_mib()

        with virtual_time(clock), timed_rules(), FailureTally() as failures:
            engine = _engine_class()(store, config, telegram_adapters(config), clock)
            lag = LoopLag()
            lag.start()
            # one (monotonic, shifted clock) pair maps the emulator's stamps onto campaign time
            m0, v0 = time.monotonic(), clock.now()
            start_report = await engine.start()
            assert start_report.unchanged == n, f"start-up sync changed posts: {start_report}"
            jobs = [j for j in engine.scheduler.get_jobs() if j.id.startswith("publish:")]
            assert len(jobs) == n, f"{len(jobs)} publish jobs for {n} posts"

            def sent() -> int:
                return sum(1 for c in tg.calls if c.ok and c.method == "sendMessage" and c.chat_id in target_of)

            deadline = time.monotonic() + LEAD.total_seconds() + seconds + timeout
            while time.monotonic() < deadline and (sent() < n or engine.deliverer.inflight):
                await asyncio.sleep(0.05)
            lag.stop()
            m1, v1 = time.monotonic(), clock.now()
            await engine.stop()

        with store.session() as s:
            published = {p.key for p in repo.posts_between(s, None, None, statuses=["published"])}
            statuses = repo.delivery_counts(s)
        store.close()
        calls = [c for c in tg.calls if c.ok and c.method == "sendMessage" and c.chat_id in target_of]

    drift_ms = ((v1 - v0).total_seconds() - (m1 - m0)) * 1000

    def virtual(at: float) -> datetime:
        return v0 + timedelta(seconds=at - m0)

    arrival = {}
    for c in calls:
        arrival.setdefault(target_of[c.chat_id], virtual(c.at))
    late_ms = {k: (arrival[k] - due[k]).total_seconds() * 1000 for k in keys if k in arrival}
    runs = engine.job_runs
    by_job = sorted(k for k, r in runs.items() if r.get("action") == "published")
    by_sweep = sorted(published - set(by_job))
    arrival_m = {}
    for c in calls:
        arrival_m.setdefault(target_of[c.chat_id], c.at)
    rules = {k: (t0, t1) for k, t0, t1, action in RULES if action == "published"}
    fire_ms = [(r["entered"] - due[k]).total_seconds() * 1000 for k, r in runs.items() if "entered" in r]
    queue_ms = [(rules[k][0] - runs[k]["entered_m"]) * 1000 for k in by_job if k in rules]
    rules_ms = [(rules[k][1] - rules[k][0]) * 1000 for k in by_job if k in rules]
    send_ms = [(arrival_m[k] - rules[k][1]) * 1000 for k in by_job if k in rules and k in arrival_m]
    vals = list(late_ms.values())

    def stats(xs: list[float]) -> dict[str, float]:
        if not xs:
            return {}
        return {"p50": percentile(xs, 50), "p95": percentile(xs, 95), "p99": percentile(xs, 99), "max": max(xs),
                "min": min(xs)}

    worst = sorted(late_ms.items(), key=lambda kv: -kv[1])[:5]
    return {
        "posts": n, "seconds": seconds, "db": store.dialect, "sent": len(calls), "arrived": len(arrival),
        "duplicates": len(calls) - len(arrival), "lateness": stats(vals),
        "early": sum(1 for v in vals if v < 0),
        "by_job": len(by_job), "by_sweep": len(by_sweep), "sweep_keys": by_sweep[:10],
        "job_runs": len(runs), "job_fire": stats(fire_ms), "thread_start": stats(queue_ms), "rules": stats(rules_ms),
        "send": stats(send_ms), "worst": [(k, round(v, 1), "sweep" if k in by_sweep else "job") for k, v in worst],
        "deliveries": statuses, "failed_attempts": dict(failures.reasons), "clock_drift_ms": drift_ms,
        "loop_lag_max_ms": lag.max_ms, "loop_lag_p99_ms": lag.p99_ms,
        "rss_before": rss_before, "rss_peak": peak_rss_mib(),
    }


def render(r: dict[str, Any]) -> str:
    lt = r["lateness"]

    def row(name: str, st: dict[str, float]) -> str:
        if not st:
            return f"  {name:<44} —"
        return (f"  {name:<44} p50 {st['p50']:8.1f}  p95 {st['p95']:8.1f}  p99 {st['p99']:8.1f}  max {st['max']:8.1f}"
                f"  (min {st['min']:.1f})")

    p99 = lt.get("p99", float("inf"))
    lines = [
        f"Loa lateness benchmark: {r['posts']} posts over {r['seconds']:g} s, one Telegram group each, {r['db']}; {machine()}",
        "emulator limits: None (no 429s possible); TelegramChannel's own aiolimiter limits in force",
        "",
        f"posts received by the emulator: {r['arrived']} / {r['posts']} (extra copies: {r['duplicates']}; "
        f"before their time: {r['early']})",
        "lateness, ms (emulator arrival - scheduled_at):",
        row("all posts", lt),
        f"  target p99 < {TARGET_P99_MS:.0f} ms: {'met' if p99 < TARGET_P99_MS else 'MISSED'} (p99 = {p99:.1f} ms)",
        f"published by the publish job: {r['by_job']}; by the sweep: {r['by_sweep']}"
        + (f" ({', '.join(r['sweep_keys'])}{'…' if r['by_sweep'] > 10 else ''})" if r["by_sweep"] else ""),
        "where the time goes, ms (publish-job posts):",
        row("job fired (Engine.publish entered) - due", r["job_fire"]),
        row("job entered -> publish_due starts (thread)", r["thread_start"]),
        row("publish_due (rules + rows, worker thread)", r["rules"]),
        row("publish_due done -> emulator arrival", r["send"]),
        f"worst five: {r['worst']}",
        f"failed attempts (retried): {r['failed_attempts'] or 'none'}",
        f"delivery rows: {r['deliveries']}; clock mapping drift over the run: {r['clock_drift_ms']:.1f} ms",
        f"event-loop lag (10 ms ticker): max {r['loop_lag_max_ms']:.1f} ms, p99 {r['loop_lag_p99_ms']:.1f} ms",
        f"peak RSS: {r['rss_peak']:.0f} MiB (before the engine started: {r['rss_before']:.0f} MiB; emulator in-process)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = delivery_arguments("python -m bench.lateness", __doc__ or "")
    ap.add_argument("--posts", type=int, default=200, help="posts, one group each (default 200)")
    ap.add_argument("--seconds", type=float, default=60.0, help="spread the posts evenly over this many seconds (default 60)")
    ap.add_argument("--timeout", type=float, default=60.0, help="extra seconds to wait after the last post's time (default 60)")
    args = ap.parse_args(argv)
    return run_delivery_bench(args, "lateness", lambda workdir: _run(args.posts, args.seconds, args.db, workdir, args.timeout), render, r"jobs|campaign|channels|apscheduler|sqlalchemy/orm/session|httpx")


if __name__ == "__main__":
    raise SystemExit(main())
