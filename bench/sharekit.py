"""Share kits: 200 unit chats served within Telegram's limits, without delaying the public channels' posts.

    python -m bench.sharekit
    python -m bench.sharekit --units 200 --posts 4 --gap 2 --db postgresql+psycopg://postgres@127.0.0.1:5432/loa_bench_kit

The same campaign runs twice through ``loa run``'s own pieces (``build_adapters``, the ``Engine``
with its ``AsyncIOScheduler`` on a shifted clock, the ``Deliverer``) against the Telegram emulator
with its DEFAULT limits (30 msg/s per bot, 20/min per group, 0.25 s grace; 429 past them): first
with ``--units`` Telegram groups declared but no [[units]], then with one [[units]] entry per group. ``--posts`` approved posts
go to three public channels (@kenh0-2), one minute apart on the campaign's clock; once the engine has
started, the clock jumps to the first post's time, then to each next one ``--gap`` real seconds later, so later posts fall due while
the earlier posts' kits (units × posts messages, ~6.7 s per post at 30/s) are still going out.

Lateness of a public post: from the moment its time came to the emulator accepting its last public
message. Targets: the worst lateness of the posts after the first (those that fall due while kits go
out; the first one of a run also pays for start-up) with kits within ``ALLOWANCE`` of the same without; every
kit accepted (units × posts), none twice, none before its post's public messages, 0 × 429.
Exits 1 when a target is missed.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
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
    run_delivery_bench,
    telegram_adapters,
    write_campaign,
)
from campaign.clock import ShiftedClock

PUBLIC = ("@kenh0", "@kenh1", "@kenh2")
ALLOWANCE = 0.2  # seconds: a public post may wait for at most one kit already in the limiter (1/30 s), plus jitter


class JumpClock(ShiftedClock):
    """Real time in another day, that the bench can move forward to the next post's time."""

    def jump_to(self, when: datetime) -> None:
        self._offset = when.astimezone(UTC) - datetime.now(UTC)


def _append_units(config_path: Path, units: int, *, kits: bool) -> None:
    """The public channels, and (``kits``) one [[units]] entry per group c0000…: without, the same groups stay idle."""
    parts = [f'\n[channels.pub{i}]\nkind = "telegram"\ntarget = "{name}"\nlabel = "Kênh {i}"\n' for i, name in enumerate(PUBLIC)]
    parts += [] if not kits else [f'\n[[units]]\nid = "u{i:04d}"\nname = "Đơn vị {i}"\nchat = "{channel_key(i)}"\n' for i in range(units)]
    with config_path.open("a", encoding="utf-8") as f:
        f.write("".join(parts))


async def _once(units: int, kits: bool, posts: int, gap: float, db: str | None, workdir: Path, timeout: float) -> dict[str, Any]:
    from campaign.store import repo
    from campaign.sync import sync
    from jobs.engine import Engine
    from jobs.simulate import virtual_time
    from tests.emulators.telegram import DEFAULT_LIMITS, TelegramEmulator

    keys = [f"p{k}" for k in range(posts)]
    with TelegramEmulator(TOKEN, limits=DEFAULT_LIMITS) as tg:
        config_path = write_campaign(workdir / "camp", units, [(key, f"08:{30 + k:02d}", [f"pub{i}" for i in range(len(PUBLIC))])
                                                              for k, key in enumerate(keys)],
                                     api_base=tg.base_url, file_base=tg.base_file_url)
        _append_units(config_path, units, kits=kits)
        config = load(config_path)
        store = open_store(db, workdir)
        clock = JumpClock(DUE - timedelta(minutes=1))
        report = sync(store, config, clock)
        assert sorted(report.added) == keys and not report.problems, report
        approve(store, keys)
        public_ids = {tg.chat_id_for(name) for name in PUBLIC}
        unit_ids = {int(channel_target(i)) for i in range(units)}
        due_at: dict[str, float] = {}
        with virtual_time(clock), FailureTally() as failures:
            engine = Engine(store, config, telegram_adapters(config), clock)
            lag = LoopLag()
            lag.start()
            await engine.start(run_sweep=False)
            for k, key in enumerate(keys):
                if k:
                    await asyncio.sleep(gap)  # the scenario's schedule: the next post falls due while kits go out
                clock.jump_to(DUE + timedelta(minutes=k))
                due_at[key] = time.monotonic()
                engine.scheduler.wakeup()
            deadline = time.monotonic() + timeout
            settled = False
            while not settled and time.monotonic() < deadline:
                await asyncio.sleep(0.25)  # polling the store, as bench.fanout does
                with store.session() as s:
                    counts = repo.delivery_counts(s)
                settled = (not engine.deliverer.inflight and not counts.get("pending") and not counts.get("sending")
                           and counts.get("sent", 0) >= posts * (len(PUBLIC) + (units if kits else 0)))
            lag.stop()
            await engine.stop()
        store.close()
        calls = tg.calls

    ok = [c for c in calls if c.ok and c.method == "sendMessage"]

    def of(key: str, chats: set[int]) -> list[float]:
        return sorted(c.at for c in ok if c.chat_id in chats and f"Bài {key}" in str(c.params.get("text", "")))

    lateness = {key: (max(of(key, public_ids), default=float("nan")) - due_at[key]) for key in keys}
    contended = [v for k, v in lateness.items() if k != keys[0]]  # due while earlier posts' kits go out
    early = sum(sum(1 for a in of(key, unit_ids) if a < max(of(key, public_ids), default=0.0)) for key in keys)
    kit_ats = sorted(c.at for c in ok if c.chat_id in unit_ids)
    per_unit = Counter(c.chat_id for c in ok if c.chat_id in unit_ids)
    span = kit_ats[-1] - kit_ats[0] if len(kit_ats) > 1 else 0.0
    return {
        "units": units if kits else 0, "posts": posts, "settled": settled, "db": config.database_url.split(":", 1)[0],
        "lateness": lateness, "worst": max(contended, default=float("nan")),
        "kits": len(kit_ats), "kit_span_s": span, "kit_rate": (len(kit_ats) - 1) / span if span else float("nan"),
        "kits_before_post": early, "duplicates": sum(1 for n in per_unit.values() if n > posts),
        "losses": sum(1 for i in unit_ids if per_unit.get(i, 0) < posts),
        "floods": sum(1 for c in calls if c.status == 429), "failed_attempts": dict(failures.reasons),
        "loop_lag_max_ms": lag.max_ms, "loop_lag_p99_ms": lag.p99_ms,
    }


