"""Dashboard pages with 10,000 posts: server-side time and page weight.

    python -m bench.dashboard                    # --posts 10000, SQLite in a temp dir
    python -m bench.dashboard --db postgresql+psycopg://postgres@127.0.0.1:5432/loa_bench_dash

The campaign of ``bench.queries`` (``bench.sync.generate``: three milestones over 21 days, N posts)
is synced into a fresh store and put in its mid-campaign state at 10:00 on the opening day
(``bench.queries.seed_state``: earlier posts published, half of the later ones approved). The
Starlette app of ``loa run`` (``web.app.build_app``, clock fixed at that moment) is then called
in-process through Starlette's ``TestClient`` with an approver's session cookie; each page is
requested ``--warmup`` times untimed, then ``--reps`` times timed (``perf_counter``, the whole
request through the ASGI app, no network): the timeline of one month, the calendar week, a post
page (a different post each time) and the approvals list.

Targets (issue 13): p95 < 100 ms each; a page's HTML (CSS inline, no JavaScript) < 300 KB.
Exits 1 when one is missed. With ``--db``, schema ``public`` is DROPPED first: a throw-away
database only. Results: docs/benchmarks.md, section "Dashboard".
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.queries import NOW, open_store, percentile, seed_state
from bench.sync import generate

TARGET_MS = 100.0
TARGET_BYTES = 300 * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--db", default="", help="PostgreSQL URL of a throw-away database (default: SQLite in a temp dir)")
    args = parser.parse_args(argv)

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
        person = config.people["lan"]
        cookie = signin.cookie_value(key, signin.start_session(key, person, clock.now()))
        with store.session() as s:
            ids = [p.id for p in repo.posts_between(s, None, None, lean=True) if p.id is not None]
        rng = random.Random(13)
        day = NOW.date().isoformat()
        pages = {
            "timeline month": lambda: f"/?zoom=month&at={day}",
            "calendar week": lambda: f"/calendar?view=week&at={day}",
            "post": lambda: f"/posts/{rng.choice(ids)}",
            "approvals": lambda: "/approvals",
        }
        results: dict[str, tuple[float, float, int]] = {}
        with TestClient(build_app(store, config, clock=clock), cookies={SESSION_COOKIE: cookie}) as client:
            for name, url in pages.items():
                size = 0
                for _ in range(args.warmup):
                    client.get(url())
                samples = []
                for _ in range(args.reps):
                    t = time.perf_counter()
                    r = client.get(url())
                    samples.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200, (name, r.status_code, r.text[:300])
                    size = max(size, len(r.content))
                results[name] = (percentile(samples, 50), percentile(samples, 95), size)
        store.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    ok = True
    print(f"{'page':<16} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>9}  (targets: p95 < {TARGET_MS:.0f} ms, < {TARGET_BYTES // 1024} KB)")
    for name, (p50, p95, size) in results.items():
        good = p95 < TARGET_MS and size < TARGET_BYTES
        ok &= good
        print(f"{name:<16} {p50:>8.1f} {p95:>8.1f} {size:>9}  {'ok' if good else 'MISSED'}")
    print("all targets met" if ok else "a target was missed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
