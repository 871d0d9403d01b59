"""Faults: the 300-group fan-out through a real ``loa run`` under 5 % of each fault and 10 kill -9s.

    python -m bench.faults                                  # SQLite in a temp dir
    python -m bench.faults --db postgresql+psycopg://postgres@127.0.0.1:5432/loa_bench_i10_faults

One ``python -m bot run`` process against the Telegram emulator (DEFAULT limits) in this
process. Every send-type request fails with probability 5 % per kind: "500" (an answer that was
read: retried), "429" (retry_after 1 s: retried), "timeout" (held unanswered until the client
gives up — the emulator never processes it, but the client cannot know that, so it is ambiguous
like a lost answer), "lost_response" (processed, connection closed without an answer) and
"reset" (processed, connection reset). A fault no server can produce — a connect timeout
before the request is written — is covered by tests/channels/test_faults.py. During the
fan-out the process is killed with SIGKILL 10 times (evenly over the groups) and restarted.

Printed: copies per chat; duplicates; silent losses (a chat without the post whose row does
not ask the admins: not unknown, not failed); ambiguous sends (a lost-answer, reset or
timeout fault on a group) and how many of their rows are 'unknown'; unknown rows listed in an
alert. Targets: 0 duplicates, 0 silent losses, every ambiguous send unknown and alerted. Exit
status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench._common import TOKEN, load, machine, reset_postgres
from bench._processes import LoaRun, approve_now, tally, targets, wait_settled, write_live_campaign

KINDS = ("500", "429", "timeout", "lost_response", "reset")
AMBIGUOUS = ("timeout", "lost_response", "reset")


def run(db: str | None, n: int, kills: int, rate: float, workdir: Path, seed: int) -> tuple[list[str], bool]:
    from campaign.store.db import Store
    from tests.emulators.telegram import DEFAULT_LIMITS, TelegramEmulator

    if db and db.startswith("postgresql"):
        reset_postgres(db)
    url = db or f"sqlite:///{workdir / 'loa.db'}"
    with TelegramEmulator(TOKEN, limits=DEFAULT_LIMITS, hang_seconds=1.0) as tg:
        tg.fault_retry_after = 1
        config_path = write_live_campaign(workdir / "camp", n, tg.base_url, tg.base_file_url)
        config = load(config_path)
        log = workdir / "loa.log"
        proc = LoaRun(config_path, url, log).start()
        proc.wait_for("Loa đang chạy")
        store = Store(url)
        tg.fault_rate(rate * len(KINDS), kinds=KINDS, seed=seed)
        approve_now(store)
        chats = set(targets(n))
        statuses: list[int] = []
        started = time.monotonic()
        for k in range(1, kills + 1):
            while sum(1 for t in chats if tg.sent_count(t)) < k * n / (kills + 2):
                if time.monotonic() - started > 300:
                    break
                time.sleep(0.005)
            proc.kill9()
            statuses.append(proc.proc.returncode if proc.proc else 0)
            mark = len(proc.output())
            proc = LoaRun(config_path, url, log).start()
            proc.wait_for("Loa đang chạy", after=mark)
        settled = wait_settled(store, 300, lambda: proc.proc is not None and proc.proc.poll() is None)
        time.sleep(2)  # the last alerts go out
        final = proc.stop()
        faults = [c for c in tg.calls if c.fault in KINDS and c.chat_id in chats]
        ambiguous_chats = {c.chat_id for c in faults if c.fault in AMBIGUOUS}
        by_kind = {k: sum(1 for c in faults if c.fault == k) for k in KINDS}
        targets_by_key = {k: int(ch.target) for k, ch in config.channels.items()}
        result = tally(store, tg, n, targets_by_key)
        from campaign.store import repo

        with store.session() as s:
            rows = {targets_by_key[d.channel]: d for d in repo.deliveries_for(s, "post:fan")}
        store.close()
    ambiguous_unknown = sum(1 for t in ambiguous_chats if rows[t].status == "unknown")
    checks = {
        "duplicates": result.duplicates == 0,
        "silent losses": result.silent_losses == 0,
        "ambiguous sends unknown": ambiguous_unknown == len(ambiguous_chats),
        "unknown alerted": result.unknown_alerted == result.unknown,
        "settled": settled,
        "clean stop": final == 0,
    }
    lines = [
        f"Loa faults benchmark: 1 loa run process, {n} Telegram groups, {'PostgreSQL' if db else 'SQLite'}; {machine()}",
        f"faults on the groups' sends: {by_kind} ({rate:.0%} of each kind); kill -9s: {len(statuses)}",
        f"copies per chat (copies: chats): {result.copy_histogram}",
        f"duplicates (chats with > 1 copy):          {result.duplicates}",
        f"silent losses (no copy, row not unknown):  {result.silent_losses}; gaps the admins were asked about: {result.gaps_told}",
        f"ambiguous sends (chats): {len(ambiguous_chats)}; their rows 'unknown': {ambiguous_unknown}",
        f"rows 'unknown': {result.unknown} (ambiguous sends + sends cut by a kill); listed in an alert: "
        f"{result.unknown_alerted}; alert messages received: {result.alerts_received}",
        f"final rows: {result.statuses}; last process's exit status: {final}",
    ]
    missed = [k for k, ok in checks.items() if not ok]
    lines.append("VERDICT: " + ("all targets met" if not missed else "MISSED: " + ", ".join(missed)))
    return lines, not missed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.faults", description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--db", help="postgresql+psycopg://…/loa_bench_… (schema public DROPPED); default SQLite in a temp dir")
    ap.add_argument("--channels", type=int, default=300, help="Telegram groups the post goes to (default 300)")
    ap.add_argument("--kills", type=int, default=10, help="kill -9s during the fan-out (default 10)")
    ap.add_argument("--rate", type=float, default=0.05, help="probability of each fault kind per send (default 0.05)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="loa-faults-") as tmp:
        lines, ok = run(args.db, args.channels, args.kills, args.rate, Path(tmp), args.seed)
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
