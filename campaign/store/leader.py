"""Who runs the schedule. Exactly one ``loa run`` per database delivers.

PostgreSQL: any number of processes share the database; the leader holds a session advisory
lock on a dedicated connection (the server frees it when that session ends, so a killed leader
loses it at once). Standbys try the lock every second or so. ``loa status`` reads the lock
holder and the waiting processes from ``pg_locks`` / ``pg_stat_activity`` (each process names
its connection ``loa leader …`` or ``loa standby …``), so no table is needed.

SQLite: one process only, enforced by an OS lock on ``<db>.lock`` that the kernel releases
when the process dies; the file holds the holder's pid for the error message and ``loa status``.
"""

from __future__ import annotations

import fcntl
import os
import socket
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from campaign.errors import LoaError

LOCK_KEY = 0x4C6F61  # "Loa": the advisory lock every loa run of one database competes for
CHECK_TIMEOUT_MS = 1000  # a lock check slower than this counts as a lost lock (fencing)


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class AnotherRunner(LoaError):
    """A second ``loa run`` on a SQLite store (exit status 2)."""


class SqliteLock:
    """An exclusive ``flock`` on ``<db>.lock``, held for the life of the process."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.path = db_path.with_name(db_path.name + ".lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            pid = f.read().strip() or "?"
            f.close()
            shown = _shown(self.db_path)
            raise AnotherRunner(f"một tiến trình loa run khác (pid {pid}) đang dùng {shown} / "
                                f"another loa run (pid {pid}) is using {shown}") from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        self._file = f

    def holder(self) -> int | None:
        """The pid of the running ``loa run``, or None if none holds the lock."""
        if not self.path.exists():
            return None
        with self.path.open("r", encoding="utf-8") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text_ = f.read().strip()
                return int(text_) if text_.isdigit() else -1
            fcntl.flock(f, fcntl.LOCK_UN)
            return None

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class Leadership:
    """The PostgreSQL advisory lock on its own connection (never from the pool the work uses)."""

    def __init__(self, url: str, name: str | None = None) -> None:
        self.name = name or process_name()
        self.engine = create_engine(url, poolclass=NullPool, connect_args={
            "application_name": f"loa standby {self.name}", "connect_timeout": 3,
            "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 2})
        self._conn: Connection | None = None
        self.held = False

    def try_acquire(self) -> bool:
        """One non-blocking attempt; True once this process leads."""
        try:
            conn = self._connection()
            won = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar())
            if won:
                conn.execute(text("SELECT set_config('application_name', :v, false)"), {"v": f"loa leader {self.name}"})
        except Exception:
            self._drop()
            raise
        self.held = won
        return won

    def check(self) -> bool:
        """Still the leader? The lock's session must be alive and hold it; anything else is a loss."""
        if not self.held or self._conn is None:
            return False
        try:
            still = bool(self._conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() "
                "AND classid = 0 AND objid = :k AND objsubid = 1"), {"k": LOCK_KEY}).scalar())
        except Exception:
            still = False
        if not still:
            self.held = False
            self._drop()
        return still

    def release(self) -> None:
        self.held = False
        self._drop()
        self.engine.dispose()

    def _connection(self) -> Connection:
        if self._conn is None:
            self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._conn.execute(text("SELECT set_config('statement_timeout', :v, false)"), {"v": str(CHECK_TIMEOUT_MS)})
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            with suppress(Exception):  # a dead connection: nothing to close cleanly
                self._conn.close()
            self._conn = None


@dataclass(frozen=True)
class Runner:
    """One ``loa run`` as ``loa status`` shows it."""

    role: str  # "leader" | "standby"
    name: str  # host:pid
    since: str
    client: str


def runners(url: str) -> list[Runner]:
    """The leader (holder of the lock) and the standbys of a PostgreSQL store, leader first."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT a.application_name, a.backend_start, coalesce(host(a.client_addr), 'local'), "
                "EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted "
                "AND l.classid = 0 AND l.objid = :k AND l.objsubid = 1) "
                "FROM pg_stat_activity a WHERE a.datname = current_database() AND a.application_name LIKE 'loa %'"),
                {"k": LOCK_KEY}).all()
    finally:
        engine.dispose()
    out = [Runner("leader" if leads else "standby", name.split()[-1], f"{since:%Y-%m-%d %H:%M:%S %Z}", client)
           for name, since, client, leads in rows]
    return sorted(out, key=lambda r: (r.role != "leader", r.name))
