"""Helpers shared by ``bench.fanout`` and ``bench.lateness`` (not by ``bench.sync``).

A throw-away campaign on disk with N Telegram group channels, a store (SQLite in the work
folder, or ``--db`` PostgreSQL with its ``public`` schema DROPPED first), the production
Telegram adapter pointed at the local Bot API emulator, and the small statistics both print.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import os
import platform
import pstats
import re
import resource
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from campaign.config import Config, load_config
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Approval

TOKEN = "123456:BENCH-TOKEN"
DUE = datetime(2021, 1, 26, 1, 30, tzinfo=UTC)  # 08:30 Asia/Ho_Chi_Minh on the khai-mac day
ADMIN_TARGET = "-1009999999999"

CONFIG_HEAD = """\
[campaign]
name = "Chiến dịch benchmark / benchmark campaign"
timezone = "Asia/Ho_Chi_Minh"
catch_up = "30m"

[anchors]
khai_mac = 2021-01-26

[[milestones]]
id = "khai-mac"
title = "Khai mạc"
phase = "during"
start = "khai_mac"
end = "khai_mac"

[people.lan]
name = "Lan"
roles = ["approver"]
telegram = 11

[approval]
required = 1

[alerts]
chats = ["admin"]

[defaults]
channels = ["c0000"]

[channels.admin]
kind = "telegram"
target = "{admin}"
label = "Quản trị"
"""


def channel_key(i: int) -> str:
    return f"c{i:04d}"


def channel_target(i: int) -> str:
    """A supergroup/channel id (-100…): the emulator applies the 20/min per-group bucket to it."""
    return f"-100{1_000_000_000 + i}"


def write_campaign(root: Path, n_channels: int, posts: Iterable[tuple[str, str, Sequence[str]]], *,
                   api_base: str, file_base: str) -> Path:
    """config.toml with channels c0000…, and one file per (key, time text, channel keys) post."""
    content = root / "content"
    content.mkdir(parents=True)
    parts = [CONFIG_HEAD.format(admin=ADMIN_TARGET)]
    parts += [f'\n[channels.{channel_key(i)}]\nkind = "telegram"\ntarget = "{channel_target(i)}"\nlabel = "Nhóm {i}"\n'
              for i in range(n_channels)]
    parts.append(f'\n[telegram]\napi_base = "{api_base}"\nfile_base = "{file_base}"\n')
    config_path = root / "config.toml"
    config_path.write_text("".join(parts), encoding="utf-8")
    for key, time_text, channels in posts:
        front = [f'title: "Bài {key}"', "milestone: khai-mac", f'time: "{time_text}"', f"channels: [{', '.join(channels)}]"]
        body = f"Chào mừng **Đại hội** — bài {key}. Nội dung thử nghiệm hiệu năng, có *nhấn mạnh* và một [liên kết](https://example.org/{key})."
        (content / f"{key}.md").write_text("---\n" + "\n".join(front) + "\n---\n" + body + "\n", encoding="utf-8")
    return config_path


def load(config_path: Path) -> Config:
    return load_config(config_path, env={})


def reset_postgres(url: str) -> None:
    """DROP and recreate schema public: only ever on a benchmark's own throw-away database."""
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if name in ("test", "postgres", ""):
        raise SystemExit(f"refusing to DROP schema public of database '{name}': use a throw-away database (loa_bench_*)")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def open_store(db: str | None, workdir: Path) -> Store:
    if db and db.startswith("postgresql"):
        reset_postgres(db)
        return Store(db)
    return Store(db or f"sqlite:///{workdir / 'loa.db'}")


def approve(store: Store, keys: Iterable[str], person: str = "lan") -> None:
    with store.session() as s:
        for key in keys:
            post = repo.post_by_key(s, key)
            assert post is not None, key
            s.add(Approval(post_id=post.id, content_hash=post.content_hash, person=person, decision="approve",
                           at=post.updated_at))
        s.commit()


def telegram_adapters(config: Config) -> dict:
    """Exactly what ``loa run`` builds (bot.app.build_adapters), the token coming from a fake env."""
    from bot.app import build_adapters

    return build_adapters(config, offline=False, env={config.telegram.token_env: TOKEN})


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(-(-p * len(ordered) // 100)) - 1))
    return ordered[k]


def machine() -> str:
    return (f"Python {platform.python_version()} ({sys.implementation.name}), {os.cpu_count()} CPUs, "
            f"{platform.system()} {platform.release()}")


def db_label(store: Store) -> str:
    return store.dialect


class LoopLag:
    """A ticker that asks for 10 ms sleeps and records how late the event loop wakes it."""

    def __init__(self, every: float = 0.01) -> None:
        self.every = every
        self.lags: list[float] = []
        self.worst: tuple[float, float] = (0.0, 0.0)  # (time.monotonic() when the worst stall began, its length)
        self._task: Any = None

    def start(self) -> None:
        import asyncio

        self._task = asyncio.get_running_loop().create_task(self._tick(), name="bench:loop-lag")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _tick(self) -> None:
        import asyncio
        import time

        while True:
            t0 = time.monotonic()
            await asyncio.sleep(self.every)
            lag = max(0.0, time.monotonic() - t0 - self.every)
            self.lags.append(lag)
            if lag > self.worst[1]:
                self.worst = (t0, lag)

    @property
    def max_ms(self) -> float:
        return max(self.lags, default=0.0) * 1000

    @property
    def p99_ms(self) -> float:
        return percentile(self.lags, 99) * 1000 if self.lags else 0.0


class FailureTally(logging.Handler):
    """Counts the Deliverer's failed attempts by reason (its WARNING lines), whatever the log level shown."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.reasons: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        self.reasons[re.sub(r"\d+(\.\d+)?", "N", msg.split(": ", 1)[-1])[:120]] += 1

    def __enter__(self) -> FailureTally:
        logging.getLogger("jobs.delivery").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("jobs.delivery").removeHandler(self)


# --- the command line of the delivery benchmarks (fanout, lateness) -----------------------------


def delivery_arguments(prog: str, doc: str) -> argparse.ArgumentParser:
    """The options bench.fanout and bench.lateness share; each adds its own."""
    ap = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
    ap.add_argument("--db", help="SQLAlchemy URL; postgresql+psycopg://... DROPS schema public. Default: SQLite in a temp dir")
    ap.add_argument("--profile", type=Path, metavar="FILE", help="cProfile the event-loop thread into FILE and summarise it")
    ap.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    ap.add_argument("--keep", action="store_true", help="keep the temporary campaign and database")
    ap.add_argument("-v", "--verbose", action="store_true", help="log the engine at INFO")
    return ap


def run_delivery_bench(args: argparse.Namespace, name: str, run: Callable[[Path], Awaitable[dict[str, Any]]],
                       render: Callable[[dict[str, Any]], str], profile_filter: str) -> int:
    """Run one delivery benchmark in a temporary folder: logging, optional cProfile, report, clean-up."""
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix=f"loa-{name}-"))
    prof = cProfile.Profile() if args.profile else None
    try:
        if prof:
            prof.enable()
        result = asyncio.run(run(workdir))
        if prof:
            prof.disable()
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(render(result))
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    if prof and args.profile:
        prof.dump_stats(str(args.profile))
        buf = io.StringIO()
        st = pstats.Stats(prof, stream=buf)
        st.sort_stats("tottime").print_stats(25)
        st.sort_stats("cumulative").print_stats(profile_filter, 25)
        print(f"\n===== cProfile (event-loop thread) -> {args.profile}\n{buf.getvalue()}")
    return 0
