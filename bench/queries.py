"""Benchmark the chat side's schedule questions and the resident memory of ``loa run --offline``.

    python -m bench.queries                     # --posts 10000, SQLite in a temp dir
    python -m bench.queries --db postgresql+psycopg://postgres@127.0.0.1:5432/loa_bench

1. Handler time. A campaign of N posts is generated with ``bench.sync.generate`` (its config:
   three milestones over 21 days, approvers ``lan`` and ``minh``; posts spread evenly over the
   milestones at distinct minutes between 06:00 and 22:00, ~1.3 KB of Markdown each) and synced
   into a fresh SQLite store (and, with ``--db``, a PostgreSQL store too). The store is then put
   in a mid-campaign state for ``NOW`` (10:00 local on the opening day, Tuesday 26/01/2021, so
   the week Mon 25/01 – Sun 31/01 holds about a third of all posts): every post before NOW is
   ``published`` with its approvals; ``--approved`` (default 0.5) of the later ones are approved
   (as many approvals as they require), the rest await approval. Then, with a FakeClock at NOW,
   ``await bot.dispatch.answer(services, who, Ask(cmd))`` — exactly what the Telegram and Zalo
   handlers call — is timed (``perf_counter``) for /week, /pending, /today and /next as the
   approver ``lan`` (Telegram form: ``buttons=True``, 15 lines a page): ``--warmup`` untimed
   calls, then ``--reps`` timed ones each. ``Services.engine`` is an ``Engine`` built on the
   offline (console) adapters and never started. Targets: p95 < 20 ms for /week and /pending.

2. Memory. The same content with a copy of the config whose anchor is moved ``--anchor-days``
   ahead of today (so the whole campaign is in the future, as before a real one: 10,000
   ``publish:`` jobs plus approval-deadline jobs, approval requests for posts due within
   ``ask_ahead``) is run by the real CLI as a child process:

       .venv/bin/loa run --offline --no-watch --for 20s --config <tmp>/config-run.toml

   with ``LOA_DATABASE_URL`` pointing to a SQLite file in the temp dir; twice: "first start"
   (empty database: the process does the cold sync of every file) and "restart" (the same
   database: no-change resync). Its RSS is sampled every 0.2 s (psutil if installed, else
   ``/proc/<pid>/status`` VmRSS; VmHWM, the kernel's own high-water mark, is read too) and the
   peak printed. Target: < 150 MB (reported in MiB and MB).

Each command's Zalo Bot form (``buttons=False``) is built once too: its size and number of 2000-character
messages are printed. ``--breakdown [N]`` times the parts of /pending, /week and /next (median of N)
next to the full-object queries the handlers ran before SQL paging. ``--memory-phases`` replays
``loa run``'s start-up in child processes (``--phases-child``) and prints VmRSS/VmHWM after each phase
(``--tracemalloc``: the Python heap too). ``--profile DIR`` profiles ``--reps`` calls of /week and
/pending with pyinstrument (if installed). With ``--db``, schema ``public`` is DROPPED and recreated first:
point it at a throw-away database only (never the shared ``test`` one). Results: docs/benchmarks.md,
section "Queries and memory".
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.sync import CONFIG, generate  # stdlib-only at import time

# bench._common imports campaign (SQLAlchemy, SQLModel, alembic): imported lazily so that the
# --phases-child process starts bare and its "imports" phase counts them.

ROOT = Path(__file__).resolve().parents[1]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2021, 1, 26, 10, 0, tzinfo=TZ)  # opening day (khai_mac), a Tuesday, 10:00 local
COMMANDS = ("week", "pending", "today", "next")
TARGET_MS = {"week": 20.0, "pending": 20.0}
TARGET_RSS_MB = 150.0
ANCHOR_LINE = "khai_mac = 2021-01-26"
# what answer() runs for these commands (for the "code:" stamp)
QUERY_CODE = ("bot/dispatch.py", "campaign/answers.py", "campaign/approvals.py", "campaign/review.py",
              "campaign/store/repo.py", "campaign/store/models.py", "campaign/store/db.py")



def percentile(values: Any, p: float) -> float:
    from bench._common import percentile as nearest_rank

    return nearest_rank(values, p)


def reset_postgres(url: str) -> None:
    from bench._common import reset_postgres as reset

    reset(url)

# --- the store in a mid-campaign state -----------------------------------------------------------


def seed_state(store: Any, now: datetime, approved_share: float, seed: int = 7) -> dict[str, int]:
    """Posts before ``now``: published (with their approvals); ``approved_share`` of the rest approved."""
    from sqlalchemy import bindparam, select, update

    from campaign.store.models import Approval, Post

    rng = random.Random(seed)
    now_utc = now.astimezone(UTC)
    with store.session() as s:
        rows = s.execute(select(Post.id, Post.scheduled_at, Post.content_hash, Post.approvals_required, Post.author)
                         .order_by(Post.scheduled_at)).all()
        published, approvals, approved_future = [], [], 0
        for pid, at, chash, required, author in rows:
            past = at < now_utc
            if past:
                published.append({"b_id": pid, "b_hash": chash})
            if past or rng.random() < approved_share:
                approved_future += not past
                people = [p for p in ("lan", "minh") if p != author] or ["lan", "minh"]
                approvals.extend({"post_id": pid, "content_hash": chash, "person": person, "decision": "approve",
                                  "reason": None, "at": min(at, now_utc) - timedelta(hours=6), "voided_at": None}
                                 for person in people[:max(1, required)])
        if published:
            s.execute(update(Post.__table__).where(Post.__table__.c.id == bindparam("b_id"))  # type: ignore[attr-defined]
                      .values(status="published", published_hash=bindparam("b_hash")), published)
        if approvals:
            s.execute(Approval.__table__.insert(), approvals)  # type: ignore[attr-defined]
            # the counts repo.add_approval keeps on each post (bulk here, so set them the same way in bulk)
            votes: dict[int, int] = {}
            for a in approvals:
                votes[a["post_id"]] = votes.get(a["post_id"], 0) + 1
            s.execute(update(Post.__table__).where(Post.__table__.c.id == bindparam("v_id"))  # type: ignore[attr-defined]
                      .values(approved_by=bindparam("v_n")), [{"v_id": k, "v_n": n} for k, n in votes.items()])
        s.commit()
    future = len(rows) - len(published)
    return {"posts": len(rows), "published": len(published), "future": future, "future_approved": approved_future,
            "awaiting": future - approved_future, "approval_rows": len(approvals)}


def analyze(store: Any) -> None:
    """What autovacuum would have done by now (PostgreSQL: VACUUM ANALYZE), or SQLite's ANALYZE.

    The local PostgreSQL server runs with ``autovacuum = off``: without this, the freshly loaded and
    updated tables have no planner statistics, no visibility map (no index-only scans) and ~1
    dead row version per live one.
    """
    from sqlalchemy import text

    with store.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for stmt in (["VACUUM ANALYZE posts", "VACUUM ANALYZE approvals"] if store.dialect == "postgresql" else ["ANALYZE"]):
            conn.execute(text(stmt))
    print(f"[{store.dialect}] {'VACUUM ANALYZE' if store.dialect == 'postgresql' else 'ANALYZE'} done", file=sys.stderr)


def open_store(db: str, workdir: Path) -> Any:
    from campaign.store.db import Store

    if db == "sqlite":
        return Store(f"sqlite:///{workdir / 'queries.db'}")
    name = db.rsplit("/", 1)[-1].split("?", 1)[0]
    if name in ("test", "postgres", ""):
        raise SystemExit(f"refusing to DROP schema public of database '{name}': use a throw-away database (e.g. loa_bench)")
    reset_postgres(db)
    return Store(db)


# --- handler time --------------------------------------------------------------------------------


def stats_ms(samples: list[float]) -> dict[str, float]:
    ms = [x * 1000 for x in samples]
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "max": max(ms), "mean": sum(ms) / len(ms)}


async def time_commands(store: Any, config: Any, reps: int, warmup: int, profile_dir: Path | None,
                        tag: str) -> dict[str, dict[str, Any]]:
    from bot.app import build_adapters
    from bot.dispatch import Services, Who, answer
    from bot.zalo_chat import split as zalo_split
    from campaign import answers
    from campaign.ask import Ask
    from campaign.clock import FakeClock
    from campaign.review import Actor
    from jobs.engine import Engine

    clock = FakeClock(NOW)
    engine = Engine(store, config, build_adapters(config, offline=True, store=store, clock=clock), clock)
    sv = Services(store, config, clock, engine)
    person = config.people["lan"]
    assert person.is_approver
    who = Who(Actor("lan", person), "vi")
    now = clock.now()
    # the size of each answer (all lines, before the 15-line page is cut): what the handler must build
    # (answers that page in SQL return one page and the ``total``; older ones every line)
    def size(ans: Any) -> int:
        return ans.total if getattr(ans, "total", None) is not None else len(ans.lines)

    sizes = {
        "week": size(answers.week(store, config, now, "vi", person)),
        "pending": size(answers.pending(store, config, now, "vi")),
        "today": size(answers.day(store, config, now.astimezone(config.tz).date(), "vi", person)),
        "next": size(answers.next_up(store, config, now, "vi", person)),
    }
    out: dict[str, dict[str, Any]] = {}
    for cmd in COMMANDS:
        ask = Ask(cmd)
        reply = await answer(sv, who, ask)
        first = reply.text.splitlines()[0]
        if first.startswith(("Xin lỗi", "Không hiểu")):
            raise SystemExit(f"/{cmd} was refused: {reply.text!r}")
        for _ in range(warmup):
            await answer(sv, who, ask)
        samples = []
        for _ in range(reps):
            t0 = time.perf_counter()
            await answer(sv, who, ask)
            samples.append(time.perf_counter() - t0)
        zalo = await answer(sv, who, ask, buttons=False)  # Zalo Bot: no buttons, so every line is sent
        out[cmd] = {"lines": sizes[cmd], "title": first, **stats_ms(samples),
                    "zalo_chars": len(zalo.text), "zalo_messages": len(zalo_split(zalo.text)),
                    "zalo_title": zalo.text.splitlines()[0]}
        print(f"[{tag}] /{cmd:<8} {sizes[cmd]:>6} lines  p50 {out[cmd]['p50']:7.2f}  p95 {out[cmd]['p95']:7.2f}  "
              f"max {out[cmd]['max']:7.2f} ms   ({first})", file=sys.stderr, flush=True)
    if profile_dir is not None:
        for cmd in TARGET_MS:
            await profile_command(profile_dir, f"{tag}-{cmd}", sv, who, Ask(cmd), reps)
    return out


async def profile_command(profile_dir: Path, tag: str, sv: Any, who: Any, ask: Any, reps: int) -> None:
    from bot.dispatch import answer

    profile_dir.mkdir(parents=True, exist_ok=True)
    try:
        from pyinstrument import Profiler
    except ImportError:
        print(f"(pyinstrument not installed: no profile for {tag})")
        return
    prof = Profiler(interval=0.0002, async_mode="disabled")
    prof.start()
    for _ in range(reps):
        await answer(sv, who, ask)
    prof.stop()
    out = profile_dir / f"queries-{tag}.html"
    out.write_text(prof.output_html(), encoding="utf-8")
    print(f"\n===== pyinstrument {reps} x /{ask.command} ({tag}) -> {out}")
    print(prof.output_text(time="percent_of_total", short_mode=True))
    print(f"----- flat (self time per function), {tag}")
    print("\n".join(prof.output_text(flat=True, time="percent_of_total").splitlines()[:30]))


def run_queries(db: str, n_posts: int, config_path: Path, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    from campaign.clock import FakeClock
    from campaign.config import load_config
    from campaign.sync import sync

    config = load_config(config_path, env={})
    store = open_store(db, workdir)
    t0 = time.perf_counter()
    report = sync(store, config, FakeClock(NOW - timedelta(days=30)))
    sync_s = time.perf_counter() - t0
    assert len(report.added) == n_posts and not report.problems, (len(report.added), report.problems[:3])
    state = seed_state(store, NOW, args.approved)
    if args.analyze:
        analyze(store)
    print(f"[{store.dialect}] synced {n_posts} posts in {sync_s:.1f}s; state at {NOW:%d/%m/%Y %H:%M %Z}: {state}",
          file=sys.stderr, flush=True)
    gc.collect()
    results = asyncio.run(time_commands(store, config, args.reps, args.warmup, args.profile, store.dialect))
    parts = []
    if args.breakdown:
        print(f"[breakdown] {store.dialect}, median of {args.breakdown} calls each", file=sys.stderr, flush=True)
        parts = breakdown(store, config, args.breakdown)
    dialect = store.dialect
    store.close()
    return {"db": dialect, "state": state, "commands": results, "breakdown": parts}


# --- where the time goes (--breakdown) --------------------------------------------------------------


def _median_ms(fn: Callable[[], Any], reps: int) -> float:
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return percentile(samples, 50) * 1000


def breakdown(store: Any, config: Any, reps: int) -> list[tuple[str, float]]:
    """Median ms of the parts of /pending, /week and /next, and what loading whole posts would cost.

    Parts of the current code (SQL-paged listings: ``repo.listing``, ``repo.awaiting_approval``,
    since commit 5efd38b/39145c5) are timed when they exist; the "reference" rows time the queries the
    handlers ran before (every post of the window as a full ORM object, plus its approvals), so the
    two can be compared on the same store.
    """
    from sqlalchemy import func, select

    from bot.dispatch import PAGE_LINES, Services, Who, answer
    from campaign import answers
    from campaign.ask import Ask
    from campaign.clock import FakeClock
    from campaign.review import Actor
    from campaign.store import repo
    from campaign.store.models import Post

    now = NOW.astimezone(UTC)
    person = config.people["lan"]
    monday = NOW.date() - timedelta(days=NOW.weekday())
    w0 = datetime.combine(monday, datetime.min.time(), tzinfo=config.tz)
    w1 = w0 + timedelta(days=7)
    out: list[tuple[str, float]] = []

    def add(label: str, fn: Callable[[], Any]) -> None:
        fn()
        out.append((label, _median_ms(fn, reps)))
        print(f"  {label:<100} {out[-1][1]:9.2f} ms", file=sys.stderr, flush=True)

    def in_session(fn: Callable[[Any], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with store.session() as s:
                return fn(s)
        return run

    def gc_off(fn: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            gc.disable()
            try:
                return fn()
            finally:
                gc.enable()
        return run

    clock = FakeClock(NOW)
    sv = Services(store, config, clock, None)  # type: ignore[arg-type]  # these commands never touch the engine
    staff = Who(Actor("lan", person), "vi")
    public = Who(Actor("telegram:99"), "vi")

    def ask(who: Any, cmd: str, *, page: int = 0, buttons: bool = True) -> Callable[[], Any]:
        return lambda: asyncio.run(answer(sv, who, Ask(cmd), page=page, buttons=buttons))

    def last_page(ans: Any) -> int:
        total = ans.total if getattr(ans, "total", None) is not None else len(ans.lines)
        return max(0, -(-total // PAGE_LINES) - 1)

    paged = hasattr(repo, "listing") and hasattr(repo, "awaiting_approval")

    print("[breakdown] /pending", file=sys.stderr)
    pending = lambda: answers.pending(store, config, NOW, "vi")  # noqa: E731
    add("/pending: answers.pending (page 1)", pending)
    add("/pending: answers.pending (page 1), gc disabled", gc_off(pending))
    lp = last_page(pending())
    add(f"/pending: answer() for the last page ({lp + 1}), as the 'Next ▶' button asks it (asyncio.run included)",
        ask(staff, "pending", page=lp))
    if paged:
        since = now - config.catch_up
        add("/pending: repo.awaiting_approval(page 1) alone", in_session(lambda s: repo.awaiting_approval(s, since, 0, PAGE_LINES)))
        add(f"/pending: repo.awaiting_approval(last page, offset {lp * PAGE_LINES:,}) alone",
            in_session(lambda s: repo.awaiting_approval(s, since, lp * PAGE_LINES, PAGE_LINES)))
    statuses = ["scheduled", "held", "published"]
    add(f"reference: repo.posts_between(all, statuses={statuses}) -> full Post objects",
        in_session(lambda s: len(repo.posts_between(s, None, None, statuses=statuses))))
    with store.session() as s:
        ids_all = [i for (i,) in s.execute(select(Post.id).where(Post.status.in_(statuses))).all()]  # type: ignore[attr-defined]
    add(f"reference: repo.approvals_for({len(ids_all):,} ids) -> Approval objects",
        in_session(lambda s: len(repo.approvals_for(s, ids_all))))

    print("[breakdown] /week", file=sys.stderr)
    add("/week: answers.week (page 1), approver", lambda: answers.week(store, config, NOW, "vi", person))
    add("/week: answers.week (page 1), public (approved or published only)", lambda: answers.week(store, config, NOW, "vi", None))
    lw = last_page(answers.week(store, config, NOW, "vi", person))
    add(f"/week: answer() for the last page ({lw + 1}), approver (asyncio.run included)", ask(staff, "week", page=lw))
    add("/week: answer(), public, Zalo form (buttons=False) (asyncio.run included)", ask(public, "week", buttons=False))
    if paged:
        add("/week: repo.listing(week, page 1) alone",
            in_session(lambda s: repo.listing(s, w0, w1, statuses=answers.VISIBLE, public=False, offset=0, limit=PAGE_LINES)))
        add("/week: its COUNT(*) alone",
            in_session(lambda s: s.execute(select(func.count()).select_from(Post).where(
                Post.status.in_(list(answers.VISIBLE)), Post.scheduled_at >= w0, Post.scheduled_at < w1)).scalar_one()))  # type: ignore[attr-defined]
    add("reference: repo.posts_between(week) -> full Post objects", in_session(lambda s: len(repo.posts_between(s, w0, w1))))

    print("[breakdown] /next", file=sys.stderr)
    add("/next: answers.next_up, approver", lambda: answers.next_up(store, config, NOW, "vi", person))
    add("/next: answers.next_up, public", lambda: answers.next_up(store, config, NOW, "vi", None))
    if paged:
        add("/next: the COUNT(*) of every post to come that repo.listing runs (its total is not used)",
            in_session(lambda s: s.execute(select(func.count()).select_from(Post).where(
                Post.status.in_(["scheduled", "held"]), Post.scheduled_at >= now)).scalar_one()))  # type: ignore[attr-defined]
    add("reference: repo.posts_between(now, None, scheduled/held) -> full Post objects (5 used)",
        in_session(lambda s: len(repo.posts_between(s, now, None, statuses=["scheduled", "held"]))))
    return out


def answers_page() -> int:
    from bot.dispatch import PAGE_LINES

    return PAGE_LINES


# --- where the memory goes (--memory-phases) --------------------------------------------------------


def memory_phases(config_path: Path, use_tracemalloc: bool) -> None:
    """In this process: what ``loa run --offline`` does at start-up, with RSS (and Python heap) per phase.

    Same objects as ``bot.cli.run`` / ``bot.app.Runner.run`` (offline adapters, ``Engine`` with the
    chat callback codec), without the chat side (offline has none) and the wait.
    """
    import tracemalloc

    if use_tracemalloc:
        tracemalloc.start()

    def mem() -> tuple[int, int]:
        st = _proc_status(os.getpid())
        return st.get("VmRSS", 0), st.get("VmHWM", 0)

    rows: list[tuple[str, int, int, int, int, float, int]] = []
    last = [mem(), time.perf_counter()]

    def record(label: str, heap_peak: int = 0) -> None:
        rss, hwm = mem()
        heap = tracemalloc.get_traced_memory()[0] if use_tracemalloc else 0
        rows.append((label, rss, rss - last[0][0], hwm, heap, time.perf_counter() - last[1], heap_peak))
        last[0], last[1] = (rss, hwm), time.perf_counter()

    record("python started")
    from bot.app import build_adapters
    from campaign import deliveries, publishing, review
    from campaign.clock import SystemClock
    from campaign.config import load_config
    from campaign.store.db import Store
    from jobs import engine as engine_mod

    record("imports (bot.app, jobs, campaign)")
    cfg = load_config(config_path)
    store = Store(cfg.database_url)
    record("config loaded, store opened (migrations)")
    clock = SystemClock()
    adapters = build_adapters(cfg, offline=True, store=store, clock=clock)
    eng = engine_mod.Engine(store, cfg, adapters, clock, approval_requests=True)

    def wrap(owner: Any, attr: str, label: str) -> None:
        orig = getattr(owner, attr)

        def timed(*a: Any, **kw: Any) -> Any:
            record(f"  (before {label})")
            if use_tracemalloc:
                tracemalloc.reset_peak()
            try:
                return orig(*a, **kw)
            finally:
                record(label, tracemalloc.get_traced_memory()[1] if use_tracemalloc else 0)

        setattr(owner, attr, timed)

    wrap(deliveries, "recover", "deliveries.recover")
    wrap(engine_mod, "sync", "campaign.sync.sync (in a worker thread)")
    wrap(eng, "reconcile", "Engine.reconcile (store -> APScheduler jobs)")
    wrap(review, "queue_requests", "review.queue_requests (approval requests)")
    wrap(publishing, "publish_all_due", "publishing.publish_all_due (sweep)")

    async def go() -> int:
        await eng.start()
        record("Engine.start() returned")
        n_jobs = len(eng.scheduler.get_jobs())
        await asyncio.sleep(3)
        record("3 s later (approval requests printed)")
        gc.collect()
        record("gc.collect()")
        eng.scheduler.remove_all_jobs()
        gc.collect()
        record(f"every APScheduler job removed ({n_jobs:,}), gc.collect()")
        await eng.stop()
        return n_jobs

    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # the console channel's output
        n_jobs = asyncio.run(go())
    print(f"memory phases of `loa run --offline` start-up ({config_path}); APScheduler jobs: {n_jobs:,}")
    head = "| phase | time s | VmRSS after | change | VmHWM after |" + (" Python heap after (tracemalloc) | heap peak in phase |" if use_tracemalloc else "")
    print(head)
    print("| --- | ---: | ---: | ---: | ---: |" + (" ---: | ---: |" if use_tracemalloc else ""))
    for label, rss, delta, hwm, heap, secs, heap_peak in rows:
        if label.startswith("  (before"):
            continue
        extra = f" {heap / 2**20:.0f} MiB | {heap_peak / 2**20:.0f} MiB |" if use_tracemalloc else ""
        print(f"| {label} | {secs:.1f} | {rss / 1024:.0f} MiB | {delta / 1024:+.0f} MiB | {hwm / 1024:.0f} MiB |{extra}")


# --- memory of `loa run --offline` ---------------------------------------------------------------


def _proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in KiB (empty once the process is gone)."""
    out = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0])
    except (OSError, ValueError):
        return {}
    return out


