"""Drafts from chat on Telegram (/moi): the conversation, the file it writes, and the post's way out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaign.clock import FakeClock
from campaign.content import scan_content as scan
from campaign.store import repo
from campaign.store.db import Store
from tests.bot.conftest import APPROVERS, CHANNEL, LAN, STRANGER, Live, running, with_urls
from tests.conftest import CONFIG

THU = 14  # the editor
EDITOR_CONFIG = CONFIG.replace("[approval]", '[people.thu]\nname = "Thu"\nroles = ["editor"]\ntelegram = 14\n\n[approval]')
START = datetime(2021, 1, 25, 1, 0, tzinfo=UTC)  # 08:00 local on the last day of "cao-diem"


@pytest.fixture
async def live(tmp_path: Path, store: Store) -> AsyncIterator[Live]:
    async with running(tmp_path / "camp", store, lambda tg: with_urls(EDITOR_CONFIG, tg), FakeClock(START)) as it:
        yield it


def last(live: Live, chat: int) -> dict:
    return live.tg.messages(chat)[-1]


def buttons(message: dict) -> dict[str, str]:
    return {b["text"]: b["callback_data"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row}


async def press(live: Live, user: int, label: str) -> dict:
    """Press the button whose text contains ``label`` on the bot's last message; returns that message after."""
    message = last(live, user)
    data = next(d for text, d in buttons(message).items() if label in text)
    await live.press(user, user, message["message_id"], data)
    return last(live, user)


async def send(live: Live, user: int, text: str, **kw: object) -> str:
    """Like ``Live.say``, with the emulator's extras (entities, forward_origin, photo); returns the bot's answer."""
    before = len(live.tg.messages(user))
    update = live.tg.user_message(user, text, **kw)  # type: ignore[arg-type]
    await live.tg.wait_for(lambda: update["update_id"] in live.handled)
    return "\n".join(live.texts(user)[before:])


def inbox(live: Live) -> list[Path]:
    return sorted((live.campaign.content / "inbox").glob("*.md"))


BODY = "Sáng nay khai mạc phiên trù bị. Xem tại báo Đảng\n- một\n- hai"


def body_entities() -> list[dict]:
    start = BODY.index("khai mạc")
    link = BODY.index("báo Đảng")
    return [{"type": "bold", "offset": start, "length": len("khai mạc phiên trù bị")},
            {"type": "text_link", "offset": link, "length": len("báo Đảng"), "url": "https://dangcongsan.vn/a"}]


