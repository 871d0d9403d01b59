"""Delivery under faults where the platform got the message but Loa never heard back.

The emulators' lost-answer faults process and record the message, then lose the answer (closed,
reset, or a 200 that is not JSON): a blind retry would post it twice. Loa must make such rows
``unknown`` and ask the admins once per post — or, with ``on_ambiguous = "resend"``, send again.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from datetime import timedelta

from campaign.clock import FakeClock
from campaign.store import repo
from campaign.store.db import Store
from campaign.sync import sync
from jobs.engine import Engine
from jobs.simulate import virtual_time
from tests.conftest import Campaign, post_text
from tests.emulators.telegram import TelegramEmulator
from tests.jobs.conftest import approve, fast, telegram_adapters
from tests.jobs.test_engine import ADMIN, DUE, settle

CHATS = [-1001000 - i for i in range(100)]
LOST = ("lost_response", "reset", "garbage")


def fan_out_campaign(campaign: Campaign) -> None:
    extra = "".join(f'\n[channels.c{i}]\nkind = "telegram"\ntarget = "{c}"\nlabel = "c{i}"\n' for i, c in enumerate(CHATS))
    campaign.config_path.write_text(campaign.config_path.read_text() + extra)
    names = ", ".join(f"c{i}" for i in range(len(CHATS)))
    campaign.write("p.md", post_text(title="Khai mạc", channels=f"[{names}]"))


async def fan_out(store: Store, campaign: Campaign, tg: TelegramEmulator, on_ambiguous: str) -> Engine:
    fan_out_campaign(campaign)
    clock = FakeClock(DUE - timedelta(minutes=1))
    sync(store, campaign.config(), clock)
    approve(store, "p")
    tg.fault_rate(0.05, kinds=LOST, seed=3)
    with virtual_time(clock):
        cfg = fast(campaign.config())
        cfg = dataclasses.replace(cfg, delivery=dataclasses.replace(cfg.delivery, on_ambiguous=on_ambiguous))
        engine = Engine(store, cfg, telegram_adapters(cfg, tg, encode=lambda c: f"{c.action}:{c.target}"), clock,
                        approval_requests=True)
        await engine.start()
        clock.set(DUE + timedelta(seconds=1))
        await settle(engine, rounds=600)
        await engine.stop()
    return engine


def copies(tg: TelegramEmulator) -> Counter[int]:
    return Counter({chat: len(tg.messages(chat)) for chat in CHATS})


def lost_chats(tg: TelegramEmulator) -> set[int]:
    return {c.chat_id for c in tg.calls if c.fault in LOST and c.chat_id in CHATS}


async def test_lost_answers_become_unknown_with_one_alert_and_no_second_copy(
        store: Store, tg_campaign: Campaign, tg: TelegramEmulator) -> None:
    tg.limits = None
    await fan_out(store, tg_campaign, tg, "ask")
    lost = lost_chats(tg)
    assert len(lost) >= 3  # the faults really happened (and were recorded as sent by the platform)
    assert max(copies(tg).values()) == 1 and min(copies(tg).values()) == 1  # every chat has its post, once
    with store.session() as s:
        rows = repo.deliveries_for(s, "post:p")
    by_chat = {int(tg_campaign.config().channels[d.channel].target): d for d in rows}
    assert {c for c, d in by_chat.items() if d.status == "unknown"} == lost
    assert {d.status for c, d in by_chat.items() if c not in lost} == {"sent"}
    alerts = [m for m in tg.messages(ADMIN) if "Unknown whether" in (m.get("text") or "")]
    assert 1 <= len(alerts) <= len(lost)  # one per post while it waits to go out; never one per retry
    mentioned = {int(i) for m in alerts for i in re.findall(r"/retry ([\d ]+) /", m["text"])[0].split()}
    assert mentioned == {by_chat[c].id for c in lost}  # every unknown row is in an alert
    for m in alerts:  # with its two buttons
        data = [b["callback_data"] for row in m["reply_markup"]["inline_keyboard"] for b in row]
        assert [d.split(":")[0] for d in data] == ["resend", "went_out"]
    with store.session() as s:
        audit = [e.action for e in repo.audit_events(s) if e.action == "delivery_unknown"]
    assert len(audit) == len(lost)


async def test_resend_policy_prefers_a_duplicate_to_a_gap(store: Store, tg_campaign: Campaign, tg: TelegramEmulator) -> None:
    tg.limits = None
    await fan_out(store, tg_campaign, tg, "resend")
    lost = lost_chats(tg)
    assert len(lost) >= 3
    assert min(copies(tg).values()) >= 1
    assert {c for c, n in copies(tg).items() if n > 1} == lost  # the price: those chats got it twice
    with store.session() as s:
        assert {d.status for d in repo.deliveries_for(s, "post:p")} == {"sent"}
    assert not [m for m in tg.messages(ADMIN) if "Unknown whether" in (m.get("text") or "")]


async def test_a_channel_whose_receiver_deduplicates_is_resent_without_asking(
        store: Store, tg_campaign: Campaign, tg: TelegramEmulator) -> None:
    from campaign.kinds import ChannelKind
    from channels.telegram import TelegramChannel

    class Deduplicating(TelegramChannel):
        kind = ChannelKind.WEBHOOK  # a kind whose receiver drops repeats (campaign.kinds: deduplicates)

    tg.limits = None
    tg_campaign.write("a.md", post_text(channels="[tg]"))
    clock = FakeClock(DUE - timedelta(minutes=1))
    sync(store, tg_campaign.config(), clock)
    approve(store, "a")
    tg.inject("lost_response", chat_id="@kenh")
    with virtual_time(clock):
        cfg = fast(tg_campaign.config())
        channel = Deduplicating("123456:TEST-TOKEN", api_base=tg.base_url, file_base=tg.base_file_url, read_timeout=0.3,
                                connect_timeout=0.3)
        engine = Engine(store, cfg, {k: channel for k in cfg.channels}, clock)
        await engine.start()
        clock.set(DUE + timedelta(seconds=1))
        await settle(engine)
        await engine.stop()
    with store.session() as s:
        [d] = repo.deliveries_for(s, "post:a")
    assert d.status == "sent" and d.attempts == 2
    assert len(tg.messages("@kenh")) == 2  # the receiver would drop the repeat; the emulator shows it was sent again
    assert not [m for m in tg.messages(ADMIN) if "Unknown whether" in (m.get("text") or "")]
