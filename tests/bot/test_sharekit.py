"""The share kit end to end: a post goes out on the public channels, each unit's staff chat gets its kit
(links, text to copy, share links, the "I shared it" button), presses are counted once per person and
post, /chiase shows the tally, and units under their target get one reminder a day."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.reports import write_csv, write_html, write_xlsx
from campaign.clock import FakeClock
from campaign.config import Config
from campaign.report import build_report
from campaign.store import repo
from campaign.store.db import Store
from channels.base import Channel
from channels.pull import PullChannel
from tests.bot.conftest import BOSS, CHANNEL, CHAT_CONFIG, LAN, MINH, STRANGER, Live, running, with_urls
from tests.bot.test_zalo_chat import running_both
from tests.conftest import post_text
from tests.emulators.waiting import wait_for

DUE = datetime(2021, 1, 26, 1, 30, tzinfo=UTC)  # khai-mac 08:30 local
UNIT_A, UNIT_B = -100500, -100600
CONFIG = CHAT_CONFIG.replace('[web]\n', '[web]\npublic_url = "https://loa.example.vn"\n')
UNITS = """
[channels.tin]
kind = "feed"

[channels.donvi_a]
kind = "telegram"
target = "-100500"
label = "Nhóm xã A"

[channels.donvi_b]
kind = "telegram"
target = "-100600"
label = "Nhóm xã B"

[[units]]
id = "xa-a"
name = "Xã A"
chat = "donvi_a"
members = ["lan", "minh"]
share_target = 0.6
remind_at = "16:00"