async def test_draft_from_chat_to_published_post(live: Live) -> None:
    assert "Bước 1/5" in await live.say(THU, "/moi")
    answer = await live.say(THU, "Khai mạc phiên trù bị")
    assert "Bước 2/5" in answer
    assert set(buttons(last(live, THU))) >= {"Ngay bây giờ", "1. 09:00 25/01"}  # the next free whole hour
    assert "không hợp lệ" in await live.say(THU, "mai nhé")  # the grammar's own message, and the question again
    assert "Bước 2/5" in live.texts(THU)[-1]
    answer = await live.say(THU, "09:30")
    assert "Bước 3/5" in answer and "✅ Kênh tỉnh" in buttons(last(live, THU))
    after = await press(live, THU, "Nhóm Zalo")  # select a second channel: the message is redrawn in place
    assert "✅ Nhóm Zalo" in buttons(after)
    after = await press(live, THU, "Nhóm Zalo")  # and unselect it again
    assert "▫️ Nhóm Zalo" in buttons(after)
    assert "Bước 4/5" in (await press(live, THU, "Xong"))["plain"]
    assert "Bước 5/5" in await send(live, THU, BODY, entities=body_entities())
    preview = await press(live, THU, "Xong")
    assert preview["plain"].startswith("👀 Xem trước — «Khai mạc phiên trù bị»")
    assert "<b>khai mạc phiên trù bị</b>" in preview["text"] and '<a href="https://dangcongsan.vn/a">' in preview["text"]
    saved = await press(live, THU, "Lưu")
    [path] = inbox(live)
    assert saved["plain"].startswith("✅ Đã lưu bài #1 «Khai mạc phiên trù bị»")
    text = path.read_text(encoding="utf-8")
    assert path.name == "20210125-0930-khai-mac-phien-tru-bi.md"
    assert text.startswith('---\ntitle: "Khai mạc phiên trù bị"\nmilestone: cao-diem\ntime: "2021-01-25 09:30"\n'
                           "channels: [tg]\nauthor: thu\n---\n")
    assert "Sáng nay **khai mạc phiên trù bị**. Xem tại [báo Đảng](https://dangcongsan.vn/a)\n- một\n- hai" in text

    checked = scan(live.campaign.config())  # what `loa check` reads: no problem
    assert checked.problems == [] and [p.key for p in checked.posts] == ["inbox/20210125-0930-khai-mac-phien-tru-bi"]
    await live.tg.wait_for(lambda: any(t.startswith("📝 Duyệt bài #1 ") for t in live.texts(APPROVERS)),
                           timeout=15)  # a send that times out on a loaded machine is retried after a back-off
    control = live.request(1)
    assert await live.press(LAN, APPROVERS, control["message_id"], live.button(control, "a:")) == "Đã duyệt ✅"
    live.clock.set(datetime(2021, 1, 25, 2, 30, 1, tzinfo=UTC))
    await live.engine.sweep()
    await live.engine.deliverer.deliver_ready()
    [published] = live.tg.messages(CHANNEL)
    assert published["plain"].startswith("Khai mạc phiên trù bị\n\nSáng nay khai mạc phiên trù bị.")
    with live.store.session() as s:
        assert repo.post_by_key(s, "inbox/20210125-0930-khai-mac-phien-tru-bi").author == "thu"
        assert [(e.actor, e.ref) for e in repo.audit_events(s) if e.action == "drafted"] == [
            ("thu", "inbox/20210125-0930-khai-mac-phien-tru-bi")]


async def test_the_author_cannot_approve_their_own_draft(tmp_path: Path, store: Store) -> None:
    config = EDITOR_CONFIG.replace('roles = ["editor"]', 'roles = ["editor", "approver"]')
    async with running(tmp_path / "camp", store, lambda tg: with_urls(config, tg), FakeClock(START)) as live:
        await live.say(THU, "/new")
        await live.say(THU, "Tin nhanh")
        await live.say(THU, "ngay")
        await press(live, THU, "Xong")
        await live.say(THU, "Nội dung")
        await press(live, THU, "Xong")
        await press(live, THU, "Lưu")
        assert live.texts(THU)[-1].startswith("✅ Đã lưu bài #1")
        answer = await live.say(THU, "/duyet 1")
        assert "Tác giả không thể tự duyệt" in answer
        with live.store.session() as s:
            assert [e.detail["attempted"] for e in repo.audit_events(s, post_id=1) if e.action == "refused"] == ["self-approve"]
            assert repo.live_approvals(s, 1) == []


async def test_forwarded_channel_post_becomes_a_draft_naming_its_source(live: Live) -> None:
    origin = {"type": "channel", "chat": {"id": -1001234, "type": "channel", "title": "Báo Lạng Sơn", "username": "baolangson"},
              "message_id": 77}
    assert "Bước 2/5" in await send(live, THU, "Toàn văn diễn văn khai mạc\nNội dung chính của diễn văn.",
                                    forward_origin=origin)
    await live.say(THU, "ngay")
    await press(live, THU, "Xong")  # channels
    preview = await press(live, THU, "Xong")  # no photos
    assert "Nguồn: Báo Lạng Sơn <https://t.me/baolangson/77>" in preview["plain"]
    await press(live, THU, "Lưu")
    [path] = inbox(live)
    text = path.read_text(encoding="utf-8")
    assert 'title: "Toàn văn diễn văn khai mạc"' in text and 'source: "Báo Lạng Sơn <https://t.me/baolangson/77>"' in text
    assert text.endswith("---\nNội dung chính của diễn văn.\n\nNguồn: [Báo Lạng Sơn](https://t.me/baolangson/77)\n")
    assert scan(live.campaign.config()).problems == []


