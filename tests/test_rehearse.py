"""``loa run --rehearse``: the timeline moved to start shortly after now, on its own store, to the console."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.rehearsal import database_path, prepare
from campaign.content import scan_content
from campaign.store.db import Store
from campaign.store.repo import add_approval, delivery_counts, post_by_key, post_counts
from tests.conftest import CONFIG, Campaign, post_text
from tests.test_run import wait_for_line

NOW = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)


def posts(campaign: Campaign) -> None:
    campaign.write("a.md", post_text("Bài một", milestone="cao-diem", time="day 1 08:00"))
    campaign.write("b.md", post_text("Bài hai", milestone="cao-diem", time="day 3 14:30"))
    campaign.write("c.md", post_text("Bài ba", milestone="khai-mac", time="10:00"))
    campaign.write("d.md", post_text("Bài bốn", milestone="khai-mac", time="2021-01-26 16:00"))


def test_the_next_milestone_with_posts_begins_at_now_plus_start_in_and_gaps_are_kept(campaign: Campaign) -> None:
    posts(campaign)
    cfg = campaign.config()
    written = {p.title: p.scheduled_at for p in scan_content(cfg).posts}
    rh = prepare(cfg, start_in=timedelta(minutes=2), speed=1, milestone=None, approved=False, live=False, now=NOW)
    moved = rh.config
    first = moved.milestone("cao-diem")
    assert first is not None and first.span.start == NOW + timedelta(minutes=2)  # the campaign is over: its first milestone
    shift = first.span.start - cfg.milestone("cao-diem").span.start  # type: ignore[union-attr]
    assert moved.milestone("khai-mac").span.start == cfg.milestone("khai-mac").span.start + shift  # type: ignore[union-attr]
    now_posts = {p.title: p.scheduled_at for p in scan_content(moved).posts}
    assert now_posts == {title: at + shift for title, at in written.items()}  # every post moved by one shift
    assert sorted(now_posts, key=now_posts.__getitem__) == sorted(written, key=written.__getitem__)
    assert min(now_posts.values()) - first.span.start == timedelta(hours=8)  # "day 1 08:00": 8 h after the start
    assert rh.left_out == 0


def test_a_campaign_under_way_rehearses_from_its_next_milestone_and_leaves_earlier_posts_out(campaign: Campaign) -> None:
    posts(campaign)
    cfg = campaign.config()
    during = datetime(2021, 1, 22, 3, 0, tzinfo=UTC)  # inside "cao-diem": "khai-mac" is the next milestone with posts
    rh = prepare(cfg, start_in=timedelta(seconds=30), speed=1, milestone=None, approved=False, live=False, now=during)
    assert rh.milestone.id == "khai-mac" and rh.milestone.span.start == during + timedelta(seconds=30)
    assert rh.left_out == 2
    assert sorted(p.title for p in scan_content(rh.config).posts) == ["Bài ba", "Bài bốn"]  # not "missed": left out


def test_start_in_is_real_time_on_a_faster_clock(campaign: Campaign) -> None:
    posts(campaign)
    rh = prepare(campaign.config(), start_in=timedelta(seconds=5), speed=60, milestone="khai-mac", approved=True, live=False,
                 now=NOW)
    assert rh.milestone.span.start == NOW + timedelta(minutes=5)  # 5 real seconds at 60×
    assert rh.config.catch_up >= timedelta(minutes=10)  # 10 real seconds: the machine's lag never makes a post "missed"


def test_the_rehearsal_database_is_next_to_the_real_one(campaign: Campaign) -> None:
    cfg = campaign.config()
    assert database_path(cfg).name.endswith("-rehearsal.db")
    assert database_path(cfg).parent == Path(cfg.database_url.split("///", 1)[-1]).parent


# --- the command, as a process ---------------------------------------------------------------------

ADMIN_CONSOLE = CONFIG.replace('[channels.zalo]\nkind = "zalo_oa_group"\ntarget = "g1"\nlabel = "Nhóm Zalo"\n', "")


def run(campaign: Campaign, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "LOA_WEB"))}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(campaign.config_path), "--no-watch", "--rehearse", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**env, "COLUMNS": "250", "LOA_DATABASE_URL": f"sqlite:///{campaign.root / 'loa.db'}"},
    )


def read_until(proc: subprocess.Popen[str], needle: str, timeout: float) -> list[str]:
    """``wait_for_line``, and the process killed when the line does not come (it would run on to --for)."""
    try:
        return wait_for_line(proc, needle, timeout)
    except AssertionError:
        proc.kill()
        raise


def test_a_post_ten_campaign_minutes_away_goes_out_at_speed_60_on_the_console_not_the_real_store(campaign: Campaign) -> None:
    campaign.config_path.write_text(ADMIN_CONSOLE, encoding="utf-8")
    campaign.write("soon.md", post_text("Mười phút sau", milestone="khai-mac", time="start +10m"))
    campaign.write("later.md", post_text("Một ngày sau", milestone="khai-mac", time="end +1d"))
    campaign.write("broken.md", post_text("Hỏng", milestone="khai-mac", time="không phải giờ"))
    sync = subprocess.run([sys.executable, "-m", "bot", "sync", "--config", str(campaign.config_path)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "LOA_DATABASE_URL": f"sqlite:///{campaign.root / 'loa.db'}"})
    assert sync.returncode == 1  # the broken file; the real store now holds the two good posts
    real = Store(f"sqlite:///{campaign.root / 'loa.db'}")
    with real.session() as s:
        before = post_counts(s), delivery_counts(s)
    real.close()

    proc = run(campaign, "--start-in", "0s", "--speed", "60", "--approved", "--for", "60s", "--web", "127.0.0.1:0")
    try:
        shown = read_until(proc, "Mười phút sau", timeout=45)  # 10 campaign minutes = 10 s; at 1× it would be 10 min
    finally:
        proc.terminate()
        rest, _ = proc.communicate(timeout=30)
    text = "".join(shown) + rest
    assert shown[0].startswith("Loa — Chiến dịch thử") and "DIỄN TẬP" in shown[1] and "REHEARSAL" in shown[1]
    banner = "".join(shown[:10])
    assert "loa-rehearsal.db" in banner and "http://127.0.0.1:" in banner and "/signin/" in banner
    assert ":0/" not in banner  # the address the server really got
    sent = next(line for line in shown if "Mười phút sau" in line)
    assert "→ Kênh tỉnh [tg]" in sent
    assert text.count("Nội dung có lỗi") == 1, text  # the alert on the admins' console chat, once (not again in the log)
    assert "Một ngày sau" not in text and "missed" not in text

    real = Store(f"sqlite:///{campaign.root / 'loa.db'}")
    with real.session() as s:
        assert (post_counts(s), delivery_counts(s)) == before  # the real store untouched
    real.close()
    rehearsal = Store(f"sqlite:///{campaign.root / 'loa-rehearsal.db'}", run_migrations=False)
    with rehearsal.session() as s:
        assert post_counts(s).get("published") == 1
    rehearsal.close()


def test_without_approved_a_rehearsal_holds_posts_as_the_real_run_would(campaign: Campaign) -> None:
    campaign.config_path.write_text(ADMIN_CONSOLE, encoding="utf-8")
    campaign.write("soon.md", post_text("Chưa duyệt", milestone="khai-mac", time="start +1m"))
    proc = run(campaign, "--start-in", "0s", "--speed", "60", "--for", "40s", "--no-web")
    try:
        shown = read_until(proc, "Chưa duyệt", timeout=30)  # the approval request to the approvers' chat
        shown += read_until(proc, "bị giữ lại", timeout=30)  # its time comes: held, the admins told once
    finally:
        proc.terminate()
        rest, _ = proc.communicate(timeout=30)
    text = "".join(shown) + rest
    assert "dashboard: off" in "".join(shown[:10])
    assert any("→ Nhóm duyệt [duyet]: 📝" in line and "Chưa duyệt" in line for line in shown)  # the request
    assert "→ Quản trị [admin]: ⏸" in shown[-1]
    assert "→ Kênh tỉnh [tg]" not in text  # not sent: nobody approved it
    assert text.count("bị giữ lại") == 1


def test_approvals_given_in_the_real_store_carry_over_to_the_rehearsal(campaign: Campaign) -> None:
    campaign.config_path.write_text(ADMIN_CONSOLE, encoding="utf-8")
    campaign.write("ok.md", post_text("Đã duyệt thật", milestone="khai-mac", time="start +1m"))
    campaign.write("no.md", post_text("Chưa ai duyệt", milestone="khai-mac", time="start +2m"))
    url = f"sqlite:///{campaign.root / 'loa.db'}"
    sync = subprocess.run([sys.executable, "-m", "bot", "sync", "--config", str(campaign.config_path)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "LOA_DATABASE_URL": url})
    assert sync.returncode == 0, sync.stdout + sync.stderr
    real = Store(url)
    with real.session() as s:
        add_approval(s, post_by_key(s, "ok"), "lan", "approve", NOW)  # type: ignore[arg-type]
        s.commit()
    real.close()
    proc = run(campaign, "--start-in", "0s", "--speed", "60", "--for", "40s", "--no-web")
    try:
        shown = read_until(proc, "bị giữ lại", timeout=40)  # "Chưa ai duyệt" held at +2m, after "Đã duyệt thật" at +1m
    finally:
        proc.terminate()
        rest, _ = proc.communicate(timeout=30)
    text = "".join(shown) + rest
    assert "→ Kênh tỉnh [tg]: Đã duyệt thật" in text
    assert "→ Kênh tỉnh [tg]: Chưa ai duyệt" not in text and "«Chưa ai duyệt» (no)" in shown[-1]


def test_live_channels_warn_first_and_need_the_real_tokens(campaign: Campaign) -> None:
    posts(campaign)
    proc = run(campaign, "--live-channels", "--no-web", "--for", "1s")
    out, _ = proc.communicate(timeout=60)
    assert out.splitlines()[0].startswith("⚠ KÊNH THẬT") and "LIVE CHANNELS" in out.splitlines()[0]
    assert proc.returncode == 1 and "TELEGRAM_BOT_TOKEN" in out  # the real adapters: no token, no start


@pytest.mark.parametrize("args", [["--speed", "5"], ["--start-in", "1m"], ["--approved"], ["--live-channels"]])
def test_rehearsal_options_without_rehearse_are_a_usage_error(campaign: Campaign, args: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", "run", "--config", str(campaign.config_path), "--offline", *args],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--rehearse" in proc.stdout + proc.stderr


def test_an_unknown_milestone_a_bad_speed_or_no_posts_is_refused(campaign: Campaign) -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", "run", "--config", str(campaign.config_path), "--rehearse"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "nothing to rehearse" in proc.stdout + proc.stderr
    for args, needle in ((["--milestone", "nope"], "nope"), (["--speed", "0"], "--speed")):
        proc = subprocess.run([sys.executable, "-m", "bot", "run", "--config", str(campaign.config_path), "--rehearse", *args],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and needle in proc.stdout + proc.stderr
