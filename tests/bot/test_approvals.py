"""Approvals in Telegram: the real PTB Application, buttons pressed as users, against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from campaign.store import repo
from tests.bot.conftest import ADMINS, APPROVERS, BOSS, CHANNEL, LAN, MINH, STRANGER, Live
from tests.conftest import post_text

DUE = datetime(2021, 1, 26, 1, 30, tzinfo=UTC)  # khai-mac 08:30 local


async def new_post(live: Live, **kw: str) -> int:
    """Write (or rewrite) post ``a`` and wait for its new approval request."""
    def requests() -> int:
        return sum(t.startswith("📝 Duyệt bài #") for t in live.texts(APPROVERS))

    before = requests()
    live.campaign.write("a.md", post_text(title="Khai mạc Đại hội", **kw))
    await live.engine.resync()
    with live.store.session() as s:
        post_id = repo.post_by_key(s, "a").id
    await live.tg.wait_for(lambda: requests() > before)
    return post_id


async def publish_time(live: Live) -> None:
    live.clock.set(DUE + timedelta(seconds=1))
    await live.engine.sweep()
    await live.engine.deliverer.deliver_ready()


async def test_request_shows_the_post_as_it_will_appear(live: Live) -> None:
    post_id = await new_post(live)
    preview, control = live.tg.messages(APPROVERS)[-2:]
    assert preview["plain"] == "Khai mạc Đại hội\n\nNội dung đậm."
    assert preview["text"] == "<b>Khai mạc Đại hội</b>\n\nNội dung <b>đậm</b>."
    assert "08:30 26/01/2021" in control["plain"] and "Kênh tỉnh" in control["plain"] and "0/2" in control["plain"]
    assert {b["text"] for row in control["reply_markup"]["inline_keyboard"] for b in row} == {
        "✅ Duyệt / Approve", "❌ Từ chối / Reject", "🔍 Thay đổi gì? / What changed"}
    assert all(len(b["callback_data"].encode()) <= 64 for row in control["reply_markup"]["inline_keyboard"] for b in row)
    assert control["plain"].startswith(f"📝 Duyệt bài #{post_id} ")  # the request names the post by its id


async def test_quorum_two_then_published_at_its_time(live: Live) -> None:
    post_id = await new_post(live)
    control = live.request(post_id)
    assert await live.press(LAN, APPROVERS, control["message_id"], live.button(control, "a:")) == "Đã duyệt ✅"
    edited = live.tg.messages(APPROVERS)[-1]
    assert edited["edited"] and "Approved by Lan" in edited["plain"] and "1/2" in edited["plain"]
    await publish_time(live)
    assert live.texts(CHANNEL) == []  # one approver is not enough
    assert any("chưa đủ duyệt (1/2)" in t for t in live.texts(ADMINS))
    live.clock.set(DUE - timedelta(minutes=10))
    with live.store.session() as s:
        post = repo.post_by_key(s, "a")
        post.status = "scheduled"  # rewind the held state for the second half of the story
        s.add(post)
        s.commit()
    control = live.request(post_id)
    assert await live.press(MINH, APPROVERS, control["message_id"], live.button(control, "a:")) == "Đã duyệt ✅"
    final = live.request(post_id)
    assert "Bài sẽ được đăng đúng giờ" in final["plain"] and not final.get("reply_markup")
    await publish_time(live)
    assert live.texts(CHANNEL) == ["Khai mạc Đại hội\n\nNội dung đậm."]


async def test_author_cannot_approve_own_post(live: Live) -> None:
    post_id = await new_post(live, author="lan")
    control = live.request(post_id)
    toast = await live.press(LAN, APPROVERS, control["message_id"], live.button(control, "a:"))
    assert "Authors cannot approve their own posts" in toast
    assert live.tg.answers[-1].show_alert
    with live.store.session() as s:
        assert repo.live_approvals(s, post_id) == []
        assert [e.detail.get("attempted") for e in repo.audit_events(s, post_id=post_id) if e.action == "refused"] == ["self-approve"]


async def test_reject_asks_for_a_reason_and_blocks(live: Live) -> None:
    post_id = await new_post(live)
    control = live.request(post_id)
    await live.press(MINH, APPROVERS, control["message_id"], live.button(control, "r:"))
    prompt = live.tg.messages(APPROVERS)[-1]
    assert "Lý do từ chối" in prompt["plain"]
    answer = await live.say(MINH, "Sai tên đại biểu", chat=APPROVERS, reply_to=prompt["message_id"])
    assert "Rejected by Minh" in answer and "Sai tên đại biểu" in answer
    assert "Sai tên đại biểu" in live.request(post_id)["plain"]
    await publish_time(live)
    assert live.texts(CHANNEL) == []
    assert any("bị từ chối bởi Minh: Sai tên đại biểu" in t for t in live.texts(ADMINS))


async def test_edit_voids_approval_and_old_button_is_refused(live: Live) -> None:
    post_id = await new_post(live)
    old = live.request(post_id)
    await live.press(LAN, APPROVERS, old["message_id"], live.button(old, "a:"))
    await new_post(live, body="Nội dung đã sửa.")
    with live.store.session() as s:
        assert repo.live_approvals(s, post_id) == []
    toast = await live.press(MINH, APPROVERS, old["message_id"], live.button(old, "a:"))
    assert "The post changed after this request" in toast
    fresh = live.request(post_id)
    assert fresh["message_id"] != old["message_id"] and "0/2" in fresh["plain"]
    await live.press(MINH, APPROVERS, fresh["message_id"], live.button(fresh, "d:"))
    diff = live.texts(APPROVERS)[-1]
    assert "-Nội dung **đậm**." in diff and "+Nội dung đã sửa." in diff


async def test_stranger_is_refused_politely_and_audited(live: Live) -> None:
    post_id = await new_post(live)
    control = live.request(post_id)
    toast = await live.press(STRANGER, APPROVERS, control["message_id"], live.button(control, "a:"))
    assert toast.startswith("Xin lỗi, bạn không có quyền")
    assert "/pending" not in await live.say(STRANGER, "/help")
    assert "không có quyền" in await live.say(STRANGER, "/choduyet")
    with live.store.session() as s:
        refused = [e for e in repo.audit_events(s) if e.action == "refused"]
    assert [(e.actor, e.detail["attempted"]) for e in refused] == [("telegram:99", "approve"), ("telegram:99", "pending")]


async def test_text_commands_approve_too(live: Live) -> None:
    post_id = await new_post(live)
    assert "Approved by Lan" in await live.say(LAN, f"/duyet {post_id}")
    assert "Approved by Minh" in await live.say(MINH, f"/approve {post_id}")
    assert "Bài sẽ được đăng đúng giờ" in live.request(post_id)["plain"]


async def test_deadline_reminder_and_alert(live: Live) -> None:
    post_id = await new_post(live)
    # deadline 06:30 local (2 h before 08:30), reminder 1 h before that; jobs are held two hours ahead
    assert live.engine.scheduler.get_job("approval:a:remind-3600") is None
    live.clock.set(DUE - timedelta(hours=4))
    live.engine.reconcile()  # what the "horizon" job does every hour
    assert live.engine.scheduler.get_job("approval:a:remind-3600").next_run_time == DUE - timedelta(hours=3)
    live.clock.set(DUE - timedelta(hours=3))
    await live.engine.approval_check("a", "remind-3600")
    await live.tg.wait_for(lambda: "Nhắc duyệt" in live.texts(APPROVERS)[-1])
    assert f"#{post_id}" in live.texts(APPROVERS)[-1] and "còn thiếu 2" in live.texts(APPROVERS)[-1]
    live.clock.set(DUE - timedelta(hours=2))
    await live.engine.approval_check("a", "deadline")
    await live.tg.wait_for(lambda: any("quá hạn duyệt" in t for t in live.texts(ADMINS)))


async def test_pause_and_resume_with_confirmation(live: Live) -> None:
    post_id = await new_post(live)
    await live.say(LAN, f"/duyet {post_id}")
    await live.say(MINH, f"/duyet {post_id}")
    assert "Sorry, only admins" in await live.say(LAN, "/pause")
    await live.say(BOSS, "/tamdung")
    confirm = live.tg.messages(BOSS)[-1]
    assert confirm["plain"] == "Pause ALL publishing?"  # the admin's language is English
    await live.press(BOSS, BOSS, confirm["message_id"], live.button(confirm, "P"))
    assert live.tg.messages(BOSS)[-1]["plain"] == "⏸ All publishing paused."
    await publish_time(live)
    assert live.texts(CHANNEL) == []
    await live.say(BOSS, "/resume")
    confirm = live.tg.messages(BOSS)[-1]
    await live.press(BOSS, BOSS, confirm["message_id"], live.button(confirm, "R"))
    await publish_time(live)
    assert len(live.texts(CHANNEL)) == 1
    with live.store.session() as s:
        assert [e.action for e in repo.audit_events(s) if e.action in ("pause", "resume")] == ["pause", "resume"]


async def published(live: Live) -> int:
    live.campaign.write("a.md", post_text(title="Khai mạc", channels="[tg, nhom]"))
    await live.engine.resync()
    with live.store.session() as s:
        post_id = repo.post_by_key(s, "a").id
    await live.say(LAN, f"/duyet {post_id}")
    await live.say(MINH, f"/duyet {post_id}")
    await publish_time(live)
    assert len(live.tg.messages(CHANNEL)) == 1 and len(live.tg.messages(-100200)) == 1
    return post_id


async def test_retract_deletes_everywhere(live: Live) -> None:
    post_id = await published(live)
    await live.say(BOSS, f"/thuhoi {post_id}")
    confirm = live.tg.messages(BOSS)[-1]
    await live.press(BOSS, BOSS, confirm["message_id"], live.button(confirm, "X"))
    assert "Retracted" in live.tg.messages(BOSS)[-1]["plain"]
    assert live.tg.messages(CHANNEL) == [] and live.tg.messages(-100200) == []
    with live.store.session() as s:
        assert repo.post_by_key(s, "a").status == "retracted"


async def test_correct_edits_everywhere_after_approval(live: Live) -> None:
    post_id = await published(live)
    live.campaign.write("a.md", post_text(title="Khai mạc", channels="[tg, nhom]", body="Đính chính: nội dung mới."))
    await live.engine.resync()
    await live.tg.wait_for(lambda: "bản đính chính" in live.request(post_id)["plain"])
    await live.say(BOSS, f"/dinhchinh {post_id}")
    confirm = live.tg.messages(BOSS)[-1]
    await live.press(BOSS, BOSS, confirm["message_id"], live.button(confirm, "C"))
    assert "not approved yet" in live.tg.answers[-1].text
    await live.say(LAN, f"/duyet {post_id}")
    await live.say(MINH, f"/duyet {post_id}")
    await live.say(BOSS, f"/dinhchinh {post_id}")
    confirm = live.tg.messages(BOSS)[-1]
    await live.press(BOSS, BOSS, confirm["message_id"], live.button(confirm, "C"))
    assert "Corrected" in live.tg.messages(BOSS)[-1]["plain"]
    for chat in (CHANNEL, -100200):
        [m] = live.tg.messages(chat)
        assert m["edited"] and m["plain"] == "Khai mạc\n\nĐính chính: nội dung mới."
