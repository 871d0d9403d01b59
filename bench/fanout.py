"""Fan-out: one approved post to N Telegram groups through the real engine, under Telegram's limits.

    python -m bench.fanout
    python -m bench.fanout --channels 300 --db postgresql+psycopg://postgres@127.0.0.1:5432/test

A temporary campaign gets N Telegram channels (supergroup ids ``-100…``, kind ``telegram``)
and one approved post addressed to all of them. ``loa run``'s own pieces then publish it: the
adapters come from ``bot.app.build_adapters`` (one python-telegram-bot ``Bot`` over HTTP), the
``Engine`` starts with its real ``AsyncIOScheduler`` seeing a ``ShiftedClock`` (via
``jobs.simulate.virtual_time``) and its ``publish:<post>`` job fires a moment later; the
``Deliverer`` claims each row, waits for ``TelegramChannel``'s aiolimiter turn and sends.
The other end is ``tests.emulators.telegram.TelegramEmulator`` with its DEFAULT limits
(30 msg/s per bot, 20/min per group, 0.25 s grace), answering 429 to anything over them.

Printed: total time; achieved messages/s against the 30/s ceiling measured on the emulator's
own arrival timestamps (first to last send) and on the wall clock from the publish job's start;
the steady-state rate (aiolimiter lets a full bucket of 30 through at once, so the first second
is a burst); 429s; duplicates (a chat with > 1 copy) and losses (a chat with none); peak RSS.
Targets: rate >= 95 % of 30/s, 0 x 429, 0 duplicates, 0 losses.

The emulator runs in this process (threads), so peak RSS includes it; ``--profile FILE`` adds
a cProfile of the event-loop thread (the emulator's threads are not profiled).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta
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
    run_delivery_bench,
    telegram_adapters,
    write_campaign,
)

CEILING = 30.0  # Telegram: ~30 messages/s per bot
TARGET_RATIO = 0.95
LEAD = timedelta(seconds=1.5)  # virtual "now" at start-up, before the post's time


def _engine_class() -> type:
    from jobs.engine import Engine

    class TimedEngine(Engine):
        """The product's Engine, with the publish job's start and end noted (monotonic)."""

        publish_started: float | None = None
        publish_done: float | None = None
        outcome: Any = None

        async def publish(self, key: str):  # type: ignore[no-untyped-def]
            if self.publish_started is None:
                self.publish_started = time.monotonic()
            self.outcome = await super().publish(key)
            self.publish_done = time.monotonic()
            return self.outcome

    return TimedEngine


async def _run(n: int, db: str | None, workdir: Path, timeout: float) -> dict[str, Any]:
    from campaign.clock import ShiftedClock
    from campaign.store import repo
    from campaign.sync import sync
    from jobs.simulate import virtual_time
    from tests.emulators.telegram import DEFAULT_LIMITS, TelegramEmulator

    with TelegramEmulator(TOKEN, limits=DEFAULT_LIMITS) as tg:
        targets = [channel_target(i) for i in range(n)]
        keys = [channel_key(i) for i in range(n)]
        config_path = write_campaign(workdir / "camp", n, [("fan", "08:30", keys)],
                                     api_base=tg.base_url, file_base=tg.base_file_url)
        config = load(config_path)
        store = open_store(db, workdir)
        clock = ShiftedClock(DUE - LEAD)
        report = sync(store, config, clock)
        assert report.added == ["fan"] and not report.problems, report
        approve(store, ["fan"])
        rss_before = peak_rss_mib()

        with virtual_time(clock), FailureTally() as failures:
            engine = _engine_class()(store, config, telegram_adapters(config), clock)
            lag = LoopLag()
            lag.start()
            await engine.start()
            assert engine.scheduler.get_job("publish:fan") is not None, "publish job not scheduled"
            target_ids = set(int(t) for t in targets)

            deadline = time.monotonic() + LEAD.total_seconds() + timeout
            max_sending = 0  # rows claimed ('sending') but not yet recorded, sampled every 0.25 s
            settled = False  # the publish job has returned, nothing in flight, no row pending (429 retries included)
            while not settled and time.monotonic() < deadline:
                await asyncio.sleep(0.25)
                with store.session() as s:
                    counts = repo.delivery_counts(s)
                max_sending = max(max_sending, counts.get("sending", 0))
                settled = (engine.publish_done is not None and not engine.deliverer.inflight
                           and not counts.get("pending") and not counts.get("sending"))
            lag.stop()
            await engine.stop()

        with store.session() as s:
            rows = repo.deliveries_for(s, "post:fan")
            statuses = Counter(d.status for d in rows)
            attempts = sum(d.attempts for d in rows)
        store.close()

        calls = tg.calls
        ok = sorted((c for c in calls if c.ok and c.method == "sendMessage" and c.chat_id in target_ids), key=lambda c: c.at)
        per_chat = Counter(c.chat_id for c in ok)
        copies = {t: tg.sent_count(t) for t in targets}
        floods = [c for c in calls if c.status == 429]
        others = [c for c in calls if c.method == "sendMessage" and c.chat_id not in target_ids]

    ats = [c.at for c in ok]
    first, last = (ats[0], ats[-1]) if ats else (0.0, 0.0)
    span = last - first
    rate = (len(ats) - 1) / span if span > 0 else float("nan")
    steady = [a for a in ats if a >= first + 1.0]
    steady_rate = (len(steady) - 1) / (steady[-1] - steady[0]) if len(steady) > 1 and steady[-1] > steady[0] else float("nan")
    in_first_second = sum(1 for a in ats if a < first + 1.0)
    max_window = max((sum(1 for b in ats[i:] if b < a + 1.0) for i, a in enumerate(ats)), default=0)
    ps = engine.publish_started or first
    wall_rate = len(ats) / (last - ps) if last > ps else float("nan")
    return {
        "channels": n, "db": store.dialect, "settled": settled, "sent": len(ats),
        "publish_to_first_send_ms": (first - ps) * 1000 if ats else None,
        "publish_to_last_send_s": last - ps if ats else None,
        "publish_job_s": (engine.publish_done - ps) if engine.publish_done else None,
        "span_s": span, "rate": rate, "steady_rate": steady_rate, "wall_rate": wall_rate,
        "first_second": in_first_second, "max_1s_window": max_window,
        "floods": len(floods), "flood_chats": len({c.chat_id for c in floods}),
        "flood_at_ms": [round((c.at - first) * 1000) for c in sorted(floods, key=lambda c: c.at)][:20],
        "arrivals_before_first_flood": sum(1 for a in ats if floods and a < min(c.at for c in floods)),
        "worst_stall_ms": lag.worst[1] * 1000, "worst_stall_from_publish_ms": (lag.worst[0] - ps) * 1000,
        "duplicates": sum(1 for v in copies.values() if v > 1), "losses": sum(1 for v in copies.values() if v == 0),
        "emulator_dupes": sum(1 for v in per_chat.values() if v > 1),
        "failed_attempts": dict(failures.reasons), "max_sending_rows": max_sending, "statuses": dict(statuses), "attempts": attempts, "other_sends": len(others),
        "loop_lag_max_ms": lag.max_ms, "loop_lag_p99_ms": lag.p99_ms,
        "rss_before": rss_before, "rss_peak": peak_rss_mib(), "outcome": getattr(engine.outcome, "action", None),
    }


def _ok(good: bool) -> str:
    return "met" if good else "MISSED"


def render(r: dict[str, Any]) -> str:
    ratio, steady_ratio, wall_ratio = r["rate"] / CEILING, r["steady_rate"] / CEILING, r["wall_rate"] / CEILING
    lines = [
        f"Loa fan-out benchmark: {r['channels']} Telegram groups, one post, {r['db']}; {machine()}",
        "emulator limits: DEFAULT (30 msg/s per bot, 20/min per group, grace 0.25 s)",
        "",
        f"total time, publish job start -> last send accepted:   {r['publish_to_last_send_s']:.2f} s"
        f" (the job itself returned after {r['publish_job_s']:.2f} s)",
        f"publish job start -> first send at emulator:           {r['publish_to_first_send_ms']:.0f} ms",
        f"sends accepted by the emulator:                        {r['sent']} / {r['channels']}",
        f"rate, first -> last send (emulator clock):             {r['rate']:.2f} msg/s over {r['span_s']:.2f} s"
        f" = {ratio:.1%} of 30/s  (target >= 95 %: {_ok(ratio >= TARGET_RATIO)})",
        f"rate, wall clock from publish job start:               {r['wall_rate']:.2f} msg/s = {wall_ratio:.1%} of 30/s"
        f"  ({_ok(wall_ratio >= TARGET_RATIO)})",
        f"steady-state rate (sends after the first second):      {r['steady_rate']:.2f} msg/s = {steady_ratio:.1%} of 30/s"
        f"  ({_ok(steady_ratio >= TARGET_RATIO)})",
        f"burst: sends in the first second {r['first_second']}, busiest 1 s window {r['max_1s_window']}",
        f"429 answers from the emulator:                         {r['floods']} ({r['flood_chats']} chats)"
        f"  (target 0: {_ok(r['floods'] == 0)})"
        + (f"; at {r['flood_at_ms']} ms after the first send, after {r['arrivals_before_first_flood']} accepted"
           if r["floods"] else ""),
        f"duplicates (chats with > 1 copy):                      {r['duplicates']}  (target 0: {_ok(r['duplicates'] == 0)})",
        f"losses (chats with 0 copies):                          {r['losses']}  (target 0: {_ok(r['losses'] == 0)})",
        f"delivery rows: {r['statuses']}, attempts {r['attempts']}; other sends (alerts): {r['other_sends']}",
        f"failed attempts (retried): {r['failed_attempts'] or 'none'}",
        f"most rows in 'sending' at once (claimed, most still waiting for a rate-limit turn): {r['max_sending_rows']}",
        f"event-loop lag (10 ms ticker): max {r['loop_lag_max_ms']:.1f} ms, p99 {r['loop_lag_p99_ms']:.1f} ms;"
        f" worst stall began {r['worst_stall_from_publish_ms']:.0f} ms after the publish job started",
        f"peak RSS: {r['rss_peak']:.0f} MiB (before the engine started: {r['rss_before']:.0f} MiB; emulator in-process)",
    ]
    if not r["settled"]:
        lines.append("WARNING: deliveries had not settled before the timeout")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = delivery_arguments("python -m bench.fanout", __doc__ or "")
    ap.add_argument("--channels", type=int, default=300, help="Telegram groups the post goes to (default 300)")
    ap.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds (default 120)")
    args = ap.parse_args(argv)
    return run_delivery_bench(args, "fanout", lambda workdir: _run(args.channels, args.db, workdir, args.timeout), render, r"jobs|campaign|channels|telegram/_bot|sqlalchemy/orm/session|httpx")


if __name__ == "__main__":
    raise SystemExit(main())
