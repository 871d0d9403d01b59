"""Relayed sources: 20 feeds polled at once without blocking the event loop.

    python -m bench.relay
    python -m bench.relay --sources 20 --items 50 --latency 0.05 --db postgresql+psycopg://postgres@127.0.0.1:5432/<throw-away db>

A temporary campaign (the tests' small one) gets ``--sources`` [[relay]] sources, each an RSS feed of
``--items`` items on the local feed server (``tests.emulators.feeds``), every answer ``--latency``
seconds late (a remote site). The product's ``Engine`` runs as in ``loa run`` (console channels, its
``AsyncIOScheduler``), and its ``RelayPoller`` polls every source at once, three rounds:

1. cold: every feed read and parsed, the newest ``max_items`` (10) of each written as drafts, the rest
   remembered, then one resync of content/;
2. warm: every feed answers 304 (conditional GET);
3. busy: every feed has 3 new items and one changed item (read, parsed, 4 drafts written or rewritten).

Measured per round: wall time of the whole poll (target < 2 s), the event loop's lag (a 10 ms ticker;
target max < 100 ms) and the lateness of scheduled jobs, 20 one-shot APScheduler jobs due every 100 ms
across the round (target max < 100 ms). Exits 1 when a target is missed; the verdict is printed last.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.triggers.date import DateTrigger

from bench._common import LoopLag, machine, open_store, percentile
from campaign.clock import SystemClock
from campaign.config import load_config
from channels.console import ConsoleChannel
from jobs.engine import Engine
from tests.campaign_config import CONFIG
from tests.emulators.feeds import FeedServer, news, rss

TARGET_WALL_S = 2.0
TARGET_LAG_MS = 100.0
TARGET_LATE_MS = 100.0
PROBES = 20
PROBE_EVERY = 0.1


def relay_config(server: FeedServer, sources: int) -> str:
    blocks = [f'\n[[relay]]\nid = "f{i:02d}"\nurl = "{server.url(f"/feed/{i}.rss")}"\nlabel = "Nguồn {i}"\n'
              f'milestone = "cao-diem"\nchannels = ["tg"]\nevery = "10m"\nmax_items = 10\n' for i in range(sources)]
    return CONFIG.replace('listen = "127.0.0.1:0"', 'listen = ""') + "".join(blocks)


async def one_round(engine: Engine, name: str) -> dict[str, Any]:
    """Poll every source at once while a loop ticker and scheduled probe jobs run."""
    lateness: list[float] = []

    def probe(planned: datetime) -> None:
        lateness.append((datetime.now(UTC) - planned).total_seconds())

    lag = LoopLag()
    lag.start()
    start = datetime.now(UTC)
    for i in range(PROBES):
        planned = start + timedelta(seconds=0.05 + i * PROBE_EVERY)
        engine.scheduler.add_job(probe, DateTrigger(planned), args=[planned], id=f"probe:{name}:{i}")
    t0 = time.perf_counter()
    outcomes = await engine.relay.poll_all()
    wall = time.perf_counter() - t0
    while len(lateness) < PROBES:  # the probes due after the poll ended still run (and are measured)
        await asyncio.sleep(PROBE_EVERY / 2)  # a poll interval, not a measured wait
    lag.stop()
    files = sum(o.files for o in outcomes.values() if o is not None)
    return {"round": name, "wall_s": wall, "files": files, "lag_max_ms": lag.max_ms, "lag_p99_ms": lag.p99_ms,
            "late_max_ms": max(lateness) * 1000, "late_p99_ms": percentile(lateness, 99) * 1000}


async def run(args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    with FeedServer(latency=args.latency) as server:
        for i in range(args.sources):
            server.serve(f"/feed/{i}.rss", rss(news(args.items, start=i * 100_000)))
        (workdir / "content").mkdir()
        config_path = workdir / "config.toml"
        config_path.write_text(relay_config(server, args.sources), encoding="utf-8")
        cfg = load_config(config_path, env={})
        store = open_store(args.db, workdir)
        console = ConsoleChannel()
        engine = Engine(store, cfg, {k: console for k in cfg.channels}, SystemClock())
        await engine.start(run_sweep=False)
        if (started := engine.relay.warm()) is not None:  # as loa run does at start-up; the bench polls by itself
            await asyncio.wrap_future(started)
        rounds = []
        try:
            rounds.append(await one_round(engine, "cold"))
            rounds.append(await one_round(engine, "warm (304)"))
            for i in range(args.sources):
                items = news(args.items + 3, start=i * 100_000)
                items[-1]["description"] = "<p>Nội dung đã sửa.</p>"
                server.serve(f"/feed/{i}.rss", rss(items))
            rounds.append(await one_round(engine, "busy"))
        finally:
            await engine.stop()
            store.close()
        rounds[0]["requests"] = server.count()
    return rounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.relay", description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=20)
    parser.add_argument("--items", type=int, default=50, help="items per feed (a news site's RSS: 20-50)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds each feed answer takes")
    parser.add_argument("--db", default=None, help="PostgreSQL URL (its public schema is DROPPED); default SQLite")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="loa-bench-relay-"))
    try:
        rounds = asyncio.run(run(args, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"relay bench: {args.sources} sources × {args.items} items, answers {args.latency * 1000:.0f} ms late; "
          f"{'PostgreSQL' if args.db else 'SQLite'}; {machine()}")
    ok = True
    for r in rounds:
        miss = r["wall_s"] >= TARGET_WALL_S or r["lag_max_ms"] >= TARGET_LAG_MS or r["late_max_ms"] >= TARGET_LATE_MS
        ok = ok and not miss
        print(f"  {r['round']:<11} wall {r['wall_s']:.2f} s, {r['files']:>3} draft files; loop lag max "
              f"{r['lag_max_ms']:.1f} ms (p99 {r['lag_p99_ms']:.1f}); job lateness max {r['late_max_ms']:.1f} ms "
              f"(p99 {r['late_p99_ms']:.1f}){'  MISSED' if miss else ''}")
    print(f"targets: wall < {TARGET_WALL_S:.0f} s, loop lag max < {TARGET_LAG_MS:.0f} ms, job lateness max < "
          f"{TARGET_LATE_MS:.0f} ms — {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
