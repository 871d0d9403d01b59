"""Telegram as it really answers, seen from the admins' chat: the 48-hour delete limit and upgraded groups."""

from __future__ import annotations

from datetime import timedelta

from campaign import chats
from campaign.store import repo
from tests.bot.conftest import ADMINS, BOSS, CHANNEL, LAN, MINH, Live
from tests.bot.test_approvals import publish_time, published
from tests.channels.test_telegram import PNG
from tests.conftest import post_text

NHOM = -100200
NOTICE = "Tin này đã được thu hồi. / This post has been withdrawn."


async def retract(live: Live, post_id: int) -> str:
    """/thuhoi as the admin (English speaker), confirmed with the button; returns the bot's report."""
    await live.say(BOSS, f"/thuhoi {post_id}")
    confirm = live.tg.messages(BOSS)[-1]
    await live.press(BOSS, BOSS, confirm["message_id"], live.button(confirm, "X"))
    await live.tg.wait_for(lambda: live.tg.messages(BOSS)[-1]["message_id"] == confirm["message_id"]
                           and live.tg.messages(BOSS)[-1]["edited"])
    return live.tg.messages(BOSS)[-1]["plain"]


def audit_of(live: Live, post_id: int) -> dict:
    with live.store.session() as s:
        return [e for e in repo.audit_events(s, post_id=post_id) if e.action.startswith("retract")][-1]


async def test_retraction_after_49_hours_leaves_the_notice_and_says_so(live: Live) -> None:
    post_id = await published(live)
    live.clock.advance(timedelta(hours=49))
    report = await retract(live, post_id)
    for chat in (CHANNEL, NHOM):
        [m] = live.tg.messages(chat)
        assert m["plain"] == NOTICE and m["edited"]
    assert live.tg.deleted == []
    assert report.splitlines() == [
        f"↩️ Retracted post #{post_id} everywhere.",
        "✏️ Telegram refused the deletion (older than 48 hours, or the bot lacks the right), so the message now shows "
        "the retraction notice in: «Kênh tỉnh» (tg), «Nhóm» (nhom).",
    ]
    event = audit_of(live, post_id)
    assert event.action == "retracted" and event.detail["channels"] == {"tg": "notice", "nhom": "notice"}
    with live.store.session() as s:
        assert repo.post_by_key(s, "a").status == "retracted"


async def test_a_channel_that_refuses_both_is_named_as_still_showing_the_post(live: Live) -> None:
    post_id = await published(live)
    live.tg.restrict(NHOM, delete=False, edit=False)  # the bot lost its admin rights in the group
    report = await retract(live, post_id)
    assert live.tg.messages(CHANNEL) == []  # young enough: deleted
    [left] = live.tg.messages(NHOM)
    assert left["plain"].startswith("Khai mạc") and not left["edited"]
    lines = report.splitlines()
    assert lines[0] == f"⚠️ Retraction of post #{post_id} is NOT complete: «Nhóm» (nhom) still show(s) the post."
    assert lines[1] == "🗑 Deleted in: «Kênh tỉnh» (tg)."
    assert lines[2].startswith("❌ «Nhóm» (nhom) still shows the post: ") and "refused both deleting" in lines[2]
    assert lines[2].endswith("Remove it by hand.")
    event = audit_of(live, post_id)
    assert event.action == "retract_partial" and event.detail["channels"]["tg"] == "deleted"
    assert event.detail["channels"]["nhom"].startswith("still shown: ")
    with live.store.session() as s:
        assert repo.post_by_key(s, "a").status == "published"


async def test_an_old_album_gets_the_notice_as_caption_and_the_other_photos_are_reported(live: Live) -> None:
    for name in ("a1.png", "a2.png"):
        (live.campaign.content / name).write_bytes(PNG + name.encode())
    live.campaign.write("a.md", post_text(title="Ảnh khai mạc", channels="[nhom]", media="[a1.png, a2.png]"))
    await live.engine.resync()
    with live.store.session() as s:
        post_id = repo.post_by_key(s, "a").id
    await live.say(LAN, f"/duyet {post_id}")
    await live.say(MINH, f"/duyet {post_id}")
    await publish_time(live)
    assert len(live.tg.messages(NHOM)) == 2
    live.clock.advance(timedelta(hours=49))
    report = await retract(live, post_id)
    first, second = live.tg.messages(NHOM)
    assert first["plain"] == NOTICE and first["media"] and second["plain"] is None
    assert [c.method for c in live.tg.calls if c.method.startswith("edit") and c.chat_id == NHOM] == ["editMessageCaption"]
    assert "⚠️ «Nhóm» (nhom): 1 other photo(s)/file(s) of the post still show" in report


async def test_an_upgrade_announced_by_telegram_is_learned_before_the_next_post(live: Live) -> None:
    supergroup = live.tg.upgrade(NHOM)  # the two service messages reach the bot by getUpdates
    await live.tg.wait_for(lambda: live.tg.pending_updates == 0 and live.tg.messages(ADMINS))
    await live.tg.wait_for(lambda: chats.Routes(live.store).current("telegram", str(NHOM)) == str(supergroup))
    [alert] = live.texts(ADMINS)  # two service messages, one note to the admins
    assert "[channels.nhom]" in alert and str(supergroup) in alert
    with live.store.session() as s:
        [move] = repo.chat_moves(s, "telegram")
        assert (move.old_chat, move.new_chat, move.source) == (str(NHOM), str(supergroup), "update")
    await published_to(live, supergroup)
    assert [c for c in live.tg.calls if c.chat_id == NHOM and c.method == "sendMessage"] == []


async def published_to(live: Live, supergroup: int) -> None:
    live.campaign.write("a.md", post_text(title="Khai mạc", channels="[tg, nhom]"))
    await live.engine.resync()
    with live.store.session() as s:
        post_id = repo.post_by_key(s, "a").id
    await live.say(LAN, f"/duyet {post_id}")
    await live.say(MINH, f"/duyet {post_id}")
    await publish_time(live)
    assert [m["plain"].splitlines()[0] for m in live.tg.messages(supergroup)] == ["Khai mạc"]