[[units]]
id = "xa-b"
name = "Xã B"
chat = "donvi_b"
members = ["admin"]
share_target = 0.5
remind_at = "16:00"
"""


@pytest.fixture
async def live(tmp_path: Path, store: Store) -> AsyncIterator[Live]:
    clock = FakeClock(datetime(2021, 1, 25, 1, 0, tzinfo=UTC))

    def feed(cfg: Config) -> dict[str, Channel]:
        return {"tin": PullChannel("feed", store, cfg.content_dir, now=clock.now)}

    async with running(tmp_path / "camp", store, lambda tg: with_urls(CONFIG + UNITS, tg), clock,
                       more_adapters=feed) as it:
        yield it


async def _published(live: Live) -> int:
    """Post "a" on the public channel and the feed, approved by two, its Telegram send refused once."""
    live.campaign.write("a.md", post_text(title="Khai mạc Đại hội", body="Hôm nay khai mạc **Đại hội**.", channels="[tg, tin]"))
    await live.engine.resync()
    with live.store.session() as s:
        post_id = repo.post_by_key(s, "a").id
    await live.say(LAN, f"/duyet {post_id}")
    await live.say(MINH, f"/duyet {post_id}")
    live.tg.inject("500", chat_id=CHANNEL)
    live.clock.set(DUE + timedelta(seconds=1))
    await live.engine.sweep()
    await live.engine.deliverer.deliver_ready()
    with live.store.session() as s:
        assert {d.channel: d.status for d in repo.deliveries_for(s, "post:a")} == {"tg": "pending", "tin": "sent"}
        assert not repo.deliveries_for(s, "kit:a")
    assert live.tg.messages(UNIT_A) == [] and live.tg.messages(UNIT_B) == []  # the public post is not out yet: no kit
    live.clock.set(DUE + timedelta(seconds=5))
    await live.engine.deliverer.deliver_ready()
    await live.tg.wait_for(lambda: live.tg.messages(UNIT_A) and live.tg.messages(UNIT_B))
    return post_id


def _button(message: dict) -> tuple[str, str]:
    [[button]] = message["reply_markup"]["inline_keyboard"]
    return button["text"], button["callback_data"]


async def test_a_public_post_brings_each_unit_its_kit_and_presses_are_counted_once(live: Live) -> None:
    post_id = await _published(live)
    [public] = live.tg.messages(CHANNEL)
    channel_link = f"https://t.me/kenh/{public['message_id']}"
    for chat, unit in ((UNIT_A, "xa-a"), (UNIT_B, "xa-b")):
        [kit] = live.tg.messages(chat)
        assert kit["date"] >= public["date"]
        text = kit["plain"]
        assert "Bộ chia sẻ cho" in text and "Share kit for" in text and "Khai mạc Đại hội" in text
        assert channel_link in text and "https://loa.example.vn/feeds/tin.atom" in text
        assert "Hôm nay khai mạc Đại hội." in text  # the text to copy
        assert "never posts to personal accounts" in text
        links = {e["url"] for e in kit.get("entities", []) if e["type"] == "text_link"}
        assert "https://t.me/share/url?url=https%3A%2F%2Ft.me%2Fkenh%2F" + str(public["message_id"]) + \
            "&text=Khai%20m%E1%BA%A1c%20%C4%90%E1%BA%A1i%20h%E1%BB%99i" in links
        assert "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Ft.me%2Fkenh%2F" + str(public["message_id"]) in links
        assert _button(kit) == ("✅ Đã chia sẻ / I shared it", f"S:{post_id}:{unit}")

    kit_a, kit_b = live.tg.messages(UNIT_A)[0], live.tg.messages(UNIT_B)[0]
    data_a, data_b = _button(kit_a)[1], _button(kit_b)[1]
    assert "Đã ghi nhận bạn chia sẻ bài" in await live.press(LAN, UNIT_A, kit_a["message_id"], data_a)
    assert "mỗi người chỉ tính một lần" in await live.press(LAN, UNIT_A, kit_a["message_id"], data_a)
    assert "Only staff on the list are counted" in await live.press(STRANGER, UNIT_A, kit_a["message_id"], data_a, "en")
    assert "is not in Xã A" in await live.press(BOSS, UNIT_A, kit_a["message_id"], data_a, "en")
    assert "Your share of post" in await live.press(BOSS, UNIT_B, kit_b["message_id"], data_b, "en")
    assert "no longer valid" in await live.press(LAN, UNIT_A, kit_a["message_id"], f"S:{post_id}:X Y", forged=True)

    tally = await live.say(LAN, "/chiase")
    assert "Xã A: 1 lượt / 1 bài, tỷ lệ 50%" in tally and "Xã B: 1 lượt / 1 bài, tỷ lệ 100%" in tally
    assert f"#{post_id} Khai mạc Đại hội: Xã A 1/2, Xã B 1/1" in tally
    assert "không có quyền" in await live.say(STRANGER, "/chiase")  # the tally is for approvers and admins
    with live.store.session() as s:
        refused = [e for e in repo.audit_events(s, post_id=post_id) if e.action == "refused"]
        assert [e.actor for e in refused] == [f"telegram:{STRANGER}", "admin"]
        kits = repo.deliveries_for(s, "kit:a")
        assert sorted(d.channel for d in kits) == ["donvi_a", "donvi_b"] and all(d.status == "sent" for d in kits)

    report = build_report(live.store, live.engine.config, None, None, live.clock.now())
    buf = io.BytesIO()
    write_xlsx(report, live.engine.config, buf)
    book = load_workbook(io.BytesIO(buf.getvalue()))
    rows = [[c.value for c in row] for row in book["Chia sẻ xa-a"].iter_rows()]
    assert rows[0][:7] == ["Số bài", "Tiêu đề", "Gửi bộ chia sẻ", "Lượt chia sẻ", "Số thành viên", "Tỷ lệ", "Người đã chia sẻ"]
    assert rows[1][:2] == [post_id, "Khai mạc Đại hội"] and rows[1][3:7] == [1, 2, "50%", "Lan"]
    assert [[c.value for c in row] for row in book["Chia sẻ xa-b"].iter_rows()][1][3:7] == [1, 1, "100%", "Quản trị"]
    page = write_html(report, live.engine.config, "en")
    assert "<h2>Shares xa-a</h2>" in page and "<td>Lan</td>" in page
    assert "\r\nChia sẻ xa-b\r\n" in write_csv(report, live.engine.config)


async def test_units_under_their_target_get_one_reminder_a_day(live: Live) -> None:
    post_id = await _published(live)
    kit_a, kit_b = live.tg.messages(UNIT_A)[0], live.tg.messages(UNIT_B)[0]
    await live.press(LAN, UNIT_A, kit_a["message_id"], _button(kit_a)[1])  # 1 of 2 in xa-a: 50 % < 60 %
    await live.press(BOSS, UNIT_B, kit_b["message_id"], _button(kit_b)[1])  # 1 of 1 in xa-b: 100 % ≥ 50 %
    assert {j.id for j in live.engine.scheduler.get_jobs()} >= {"sharenag:xa-a", "sharenag:xa-b"}
    live.clock.set(datetime(2021, 1, 26, 9, 0, tzinfo=UTC))  # 16:00 local
    for _ in range(2):  # the job fires again (a restart, a second leader): still one reminder
        await live.engine.share_nudge("xa-a")
        await live.engine.share_nudge("xa-b")
    await live.tg.wait_for(lambda: len(live.tg.messages(UNIT_A)) == 2)
    reminder = live.tg.messages(UNIT_A)[-1]["plain"]
    assert "Xã A: hôm nay mới có 1 lượt chia sẻ trên 1 bài (50%), mục tiêu 60%" in reminder
    assert "1 share(s) of 1 post(s) today (50%), the target is 60%" in reminder
    assert len(live.tg.messages(UNIT_B)) == 1  # on target: no reminder
    live.clock.set(datetime(2021, 1, 27, 9, 0, tzinfo=UTC))  # the next day: no kit that day, nothing to remind of
    await live.engine.share_nudge("xa-a")
    await live.engine.deliverer.deliver_ready()
    assert len(live.tg.messages(UNIT_A)) == 2
    with live.store.session() as s:
        assert [e.detail["unit"] for e in repo.audit_events(s) if e.action == "share_nudge"] == ["xa-a"]
        assert post_id


ZALO_UNIT = """
[channels.donvi_z]
kind = "zalo_oa_group"
target = "g2"
label = "Nhóm Zalo xã Z"

