"""The publishing engine against the Telegram emulator, with the real PTB Bot and APScheduler."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from campaign import publishing
from campaign.clock import FakeClock, ShiftedClock
from campaign.store import repo
from campaign.store.db import Store
from campaign.sync import sync
from jobs.engine import Engine
from jobs.simulate import virtual_time
from tests.conftest import Campaign, post_text
from tests.emulators.telegram import TelegramEmulator
from tests.jobs.conftest import approve, fast, telegram_adapters

DUE = datetime(2021, 1, 26, 1, 30, tzinfo=UTC)  # khai-mac 08:30 local
CHANNEL, ADMIN = "@kenh", -100400


def texts(tg: TelegramEmulator, chat: int | str) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in tg.messages(chat)]


async def started(store: Store, campaign: Campaign, tg: TelegramEmulator, clock, **kw) -> Engine:
    cfg = fast(campaign.config())
    engine = Engine(store, cfg, telegram_adapters(cfg, tg), clock, **kw)
    await engine.start()
    return engine


async def settle(engine: Engine, rounds: int = 200) -> None:
    """Sweep until nothing is pending or in flight (retries are tens of ms apart in tests)."""
    for _ in range(rounds):
        await engine.sweep()
        await engine.deliverer.deliver_ready()
        with engine.store.session() as s:
            counts = repo.delivery_counts(s)
        if not counts.get("pending") and not engine.deliverer.inflight:
            return
        await asyncio.sleep(0.02)  # a poll interval (sends run in other tasks), not a wait for something
        if isinstance(engine.clock, FakeClock):
            engine.clock.advance(0.2)  # let retry back-offs come due
    raise AssertionError(f"deliveries did not settle: {counts}")


async def test_post_goes_out_at_its_time(store: Store, tg_campaign: Campaign, tg: TelegramEmulator) -> None:
    tg_campaign.write("a.md", post_text(title="Khai mạc", body="Chào mừng **Đại hội**."))
    clock = ShiftedClock(DUE - timedelta(seconds=1.5))  # start-up (migrations, sync) fits well before the time
    sync(store, tg_campaign.config(), clock)
    approve(store, "a")
    with virtual_time(clock):
        engine = await started(store, tg_campaign, tg, clock)
        assert engine.scheduler.get_job("publish:a") is not None
        assert texts(tg, CHANNEL) == []
        await tg.wait_for(lambda: texts(tg, CHANNEL), timeout=3)
        sent_at = clock.now()
        await engine.stop()
    assert texts(tg, CHANNEL) == ["<b>Khai mạc</b>\n\nChào mừng <b>Đại hội</b>."]
    assert tg.messages(CHANNEL)[0]["parse_mode"] == "HTML"
    assert DUE <= sent_at < DUE + timedelta(seconds=2)
    with store.session() as s:
        [d] = repo.deliveries_for(s, "post:a")
        assert d.status == "sent" and d.message_ids == [str(tg.messages(CHANNEL)[0]["message_id"])]
        assert repo.post_by_key(s, "a").status == "published"


async def test_unapproved_post_is_held_and_admins_alerted(store: Store, tg_campaign: Campaign, tg: TelegramEmulator) -> None:
    tg_campaign.write("a.md", post_text(title="Chưa duyệt"))
    clock = FakeClock(DUE + timedelta(seconds=5))
    with virtual_time(clock):
        engine = await started(store, tg_campaign, tg, clock)
        await settle(engine)
        assert texts(tg, CHANNEL) == []
        [alert] = texts(tg, ADMIN)
        assert "Chưa duyệt" in alert and "chưa đủ duyệt (0/1)" in alert and "not enough approvals" in alert
        await engine.sweep()  # held again on the next sweep, but admins are told once
        await settle(engine)
        assert len(texts(tg, ADMIN)) == 1
        approve(store, "a")
        clock.advance(60)
        await settle(engine)
        await engine.stop()
    assert len(texts(tg, CHANNEL)) == 1
    with store.session() as s:
        assert [e.action for e in repo.audit_events(s, post_id=repo.post_by_key(s, "a").id)] == [
            "added", "held", "published", "delivered"]


async def test_pause_holds_and_resume_publishes(store: Store, tg_campaign: Campaign, tg: TelegramEmulator) -> None:
    tg_campaign.write("a.md", post_text())
    clock = FakeClock(DUE - timedelta(minutes=5))
    sync(store, tg_campaign.config(), clock)
    approve(store, "a")
    assert publishing.set_paused(store, True, "admin", clock.now())
    with virtual_time(clock):
        engine = await started(store, tg_campaign, tg, clock)
        clock.set(DUE + timedelta(seconds=1))
        await settle(engine)
        assert texts(tg, CHANNEL) == []
        assert "đang tạm dừng đăng bài" in texts(tg, ADMIN)[0]
        publishing.set_paused(store, False, "admin", clock.now())
        await settle(engine)
        await engine.stop()
    assert len(texts(tg, CHANNEL)) == 1


async def test_downtime_catch_up_and_missed(store: Store, tg_campaign: Campaign, tg: TelegramEmulator) -> None:
    tg_campaign.write("late.md", post_text(title="Muộn", time="08:30"))
    tg_campaign.write("old.md", post_text(title="Quá cũ", time="06:00"))
    tg_campaign.write("future.md", post_text(title="Sắp tới", time="10:00"))
    clock = FakeClock(datetime(2021, 1, 25, tzinfo=UTC))
    sync(store, tg_campaign.config(), clock)
    for key in ("late", "old", "future"):
        approve(store, key)
    clock.set(DUE + timedelta(minutes=20))  # the process was down since before 06:00
    with virtual_time(clock):
        engine = await started(store, tg_campaign, tg, clock)
        await settle(engine)
        await engine.stop()
    assert texts(tg, CHANNEL) == ["<b>Muộn</b>\n\nNội dung <b>đậm</b>."]
    alerts = "\n".join(texts(tg, ADMIN))
    assert "Muộn" in alerts and "đăng muộn 20 phút" in alerts
    assert "Quá cũ" in alerts and "lỡ giờ" in alerts and "missed" in alerts
    with store.session() as s:
        assert repo.post_by_key(s, "old").status == "missed"
        assert repo.post_by_key(s, "future").status == "scheduled"


async def test_retries_under_server_errors_deliver_everything_once(store: Store, tg_campaign: Campaign,
                                                                   tg: TelegramEmulator) -> None:
    """Answers that were read (5xx) say the message is not out: retried until sent, once each.
    (Timeouts and cut connections may hide a delivered message: see tests/jobs/test_faults.py.)"""
    channels = [f"-100{i:04d}" for i in range(1, 13)]
    extra = "".join(f'\n[channels.c{i}]\nkind = "telegram"\ntarget = "{c}"\nlabel = "c{i}"\n' for i, c in enumerate(channels))
    tg_campaign.config_path.write_text(tg_campaign.config_path.read_text() + extra)
    names = ", ".join(f"c{i}" for i in range(len(channels)))
    for n in range(5):
        tg_campaign.write(f"p{n}.md", post_text(title=f"Bài {n}", time=f"08:{30 + n}", channels=f"[{names}]"))
    clock = FakeClock(DUE - timedelta(minutes=1))
    sync(store, tg_campaign.config(), clock)
    for n in range(5):
        approve(store, f"p{n}")
    tg.fault_rate(0.2, kinds=("500", "502"), seed=7)
    with virtual_time(clock):
        engine = await started(store, tg_campaign, tg, clock)
        clock.set(DUE + timedelta(minutes=5))
        await settle(engine, rounds=600)
        await engine.stop()
    faults = [c for c in tg.calls if not c.ok]
    assert len(faults) >= 5  # the faults really happened
    for chat in channels:
        assert sorted(texts(tg, chat)) == [f"<b>Bài {n}</b>\n\nNội dung <b>đậm</b>." for n in range(5)], chat
    with store.session() as s:
        rows = [d for n in range(5) for d in repo.deliveries_for(s, f"post:p{n}")]
    assert len(rows) == 60 and {d.status for d in rows} == {"sent"}
    assert sum(d.attempts for d in rows) > 60  # some needed retries


async def test_crash_mid_fan_out_loses_nothing_and_resends_nothing(store: Store, tg_campaign: Campaign,
                                                                   tg: TelegramEmulator) -> None:
    tg_campaign.write("a.md", post_text(channels="[tg, nhom, duyet]"))
    clock = FakeClock(DUE - timedelta(minutes=1))
    sync(store, tg_campaign.config(), clock)
    approve(store, "a")
    tg.inject("timeout", chat_id=-100200)  # this chat's send hangs: the "kill" lands mid-request
    with virtual_time(clock):
        cfg = fast(tg_campaign.config())
        engine = Engine(store, cfg, telegram_adapters(cfg, tg, read_timeout=5), clock)
        await engine.start()
        clock.set(DUE)
        await engine.sweep()
        def two_sent() -> bool:
            with store.session() as s:
                return sorted(d.status for d in repo.deliveries_for(s, "post:a")) == ["sending", "sent", "sent"]

        await tg.wait_for(two_sent)
        engine.scheduler.shutdown(wait=False)  # the process dies: no clean stop, no release, every task gone
        dying = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in dying:
            task.cancel()
        await asyncio.gather(*dying, return_exceptions=True)
        for adapter in dict.fromkeys(engine.adapters.values()):  # the kernel closes a dead process's sockets
            await adapter.close()

        restarted = Engine(store, cfg, telegram_adapters(cfg, tg), clock)
        await restarted.start()
        await settle(restarted)
        await restarted.stop()
    assert len(tg.messages(CHANNEL)) == 1 and len(tg.messages(-100300)) == 1
    assert tg.messages(-100200) == []  # never resent automatically
    with store.session() as s:
        [unknown] = [d for d in repo.deliveries_for(s, "post:a") if d.channel == "nhom"]
        assert unknown.status == "unknown"
    [alert] = [t for t in texts(tg, ADMIN) if "Không rõ" in t]
    assert f"/retry {unknown.id}" in alert and "nhom" in alert


async def test_429_in_one_chat_does_not_delay_the_others(store: Store, tg_campaign: Campaign, tg: TelegramEmulator) -> None:
    tg_campaign.write("a.md", post_text(channels="[tg, nhom, duyet]"))
    clock = FakeClock(DUE - timedelta(minutes=1))
    sync(store, tg_campaign.config(), clock)
    approve(store, "a")
    tg.inject("429", chat_id=-100200, retry_after=30)
    with virtual_time(clock):
        engine = await started(store, tg_campaign, tg, clock)
        clock.set(DUE)
        await engine.publish("a")
        with store.session() as s:
            rows = {d.channel: d for d in repo.deliveries_for(s, "post:a")}
        assert rows["tg"].status == "sent" and rows["duyet"].status == "sent"
        assert rows["nhom"].status == "pending" and rows["nhom"].next_attempt_at == DUE + timedelta(seconds=30)
        assert "429" in rows["nhom"].last_error
        assert engine.adapters["nhom"].limits.blocked_for("-100200") > 25
        assert engine.adapters["tg"].limits.blocked_for("@kenh") == 0
        await engine.stop()


async def test_permanent_failure_alerts_admins_at_once(store: Store, tg_campaign: Campaign, tg: TelegramEmulator) -> None:
    tg_campaign.write("a.md", post_text(channels="[tg, nhom]"))
    clock = FakeClock(DUE)
    sync(store, tg_campaign.config(), clock)
    approve(store, "a")
    tg.kick(-100200)
    with virtual_time(clock):
        engine = await started(store, tg_campaign, tg, clock)
        await settle(engine)
        await engine.stop()
    with store.session() as s:
        rows = {d.channel: d for d in repo.deliveries_for(s, "post:a")}
    assert rows["nhom"].status == "failed" and rows["nhom"].attempts == 1
    assert "kicked" in rows["nhom"].last_error
    [alert] = texts(tg, ADMIN)
    assert "thất bại" in alert and "kicked" in alert and f"/retry {rows['nhom'].id}" in alert


async def test_edited_or_withdrawn_post_moves_its_job(store: Store, tg_campaign: Campaign, tg: TelegramEmulator) -> None:
    path = tg_campaign.write("a.md", post_text())
    clock = FakeClock(DUE - timedelta(hours=1))
    with virtual_time(clock):
        engine = await started(store, tg_campaign, tg, clock)
        assert engine.scheduler.get_job("publish:a").next_run_time == DUE
        tg_campaign.write("a.md", post_text(time="09:00"))
        await engine.resync()
        assert engine.scheduler.get_job("publish:a").next_run_time == DUE + timedelta(minutes=30)
        path.unlink()
        await engine.resync()
        assert engine.scheduler.get_job("publish:a") is None
        assert {j.id for j in engine.scheduler.get_jobs()} == {"sweep", "horizon"}  # the 20:00 reminder has passed
        await engine.stop()


async def test_milestone_reminder_goes_to_reminder_channels(store: Store, tg_campaign: Campaign, tg: TelegramEmulator) -> None:
    tg_campaign.write("a.md", post_text())
    remind_at = datetime(2021, 1, 25, 13, 0, tzinfo=UTC)  # 20:00 local the day before khai-mac
    clock = ShiftedClock(remind_at - timedelta(seconds=1.5))
    with virtual_time(clock):
        engine = await started(store, tg_campaign, tg, clock)
        await tg.wait_for(lambda: texts(tg, CHANNEL), timeout=3)
        await engine.stop()
    [reminder] = texts(tg, CHANNEL)
    assert "Khai mạc" in reminder and "00:00 26/01/2021" in reminder


@pytest.mark.parametrize("offline", [True])
def test_offline_adapters_need_no_token(tg_campaign: Campaign, offline: bool) -> None:
    from bot.app import build_adapters
    from channels.console import ConsoleChannel

    adapters = build_adapters(tg_campaign.config(), offline=offline, env={})
    assert all(isinstance(a, ConsoleChannel) for a in adapters.values())


async def test_reminder_missed_while_down_goes_out_within_catch_up(store: Store, tg_campaign: Campaign,
                                                                     tg: TelegramEmulator) -> None:
    tg_campaign.write("a.md", post_text())
    remind_at = datetime(2021, 1, 25, 13, 0, tzinfo=UTC)
    clock = FakeClock(remind_at + timedelta(minutes=10))
    with virtual_time(clock):
        engine = await started(store, tg_campaign, tg, clock)
        await tg.wait_for(lambda: texts(tg, CHANNEL), timeout=3)
        clock.advance(60)
        await engine.resync(full=True)
        await settle(engine)
        await engine.stop()
    assert len(texts(tg, CHANNEL)) == 1  # once, however often the jobs are rebuilt


async def test_graceful_stop_finishes_sends_in_flight_and_releases_the_rest(store: Store, tg_campaign: Campaign,
                                                                            tg: TelegramEmulator) -> None:
    from channels.telegram import TelegramChannel, TelegramLimits

    tg_campaign.write("a.md", post_text(title="A", channels="[tg, nhom]"))
    tg_campaign.write("b.md", post_text(title="B", channels="[nhom]"))
    clock = FakeClock(DUE)
    sync(store, tg_campaign.config(), clock)
    approve(store, "a")
    approve(store, "b")
    tg.inject("timeout", chat_id=CHANNEL)  # this send is on the wire when the stop comes
    tg.hang_seconds = 30  # held until the test releases it
    cfg = fast(tg_campaign.config())
    channel = TelegramChannel("123456:TEST-TOKEN", api_base=tg.base_url, file_base=tg.base_file_url, read_timeout=5,
                              limits=TelegramLimits(group_per_minute=1))  # the group's second post must wait
    with virtual_time(clock):
        engine = Engine(store, cfg, {k: channel for k in cfg.channels}, clock)
        await engine.start(run_sweep=False)
        await engine.sweep()
        await tg.wait_for(lambda: len(tg.messages(-100200)) == 1 and tg.hanging == 1)
        await tg.wait_for(lambda: engine.deliverer.inflight == 2)  # a's send on the wire, b's waiting for its turn
        stopping = asyncio.create_task(engine.stop(timeout=25))
        # The send waiting for a rate-limit turn is let go at once, while the one on the wire is still held ...
        await tg.wait_for(lambda: engine.deliverer.inflight == 1)
        assert tg.hanging == 1 and not stopping.done()
        tg.release_hung()  # ... and the stop waits for that one to end and be recorded.
        await asyncio.wait_for(stopping, 10)
    with store.session() as s:
        rows = {(d.ref, d.channel): d for ref in ("post:a", "post:b") for d in repo.deliveries_for(s, ref)}
    assert "sending" not in {d.status for d in rows.values()}
    assert rows[("post:a", "tg")].status == "unknown" and rows[("post:a", "tg")].last_error  # finished: answer lost, admins asked
    waiting = [d for d in rows.values() if d.channel == "nhom" and d.status != "sent"]
    assert len(waiting) == 1 and waiting[0].status == "pending" and waiting[0].attempts == 0  # released untouched
