"""What ``bench.failover`` and ``bench.faults`` share: real ``loa run`` processes against the
Telegram emulator (which runs in the benchmark's own process, so every request crosses a real
socket between two processes), on a campaign whose fan-out post is due *now* in real time.

The post (to N Telegram groups) is written due a minute ago, within ``catch_up``, and needs one
approval: the first ``loa run`` syncs it and holds it; ``approve_now`` then approves it in the
store, and the next sweep (every second here) publishes it. So the fan-out starts when the
benchmark says, with every process already up.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench._common import ADMIN_TARGET, TOKEN, approve, channel_key, channel_target, write_campaign
from campaign.store import repo
from campaign.store.db import Store

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
LIVE_DELIVERY = '\n[delivery]\nsweep_every = "1s"\nbackoff = "1s"\nbackoff_max = "4s"\nmax_attempts = 8\n'


def write_live_campaign(root: Path, n: int, api_base: str, file_base: str) -> Path:
    """N groups, one post due a minute ago (local time today), fast sweeps and retries."""
    now = datetime.now(ZONE)
    due = now - timedelta(minutes=1)
    if due.date() != now.date():  # just after midnight: stay on today
        due = now.replace(hour=0, minute=0)
    path = write_campaign(root, n, [("fan", due.strftime("%H:%M"), [channel_key(i) for i in range(n)])],
                          api_base=api_base, file_base=file_base)
    text = path.read_text(encoding="utf-8").replace("khai_mac = 2021-01-26", f"khai_mac = {now.date().isoformat()}")
    path.write_text(text + LIVE_DELIVERY, encoding="utf-8")
    return path


def targets(n: int) -> list[int]:
    return [int(channel_target(i)) for i in range(n)]


@dataclass
class LoaRun:
    """One ``python -m bot run`` process; its output goes to a log file the benchmark reads."""

    config: Path
    db: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> LoaRun:
        self._out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(self.config), "--no-watch"], stdout=self._out,
            stderr=subprocess.STDOUT, env={**os.environ, "COLUMNS": "200", "TELEGRAM_BOT_TOKEN": TOKEN,
                                           "LOA_DATABASE_URL": self.db, **self.env})
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, needle: str, timeout: float = 60, after: int = 0) -> float:
        """Block until ``needle`` is in the log (past offset ``after``); returns time.monotonic() then."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.output()[after:]:
                return time.monotonic()
            if self.proc is not None and self.proc.poll() is not None and needle not in self.output()[after:]:
                raise SystemExit(f"loa run (pid {self.pid}) exited {self.proc.returncode} before {needle!r}:\n{self.output()[-3000:]}")
            time.sleep(0.02)
        raise SystemExit(f"{needle!r} not seen within {timeout}s:\n{self.output()[-3000:]}")

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 30) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()
        return self.proc.returncode


def approve_now(store: Store) -> None:
    approve(store, ["fan"])


def counts(store: Store) -> dict[str, int]:
    with store.session() as s:
        return repo.delivery_counts(s)


def wait_settled(store: Store, timeout: float, still_running: Callable[[], bool] = lambda: True) -> bool:
    """Until the post's rows are all out of 'pending' and 'sending' (and the post was published)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with store.session() as s:
            rows = repo.deliveries_for(s, "post:fan")
        if rows and not any(d.status in ("pending", "sending") for d in rows):
            return True
        if not still_running():
            return False
        time.sleep(0.2)
    return False


@dataclass
class Tally:
    """Per-chat copies against the store's rows: duplicates, losses, unknown rows and their alerts."""

    copies: dict[int, int]
    statuses: dict[str, int]
    duplicates: int
    silent_losses: int  # no copy, and no row state that tells an admin (unknown / failed)
    gaps_told: int  # no copy, but the row is unknown or failed: the admins were asked
    unknown: int
    unknown_alerted: int  # unknown rows listed in an alert the store queued for the admins
    alerts_received: int  # alert messages the admin chat really got

    @property
    def copy_histogram(self) -> dict[int, int]:
        hist: dict[int, int] = {}
        for v in self.copies.values():
            hist[v] = hist.get(v, 0) + 1
        return dict(sorted(hist.items()))


def tally(store: Store, tg: object, n: int, config_targets: dict[str, int]) -> Tally:
    copies = {t: tg.sent_count(t) for t in targets(n)}  # type: ignore[attr-defined]
    with store.session() as s:
        rows = repo.deliveries_for(s, "post:fan")
        alerts = [d for d in repo.deliveries_like(s, "alert:unknown:post:fan:", ["pending", "sending", "sent", "unknown", "failed"])]
    by_target = {config_targets[d.channel]: d for d in rows}
    statuses: dict[str, int] = {}
    for d in rows:
        statuses[d.status] = statuses.get(d.status, 0) + 1
    listed = {int(i) for a in alerts for m in re.findall(r"/retry ((?:\d+ ?)+)", a.payload.get("plain", "")) for i in m.split()}
    unknown = [d for d in rows if d.status == "unknown"]
    gaps = [t for t, c in copies.items() if c == 0]
    told = [t for t in gaps if t in by_target and by_target[t].status in ("unknown", "failed")]
    admin = tg.messages(int(ADMIN_TARGET))  # type: ignore[attr-defined]
    return Tally(copies, statuses, sum(1 for c in copies.values() if c > 1), len(gaps) - len(told), len(told),
                 len(unknown), sum(1 for d in unknown if d.id in listed),
                 sum(1 for m in admin if "Unknown whether" in (m.get("text") or "")))
