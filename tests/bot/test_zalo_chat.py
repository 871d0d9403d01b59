"""Approvals and questions on the Zalo Bot, publishing on Telegram and a Zalo OA group."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from bot import zalo_chat
from bot.app import build_adapters
from bot.dispatch import Services
from campaign.clock import FakeClock
from campaign.store import repo, zalo_tokens
from campaign.store.db import Store
from channels.zalo.bot import ZaloBotClient
from jobs.engine import Engine
from jobs.simulate import virtual_time
from tests.conftest import CONFIG, Campaign, post_text
from tests.emulators.telegram import TelegramEmulator
from tests.emulators.waiting import wait_for
from tests.emulators.zalo import ZaloBotEmulator, ZaloOAEmulator
from tests.jobs.conftest import TOKEN, fast

BOT_TOKEN = "1459232241454765289:test-bot-token"
APPROVAL_CHAT = "zc_duyet"
DUE = datetime(2021, 1, 26, 1, 30, tzinfo=UTC)


def zalo_config(tg: TelegramEmulator, oa: ZaloOAEmulator, bot: ZaloBotEmulator) -> str:
    text = CONFIG.replace('chats = ["duyet"]', 'chats = ["duyet", "zbot"]')
    text = text.replace("telegram = 11\n", 'telegram = 11\nzalo = "zl_11"\n').replace("telegram = 12\n", 'telegram = 12\nzalo = "zl_12"\n')
    text = text.replace("[approval]", '[people.thu]\nname = "Thu"\nroles = ["editor"]\nzalo = "zl_14"\n\n[approval]')
    text = text.replace("[defaults]", f'[channels.zbot]\nkind = "zalo_bot"\ntarget = "{APPROVAL_CHAT}"\nlabel = "Duyệt trên Zalo"\n\n'
                                      '[channels.oa]\nkind = "zalo_oa_broadcast"\ntarget = "followers"\nlabel = "Người quan tâm OA"\n\n[defaults]')
    return text + f"""
[telegram]
api_base = "{tg.base_url}"
file_base = "{tg.base_file_url}"

