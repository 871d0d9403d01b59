"""Web server under load: feeds, LED and /healthz answer fast while a 300-group fan-out runs.

    python -m bench.web
    python -m bench.web --items 10000 --channels 300 --db postgresql+psycopg://postgres@127.0.0.1:5432/loa_bench_web

A temporary campaign gets N Telegram groups (as ``bench.fanout``), a feed and an LED channel, each
with ``--items`` published posts already recorded (``campaign.pull``, as their adapter does). The
product's pieces then run in one event loop, as in ``loa run``: the ``Engine`` publishes one post to
the N groups through python-telegram-bot against the local Bot API emulator (DEFAULT limits, 30
msg/s), and ``web.server.WebServer`` serves on a free port. Meanwhile a client in a separate process
(httpx, one keep-alive connection) requests, round-robin and as fast as it can, ``/feeds/<f>.atom``,
``/feeds/<f>.json``, ``/led/<l>``, ``/led/<l>.json`` and ``/healthz``, and a new post is recorded to
both pull channels every second (so feeds are re-rendered, not only served from the cache).

Targets (issue 12): feed .atom and .json p95 < 50 ms (the latest 50 items), /led p95 < 20 ms,
/healthz p95 < 5 ms, the fan-out rate >= 95 % of 30/s. Exits 1 when one is missed; the verdict is
printed last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench._common import (
    DUE,
    TOKEN,
    approve,
    channel_key,
    load,
    machine,
    open_store,
    percentile,
    telegram_adapters,
    write_campaign,
)

CEILING, TARGET_RATIO = 30.0, 0.95
TARGETS_MS = {"feed.atom": 50.0, "feed.json": 50.0, "led": 20.0, "led.json": 20.0, "healthz": 5.0}
LEAD = timedelta(seconds=1.5)
PULL_CHANNELS = """
[channels.so_feed]
kind = "feed"
target = "so-tttt"
label = "Tin Đại hội - Sở TT&TT"

[channels.so_led]
kind = "led"
target = "sanh"
label = "Màn hình LED sảnh"
rotate_seconds = 10
recent = 5

