"""One route for every admin action (``jobs.admin.perform``): the role is checked and a refusal audited
before anything happens, and the outcome reports itself in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from campaign import publishing
from campaign.admin import AdminAction, Verb
from campaign.clock import FakeClock
from campaign.errors import NotAllowed
from campaign.review import Actor
from campaign.store import repo
from campaign.store.db import Store
from jobs import admin
from jobs.simulate import virtual_time
from tests.conftest import Campaign, post_text
from tests.emulators.telegram import TelegramEmulator
from tests.jobs.test_engine import started


async def test_only_admins_act_refusals_are_audited_and_outcomes_are_reported(
        store: Store, tg_campaign: Campaign, tg: TelegramEmulator) -> None:
    tg_campaign.write("a.md", post_text(title="Khai mạc", body="Chào mừng."))
    clock = FakeClock(datetime(2021, 1, 25, 1, 0, tzinfo=UTC))
    with virtual_time(clock):
        engine = await started(store, tg_campaign, tg, clock)
        try:
            config = engine.config
            lan, boss = Actor("lan", config.people["lan"]), Actor("admin", config.people["admin"])
            for action in (AdminAction(Verb.PAUSE, lan), AdminAction(Verb.SYNC, lan),
                           AdminAction(Verb.RETRACT, lan, post="a"), AdminAction(Verb.SKIP, lan, deliveries=(1,))):
                with pytest.raises(NotAllowed):
                    await admin.perform(engine, action)
            with store.session() as s:
                assert not publishing.is_paused(s)
                post_id = repo.post_by_key(s, "a").id
                refused = [(e.actor, e.post_id, e.detail.get("attempted")) for e in repo.audit_events(s) if e.action == "refused"]
            assert refused == [("lan", None, "pause"), ("lan", None, "sync"), ("lan", post_id, "retract"), ("lan", None, "skip")]

            assert (await admin.perform(engine, AdminAction(Verb.PAUSE, boss))).report(config, "en") == "⏸ All publishing paused."
            assert (await admin.perform(engine, AdminAction(Verb.PAUSE, boss))).report(config, "vi") == "Đang tạm dừng rồi."
            with store.session() as s:
                assert publishing.is_paused(s)
            synced = await admin.perform(engine, AdminAction(Verb.SYNC, boss))
            assert synced.report(config, "en") == "🔄 Synced: +0 ~0 -0 (1 unchanged)"
        finally:
            await engine.stop()


def test_an_action_names_what_its_verb_acts_on() -> None:
    boss = Actor("admin")
    with pytest.raises(ValueError, match="retry"):
        AdminAction(Verb.RETRY, boss)
    with pytest.raises(ValueError, match="retract"):
        AdminAction(Verb.RETRACT, boss, deliveries=(1,))
    with pytest.raises(ValueError, match="pause"):
        AdminAction(Verb.PAUSE, boss, post="a")
