"""[[units]] in config.toml: a unit's staff chat, members and reminder, each mistake named with its line."""

from __future__ import annotations

from datetime import time

from tests.campaign.test_config import errors_of, line_of
from tests.conftest import CONFIG, Campaign

GOOD = CONFIG + """
[[units]]
id = "xa-a"
name = "Xã A"
chat = "nhom"
members = ["lan", "minh"]
share_target = 0.5
remind_at = "16:00"

[[units]]
id = "xa-b"
chat = "zalo"
"""


def test_units_load_with_their_chat_members_and_reminder(campaign: Campaign) -> None:
    campaign.config_path.write_text(GOOD, encoding="utf-8")
    cfg = campaign.config()
    a, b = cfg.units
    assert (a.id, a.name, a.chat, a.members, a.share_target, a.remind_at) == (
        "xa-a", "Xã A", "nhom", ("lan", "minh"), 0.5, time(16, 0))
    assert (b.name, b.members, b.share_target, b.remind_at) == ("xa-b", (), None, None)
    assert cfg.unit("xa-b") == b and cfg.unit("nope") is None


def _one(campaign: Campaign, old: str, new: str) -> tuple[str, int]:
    text = GOOD.replace(old, new, 1)
    [msg] = errors_of(campaign, text)
    at = text.rindex(new) if old != new and text.count(new) > 1 else text.index(new)  # the replaced line (an earlier unit may hold the same text)
    return msg, text[:at].count("\n") + 1


def test_a_chat_that_is_not_a_group_channel_is_named_with_its_line(campaign: Campaign) -> None:
    msg, line = _one(campaign, 'chat = "nhom"', 'chat = "khong_co"')
    assert f"config.toml:{line}:" in msg and "chat 'khong_co'" in msg and "telegram, zalo_oa_group" in msg
    msg, line = _one(campaign, 'chat = "zalo"', 'chat = "nhom"')
    assert f"config.toml:{line}:" in msg and "already the group of unit 'xa-a'" in msg


def test_bad_ids_members_and_targets_are_named(campaign: Campaign) -> None:
    msg, line = _one(campaign, 'id = "xa-a"', 'id = "Xã A"')
    assert f"config.toml:{line}:" in msg and "a unit id is a-z" in msg
    msg, line = _one(campaign, 'id = "xa-b"', 'id = "xa-a"')
    assert f"config.toml:{line}:" in msg and "duplicate unit id 'xa-a'" in msg
    msg, line = _one(campaign, 'members = ["lan", "minh"]', 'members = ["lan", "ai"]')
    assert f"config.toml:{line}:" in msg and "member 'ai' is not in [people]" in msg
    msg, line = _one(campaign, "share_target = 0.5", "share_target = 1.5")
    assert f"config.toml:{line}:" in msg and "share_target" in msg
    text = GOOD.replace('remind_at = "16:00"', 'remind_at = "25:00"')
    first, *_then = errors_of(campaign, text)  # then: the target without a time, as the bad time is left out
    assert f"config.toml:{line_of(text, 'remind_at')}:" in first and "HH:MM" in first


def test_a_target_needs_a_time_and_members(campaign: Campaign) -> None:
    msg, line = _one(campaign, 'chat = "zalo"\n', 'chat = "zalo"\nshare_target = 0.3\n')
    assert "share_target needs remind_at" in msg and f"config.toml:{line + 1}:" in msg
    text = GOOD.replace('members = ["lan", "minh"]\n', "")
    [msg] = errors_of(campaign, text)
    assert "share_target needs members" in msg and f"config.toml:{line_of(text, 'share_target = 0.5')}:" in msg
    [msg] = errors_of(campaign, GOOD.replace('chat = "zalo"\n', ""))
    assert "the unit has no 'chat'" in msg
    [msg] = errors_of(campaign, "units = 3\n" + CONFIG)
    assert "[[units]] must be a list of tables" in msg
