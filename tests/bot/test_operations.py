"""Retry and skip of failed or unknown deliveries, as an admin does it in chat."""

from __future__ import annotations

from campaign.store import repo
from tests.bot.conftest import ADMINS, BOSS, LAN, MINH, Live
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
