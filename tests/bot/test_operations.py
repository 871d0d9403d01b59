"""Retry and skip of failed or unknown deliveries, as an admin does it in chat."""

from __future__ import annotations

from campaign.store import repo
from tests.bot.conftest import ADMINS, BOSS, CHANNEL, LAN, MINH, Live
from tests.bot.test_approvals import publish_time
from tests.conftest import post_text


async def test_failed_delivery_retry_and_skip(live: Live) -> None:
    live.campaign.write("a.md", post_text(channels="[tg, nhom]"))
    await live.engine.resync()
    with live.store.session() as s:
        post_id = repo.post_by_key(s, "a").id
    await live.say(LAN, f"/duyet {post_id}")
    await live.say(MINH, f"/duyet {post_id}")
    live.tg.inject("not_found", chat_id=-100200)
    await publish_time(live)
    with live.store.session() as s:
        failed = next(d for d in repo.deliveries_for(s, "post:a") if d.channel == "nhom")
    assert failed.status == "failed"
    await live.tg.wait_for(lambda: any(f"/retry {failed.id}" in t for t in live.texts(ADMINS)))
    assert "chỉ quản trị viên" in await live.say(LAN, f"/retry {failed.id}")
    assert f"Queued again: #{failed.id}" in await live.say(BOSS, f"/retry {failed.id}")
    await live.tg.wait_for(lambda: len(live.tg.messages(-100200)) == 1)
    assert "is 'sent'" in await live.say(BOSS, f"/skip {failed.id}")
    assert "not a delivery number" in await live.say(BOSS, "/retry abc")
    assert "no delivery #999" in await live.say(BOSS, "/skip 999")
    with live.store.session() as s:
        actions = [e.action for e in repo.audit_events(s, post_id=post_id)]
    assert "retry" in actions and actions.count("delivery_failed") == 1


async def test_unknown_alert_buttons_resend_or_accept_every_unknown_row_of_the_post(live: Live) -> None:
    live.campaign.write("a.md", post_text(channels="[tg, nhom]"))
    await live.engine.resync()
    with live.store.session() as s:
        post_id = repo.post_by_key(s, "a").id
    await live.say(LAN, f"/duyet {post_id}")
    await live.say(MINH, f"/duyet {post_id}")
    live.tg.inject("lost_response", chat_id=-100200)  # Telegram takes the post, the answer never comes back
    live.tg.inject("garbage", chat_id=CHANNEL)
    await publish_time(live)
    with live.store.session() as s:
        rows = {d.channel: d for d in repo.deliveries_for(s, "post:a")}
    assert {d.status for d in rows.values()} == {"unknown"}
    assert len(live.tg.messages(-100200)) == 1 and len(live.tg.messages(CHANNEL)) == 1  # out once, not retried
    def alerts() -> list[dict]:
        return [m for m in live.tg.messages(ADMINS) if "Unknown whether" in m["plain"]]

    # One alert lists every row that went unknown while it waited to go out; a row that goes unknown after
    # it went out gets its own. Either way each row is named, and any alert's buttons act on all of them.
    await live.tg.wait_for(lambda: all(any(f"{d.id}" in m["plain"] for m in alerts()) for d in rows.values()))
    alert = alerts()[0]
    resend, went_out = live.button(alert, "K:"), live.button(alert, "W:")
    toast = await live.press(LAN, ADMINS, alert["message_id"], resend)
    assert "quản trị viên" in toast  # approvers may not decide this
    await live.press(BOSS, ADMINS, alert["message_id"], went_out)
    with live.store.session() as s:
        assert {d.status for d in repo.deliveries_for(s, "post:a")} == {"skipped"}
        skips = [e for e in repo.audit_events(s, post_id=post_id) if e.action == "skip"]
    assert len(skips) == 2 and all(e.actor for e in skips)
    assert "already handled" in await live.press(BOSS, ADMINS, alert["message_id"], resend)
    assert len(live.tg.messages(-100200)) == 1  # nothing was sent again


async def test_unknown_alert_resend_button_sends_again(live: Live) -> None:
    live.campaign.write("a.md", post_text(channels="[nhom]"))
    await live.engine.resync()
    with live.store.session() as s:
        post_id = repo.post_by_key(s, "a").id
    await live.say(LAN, f"/duyet {post_id}")
    await live.say(MINH, f"/duyet {post_id}")
    live.tg.inject("timeout", chat_id=-100200)  # held unanswered: Loa cannot know it never arrived
    await publish_time(live)
    alert = await live.tg.wait_for(lambda: next((m for m in live.tg.messages(ADMINS) if "Unknown whether" in m["plain"]), None))
    assert live.tg.messages(-100200) == []
    await live.press(BOSS, ADMINS, alert["message_id"], live.button(alert, "K:"))
    await live.tg.wait_for(lambda: len(live.tg.messages(-100200)) == 1)
    with live.store.session() as s:
        [d] = repo.deliveries_for(s, "post:a")
        assert d.status == "sent"
        assert "retry" in [e.action for e in repo.audit_events(s, post_id=post_id)]
