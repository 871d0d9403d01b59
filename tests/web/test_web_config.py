"""[web] and the feed/LED channel keys: defaults, and bad values reported at their file:line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.campaign.test_config import errors_of, line_of
from tests.conftest import Campaign
from tests.web.conftest import WEB_CONFIG

BASE = WEB_CONFIG.replace('listen = "127.0.0.1:0"\n', "")


def test_defaults_and_the_channels(campaign: Campaign) -> None:
    campaign.config_path.write_text(BASE.replace('public_url = "https://loa.example.vn"\n', ""), encoding="utf-8")
    config = campaign.config()
    assert config.web.listen == "127.0.0.1:8080" and config.web.address == ("127.0.0.1", 8080)
    assert config.web.public_url == ""
    feed, led = config.channels["so_feed"], config.channels["so_led"]
    assert (feed.kind, feed.target, led.kind, led.target, led.rotate_seconds, led.recent) == ("feed", "so-tttt", "led", "sanh", 3, 3)


def test_listen_empty_turns_the_server_off_and_target_defaults_to_the_key(campaign: Campaign) -> None:
    text = BASE.replace("[web]", '[web]\nlisten = ""').replace('target = "sanh"\n', "")
    campaign.config_path.write_text(text, encoding="utf-8")
    config = campaign.config()
    assert config.web.address is None and config.channels["so_led"].target == "so-led"


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("[web]", '[web]\nlisten = "8080"', "'listen' must be \"host:port\""),
    ("[web]", '[web]\nlisten = "0.0.0.0:99999"', "'listen' must be \"host:port\""),
    ("[web]", '[web]\nport = 8080', "unknown key 'web.port'"),
    ('public_url = "https://loa.example.vn"', 'public_url = "loa.example.vn"', "expected an http:// or https:// URL"),
    ('target = "so-tttt"', 'target = "Sở TT"', "a feed target is its name in the web address"),
    ("rotate_seconds = 3", "rotate_seconds = 1", "'rotate_seconds' must be between 3 and 3600, not 1"),
    ("recent = 3", "recent = 0", "'recent' must be between 1 and 50, not 0"),
    ("recent = 3", 'recent = "năm"', "'recent' must be int"),
    ('label = "Tin của Sở"', 'label = "Tin của Sở"\nrotate_seconds = 5', "unknown key 'channels.so_feed.rotate_seconds'"),
])
def test_bad_values_name_their_line(campaign: Campaign, old: str, new: str, expected: str) -> None:
    text = BASE.replace(old, new, 1)
    assert text != BASE
    [error] = errors_of(campaign, text)
    needle = new.splitlines()[-1]
    assert expected in error and f"config.toml:{line_of(text, needle)}:" in error


def test_two_feeds_cannot_share_an_address(campaign: Campaign) -> None:
    text = BASE + '\n[channels.feed2]\nkind = "feed"\ntarget = "so-tttt"\n'
    [error] = errors_of(campaign, text)
    assert "target 'so-tttt' is already channel 'so_feed''s" in error


def test_loa_run_web_option_is_checked(tmp_path: Path) -> None:
    campaign = Campaign(tmp_path / "camp", BASE)
    result = CliRunner().invoke(app, ["run", "--config", str(campaign.config_path), "--offline", "--web", "nowhere"])
    assert result.exit_code == 1 and "--web 'nowhere'" in result.output