async def test_photo_is_saved_next_to_the_draft(live: Live) -> None:
    await live.say(THU, "/moi")
    await live.say(THU, "Ảnh hội trường")
    await live.say(THU, "10:00")
    await press(live, THU, "Xong")
    await live.say(THU, "Hội trường đã sẵn sàng.")
    photo = b"\xff\xd8\xff\xe0" + b"jpeg" * 100
    assert "Đã nhận 1 ảnh" in await send(live, THU, "", photo=photo)
    preview = await press(live, THU, "Xong")
    assert "1 ảnh" in preview["plain"]
    await press(live, THU, "Lưu")
    [path] = inbox(live)
    assert f'media: ["{path.stem}-1.jpg"]' in path.read_text(encoding="utf-8")
    assert (path.parent / f"{path.stem}-1.jpg").read_bytes() == photo
    assert scan(live.campaign.config()).problems == []


async def test_cancel_at_any_step_writes_nothing(live: Live) -> None:
    await live.say(THU, "/moi")
    await live.say(THU, "Bài bỏ dở")
    assert "Đã bỏ bài đang soạn" in await live.say(THU, "/huy")
    assert "Không có bài nào đang soạn" in await live.say(THU, "/cancel")
    assert "homnay" in await live.say(THU, "xin chào")  # no draft open: plain chat gets the help again
    await live.say(THU, "/moi")
    await live.say(THU, "Bài khác")
    await live.say(THU, "ngay")
    await press(live, THU, "Xong")
    await live.say(THU, "Nội dung")
    await press(live, THU, "Xong")
    assert "Đã bỏ" in (await press(live, THU, "Bỏ"))["plain"]
    assert inbox(live) == []


async def test_editors_find_moi_in_their_private_menu(live: Live) -> None:
    mine = live.tg.commands({"type": "chat", "chat_id": THU})
    assert "new" in [c["command"] for c in mine] and "approve" not in [c["command"] for c in mine]
    assert "new" not in [c["command"] for c in live.tg.commands()]  # the public menu
    assert live.tg.commands({"type": "chat", "chat_id": LAN}) == []  # not an editor: the public menu


async def test_non_editors_are_refused_and_audited(live: Live) -> None:
    assert "chỉ biên tập viên" in await live.say(LAN, "/moi")
    assert "chỉ biên tập viên" in await live.say(STRANGER, "/new")
    origin = {"type": "channel", "chat": {"id": -1001234, "type": "channel", "title": "Báo"}, "message_id": 1}
    assert "chỉ biên tập viên" in await send(live, LAN, "Tin chuyển tiếp", forward_origin=origin)
    assert "chat riêng" in await live.say(THU, "/moi", chat=APPROVERS)
    with live.store.session() as s:
        refused = [(e.actor, e.detail["attempted"]) for e in repo.audit_events(s) if e.action == "refused"]
    assert refused == [("lan", "new"), (f"telegram:{STRANGER}", "new"), ("lan", "new")]
    assert inbox(live) == []



async def test_a_preview_left_open_past_its_time_asks_the_time_again(live: Live) -> None:
    await live.say(THU, "/moi")
    await live.say(THU, "Tin trễ")
    await live.say(THU, "08:30")
    await press(live, THU, "Xong")
    await live.say(THU, "Nội dung giữ nguyên")
    await press(live, THU, "Xong")
    live.clock.set(datetime(2021, 1, 25, 1, 45, tzinfo=UTC))  # 08:45 local: the draft's 08:30 has passed
    again = await press(live, THU, "Lưu")
    assert "08:30 25/01/2021 đã qua" in again["plain"] and "Bước 2/5" in again["plain"]
    assert inbox(live) == []
    await live.say(THU, "10:00")
    await press(live, THU, "Xong")  # the channels kept; the body too: on to the photos, then the preview
    preview = await press(live, THU, "Xong")
    assert "Nội dung giữ nguyên" in preview["plain"]
    await press(live, THU, "Lưu")
    [path] = inbox(live)
    assert path.name == "20210125-1000-tin-tre.md"
