"""A fanpage and a portal webhook through the whole pipeline: publish, correct, retract, lost answers.

The adapters are built by the composition root from config.toml and the environment, the Graph API
is the local emulator and the portal the local receiver (which checks signatures and keys).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from bot.app import build_adapters, facebook_alert
from bot.cli import app
from campaign.clock import FakeClock
from campaign.review import Actor
from campaign.store import repo
from campaign.store.db import Store
from campaign.sync import sync
from channels.console import ConsoleChannel
from jobs.engine import Engine
from jobs.simulate import virtual_time
from tests.conftest import CONFIG, Campaign, post_text
from tests.emulators.facebook import FacebookEmulator
from tests.emulators.telegram import TelegramEmulator
from tests.emulators.webhook_receiver import WebhookReceiver
from tests.jobs.conftest import TOKEN, approve, fast
from tests.jobs.test_engine import ADMIN, DUE, settle

PAGE = "1234567890"
SECRET = "portal-secret"
OTHERS = {"TELEGRAM_BOT_TOKEN": TOKEN, "ZALO_APP_ID": "1", "ZALO_APP_SECRET": "s"}  # the sample's other channels


@pytest.fixture
def fb() -> Iterator[FacebookEmulator]:
    with FacebookEmulator(pages={PAGE: "Sở Thông tin"}, hang_seconds=0.5) as emulator:
        yield emulator


@pytest.fixture
def portal() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(SECRET) as receiver:
        yield receiver


@pytest.fixture
def camp(tmp_path, tg: TelegramEmulator, fb: FacebookEmulator, portal: WebhookReceiver) -> Campaign:
    text = CONFIG + f'''
[channels.fanpage]
kind = "facebook_page"
target = "{PAGE}"
label = "Fanpage Sở"
token_env = "SO_FB_TOKEN"

[channels.portal]
kind = "webhook"
target = "{portal.url}"
label = "Cổng thông tin"
secret_env = "PORTAL_SECRET"

[telegram]
api_base = "{tg.base_url}"
file_base = "{tg.base_file_url}"

[facebook]
api_base = "{fb.api_base}"
graph_version = "v21.0"

[webhook]
media_base_url = "https://cdn.example.vn/loa"
timeout = "1s"
'''
    return Campaign(tmp_path / "camp", text)


async def run(store: Store, camp: Campaign, fb: FacebookEmulator, clock: FakeClock, **kw: object) -> Engine:
    report = sync(store, camp.config(), clock)
    assert not report.problems, report.problems
    approve(store, "a")
    cfg = fast(camp.config())
    env = {"SO_FB_TOKEN": fb.page_token(PAGE), "PORTAL_SECRET": SECRET, **OTHERS}
    adapters = build_adapters(cfg, offline=False, env=env, store=store, clock=clock)
    for a in adapters.values():
        if hasattr(a, "client") and hasattr(a.client, "timeout"):
            a.client.timeout = (0.5, 0.3)  # the fanpage's read timeout: short, for the timeout fault
    engine = Engine(store, cfg, adapters, clock, **kw)  # type: ignore[arg-type]
    await engine.start()
    clock.set(DUE + timedelta(seconds=1))
    return engine


async def test_publish_correct_retract_on_a_fanpage_and_a_portal(store: Store, camp: Campaign, tg: TelegramEmulator,
                                                                 fb: FacebookEmulator, portal: WebhookReceiver) -> None:
    camp.write("a.md", post_text(title="Khai mạc", channels="[fanpage, portal]",
                                 body="Chào mừng Đại hội. [Trực tiếp](https://dangcongsan.vn/truc-tiep)"))
    clock = FakeClock(DUE - timedelta(minutes=1))
    with virtual_time(clock):
        engine = await run(store, camp, fb, clock)
        await settle(engine)
        (post,) = fb.visible_posts(PAGE)
        assert post["message"].startswith("Khai mạc\n\nChào mừng Đại hội. Trực tiếp (https://dangcongsan.vn/truc-tiep)")
        assert post["link"] == "https://dangcongsan.vn/truc-tiep"
        doc = portal.documents["a"]
        assert doc["title"] == "Khai mạc" and doc["milestone"] == "khai-mac" and portal.requests[0].signature_ok
        assert doc["time"] == DUE.isoformat() and doc["body"]["html"].startswith("<p>Chào mừng Đại hội.")
        with store.session() as s:
            rows = {d.channel: d for d in repo.deliveries_for(s, "post:a")}
        assert {d.status for d in rows.values()} == {"sent"}
        assert rows["portal"].message_ids == [str(rows["portal"].id), "a"]
        assert portal.requests[0].headers["Idempotency-Key"].startswith(f"loa-{rows['portal'].id}-")

        camp.write("a.md", post_text(title="Khai mạc", channels="[fanpage, portal]", body="Đính chính: 8 giờ 30."))
        sync(store, camp.config(), clock)
        approve(store, "a")
        admin = Actor("admin", engine.config.people["admin"])
        done, errors = await engine.correct(admin, "a")
        assert errors == {} and len(done) == 2
        assert fb.visible_posts(PAGE)[0]["message"] == "Khai mạc\n\nĐính chính: 8 giờ 30."
        assert portal.documents["a"]["body"]["text"] == "Đính chính: 8 giờ 30."

        result = await engine.retract(admin, "a")
        assert result.complete and sorted(result.deleted) == ["fanpage", "portal"]
        assert fb.visible_posts(PAGE) == [] and portal.documents == {}
        await engine.stop()
    with store.session() as s:
        actions = [e.action for e in repo.audit_events(s)]
    assert "corrected" in actions and "retracted" in actions


async def test_a_lost_answer_is_resent_to_the_portal_but_asked_about_for_the_fanpage(
        store: Store, camp: Campaign, tg: TelegramEmulator, fb: FacebookEmulator, portal: WebhookReceiver) -> None:
    camp.write("a.md", post_text(title="Khai mạc", channels="[fanpage, portal]"))
    portal.inject("lost_response")
    fb.inject("lost_response", path="/feed")
    clock = FakeClock(DUE - timedelta(minutes=1))
    with virtual_time(clock):
        engine = await run(store, camp, fb, clock, approval_requests=True)
        await settle(engine)
        await engine.stop()
    with store.session() as s:
        rows = {d.channel: d for d in repo.deliveries_for(s, "post:a")}
    assert rows["portal"].status == "sent" and rows["portal"].attempts == 2
    assert len(portal.requests) == 2 and portal.requests[1].duplicate and len(portal.applied()) == 1
    assert rows["fanpage"].status == "unknown" and len(fb.visible_posts(PAGE)) == 1  # out once; admins decide
    alerts = [m["text"] for m in tg.messages(ADMIN) if "Unknown whether" in (m.get("text") or "")]
    assert len(alerts) == 1 and "reached fanpage" in alerts[0]
    status = CliRunner().invoke(app, ["status", "--config", str(camp.config_path)], env={"LOA_DATABASE_URL": store.url})
    assert "  facebook_page: unknown 1" in status.output and "  webhook: sent 1" in status.output


async def test_a_refused_page_token_fails_permanently_and_tells_the_admins(
        store: Store, camp: Campaign, tg: TelegramEmulator, fb: FacebookEmulator, portal: WebhookReceiver) -> None:
    camp.write("a.md", post_text(title="Khai mạc", channels="[fanpage]"))
    fb.inject(190, path="/feed")
    clock = FakeClock(DUE - timedelta(minutes=1))
    with virtual_time(clock):
        engine = await run(store, camp, fb, clock)
        await settle(engine)
        await engine.stop()
    with store.session() as s:
        [row] = repo.deliveries_for(s, "post:a")
    assert row.status == "failed" and row.attempts == 1 and "SO_FB_TOKEN" in (row.last_error or "")
    texts = [m.get("text") or "" for m in tg.messages(ADMIN)]
    assert [t for t in texts if "rejected the Page access token" in t and "loa facebook check" in t]  # the failure alert
    alert = facebook_alert(camp.config(), "fanpage", row.last_error or "")  # and `loa run`'s own, via on_facebook_problem
    assert alert.splitlines()[0].startswith("⚠ Fanpage Fanpage Sở: Facebook từ chối access token")
    assert "Facebook rejected the Page access token" in alert.splitlines()[1]


def test_offline_sends_both_kinds_to_the_console(camp: Campaign) -> None:
    adapters = build_adapters(camp.config(), offline=True, env={})
    assert isinstance(adapters["fanpage"], ConsoleChannel) and isinstance(adapters["portal"], ConsoleChannel)


def test_a_missing_token_or_secret_names_the_variable(camp: Campaign, store: Store) -> None:
    from campaign.errors import ChannelSetupError

    with pytest.raises(ChannelSetupError, match="SO_FB_TOKEN"):
        build_adapters(camp.config(), offline=False, store=store, env={**OTHERS, "PORTAL_SECRET": "x"})
    with pytest.raises(ChannelSetupError, match="PORTAL_SECRET"):
        build_adapters(camp.config(), offline=False, store=store, env={**OTHERS, "SO_FB_TOKEN": "x"})
