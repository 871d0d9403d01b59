"""One leader per database, as real ``loa run`` processes: SQLite refuses a second process;
PostgreSQL keeps the others as hot standbys, one of which takes over when the leader dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Delivery
from tests.conftest import PG_URL, Campaign, _reset_postgres, post_text
from tests.test_run import start, wait_for_line


def loa(campaign: Campaign, *args: str, db: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args, "--config", str(campaign.config_path)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "COLUMNS": "200", "LOA_DATABASE_URL": db})


def test_second_run_on_one_sqlite_file_refuses_to_start(tmp_path: Path) -> None:
    campaign = Campaign(tmp_path / "camp")
    campaign.write("a.md", post_text())
    db = f"sqlite:///{campaign.root / 'loa.db'}"
    first = start(campaign, "--offline")
    try:
        wait_for_line(first, "Loa đang chạy")
        second = subprocess.run([sys.executable, "-m", "bot", "run", "--offline", "--config", str(campaign.config_path)],
                                capture_output=True, text=True, timeout=60, cwd=campaign.root,
                                env={**os.environ, "COLUMNS": "200", "LOA_DATABASE_URL": "sqlite:///loa.db"})
        assert second.returncode == 2
        assert f"another loa run (pid {first.pid}) is using loa.db" in second.stderr
        assert loa(campaign, "check", db=db).returncode == 0  # the read-only commands work beside it
        assert loa(campaign, "plan", db=db).returncode == 0
        assert loa(campaign, "audit", db=db).returncode == 0
        status = loa(campaign, "status", db=db)
        assert status.returncode == 0 and f"loa run pid {first.pid}" in status.stdout
    finally:
        first.kill()  # like a crash: the kernel drops the lock
        first.communicate(timeout=30)  # reaped, and its output pipe closed
    assert "no loa run is running" in loa(campaign, "status", db=db).stdout
    again = start(campaign, "--offline", "--for", "1s")
    out, _ = again.communicate(timeout=60)
    assert again.returncode == 0, out


@pytest.mark.skipif(not PG_URL, reason="needs LOA_TEST_DATABASE_URL")
def test_postgres_standby_takes_over_and_resolves_only_the_dead_leaders_rows(tmp_path: Path) -> None:
    assert PG_URL
    _reset_postgres(PG_URL)
    campaign = Campaign(tmp_path / "camp")
    campaign.write("a.md", post_text())
    env = {"LOA_DATABASE_URL": PG_URL}
    leader = start(campaign, "--offline", env=env)
    standby = None
    try:
        wait_for_line(leader, "this process leads")
        standby = start(campaign, "--offline", env=env)
        wait_for_line(standby, "standby")
        store = Store(PG_URL)
        with store.session() as s:  # the leader is mid-send on this row
            row = Delivery(ref="reminder:x", channel="tg", status="sending", attempts=1, payload={"plain": "x"},
                           due_at=datetime.now(UTC), next_attempt_at=datetime.now(UTC), created_at=datetime.now(UTC))
            s.add(row)
            s.commit()
            row_id = row.id
        status = loa(campaign, "status", db=PG_URL).stdout
        assert f"leader   {os.uname().nodename}:{leader.pid}" in status and f"standby  {os.uname().nodename}:{standby.pid}" in status
        # A standby never touches the leader's rows (it once marked them 'unknown'): "nothing happened" has no
        # event, so give the standby a few of its tries (about one a second) to get it wrong.
        time.sleep(2.5)
        with store.session() as s:
            assert s.get(Delivery, row_id).status == "sending"
        killed_at = time.monotonic()
        os.kill(leader.pid, signal.SIGKILL)
        wait_for_line(standby, "this process leads", timeout=15)
        took = time.monotonic() - killed_at
        wait_for_line(standby, "Loa đang chạy")
        with store.session() as s:
            assert s.get(Delivery, row_id).status == "unknown"  # resolved by the new leader's recovery
            assert repo.deliveries_like(s, "alert:unknown:reminder:x:", ["pending", "sending", "sent"])  # its alert
        assert took < 10
        assert f"leader   {os.uname().nodename}:{standby.pid}" in loa(campaign, "status", db=PG_URL).stdout
        store.close()
        standby.send_signal(signal.SIGINT)
        out, _ = standby.communicate(timeout=30)
        assert standby.returncode == 0, out
    finally:
        for p in (leader, standby):
            if p is not None:
                if p.poll() is None:
                    p.kill()
                p.communicate(timeout=30)  # reaped, and its output pipe closed


@pytest.mark.skipif(not PG_URL, reason="needs LOA_TEST_DATABASE_URL")
def test_leader_that_loses_its_lock_stops_within_two_seconds(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    assert PG_URL
    _reset_postgres(PG_URL)
    campaign = Campaign(tmp_path / "camp")
    campaign.write("a.md", post_text())
    leader = start(campaign, "--offline", env={"LOA_DATABASE_URL": PG_URL})
    try:
        wait_for_line(leader, "Loa đang chạy")
        engine = create_engine(PG_URL)
        with engine.begin() as conn:  # its lock session dies (a network cut, a failover of the server)
            killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                       "WHERE application_name LIKE 'loa leader %'")).scalar()
        engine.dispose()
        assert killed == 1
        cut = time.monotonic()
        wait_for_line(leader, "leadership lost", timeout=10)
        assert time.monotonic() - cut < 2.5
        out, _ = leader.communicate(timeout=30)
        assert leader.returncode == 3, out
    finally:
        if leader.poll() is None:
            leader.kill()
        if leader.stdout is not None and not leader.stdout.closed:
            leader.communicate(timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not PG_URL, reason="needs LOA_TEST_DATABASE_URL")
def test_a_standby_answers_webhook_updates(tmp_path: Path) -> None:
    from tests.emulators.telegram import TelegramEmulator
    from tests.test_run import TELEGRAM_ONLY, TOKEN

    assert PG_URL
    _reset_postgres(PG_URL)
    with TelegramEmulator(TOKEN, limits=None) as tg:
        campaign = Campaign(tmp_path / "camp", TELEGRAM_ONLY + f'\n[telegram]\napi_base = "{tg.base_url}"\nfile_base = "{tg.base_file_url}"\n')
        campaign.write("a.md", post_text())
        env = {"LOA_DATABASE_URL": PG_URL, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": "s3cret-webhook"}
        procs, ports = [], []
        try:
            for name in ("leader", "standby"):
                port = _free_port()
                ports.append(port)
                procs.append(start(campaign, "--webhook", f"http://127.0.0.1:{port}/telegram", "--listen", f"127.0.0.1:{port}",
                                   env=env))
                wait_for_line(procs[-1], "this process leads" if name == "leader" else "standby")
            # the standby set the webhook last, so Telegram now posts every update to it
            tg.wait_until(lambda: len(tg.calls_to("setWebhook")) >= 2, timeout=20)
            assert f":{ports[1]}/" in tg.calls_to("setWebhook")[-1].params["url"]
            tg.user_message(11, "/help")
            tg.wait_until(lambda: tg.messages(11), timeout=20)
            assert tg.webhook_deliveries and tg.webhook_deliveries[-1].status == 200
            assert "/homnay" in (tg.messages(11)[-1].get("text") or "")
        finally:
            for p in procs:
                p.send_signal(signal.SIGINT)
                p.communicate(timeout=30)