[zalo]
oa_api_base = "{oa.oa_api_base}"
oauth_base = "{oa.oauth_base}"
bot_api_base = "{bot.base_url}"
broadcast_lead = "2h"
default_cover_url = "https://media.example.vn/cover.png"
"""


@dataclass
class Both:
    tg: TelegramEmulator
    oa: ZaloOAEmulator
    bot: ZaloBotEmulator
    store: Store
    engine: Engine
    clock: FakeClock
    campaign: Campaign
    sv: Services

    def bot_texts(self, chat: str = APPROVAL_CHAT) -> list[str]:
        return [m.get("text") or "" for m in self.bot.messages(chat)]

    async def say(self, user: str, text: str, chat: str = APPROVAL_CHAT) -> str:
        """Send as ``user``; return every answer the bot sent to ``chat`` while it handled this message."""
        before = len(self.bot.messages(chat))
        update = self.bot.user_text(user, text, chat_id=chat)
        await wait_for(lambda: self.bot.polled_after(update))
        return "\n".join(self.bot_texts(chat)[before:])


@pytest.fixture
async def both(request: pytest.FixtureRequest, tmp_path: Path, store: Store) -> AsyncIterator[Both]:
    """Everything running; ``indirect`` param "webhook left set": a webhook is still set when polling starts."""
    async with running_both(tmp_path, store, webhook_left=getattr(request, "param", None) == "webhook left set") as it:
        yield it


@asynccontextmanager
async def running_both(tmp_path: Path, store: Store, *, webhook_left: bool = False, more_config: str = "",
                       groups: tuple[str, ...] = ("g1",)) -> AsyncIterator[Both]:
    """Telegram, the Zalo OA (with ``groups``) and the Zalo Bot emulated, Loa running against them."""
    clock = FakeClock(datetime(2021, 1, 25, 1, 0, tzinfo=UTC))
    with TelegramEmulator(TOKEN, limits=None) as tg, ZaloOAEmulator(groups=groups) as oa, \
            ZaloBotEmulator(BOT_TOKEN, max_poll_seconds=1) as bot:
        oa.clock = lambda: clock.now().timestamp()
        campaign = Campaign(tmp_path / "camp", zalo_config(tg, oa, bot) + more_config)
        access, refresh, ttl = oa.issue_tokens()
        zalo_tokens.save(store, access, refresh, clock.now() + timedelta(seconds=ttl), clock.now())
        env = {"TELEGRAM_BOT_TOKEN": TOKEN, "ZALO_APP_ID": oa.app_id, "ZALO_APP_SECRET": oa.secret_key,
               "ZALO_BOT_TOKEN": BOT_TOKEN}
        with virtual_time(clock):
            cfg = fast(campaign.config())
            engine = Engine(store, cfg, build_adapters(cfg, offline=False, env=env, store=store, clock=clock), clock,
                            approval_requests=True)
            await engine.start()
            sv = Services(store, cfg, clock, engine)
            client = ZaloBotClient(BOT_TOKEN, api_base=bot.base_url)
            if webhook_left:
                client.set_webhook("http://127.0.0.1:9/old-webhook", "old-secret-token")
            stop = asyncio.Event()
            poller = asyncio.create_task(zalo_chat.poll(sv, client, stop, timeout=1))
            try:
                yield Both(tg, oa, bot, store, engine, clock, campaign, sv)
            finally:
                stop.set()
                await asyncio.wait_for(poller, 5)
                client.close()
                await engine.stop()


async def test_approve_by_text_on_zalo_publishes_on_telegram_and_zalo(both: Both) -> None:
    both.campaign.write("a.md", post_text(title="Khai mạc", channels="[tg, zalo]"))
    await both.engine.resync()
    with both.store.session() as s:
        post_id = repo.post_by_key(s, "a").id
    await wait_for(lambda: any(f"duyet {post_id}" in t for t in both.bot_texts()))
    request = next(t for t in both.bot_texts() if t.startswith("📝"))
    assert "Khai mạc" in request and "08:30 26/01/2021" in request
    assert "Khai mạc\n\nNội dung đậm." in both.bot_texts()  # the post itself, as it will appear (plain on Zalo)

    answer = await both.say("zl_11", f"duyet {post_id}")
    assert "Lan" in answer and "đã duyệt" in answer
    both.clock.set(DUE + timedelta(seconds=1))
    await both.engine.sweep()
    await both.engine.deliverer.deliver_ready()
    assert [m["plain"] for m in both.tg.messages("@kenh")] == ["Khai mạc\n\nNội dung đậm."]
    [group_message] = both.oa.group_messages("g1")
    assert "Khai mạc" in str(group_message) and "Nội dung đậm." in str(group_message)
    with both.store.session() as s:
        assert {d.channel: d.status for d in repo.deliveries_for(s, "post:a")} == {"tg": "sent", "zalo": "sent"}
        assert [e.actor for e in repo.audit_events(s, post_id=post_id) if e.action == "approved"] == ["lan"]


async def test_reject_by_text_needs_a_reason_and_strangers_are_refused(both: Both) -> None:
    both.campaign.write("a.md", post_text(channels="[tg, zalo]"))
    await both.engine.resync()
    with both.store.session() as s:
        post_id = repo.post_by_key(s, "a").id
    assert "Cần lý do" in await both.say("zl_12", f"tuchoi {post_id}")
    assert "không có quyền" in await both.say("zl_999", f"duyet {post_id}")
    answer = await both.say("zl_12", f"tuchoi {post_id} Ảnh chưa đúng")
    assert "Minh từ chối" in answer and "Ảnh chưa đúng" in answer
    with both.store.session() as s:
        [refused] = [e for e in repo.audit_events(s) if e.action == "refused"]
    assert refused.actor == "zalo:zl_999"


async def test_questions_on_zalo(both: Both) -> None:
    both.campaign.write("a.md", post_text(title="Khai mạc"))
    await both.engine.resync()
    await wait_for(lambda: any(t.startswith("📝") for t in both.bot_texts()))  # the approval request first
    assert (await both.say("zl_11", "ngaymai")).startswith("🗓 Lịch ngày 26/01/2021")
    assert "Khai mạc" in await both.say("zl_11", "lich 26/01")
    assert "Mốc tiếp theo: Khai mạc" in await both.say("zl_11", "tieptheo")
    assert "Bài chờ duyệt" in await both.say("zl_11", "choduyet")
    assert "homnay" in await both.say("zl_11", "xin chào", chat="zl_11")  # help in a private chat


async def test_webhook_checks_the_secret(both: Both) -> None:
    client = ZaloBotClient(BOT_TOKEN, api_base=both.bot.base_url)
    server = zalo_chat.webhook_server(both.sv, client, "s3cret-token", "/zalo")
    server.listen(0, "127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]  # type: ignore[attr-defined]
    update = {"ok": True, "result": {"message": {"from": {"id": "zl_11"}, "chat": {"id": "zl_11", "chat_type": "PRIVATE"},
                                                  "text": "homnay"}}}
    url = f"http://127.0.0.1:{port}/zalo"
    wrong = await asyncio.to_thread(requests.post, url, json=update, headers={"X-Bot-Api-Secret-Token": "nope"}, timeout=5)
    assert wrong.status_code == 403
    right = await asyncio.to_thread(requests.post, url, json=update, headers={"X-Bot-Api-Secret-Token": "s3cret-token"}, timeout=5)
    assert right.status_code == 200
    await wait_for(lambda: both.bot.messages("zl_11"))
    assert len(both.bot.messages("zl_11")) == 1 and both.bot.messages("zl_11")[0]["text"].startswith("🗓 Lịch ngày")
    server.stop()
    client.close()


async def test_oa_broadcast_goes_out_ahead_for_zalo_review(both: Both) -> None:
    both.campaign.write("a.md", post_text(title="Khai mạc", channels="[tg, oa]"))
    await both.engine.resync()
    with both.store.session() as s:
        post_id = repo.post_by_key(s, "a").id
    both.clock.set(DUE - timedelta(hours=3))
    both.engine.reconcile()  # what the hourly "horizon" job does
    assert both.engine.scheduler.get_job("broadcast:a").next_run_time == DUE - timedelta(hours=2)
    await wait_for(lambda: any(f"duyet {post_id}" in t for t in both.bot_texts()))
    await both.say("zl_11", f"duyet {post_id}")
    both.clock.set(DUE - timedelta(hours=2))
    await both.engine.publish_early("a")
    assert len(both.oa.broadcasts) == 1 and both.oa.articles()[0]["title"] == "Khai mạc"
    assert both.tg.messages("@kenh") == []  # the rest waits for the post's time
    both.clock.set(DUE + timedelta(seconds=1))
    await both.engine.sweep()
    await both.engine.deliverer.deliver_ready()
    assert len(both.tg.messages("@kenh")) == 1 and len(both.oa.broadcasts) == 1
    with both.store.session() as s:
        assert {d.channel: d.status for d in repo.deliveries_for(s, "post:a")} == {"oa": "sent", "tg": "sent"}


async def test_long_answers_page_by_number_on_zalo(both: Both) -> None:
    for n in range(20):
        both.campaign.write(f"p{n:02d}.md", post_text(title=f"Bài {n:02d}", time=f"{8 + n // 10:02d}:{n % 10:02d}",
                                                     channels="[tg]"))
    await both.engine.resync()  # (the approval requests go to the approvers' chat; questions here are private)
    first = await both.say("zl_11", "lich 26/01", chat="zl_11")
    assert "(1/2)" in first and "Bài 00" in first and "Bài 15" not in first and "lich 26/01 2" in first
    second = await both.say("zl_11", "lich 26/01 2", chat="zl_11")
    assert "(2/2)" in second and "Bài 15" in second and "Bài 00" not in second
    beyond = await both.say("zl_11", "lich 26/01 9", chat="zl_11")
    assert "(2/2)" in beyond and "Bài 19" in beyond  # a page past the end shows the last one


@pytest.mark.parametrize("both", ["webhook left set"], indirect=True)
async def test_polling_deletes_a_webhook_left_over_and_says_so(both: Both, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="bot.zalo_chat")
    await wait_for(lambda: both.bot.webhook is None)
    assert "homnay" in await both.say("zl_11", "xin chào", chat="zl_11")  # heard by polling, answered
    calls = [c.path for c in both.bot.calls if c.path in ("deleteWebhook", "getUpdates")]
    assert calls[0] == "deleteWebhook" and calls[1:] and set(calls[1:]) == {"getUpdates"}
    assert any("webhook deleted" in r.getMessage() for r in caplog.records)
    assert {c.params["timeout"] for c in both.bot.calls_to("getUpdates")} == {1}  # a whole number


async def test_oa_and_bot_sends_recover_from_220_and_403_by_themselves(both: Both) -> None:
    both.campaign.write("a.md", post_text(title="Khai mạc", channels="[zalo, zbot]"))
    await both.engine.resync()
    with both.store.session() as s:
        post_id = repo.post_by_key(s, "a").id
    await wait_for(lambda: any(f"duyet {post_id}" in t for t in both.bot_texts()))
    await both.say("zl_11", f"duyet {post_id}")
    pair = zalo_tokens.load(both.store)
    assert pair is not None  # Loa's view: the token is good for hours yet; Zalo's: it was removed (-220)
    zalo_tokens.save(both.store, pair.access_token, pair.refresh_token, DUE + timedelta(hours=12), both.clock.now())
    both.oa.expire_access_tokens()
    both.bot.inject("403", path="sendMessage")  # the Bot platform's internal server error
    both.clock.set(DUE + timedelta(seconds=1))
    await both.engine.sweep()
    await both.engine.deliverer.deliver_ready()
    with both.store.session() as s:
        first = {d.channel: d for d in repo.deliveries_for(s, "post:a")}
    assert first["zalo"].status == "sent" and first["zalo"].attempts == 1  # refreshed and retried in the same attempt
    assert first["zbot"].status == "pending" and "403" in (first["zbot"].last_error or "")  # to be retried
    both.clock.advance(timedelta(seconds=1))  # past the back-off
    await both.engine.deliverer.deliver_ready()
    with both.store.session() as s:
        after = {d.channel: d for d in repo.deliveries_for(s, "post:a")}
    assert after["zbot"].status == "sent" and after["zbot"].attempts == 2
    assert [c.error for c in both.oa.calls_to("/v3.0/oa/group/message")] == [-220, 0]
    assert len(both.oa.token_calls()) == 1
    assert "Khai mạc\n\nNội dung đậm." in both.bot_texts()


async def test_draft_by_text_on_zalo_then_approved_and_published(both: Both) -> None:
    """/moi on the Zalo Bot: the same steps as Telegram, answered by typing (numbers for slots and channels)."""
    assert "chỉ biên tập viên" in await both.say("zl_11", "moi", chat="zl_11")
    assert "chat riêng" in await both.say("zl_14", "moi")  # in the approvers' group: no
    assert "Bước 1/5" in await both.say("zl_14", "moi", chat="zl_14")
    answer = await both.say("zl_14", "Mới: lịch tiếp dân", chat="zl_14")  # a title, though "moi"/"lich" are commands
    assert "Bước 2/5" in answer and "1. 09:00 25/01" in answer
    assert "không hợp lệ" in await both.say("zl_14", "sau bữa trưa", chat="zl_14")
    answer = await both.say("zl_14", "1", chat="zl_14")
    assert "Bước 3/5" in answer and "1. [x] Kênh tỉnh" in answer and "4. [ ] Người quan tâm OA" in answer
    assert "«9» không phải số" in await both.say("zl_14", "9", chat="zl_14")
    assert "Bước 4/5" in await both.say("zl_14", "1 3", chat="zl_14")
    preview = await both.say("zl_14", "Tiếp dân **sáng thứ Hai**.", chat="zl_14")  # no photo step on Zalo
    assert preview.startswith("👀 Xem trước — «Mới: lịch tiếp dân»") and "Tiếp dân sáng thứ Hai." in preview
    assert "Kênh tỉnh, Nhóm Zalo" in preview and "«luu»" in preview
    saved = await both.say("zl_14", "luu", chat="zl_14")
    assert saved.startswith("✅ Đã lưu bài #1 «Mới: lịch tiếp dân»")
    [path] = sorted((both.campaign.content / "inbox").glob("*.md"))
    text = path.read_text(encoding="utf-8")
    assert 'time: "2021-01-25 09:00"\nchannels: [tg, zalo]\nauthor: thu\n' in text
    assert text.endswith("---\nTiếp dân **sáng thứ Hai**.\n")
    await wait_for(lambda: any("duyet 1" in t for t in both.bot_texts()))
    assert "đã duyệt" in await both.say("zl_11", "duyet 1")
    both.clock.set(datetime(2021, 1, 25, 2, 0, 1, tzinfo=UTC))
    await both.engine.sweep()
    await both.engine.deliverer.deliver_ready()
    assert [m["plain"] for m in both.tg.messages("@kenh")] == ["Mới: lịch tiếp dân\n\nTiếp dân sáng thứ Hai."]
    assert "Tiếp dân sáng thứ Hai." in str(both.oa.group_messages("g1"))


async def test_draft_on_zalo_cancelled_by_typing_huy(both: Both) -> None:
    await both.say("zl_14", "moi", chat="zl_14")
    await both.say("zl_14", "Hủy bỏ lịch họp", chat="zl_14")  # "huy" followed by words: a title
    assert "Bước 2/5" in both.bot_texts("zl_14")[-1]
    assert "Đã bỏ bài đang soạn" in await both.say("zl_14", "huy", chat="zl_14")
    assert "homnay" in await both.say("zl_14", "xin chào", chat="zl_14")  # back to plain chat: the help
    assert not (both.campaign.content / "inbox").exists()


async def test_lich_without_a_date_answers_in_text_on_zalo(both: Both) -> None:
    """The Zalo Bot sends photos by URL only: the fortnight comes as its counts and a listing instead."""
    both.campaign.write("a.md", post_text(title="Khai mạc"))
    await both.engine.resync()
    await wait_for(lambda: any(t.startswith("📝") for t in both.bot_texts()))
    answer = await both.say("zl_11", "lich")
    assert answer.startswith("🗓 Lịch 14 ngày 25/01/2021 – 07/02/2021: 1 bài — 1 chờ duyệt")
    assert "• 26/01 08:30 Khai mạc — Kênh tỉnh" in answer
    assert all(m["kind"] == "text" for m in both.bot.sent)
