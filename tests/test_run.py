"""``loa run`` as a real process: starts, answers a signal with a clean stop, never prints a secret."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import CONFIG, Campaign, post_text
from tests.emulators.telegram import TelegramEmulator

TOKEN = "987654:SECRET-TOKEN-VALUE"
TELEGRAM_ONLY = CONFIG.replace('[channels.zalo]\nkind = "zalo_oa_group"\ntarget = "g1"\nlabel = "Nhóm Zalo"\n', "")


def start(campaign: Campaign, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(campaign.config_path), "--no-watch", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200", "LOA_DATABASE_URL": f"sqlite:///{campaign.root / 'loa.db'}", **(env or {})},
    )


def wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float = 20) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} not seen in:\n{''.join(lines)}")


def test_offline_run_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    campaign = Campaign(tmp_path / "camp")
    campaign.write("a.md", post_text())
    proc = start(campaign, "--offline")
    wait_for_line(proc, "Loa đang chạy")
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, rest
    assert "Đang dừng / stopping" in rest and "Traceback" not in rest


def test_tokens_never_reach_the_logs(tmp_path: Path) -> None:
    with TelegramEmulator(TOKEN, limits=None) as tg:
        campaign = Campaign(tmp_path / "camp", TELEGRAM_ONLY + f'\n[telegram]\napi_base = "{tg.base_url}"\nfile_base = "{tg.base_file_url}"\n')
        campaign.write("a.md", post_text())
        proc = start(campaign, "--for", "3s", env={"TELEGRAM_BOT_TOKEN": TOKEN})
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert tg.calls_to("getMe") and tg.calls_to("getUpdates")  # it really ran against the emulator
    assert TOKEN not in out and "SECRET-TOKEN" not in out


def test_wrong_token_fails_start_up_with_a_clear_message(tmp_path: Path) -> None:
    with TelegramEmulator(TOKEN, limits=None) as tg:
        campaign = Campaign(tmp_path / "camp", TELEGRAM_ONLY + f'\n[telegram]\napi_base = "{tg.base_url}"\n')
        proc = start(campaign, env={"TELEGRAM_BOT_TOKEN": "111:WRONG-TOKEN"})
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "Telegram rejected the bot token" in out and "WRONG-TOKEN" not in out and "Traceback" not in out


def test_missing_token_suggests_offline(tmp_path: Path) -> None:
    campaign = Campaign(tmp_path / "camp")
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    proc = subprocess.run([sys.executable, "-m", "bot", "run", "--config", str(campaign.config_path)], env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1 and "TELEGRAM_BOT_TOKEN" in proc.stdout + proc.stderr and "--offline" in proc.stdout + proc.stderr


BAD_FILE = "---\ntitle: Hỏng\nmilestone: khai-mac\ntime: \"09:00\"\napprovals: 99999999999999999999\n---\nx\n"


def test_a_bad_file_dropped_while_running_does_not_end_the_process(tmp_path: Path) -> None:
    """The issue: the process exited 0, silently, about a second after such a file appeared."""
    campaign = Campaign(tmp_path / "camp")
    campaign.write("a.md", post_text())
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(campaign.config_path), "--offline"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200", "LOA_DATABASE_URL": f"sqlite:///{campaign.root / 'loa.db'}"},
    )
    try:
        wait_for_line(proc, "Loa đang chạy")
        # The watcher says nothing when it is up (watchfiles starts its inotify watch in a thread, after the
        # banner); a file written before that would be missed. No event to wait on: a moment's head start.
        time.sleep(0.3)
        campaign.write("hong.md", BAD_FILE)
        seen = wait_for_line(proc, "Đồng bộ lại")  # reported: a problem line, or "resync failed" if sync raised
        (campaign.content / "hong.md").unlink()
        campaign.write("b.md", post_text(title="Sau đó", time="09:30"))
        seen += wait_for_line(proc, "resynced: 1")  # still running, still watching
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, "".join(seen) + rest  # a clean stop
    assert "hong.md" in "".join(seen) + rest or "OverflowError" in "".join(seen) + rest


def test_run_exits_non_zero_with_one_line_when_the_service_fails(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from bot.app import Runner, ServiceFailed
    from bot.cli import app

    campaign = Campaign(tmp_path / "camp")
    monkeypatch.setenv("LOA_DATABASE_URL", f"sqlite:///{campaign.root / 'loa.db'}")
    for failure, reason in ((ServiceFailed("Loa stopped because the content watcher stopped: OSError: x"), "content watcher"),
                            (RuntimeError("database vanished"), "Loa stopped on an error: RuntimeError: database vanished")):
        async def fail(self: Runner, failure: Exception = failure) -> None:
            raise failure

        monkeypatch.setattr(Runner, "run", fail)
        result = CliRunner().invoke(app, ["run", "--config", str(campaign.config_path), "--offline"])
        assert result.exit_code == 1
        last = result.output.strip().splitlines()[-1]
        assert reason in last