[web]
listen = "127.0.0.1:0"
"""
PATHS = {"feed.atom": "/feeds/so-tttt.atom", "feed.json": "/feeds/so-tttt.json", "led": "/led/sanh",
         "led.json": "/led/sanh.json", "healthz": "/healthz"}


def _client(base: str, stop: Any, out: Any) -> None:
    """In its own process: request the endpoints round-robin until told to stop; send the timings back."""
    import httpx

    times: dict[str, list[float]] = {k: [] for k in PATHS}
    statuses: Counter[str] = Counter()
    with httpx.Client(base_url=base, timeout=10) as http:
        while not stop.is_set():
            for name, path in PATHS.items():
                t0 = time.perf_counter()
                r = http.get(path)
                _ = r.content
                times[name].append((time.perf_counter() - t0) * 1000)
                statuses[f"{name} {r.status_code}"] += 1
    out.put({"times": times, "statuses": dict(statuses)})


def _fill(store: Any, n: int, now: Any) -> None:
    """``n`` published posts in each pull channel (one transaction per thousand: the setup, not the bench)."""
    from campaign import pull
    from campaign.store import repo
    from campaign.store.models import PullItem

    body = pull.from_rendering("<b>Tiêu đề</b>\n\nChào mừng <b>Đại hội</b> — nội dung thử nghiệm hiệu năng.",
                               "Tiêu đề\n\nChào mừng Đại hội — nội dung thử nghiệm hiệu năng.")
    for kind, target in (("feed", "so-tttt"), ("led", "sanh")):
        for start in range(0, n, 1000):
            with store.session() as s:
                s.add_all([PullItem(kind=kind, target=target, guid=f"bench-{kind}-{i}", title=f"Bài số {i}: Đại hội Đảng bộ",
                                    html=body.html, plain=body.plain, media=[], published_at=now - timedelta(seconds=n - i),
                                    updated_at=now - timedelta(seconds=n - i)) for i in range(start, min(n, start + 1000))])
                repo.set_setting(s, f"pull:{kind}:{target}", str(start))
                s.commit()


async def _run(n_channels: int, n_items: int, db: str | None, workdir: Path, timeout: float) -> dict[str, Any]:
    from campaign import pull
    from campaign.clock import ShiftedClock
    from campaign.store import repo
    from campaign.sync import sync
    from jobs.engine import Engine
    from jobs.simulate import virtual_time
    from tests.emulators.telegram import DEFAULT_LIMITS, TelegramEmulator
    from web.app import Runtime, build_app
    from web.server import WebServer

    with TelegramEmulator(TOKEN, limits=DEFAULT_LIMITS) as tg:
        keys = [channel_key(i) for i in range(n_channels)]
        config_path = write_campaign(workdir / "camp", n_channels, [("fan", "08:30", keys)],
                                     api_base=tg.base_url, file_base=tg.base_file_url)
        with config_path.open("a", encoding="utf-8") as f:
            f.write(PULL_CHANNELS)
        config = load(config_path)
        store = open_store(db, workdir)
        clock = ShiftedClock(DUE - LEAD)
        report = sync(store, config, clock)
        assert report.added == ["fan"] and not report.problems, report
        approve(store, ["fan"])
        t0 = time.perf_counter()
        await asyncio.to_thread(_fill, store, n_items, clock.now())
        fill_s = time.perf_counter() - t0

        ctx = mp.get_context("spawn")
        stop, results = ctx.Event(), ctx.Queue()
        with virtual_time(clock):
            engine = Engine(store, config, telegram_adapters(config), clock)
            runtime = Runtime(scheduler_running=lambda: bool(engine.scheduler.running))
            server = WebServer(build_app(store, config, runtime), "127.0.0.1", 0)
            await server.start()
            client = ctx.Process(target=_client, args=(server.url, stop, results), daemon=True)
            client.start()
            await asyncio.sleep(0.5)  # the client process is up (spawn imports httpx) before the fan-out starts
            await engine.start()
            started = time.monotonic()
            deadline = started + LEAD.total_seconds() + timeout
            published = 0
            settled = False
            next_post = started + 1.0
            while not settled and time.monotonic() < deadline:
                await asyncio.sleep(0.25)
                if time.monotonic() >= next_post:  # one new post a second to each pull channel: caches turn over
                    item = pull.Published(f"Tin mới {published}", "<p>Tin mới trong lúc gửi.</p>", "Tin mới trong lúc gửi.")
                    for kind, target in (("feed", "so-tttt"), ("led", "sanh")):
                        await asyncio.to_thread(pull.record, store, kind, target, item, clock.now())
                    published += 1
                    next_post += 1.0
                with store.session() as s:
                    counts = repo.delivery_counts(s)
                settled = (time.monotonic() - started > 2 and not engine.deliverer.inflight
                           and not counts.get("pending") and not counts.get("sending"))
            stop.set()
            figures = await asyncio.to_thread(results.get, True, 60)
            client.join(10)
            await server.stop()
            await engine.stop()
        store.close()
        target_ids = {int(c.target) for k, c in config.channels.items() if k in keys}
        ats = sorted(c.at for c in tg.calls if c.ok and c.method == "sendMessage" and c.chat_id in target_ids)
        floods = sum(1 for c in tg.calls if c.status == 429)

    span = ats[-1] - ats[0] if len(ats) > 1 else 0.0
    rate = (len(ats) - 1) / span if span > 0 else float("nan")
    stats = {name: {"n": len(v), "p50": percentile(v, 50), "p95": percentile(v, 95), "max": max(v, default=float("nan"))}
             for name, v in figures["times"].items()}
    return {"load": os.getloadavg(), "channels": n_channels, "items": n_items, "db": config.database_url.split(":", 1)[0] if db is None else db.split(":", 1)[0],
            "fill_s": fill_s, "settled": settled, "sent": len(ats), "rate": rate, "floods": floods,
            "published_during": published, "stats": stats, "statuses": figures["statuses"]}


def render(r: dict[str, Any]) -> tuple[str, bool]:
    ratio = r["rate"] / CEILING
    lines = [
        f"Loa web benchmark: {r['items']} posts in a feed and an LED channel, while one post fans out to "
        f"{r['channels']} Telegram groups; {r['db']}; {machine()}; load average {r['load'][0]:.1f}",
        f"(setup: {r['items']} posts recorded per channel in {r['fill_s']:.1f} s; {r['published_during']} more per channel "
        "during the run, one a second)",
        "",
        f"{'endpoint':<12} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  target p95",
    ]
    good = True
    for name, s in r["stats"].items():
        met = s["p95"] < TARGETS_MS[name]
        good &= met
        lines.append(f"{name:<12} {s['n']:>8} {s['p50']:>8.2f} {s['p95']:>8.2f} {s['max']:>8.1f}  < {TARGETS_MS[name]:.0f} ms: "
                     f"{'met' if met else 'MISSED'}")
    bad = {k: v for k, v in r["statuses"].items() if not k.endswith(" 200")}
    rate_ok = ratio >= TARGET_RATIO and r["sent"] == r["channels"]
    good &= rate_ok and not bad and r["settled"]
    lines += [
        "",
        f"fan-out: {r['sent']} / {r['channels']} sent, {r['rate']:.2f} msg/s = {ratio:.1%} of 30/s "
        f"(target >= 95 %: {'met' if rate_ok else 'MISSED'}); 429 answers: {r['floods']}",
        f"non-200 answers: {bad or 'none'}" + ("" if r["settled"] else "; WARNING: the fan-out had not settled"),
        "",
        f"verdict: {'every target met' if good else 'a target was MISSED'}",
    ]
    return "\n".join(lines), good


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.web", description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--items", type=int, default=10_000, help="posts already published to each pull channel (default 10000)")
    ap.add_argument("--channels", type=int, default=300, help="Telegram groups the fan-out goes to (default 300)")
    ap.add_argument("--db", help="SQLAlchemy URL; postgresql+psycopg://... DROPS schema public. Default: SQLite in a temp dir")
    ap.add_argument("--timeout", type=float, default=120.0, help="give up on the fan-out after this many seconds")
    ap.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    workdir = Path(tempfile.mkdtemp(prefix="loa-web-"))
    try:
        result = asyncio.run(_run(args.channels, args.items, args.db, workdir, args.timeout))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    text, good = render(result)
    print(text)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