def rss_sampler() -> tuple[str, Callable[[int], tuple[int | None, int | None]]]:
    """(method, pid -> (rss KiB, high-water mark KiB or None))."""
    try:
        import psutil
    except ImportError:
        def from_proc(pid: int) -> tuple[int | None, int | None]:
            st = _proc_status(pid)
            return st.get("VmRSS"), st.get("VmHWM")

        return "/proc/<pid>/status VmRSS", from_proc

    def from_psutil(pid: int) -> tuple[int | None, int | None]:
        try:
            rss = psutil.Process(pid).memory_info().rss // 1024
        except psutil.Error:
            return None, None
        return rss, _proc_status(pid).get("VmHWM")

    return "psutil memory_info().rss", from_psutil


def run_memory(label: str, config_path: Path, db_url: str, workdir: Path, run_for: str,
               every: float = 0.2) -> dict[str, Any]:
    loa = ROOT / ".venv" / "bin" / "loa"
    cmd = [str(loa), "run", "--offline", "--no-watch", "--for", run_for, "--config", str(config_path)]
    env = {**os.environ, "LOA_DATABASE_URL": db_url, "COLUMNS": "200"}
    env.pop("LOA_CONFIG", None)
    log_out, log_err = workdir / f"run-{label}.out", workdir / f"run-{label}.err"
    method, sample = rss_sampler()
    samples: list[tuple[float, int]] = []
    hwm = 0
    running_at: float | None = None
    seen = 0
    with open(log_out, "wb") as out, open(log_err, "wb") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=workdir)
        while proc.poll() is None:
            rss, high = sample(proc.pid)
            t = time.monotonic() - t0
            if rss is not None:
                samples.append((t, rss))
            if high is not None:
                hwm = max(hwm, high)
            if running_at is None:
                with open(log_out, "rb") as f:
                    f.seek(seen)
                    chunk = f.read()
                if "Loa đang chạy".encode() in chunk:
                    running_at = t
                seen += max(0, len(chunk) - 64)  # keep a tail so a line cut in two is still found
            time.sleep(every)
        wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"loa run exited {proc.returncode}; see {log_err}:\n{log_err.read_text()[-3000:]}")
    text = log_out.read_text(encoding="utf-8", errors="replace")
    started = re.search(r"Loa đang chạy / running: .*?(\d+) thay đổi / changes, (\d+) lỗi / errors", text)
    peak_t, peak = max(samples, key=lambda x: x[1]) if samples else (0.0, 0)
    steady = [r for t, r in samples if running_at is not None and t >= running_at + 1.0]
    return {
        "label": label, "method": method, "samples": len(samples), "peak_kib": peak, "peak_at": peak_t,
        "hwm_kib": hwm, "running_at": running_at, "wall": wall,
        "steady_kib": (min(steady), max(steady)) if steady else None,
        "changes": int(started.group(1)) if started else None, "errors": int(started.group(2)) if started else None,
        "console_sends": text.count("→ "), "stderr_lines": len(log_err.read_text(errors="replace").splitlines()),
        "command": " ".join(cmd),
    }


