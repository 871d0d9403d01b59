"""When a post's share kits are queued, and what they link to: the rules of campaign.sharekit on a real store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from campaign.clock import FakeClock
from campaign.config import ChannelConfig, Config
from campaign.deliveries import mark_failed_attempt, mark_sent
from campaign.payload import Action, Payload
from campaign.publishing import publish_due
from campaign.sharekit import kit_ref, public_link, share_urls
from campaign.store import repo
from campaign.store.db import Store
from campaign.sync import sync
from tests.conftest import CONFIG, Campaign, post_text

DUE = datetime(2021, 1, 26, 1, 30, tzinfo=UTC)
UNITS = """
[channels.fb]
kind = "facebook_page"
target = "100064000000001"

[channels.so]
kind = "console"
target = "stdout"

[[units]]
id = "xa-a"
chat = "duyet"

[[units]]
id = "xa-b"
chat = "zalo"
"""


def _published(campaign: Campaign, store: Store, channels: str) -> tuple[Config, dict[str, int]]:
    campaign.config_path.write_text(CONFIG + UNITS, encoding="utf-8")
    cfg = campaign.config()
    campaign.write("a.md", post_text(title="Khai mạc", channels=channels, body="Nội dung " + "dài " * 600))
    clock = FakeClock(DUE - timedelta(days=1))
    sync(store, cfg, clock)
    with store.session() as s:
        post = repo.post_by_key(s, "a")
        repo.add_approval(s, post, "lan", "approve", clock.now())
        s.commit()
    clock.set(DUE)
    publish_due(store, cfg, clock, "a")
    with store.session() as s:
        rows = {d.channel: d.id or 0 for d in repo.deliveries_for(s, "post:a")}
        for i in rows.values():
            assert repo.claim_delivery(s, i)
    return cfg, rows


def _kits(store: Store) -> dict[str, Payload]:
    with store.session() as s:
        return {d.channel: Payload.from_json(d.payload) for d in repo.deliveries_for(s, kit_ref("a"))}


def test_kits_wait_for_every_public_send_then_link_to_each(campaign: Campaign, store: Store) -> None:
    cfg, rows = _published(campaign, store, "[tg, fb, so]")
    assert not mark_sent(store, rows["tg"], ("41",), DUE, cfg)  # the fanpage is still on its way: no kit yet
    assert not mark_sent(store, rows["so"], ("1",), DUE, cfg)  # the console is no public channel
    assert _kits(store) == {}
    assert mark_sent(store, rows["fb"], ("100064000000001_77",), DUE, cfg)
    kits = _kits(store)
    assert sorted(kits) == ["duyet", "zalo"]
    a = kits["duyet"]
    assert "https://t.me/kenh/41" in a.plain and "https://www.facebook.com/100064000000001_77" in a.plain
    assert "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fwww.facebook.com%2F100064000000001_77" in a.plain
    assert "/dachiase 1 xa-a" in a.plain and "/dachiase 1 xa-b" in kits["zalo"].plain
    [[choice]] = a.choices
    assert (choice.action, choice.target, choice.unit) == (Action.SHARED, 1, "xa-a")
    assert len(kits["zalo"].plain) <= 2000 and kits["zalo"].plain.count("…") == 1  # clipped to Zalo's limit
    assert "…" not in a.plain and a.plain.count("dài") == 600  # Telegram takes 4096: the whole text
    with store.session() as s:  # recorded twice (a retried commit): still one kit per unit
        assert repo.claim_delivery(s, rows["fb"]) is False
    assert not mark_sent(store, rows["fb"], ("x",), DUE, cfg)


def test_a_public_channel_failing_for_good_still_lets_the_kit_go_with_the_other_link(campaign: Campaign, store: Store) -> None:
    cfg, rows = _published(campaign, store, "[tg, fb]")
    mark_failed_attempt(store, cfg, rows["fb"], "Forbidden", transient=False, retry_after=None, now=DUE)
    assert _kits(store) == {}
    mark_sent(store, rows["tg"], ("5",), DUE, cfg)
    kit = _kits(store)["duyet"]
    assert "https://t.me/kenh/5" in kit.plain and "facebook.com/1000" not in kit.plain


def test_no_kit_when_no_public_send_went_out(campaign: Campaign, store: Store) -> None:
    cfg, rows = _published(campaign, store, "[tg]")
    mark_failed_attempt(store, cfg, rows["tg"], "Forbidden", transient=False, retry_after=None, now=DUE)
    assert _kits(store) == {}


@pytest.mark.parametrize(("kind", "target", "ids", "link"), [
    ("telegram", "@kenh", ("12", "13"), "https://t.me/kenh/12"),
    ("telegram", "-1001234", ("12",), None),  # a numeric id: no public address
    ("facebook_page", "100064000000001", ("100064000000001_9",), "https://www.facebook.com/100064000000001_9"),
    ("feed", "so-tttt", ("3",), None),  # no [web] public_url
    ("zalo_oa_group", "g1", ("m1",), None),
    ("telegram", "@kenh", (), None),
])
def test_public_links(campaign: Campaign, kind: str, target: str, ids: tuple[str, ...], link: str | None) -> None:
    found = public_link(campaign.config(), ChannelConfig("k", kind, target, "k"), ids)
    assert (found.url if found else None) == link


def test_share_urls_are_encoded() -> None:
    tg, fb = share_urls("https://t.me/kenh/1?x=1&y=2", "Đại hội & ngày hội")
    assert tg == "https://t.me/share/url?url=https%3A%2F%2Ft.me%2Fkenh%2F1%3Fx%3D1%26y%3D2&text=%C4%90%E1%BA%A1i%20h%E1%BB%99i%20%26%20ng%C3%A0y%20h%E1%BB%99i"
    assert fb == "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Ft.me%2Fkenh%2F1%3Fx%3D1%26y%3D2"
