"""Dashboard pages: server-side time and weight with 10,000 posts, and the browser's load event.

    python -m bench.dashboard                    # --posts 10000, SQLite in a temp dir
    python -m bench.dashboard --db postgresql+psycopg://postgres@127.0.0.1:5432/loa_bench_h13p
    python -m bench.dashboard --no-browser       # the server side only

1. Server side. The campaign of ``bench.queries`` (``bench.sync.generate``: three milestones over 21
   days, N posts) is synced into a fresh store and put in its mid-campaign state at 10:00 on the
   opening day (``bench.queries.seed_state``: earlier posts published, half of the later ones
   approved). The Starlette app of ``loa run`` (``web.app.build_app``, clock fixed at that moment) is
   called in-process through Starlette's ``TestClient`` with an approver's session cookie; each page is
   requested ``--warmup`` times untimed, then ``--reps`` times timed: wall time of the whole request
   through the ASGI app (``perf_counter``, no network) and the process's CPU time for it
   (``process_time``: client and server, which the machine's load does not inflate). Pages with
   targets: the timeline of one month, the calendar week, a post page (a different post each time),
   the approvals list; shown for information: the whole-campaign timeline, the calendar month, /public.

2. Browser. The sample campaign (``config.toml`` and ``content/`` of this repository) is synced into a
   SQLite store, clock at 08:00 on 21/01/2021, and served by ``web.server.WebServer`` (uvicorn, as in
   ``loa run``) on a free port; Playwright drives Chromium (``--chromium``, default /usr/bin/chromium)
   with an admin's session cookie and loads each staff page and /public ``--browser-reps`` times
   (after one untimed load): the navigation timing's ``loadEventEnd`` (ms from the navigation's start)
   and the page's weight (HTML, CSS and JavaScript decoded: the document plus any resources).

Targets (issue 13): server p95 < 100 ms for the four pages, every page < 300 KB, load event < 1 s.
Exits 1 when one is missed. With ``--db``, schema ``public`` is DROPPED first: a throw-away database
only. Results: docs/benchmarks.md, section "Dashboard".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.queries import NOW, open_store, percentile, seed_state
from bench.sync import generate

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 100.0
TARGET_BYTES = 300 * 1024
TARGET_LOAD_MS = 1000.0
SAMPLE_NOW = datetime(2021, 1, 21, 1, 0, tzinfo=UTC)  # 08:00 on 21/01/2021, the sample's busy week (as tests/web)
SAMPLE_PERSON = "tran_van_minh"  # admin and approver: every staff page


def server_side(args: argparse.Namespace) -> list[tuple[str, bool, float, float, float, int]]:
    """(page, has a time target, p50 ms, p95 ms, CPU p50 ms, largest bytes) per page."""
    from starlette.testclient import TestClient

    from campaign import signin
    from campaign.clock import FakeClock
    from campaign.config import load_config
    from campaign.store import repo
    from campaign.sync import sync
    from web.app import build_app
    from web.dashboard import SESSION_COOKIE

    workdir = Path(tempfile.mkdtemp(prefix="loa-bench-dash-"))
    try:
        config_path, _paths = generate(workdir / "camp", args.posts)
        config = load_config(config_path, env={})
        store = open_store(args.db or "sqlite", workdir)
        t0 = time.perf_counter()
        report = sync(store, config, FakeClock(NOW.replace(day=1)))
        assert len(report.added) == args.posts and not report.problems
        state = seed_state(store, NOW, 0.5)
        print(f"[{store.dialect}] synced {args.posts} posts in {time.perf_counter() - t0:.1f}s; state: {state}", file=sys.stderr)
        clock = FakeClock(NOW)
        key = signin.secret(store, None)
        cookie = signin.cookie_value(key, signin.start_session(key, config.people["lan"], clock.now()))
        with store.session() as s:
            ids = [p.id for p in repo.posts_between(s, None, None, lean=True) if p.id is not None]
        rng = random.Random(13)
        day = NOW.date().isoformat()
        pages: dict[str, tuple[bool, Any]] = {
            "timeline month": (True, lambda: f"/?zoom=month&at={day}"),
            "calendar week": (True, lambda: f"/calendar?view=week&at={day}"),
            "post": (True, lambda: f"/posts/{rng.choice(ids)}"),
            "approvals": (True, lambda: "/approvals"),
            "timeline campaign": (False, lambda: "/"),
            "calendar month": (False, lambda: f"/calendar?at={day}"),
            "public": (False, lambda: "/public"),
        }
        results = []
        with TestClient(build_app(store, config, clock=clock), cookies={SESSION_COOKIE: cookie}) as client:
            for name, (target, url) in pages.items():
                size = 0
                for _ in range(args.warmup):
                    client.get(url())
                wall, cpu = [], []
                for _ in range(args.reps):
                    t, c = time.perf_counter(), time.process_time()
                    r = client.get(url())
                    wall.append((time.perf_counter() - t) * 1000)
                    cpu.append((time.process_time() - c) * 1000)
                    assert r.status_code == 200, (name, r.status_code, r.text[:300])
                    size = max(size, len(r.content))
                results.append((name, target, percentile(wall, 50), percentile(wall, 95), percentile(cpu, 50), size))
        store.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


async def browser(args: argparse.Namespace) -> list[tuple[str, float, float, int]]:
    """(page, load event p50 ms, max ms, bytes) per page of the sample campaign in Chromium."""
    from playwright.async_api import async_playwright

    from campaign import signin
    from campaign.clock import FakeClock
    from campaign.config import load_config
    from campaign.store.db import Store
    from campaign.sync import sync
    from web.app import build_app
    from web.dashboard import SESSION_COOKIE
    from web.server import WebServer

    workdir = Path(tempfile.mkdtemp(prefix="loa-bench-dash-browser-"))
    try:
        config = load_config(ROOT / "config.toml", env={})
        store = Store(f"sqlite:///{workdir / 'sample.db'}")
        clock = FakeClock(SAMPLE_NOW)
        sync(store, config, clock)
        key = signin.secret(store, None)
        cookie = signin.cookie_value(key, signin.start_session(key, config.people[SAMPLE_PERSON], clock.now()))
        server = WebServer(build_app(store, config, clock=clock), "127.0.0.1", 0)
        await server.start()
        day = SAMPLE_NOW.astimezone(config.tz).date().isoformat()
        paths = {"timeline": "/", "timeline month": f"/?zoom=month&at={day}", "timeline week": f"/?zoom=week&at={day}",
                 "calendar": "/calendar", "calendar week": f"/calendar?view=week&at={day}", "post": "/posts/1",
                 "approvals": "/approvals", "operations": "/operations", "public": "/public"}
        out = []
        try:
            async with async_playwright() as pw:
                b = await pw.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
                context = await b.new_context(viewport={"width": 1280, "height": 900})
                await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": server.url}])
                page = await context.new_page()
                for name, path in paths.items():
                    loads, size = [], 0
                    for i in range(args.browser_reps + 1):
                        response = await page.goto(server.url + path, wait_until="load")
                        assert response is not None and response.status == 200 and page.url == server.url + path, (name, page.url)
                        timing = await page.evaluate(
                            "() => { const n = performance.getEntriesByType('navigation')[0];"
                            " const r = performance.getEntriesByType('resource');"
                            " return [n.loadEventEnd - n.startTime, n.decodedBodySize + r.reduce((a, e) => a + e.decodedBodySize, 0)]; }")
                        if i:  # the first load warms the server and the browser
                            loads.append(float(timing[0]))
                            size = max(size, int(timing[1]))
                    out.append((name, percentile(loads, 50), max(loads), size))
                await b.close()
        finally:
            await server.stop()
            store.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--db", default="", help="PostgreSQL URL of a throw-away database (default: SQLite in a temp dir)")
    parser.add_argument("--no-browser", action="store_true", help="skip the browser's load event")
    parser.add_argument("--browser-reps", type=int, default=5)
    parser.add_argument("--chromium", default=os.environ.get("LOA_CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args(argv)

    ok = True
    results = server_side(args)
    print(f"server side, {args.posts} posts ({'PostgreSQL' if args.db else 'SQLite'}); load average before the browser: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'page':<18} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} {'bytes':>9}  (targets: p95 < {TARGET_MS:.0f} ms, "
          f"< {TARGET_BYTES // 1024} KB)")
    for name, target, p50, p95, cpu, size in results:
        good = (p95 < TARGET_MS or not target) and size < TARGET_BYTES
        ok &= good
        print(f"{name:<18} {p50:>8.1f} {p95:>8.1f} {cpu:>8.1f} {size:>9}  {'ok' if good else 'MISSED'}{'' if target else ' (size only)'}")
    if not args.no_browser:
        loads = asyncio.run(browser(args))
        print(f"browser (Chromium, sample campaign, {args.browser_reps} loads each); load average: "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'page':<18} {'load p50':>9} {'load max':>9} {'bytes':>9}  (targets: load event < {TARGET_LOAD_MS:.0f} ms, "
              f"< {TARGET_BYTES // 1024} KB)")
        for name, p50, worst, size in loads:
            good = worst < TARGET_LOAD_MS and size < TARGET_BYTES
            ok &= good
            print(f"{name:<18} {p50:>9.1f} {worst:>9.1f} {size:>9}  {'ok' if good else 'MISSED'}")
    print("all targets met" if ok else "a target was missed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
