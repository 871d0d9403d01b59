"""Approval requests say how a post will look on a fanpage and what a portal will receive."""

from __future__ import annotations

from datetime import UTC, datetime

from campaign.approvals import approval_state
from campaign.config import load_config
from campaign.review import request_text
from campaign.store.models import Post
from tests.campaign.test_config_pages import GOOD
from tests.conftest import Campaign


def post(channels: list[str], media: int = 0) -> Post:
    return Post(id=5, key="khai-mac", source_path="khai-mac.md", title="Khai mạc Đại hội", milestone="khai-mac",
                scheduled_at=datetime(2021, 1, 26, 1, 30, tzinfo=UTC), channels=channels,
                media=[{"path": f"img/{i}.png"} for i in range(media)],
                body="Chào mừng **Đại hội**. Xem [trực tiếp](https://dangcongsan.vn/truc-tiep).",
                content_hash="a" * 64, file_hash="b" * 64, updated_at=datetime(2021, 1, 20, tzinfo=UTC))


def test_fanpage_and_portal_previews_in_both_languages(campaign: Campaign) -> None:
    campaign.config_path.write_text(GOOD, encoding="utf-8")
    cfg = load_config(campaign.config_path, env={})
    p = post(["tg", "fanpage", "portal"], media=2)
    text = request_text(cfg, p, approval_state(p, []))
    assert "📘 Trên fanpage Fanpage Sở (văn bản thuần, liên kết giữ nguyên, 2 ảnh):" in text
    assert "📘 On the fanpage Fanpage Sở (plain text, links kept, 2 photo(s)):" in text
    assert "Khai mạc Đại hội\n\nChào mừng Đại hội. Xem trực tiếp (https://dangcongsan.vn/truc-tiep)." in text
    assert "🌐 Sent to the portal Cổng TTĐT: title “Khai mạc Đại hội”" in text and "2 media file(s), milestone khai-mac" in text
    english = request_text(cfg, p, approval_state(p, []), "en")
    assert "(plain text, links kept, 2 photo(s)):" in english and "Trên fanpage" not in english


def test_no_preview_for_chat_channels(campaign: Campaign) -> None:
    campaign.config_path.write_text(GOOD, encoding="utf-8")
    cfg = load_config(campaign.config_path, env={})
    p = post(["tg"])
    assert "fanpage" not in request_text(cfg, p, approval_state(p, []))


def test_feed_and_led_previews_say_where_and_how(campaign: Campaign) -> None:
    campaign.config_path.write_text(GOOD + '\n[channels.tin_so]\nkind = "feed"\nlabel = "Tin Sở"\n'
                                    '\n[channels.man_hinh]\nkind = "led"\nlabel = "Màn hình sảnh"\n', encoding="utf-8")
    cfg = load_config(campaign.config_path, env={})
    p = post(["tin_so", "man_hinh"], media=1)
    text = request_text(cfg, p, approval_state(p, []))
    assert "📰 In the feed Tin Sở (/feeds/tin-so.atom, .rss, .json): “Khai mạc Đại hội”" in text
    assert "📰 Trong nguồn tin Tin Sở" in text and "1 media file(s)" in text
    assert "🖥 On the LED screen Màn hình sảnh: the title “Khai mạc Đại hội” in large type" in text
    # the start of the text as the screen shows it: plain, links written out, without the title again
    assert "\nChào mừng Đại hội. Xem trực tiếp (https://dangcongsan.vn/truc-tiep)." in text


def test_dashboard_previews_count_each_channel_against_its_kinds_limit(campaign: Campaign) -> None:
    from campaign import board

    campaign.config_path.write_text(GOOD, encoding="utf-8")
    cfg = load_config(campaign.config_path, env={})
    p = post(["tg", "fanpage", "portal"], media=1)
    p.body = "x" * 2000
    shown = {v.channel: v for v in board.previews(cfg, p)}
    assert (shown["tg"].limit, shown["tg"].over) == (1024, True)  # a caption, with the photo
    assert (shown["fanpage"].limit, shown["fanpage"].over) == (63_206, False) and shown["fanpage"].html is None
    assert shown["portal"].limit is None and shown["portal"].html is not None  # the portal gets the HTML too