async def _run(units: int, posts: int, gap: float, db: str | None, workdir: Path, timeout: float) -> dict[str, Any]:
    without = await _once(units, False, posts, gap, db, workdir / "without", timeout)
    with_kits = await _once(units, True, posts, gap, db, workdir / "with", timeout)
    return {"without": without, "with": with_kits, "gap": gap}


def _ok(good: bool) -> str:
    return "met" if good else "MISSED"


def verdicts(r: dict[str, Any]) -> dict[str, bool]:
    w, b = r["with"], r["without"]
    n = w["units"] * w["posts"]
    return {
        "lateness": w["worst"] <= b["worst"] + ALLOWANCE,
        "all kits": w["kits"] == n and w["losses"] == 0 and w["settled"],
        "no duplicates": w["duplicates"] == 0,
        "kits after their post": w["kits_before_post"] == 0,
        "no 429": w["floods"] == 0 and b["floods"] == 0,
    }


def render(r: dict[str, Any]) -> str:
    w, b, ok = r["with"], r["without"], verdicts(r)

    def late(run: dict[str, Any]) -> str:
        return ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in run["lateness"].items())

    return "\n".join([
        f"Loa share-kit benchmark: {w['units']} unit chats (Telegram groups), {w['posts']} posts to {len(PUBLIC)} public "
        f"channels, {r['gap']:g} s apart, {w['db']}; {machine()}",
        "emulator limits: DEFAULT (30 msg/s per bot, 20/min per group, grace 0.25 s)",
        "",
        f"public lateness without units:   {late(b)}; worst after p0 {b['worst'] * 1000:.0f} ms",
        f"public lateness with kits:       {late(w)}; worst after p0 {w['worst'] * 1000:.0f} ms"
        f"  (target <= without + {ALLOWANCE * 1000:.0f} ms: {_ok(ok['lateness'])})",
        f"kits accepted:                   {w['kits']} / {w['units'] * w['posts']}, losses {w['losses']}"
        f"  ({_ok(ok['all kits'])}); duplicates {w['duplicates']} ({_ok(ok['no duplicates'])})",
        f"kits sent over {w['kit_span_s']:.1f} s = {w['kit_rate']:.1f} msg/s (ceiling 30/s)",
        f"kits accepted before their post's public messages: {w['kits_before_post']}  ({_ok(ok['kits after their post'])})",
        f"429 answers: with {w['floods']}, without {b['floods']}  ({_ok(ok['no 429'])})",
        f"failed attempts (retried): with {w['failed_attempts'] or 'none'}, without {b['failed_attempts'] or 'none'}",
        f"event-loop lag with kits: max {w['loop_lag_max_ms']:.1f} ms, p99 {w['loop_lag_p99_ms']:.1f} ms",
    ])


def main(argv: list[str] | None = None) -> int:
    ap = delivery_arguments("python -m bench.sharekit", __doc__ or "")
    ap.add_argument("--units", type=int, default=200, help="unit chats (default 200)")
    ap.add_argument("--posts", type=int, default=4, help="public posts, one minute apart on the campaign clock (default 4)")
    ap.add_argument("--gap", type=float, default=2.0, help="real seconds between one post's time and the next (default 2)")
    ap.add_argument("--timeout", type=float, default=120.0, help="give up on a run after this many seconds (default 120)")
    args = ap.parse_args(argv)
    results: dict[str, Any] = {}

    async def run(workdir: Path) -> dict[str, Any]:
        results.update(await _run(args.units, args.posts, args.gap, args.db, workdir, args.timeout))
        return results

    code = run_delivery_bench(args, "sharekit", run, render, r"jobs|campaign|channels")
    return code or (0 if all(verdicts(results).values()) else 1)


if __name__ == "__main__":
    raise SystemExit(main())
