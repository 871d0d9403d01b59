"""``loa run`` as a real process serves the web server on its event loop and stops it cleanly."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import feedparser
import httpx

from tests.conftest import Campaign, post_text
from tests.test_run import start, wait_for_line
from tests.web.conftest import WEB_CONFIG


def test_loa_run_serves_health_and_the_feed_then_stops_cleanly(tmp_path: Path) -> None:
    campaign = Campaign(tmp_path / "camp", WEB_CONFIG)
    campaign.write("a.md", post_text(title="Bài trên nguồn tin", channels="[so_feed]"))
    proc = start(campaign, "--offline", "--web", "127.0.0.1:0")
    try:
        lines = wait_for_line(proc, "web server: http://")
        url = re.search(r"http://127\.0\.0\.1:\d+", lines[-1])
        assert url is not None, lines
        wait_for_line(proc, "Loa đang chạy")
        health = httpx.get(f"{url.group()}/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["role"] == "single" and health.json()["scheduler_running"]
        feed = feedparser.parse(httpx.get(f"{url.group()}/feeds/so-tttt.atom", timeout=10).content)
        assert feed.feed.title == "Tin của Sở" and feed.entries == []  # the sample post is not approved: nothing out
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, rest
    assert "Traceback" not in rest


def test_no_web_means_no_server(tmp_path: Path) -> None:
    campaign = Campaign(tmp_path / "camp", WEB_CONFIG)
    proc = start(campaign, "--offline", "--no-web", "--for", "1s")
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "web server" not in out
