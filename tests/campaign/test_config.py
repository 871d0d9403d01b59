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


def test_a_bad_list_item_is_reported_and_the_good_ones_still_checked(campaign: Campaign) -> None:
    text = CONFIG.replace('chats = ["duyet"]', 'chats = ["duyet", 5, "nope"]')
    msgs = errors_of(campaign, text)
    at = f":{line_of(text, 'nope')}:"
    assert any(at in m and "'chats' must be a list of strings, got 5" in m for m in msgs), msgs
    assert any(at in m and "unknown channel 'nope'" in m for m in msgs), msgs
    assert not any("'duyet'" in m for m in msgs), msgs


def test_a_bad_value_does_not_hide_the_rest_of_its_table(campaign: Campaign) -> None:
    text = CONFIG + '\n[delivery]\nmax_attempts = "six"\nsweep_every = "0s"\non_ambiguous = "retry"\n'
    msgs = errors_of(campaign, text)
    assert len(msgs) == 3, msgs
    assert any(f":{line_of(text, 'six')}:" in m and "'max_attempts' must be int" in m for m in msgs)
    assert any(f":{line_of(text, 'sweep_every')}:" in m and "'sweep_every' must be at least 1s, not 0s" in m for m in msgs)
    assert any(f":{line_of(text, 'retry')}:" in m and "not 'retry'" in m for m in msgs)


def test_a_milestone_with_a_bad_start_is_reported_once(campaign: Campaign) -> None:
    text = CONFIG.replace('start = "khai_mac"\nend = "khai_mac"', 'start = "someday"')
    [msg] = errors_of(campaign, text)
    assert f":{line_of(text, 'someday')}:" in msg and "'start'" in msg


def test_both_languages_name_the_same_values(campaign: Campaign) -> None:
    text = CONFIG.replace('label = "Kênh tỉnh"', 'label = "Kênh tỉnh"\ncolour = "red"').replace(
        'name = "Lan"', 'name = "Lan"\nlanguage = "fr"')
    msgs = errors_of(campaign, text)
    unknown = next(m for m in msgs if "colour" in m)
    vi, en = unknown.split(": ", 1)[1].split(" / ")
    assert "'channels.tg.colour'" in vi and "kind, label, target" in vi and "kind, label, target" in en
    language = next(m for m in msgs if "'fr'" in m)
    assert language.endswith("ngôn ngữ phải là vi hoặc en, không phải 'fr' / language must be vi or en, not 'fr'")


def test_every_settings_table_declares_exactly_its_settings_with_their_defaults() -> None:
    """The schema's defaults are the dataclasses': a field added to one and not the other fails here."""
    from campaign.config import DeliverySettings, TelegramSettings, ZaloSettings
    from campaign.config.schema import DeliveryTable, TelegramTable, ZaloTable

    for table, settings in ((TelegramTable, TelegramSettings), (ZaloTable, ZaloSettings), (DeliveryTable, DeliverySettings)):
        assert table.model_validate({}).model_dump() == vars(settings())


def test_lines_are_counted_as_toml_counts_them(campaign: Campaign) -> None:
    """U+0085 or U+2028 inside a quoted key is not a line break (str.splitlines would count one)."""
    text = CONFIG.replace('[alerts]\nchats = ["admin"]', '[alerts.chats."x\u0085y"]\n[alerts.other]')
    msgs = errors_of(campaign, text)
    assert any(m.endswith("'chats' must be list") and f":{line_of(text, '[alerts.chats')}:" in m for m in msgs), msgs
