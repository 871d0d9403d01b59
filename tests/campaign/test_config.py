from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from campaign.config import load_config
from campaign.errors import ConfigError
from tests.conftest import CONFIG, Campaign

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def errors_of(campaign: Campaign, text: str) -> list[str]:
    campaign.config_path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        campaign.config()
    return [str(p) for p in exc.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_sample_style_config_loads_with_defaults(campaign: Campaign) -> None:
    cfg = campaign.config()
    assert cfg.tz == TZ and cfg.language == "vi"
    assert [m.id for m in cfg.milestones] == ["cao-diem", "khai-mac"]
    cao = cfg.milestone("cao-diem")
    assert cao and cao.span.first_day == date(2021, 1, 20) and cao.span.last_day == date(2021, 1, 25)
    assert cao.span.end == datetime(2021, 1, 26, tzinfo=TZ)
    assert cfg.approval.deadline == timedelta(hours=2) and cfg.approval.required == 1
    assert cfg.catch_up == timedelta(minutes=30)
    assert cfg.person_by_telegram(12) and cfg.person_by_telegram(12).key == "minh"
    assert cfg.database_url.endswith("data/loa.db") and cfg.database_url.startswith("sqlite:///")
    assert cfg.telegram.api_base == "https://api.telegram.org/bot"


def test_moving_the_anchor_moves_every_relative_milestone(campaign: Campaign) -> None:
    campaign.config_path.write_text(CONFIG.replace("khai_mac = 2021-01-26", "khai_mac = 2021-02-10"))
    cfg = campaign.config()
    assert cfg.milestone("cao-diem").span.first_day == date(2021, 2, 4)
    assert cfg.milestone("khai-mac").span.first_day == date(2021, 2, 10)


def test_database_url_env_overrides(campaign: Campaign) -> None:
    cfg = load_config(campaign.config_path, env={"LOA_DATABASE_URL": "sqlite:///x.db"})
    assert cfg.database_url == "sqlite:///x.db"


def test_bad_toml_names_the_line(campaign: Campaign) -> None:
    text = CONFIG.replace('label = "Nhóm"', 'label = "Nhóm')
    [msg] = errors_of(campaign, text)
    line = line_of(text, 'label = "Nhóm')
    assert msg.startswith(f"{campaign.config_path}:{line}:")
    assert "TOML" in msg


def test_unknown_key_is_reported_with_its_line(campaign: Campaign) -> None:
    text = CONFIG.replace('label = "Kênh tỉnh"', 'label = "Kênh tỉnh"\ncolour = "red"')
    [msg] = errors_of(campaign, text)
    assert msg.startswith(f"{campaign.config_path}:{line_of(text, 'colour')}:")
    assert "unknown key 'channels.tg.colour'" in msg


def test_unknown_table_and_several_problems_at_once(campaign: Campaign) -> None:
    text = CONFIG + '\n[extra]\nx = 1\n'
    text = text.replace('kind = "zalo_oa_group"', 'kind = "fax"')
    msgs = errors_of(campaign, text)
    assert any("unknown table [extra]" in m and f":{line_of(text, '[extra]')}:" in m for m in msgs)
    assert any("unknown channel kind 'fax'" in m and f":{line_of(text, 'fax')}:" in m for m in msgs)


@pytest.mark.parametrize("bad", ['"2021-13-40"', '"khai_mac +1x"', '"someday"', '"nowhere -1d"'])
def test_bad_milestone_date(campaign: Campaign, bad: str) -> None:
    text = CONFIG.replace('start = "khai_mac -6d"', f"start = {bad}")
    [msg] = errors_of(campaign, text)
    assert msg.startswith(f"{campaign.config_path}:{line_of(text, bad)}:")
    assert "'start'" in msg


def test_end_before_start_is_rejected(campaign: Campaign) -> None:
    text = CONFIG.replace('end = "khai_mac -1d"', 'end = "khai_mac -9d"')
    [msg] = errors_of(campaign, text)
    assert "'end' must be after 'start'" in msg


def test_unknown_channel_in_defaults_and_role(campaign: Campaign) -> None:
    text = CONFIG.replace('channels = ["tg"]\n\n[people', 'channels = ["tg", "fax"]\n\n[people').replace(
        'roles = ["admin"]', 'roles = ["boss"]')
    msgs = errors_of(campaign, text)
    assert any("unknown channel 'fax'" in m for m in msgs)
    assert any("unknown role 'boss'" in m and f":{line_of(text, 'boss')}:" in m for m in msgs)


def test_bad_duration_and_zone(campaign: Campaign) -> None:
    text = CONFIG.replace('catch_up = "30m"', 'catch_up = "half an hour"').replace(
        'timezone = "Asia/Ho_Chi_Minh"', 'timezone = "Mars/Olympus"')
    msgs = errors_of(campaign, text)
    assert any("catch_up" in m and "duration" in m for m in msgs)
    assert any("Mars/Olympus" in m and f":{line_of(text, 'Mars')}:" in m for m in msgs)


def test_missing_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.toml")


def test_delivery_fault_settings(campaign: Campaign) -> None:
    cfg = campaign.config()
    assert cfg.delivery.on_ambiguous == "ask" and cfg.delivery.record_patience == timedelta(minutes=2)
    text = CONFIG + '\n[delivery]\non_ambiguous = "resend"\nrecord_patience = "30s"\n'
    campaign.config_path.write_text(text, encoding="utf-8")
    cfg = campaign.config()
    assert cfg.delivery.on_ambiguous == "resend" and cfg.delivery.record_patience == timedelta(seconds=30)
    bad = CONFIG + '\n[delivery]\non_ambiguous = "retry"\n'
    [problem] = errors_of(campaign, bad)
    assert problem.startswith(f"{campaign.config_path}:{line_of(bad, 'on_ambiguous')}:")
    assert 'on_ambiguous phải là "ask" hoặc "resend"' in problem and "not 'retry'" in problem