def run_config(config_path: Path, anchor: date) -> Path:
    text = config_path.read_text(encoding="utf-8")
    assert ANCHOR_LINE in text and text.startswith(CONFIG[:40])
    out = config_path.with_name("config-run.toml")
    out.write_text(text.replace(ANCHOR_LINE, f"khai_mac = {anchor.isoformat()}"), encoding="utf-8")
    return out


# --- report ----------------------------------------------------------------------------------------


def code_state() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *QUERY_CODE, "bot/app.py", "bot/cli.py",
                                "jobs", "campaign/sync.py", "channels"], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    changed = [line[3:] for line in dirty if line.strip()]
    return f"{head}" + (f" + uncommitted changes to {', '.join(changed)}" if changed else " (measured code clean)")


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB ({kib * 1024 / 1e6:.0f} MB)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.queries", description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=10000, help="posts in the campaign (default 10000)")
    ap.add_argument("--db", help="also a PostgreSQL store at this URL (schema public is DROPPED first); SQLite always runs")
    ap.add_argument("--reps", type=int, default=200, help="timed calls per command (default 200)")
    ap.add_argument("--warmup", type=int, default=20, help="untimed calls first (default 20)")
    ap.add_argument("--approved", type=float, default=0.5, help="share of the future posts already approved (default 0.5)")
    ap.add_argument("--for", dest="run_for", default="20s", help="how long `loa run` runs after start-up (default 20s)")
    ap.add_argument("--anchor-days", type=int, default=8,
                    help="memory run: the opening day is this many days after today (default 8: the first "
                         "milestone starts in 2 days, so ask_ahead=3d sends some approval requests)")
    ap.add_argument("--analyze", action="store_true",
                    help="after seeding: VACUUM ANALYZE (PostgreSQL) / ANALYZE (SQLite), as autovacuum would have done")
    ap.add_argument("--no-memory", action="store_true", help="skip the `loa run` memory measurement")
    ap.add_argument("--no-queries", action="store_true", help="skip the handler timings")
    ap.add_argument("--profile", type=Path, metavar="DIR", help="pyinstrument profiles of /week and /pending, written to DIR")
    ap.add_argument("--breakdown", type=int, nargs="?", const=20, default=0, metavar="N",
                    help="also time the parts of /pending, /week, /next and lighter alternatives (median of N, default 20)")
    ap.add_argument("--memory-phases", action="store_true",
                    help="also replay `loa run` start-up in child processes and print RSS per phase (first start, restart)")
    ap.add_argument("--tracemalloc", action="store_true", help="with --memory-phases: Python heap per phase too (slower)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--phases-child", type=Path, help=argparse.SUPPRESS)  # internal: run memory_phases on this config
    args = ap.parse_args(argv)

    if args.phases_child:
        memory_phases(args.phases_child, args.tracemalloc)
        return 0

    state = code_state()
    workdir = Path(tempfile.mkdtemp(prefix="loa-bench-queries-"))
    try:
        t0 = time.perf_counter()
        config_path, _paths = generate(workdir / "camp", args.posts)
        print(f"generated {args.posts} posts in {time.perf_counter() - t0:.1f}s under {workdir / 'camp'}",
              file=sys.stderr, flush=True)
        query_results = []
        if not args.no_queries:
            query_results = [run_queries(db, args.posts, config_path, workdir, args)
                             for db in ["sqlite", *([args.db] if args.db else [])]]
        mem_results = []
        if not args.no_memory:
            anchor = datetime.now(TZ).date() + timedelta(days=args.anchor_days)
            cfg = run_config(config_path, anchor)
            db_url = f"sqlite:///{workdir / 'run.db'}"
            for label in ("first start", "restart"):
                print(f"[memory] {label}: loa run --offline --for {args.run_for} (opening day {anchor})…",
                      file=sys.stderr, flush=True)
                mem_results.append(run_memory(label.replace(" ", "-"), cfg, db_url, workdir, args.run_for))
                mem_results[-1]["label"] = label
            if args.memory_phases:
                phases_db = f"sqlite:///{workdir / 'phases.db'}"
                for label in ("first start", "restart"):
                    print(f"\n[memory phases] {label}", flush=True)
                    subprocess.run([sys.executable, "-m", "bench.queries", "--phases-child", str(cfg),
                                    *(["--tracemalloc"] if args.tracemalloc else [])],
                                   check=True, cwd=ROOT, env={**os.environ, "LOA_DATABASE_URL": phases_db})

        print(f"\nLoa queries and memory benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python "
              f"{platform.python_version()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}")
        print(f"code: {state}")
        print(f"load average at the end (1/5/15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for r in query_results:
            st = r["state"]
            print(f"\n{r['db']}: {st['posts']:,} posts; at {NOW:%a %d/%m/%Y %H:%M} local: {st['published']:,} published, "
                  f"{st['future']:,} to come ({st['future_approved']:,} approved, {st['awaiting']:,} awaiting), "
                  f"{st['approval_rows']:,} approval rows; {args.reps} timed calls after {args.warmup} warm-up, "
                  f"as approver 'lan'; {'tables analysed (--analyze)' if args.analyze else 'no ANALYZE/VACUUM run'}")
            print("| command | lines in answer | p50 ms | p95 ms | max ms | mean ms | target p95 < 20 ms | Zalo Bot reply (buttons=False) |")
            print("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |")
            for cmd, c in r["commands"].items():
                target = ("met" if c["p95"] < TARGET_MS[cmd] else "MISSED") if cmd in TARGET_MS else "—"
                print(f"| /{cmd} | {c['lines']:,} | {c['p50']:.2f} | {c['p95']:.2f} | {c['max']:.2f} | {c['mean']:.2f} | "
                      f"{target} | {c['zalo_chars']:,} chars in {c['zalo_messages']:,} message(s), title “{c['zalo_title']}” |")
            if r["breakdown"]:
                print(f"\nbreakdown, {r['db']} (median of {args.breakdown} calls; 'reference' = the full-object queries "
                      "the handlers ran before SQL paging)")
                print("| part | ms |\n| --- | ---: |")
                for label, ms in r["breakdown"]:
                    print(f"| {label} | {ms:.2f} |")
        for m in mem_results:
            ok = m["peak_kib"] * 1024 / 1e6 < TARGET_RSS_MB
            steady = f"{mib(m['steady_kib'][0])} – {mib(m['steady_kib'][1])}" if m["steady_kib"] else "n/a"
            running = f"{m['running_at']:.1f}s" if m["running_at"] is not None else "never seen"
            print(f"\nmemory, {m['label']}: peak RSS {mib(m['peak_kib'])} at {m['peak_at']:.1f}s "
                  f"(VmHWM {mib(m['hwm_kib'])}); target < {TARGET_RSS_MB:.0f} MB: {'met' if ok else 'MISSED'}")
            print(f"  running after {running}, exited after {m['wall']:.1f}s; RSS from 1 s after start-up to exit: {steady}; "
                  f"{m['samples']} samples ({m['method']}, every 0.2 s); start-up report: {m['changes']} changes, "
                  f"{m['errors']} errors; {m['console_sends']} console sends; {m['stderr_lines']} log lines")
            print(f"  {m['command']}")
        if code_state() != state:
            print(f"\nWARNING: code changed while measuring (now {code_state()})")
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
