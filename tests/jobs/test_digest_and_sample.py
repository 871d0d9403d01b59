"""Issue 14: the daily digest keeps quiet on an empty day; the sample's milestone reminders go to staff."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from campaign import reminders
from campaign.clock import FakeClock
from campaign.config import load_config
from campaign.store import repo
from campaign.store.db import Store
from campaign.sync import sync
from tests.conftest import Campaign, post_text

ROOT = Path(__file__).resolve().parents[2]


def _with_digest(campaign: Campaign) -> None:
    text = campaign.config_path.read_text().replace('channels = ["tg"]\n\n[alerts]',
                                                    'channels = ["tg"]\ndigest = "07:30"\ndigest_chats = ["duyet"]\n\n[alerts]')
    campaign.config_path.write_text(text)


def test_digest_says_nothing_on_an_empty_day(store: Store, campaign: Campaign) -> None:
    _with_digest(campaign)
    campaign.write("a.md", post_text(title="Khai mạc"))  # 26/01/2021 08:30
    cfg = campaign.config()
    assert cfg.reminders.digest_chats == ("duyet",)
    clock = FakeClock(datetime(2021, 1, 25, 0, 30, tzinfo=UTC))  # 07:30 on the 25th, local
    sync(store, cfg, clock)
    assert reminders.send_digest(store, cfg, clock) == []
    with store.session() as s:
        assert repo.deliveries_like(s, "digest:", ["pending", "sending", "sent"]) == []
    clock.set(datetime(2021, 1, 26, 0, 30, tzinfo=UTC))
    ids = reminders.send_digest(store, cfg, clock)
    assert len(ids) == 1
    with store.session() as s:
        [row] = repo.deliveries_like(s, "digest:", ["pending"])
        assert row.channel == "duyet" and "Khai mạc" in str(row.payload)


def test_sample_reminders_go_to_the_staff_chat_not_the_public_channel() -> None:
    cfg = load_config(ROOT / "config.toml", env={})
    public = {"tg_tinh", "zalo_nhom", "zalo_oa"}
    assert cfg.reminders.channels and not set(cfg.reminders.channels) & public
    assert all(cfg.channels[k].kind in ("telegram", "zalo_bot") for k in cfg.reminders.channels)
    assert set(cfg.reminders.channels) <= set(cfg.approval.chats) | set(cfg.alert_chats)
