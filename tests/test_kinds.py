"""The channel-kind table: every kind has a spec and an adapter, and the limits it states are the ones enforced."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import ADAPTER_FACTORIES, build_adapters
from campaign.kinds import SPECS, ChannelKind, MediaKind, spec, target_problem
from campaign.render import check_fits, render_markdown
from campaign.store.db import Store
from tests.campaign_config import CONFIG
from tests.conftest import Campaign

TARGETS = {ChannelKind.TELEGRAM: "@kenh", ChannelKind.ZALO_OA_GROUP: "g1", ChannelKind.ZALO_OA_BROADCAST: "followers",
           ChannelKind.ZALO_BOT: "c1", ChannelKind.FACEBOOK_PAGE: "104512345678901",
           ChannelKind.WEBHOOK: "https://cong.example.vn/loa", ChannelKind.FEED: "tin-so", ChannelKind.LED: "man-hinh-so",
           ChannelKind.CONSOLE: "man-hinh"}
ENV = {"TELEGRAM_BOT_TOKEN": "1:t", "ZALO_APP_ID": "a", "ZALO_APP_SECRET": "s", "ZALO_BOT_TOKEN": "b:t",
       "FACEBOOK_PAGE_TOKEN": "fb", "LOA_WEBHOOK_SECRET": "w"}


def test_every_kind_has_a_spec_a_target_example_and_an_adapter_factory() -> None:
    assert set(SPECS) == set(ChannelKind) == set(ADAPTER_FACTORIES) == set(TARGETS)
    for kind, s in SPECS.items():
        assert s.kind is kind and spec(kind.value) is s
        assert target_problem(kind, TARGETS[kind]) is None


def test_an_unknown_kind_has_no_spec() -> None:
    with pytest.raises(KeyError):
        spec("fax")


def test_build_adapters_gives_each_kind_an_adapter_of_that_kind(tmp_path: Path, store: Store) -> None:
    channels = "".join(f'\n[channels.k_{k.value}]\nkind = "{k.value}"\ntarget = "{t}"\n' for k, t in TARGETS.items())
    config = Campaign(tmp_path / "camp", CONFIG.replace("[channels.tg]", channels + "\n[channels.tg]")).config()
    adapters = build_adapters(config, offline=False, env=ENV, store=store)
    for k in ChannelKind:
        assert adapters[f"k_{k.value}"].kind == k
    # One adapter per kind, shared by that kind's channels.
    assert adapters["tg"] is adapters["nhom"] is adapters[f"k_{ChannelKind.TELEGRAM.value}"]


@pytest.mark.parametrize("kind", [k for k in ChannelKind if SPECS[k].text_limit is not None])
def test_each_text_limit_is_what_check_fits_enforces(kind: ChannelKind) -> None:
    limit = SPECS[kind].text_limit
    assert limit is not None
    assert check_fits(render_markdown("a" * limit), kinds={kind}, media_count=0) == []
    [problem] = check_fits(render_markdown("a" * (limit + 1)), kinds={kind}, media_count=0)
    assert f"{limit + 1}" in problem and f"{limit}" in problem and SPECS[kind].platform in problem


def test_media_rules_tell_images_from_other_files() -> None:
    oa = SPECS[ChannelKind.ZALO_OA_GROUP]
    assert oa.media_rule("a/b.PNG") is not None and oa.media_rule("clip.mp4") is None
    webp = oa.media_rule("x.webp")
    assert webp is not None and not webp.takes("x.webp")  # an image, but not one Zalo OA takes
    tg = SPECS[ChannelKind.TELEGRAM]
    assert tg.media[MediaKind.IMAGE].max_bytes == 10 * 1024 * 1024
    assert tg.media_rule("clip.mp4") is tg.media[MediaKind.FILE]