[[units]]
id = "xa-z"
name = "Xã Z"
chat = "donvi_z"
members = ["lan", "minh"]
"""


async def test_a_zalo_unit_gets_the_kit_as_text_and_answers_with_the_typed_command(tmp_path: Path, store: Store) -> None:
    async with running_both(tmp_path, store, more_config=ZALO_UNIT, groups=("g1", "g2")) as both:
        both.campaign.write("a.md", post_text(title="Khai mạc", channels="[tg]"))
        await both.engine.resync()
        with both.store.session() as s:
            post_id = repo.post_by_key(s, "a").id
        await wait_for(lambda: any(f"duyet {post_id}" in t for t in both.bot_texts()))
        await both.say("zl_11", f"duyet {post_id}")
        assert "Xã Z chưa nhận bộ chia sẻ của bài" in await both.say("zl_11", f"/dachiase {post_id} xa-z")
        both.clock.set(DUE + timedelta(seconds=1))
        await both.engine.sweep()
        await both.engine.deliverer.deliver_ready()
        [public] = both.tg.messages("@kenh")
        [kit] = await wait_for(lambda: both.oa.group_messages("g2"))
        text = str(kit)
        assert f"https://t.me/kenh/{public['message_id']}" in text and "https://t.me/share/url?url=" in text
        assert f"/dachiase {post_id} xa-z" in text and "Khai mạc" in text and "Nội dung đậm." in text
        assert both.oa.group_messages("g1") == []  # not a unit chat, and the post did not go there

        assert "Đã ghi nhận bạn chia sẻ bài" in await both.say("zl_11", f"/dachiase {post_id} xa-z")
        assert "mỗi người chỉ tính một lần" in await both.say("zl_11", f"/dachiase {post_id} xa-z")
        assert "Chỉ cán bộ có tên trong danh sách" in await both.say("zl_999", f"/dachiase {post_id} xa-z")
        assert "Cách dùng" in await both.say("zl_12", f"/dachiase {post_id}")
        assert "không có đơn vị 'xa-q'" in await both.say("zl_12", f"/dachiase {post_id} xa-q")
        assert "Xã Z: 1 lượt / 1 bài, tỷ lệ 50%" in await both.say("zl_12", "chiase")
