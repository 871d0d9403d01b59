"""A Telegram group upgraded to a supergroup: Loa follows it, remembers it and says what to fix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from bot.cli import app as cli
from campaign import chats
from campaign.clock import FakeClock
from campaign.review import Actor
from campaign.store import repo
from campaign.store.db import Store
from jobs.engine import Engine
from jobs.simulate import virtual_time
from tests.conftest import CONFIG, Campaign, post_text
from tests.emulators.telegram import TelegramEmulator
from tests.jobs.conftest import approve, fast, telegram_adapters
from tests.jobs.test_engine import settle

DUE = datetime(2021, 1, 26, 1, 30, tzinfo=UTC)  # khai-mac 08:30 local
CHANNEL, NHOM, ADMIN = "@kenh", -100200, -100400
COMMUNES = (-100501, -100502, -100503)
FAN_OUT = "[tg, nhom, xa_1, xa_2, xa_3]"


def config_text(tg: TelegramEmulator) -> str:
    communes = "".join(f'\n[channels.xa_{i}]\nkind = "telegram"\ntarget = "{cid}"\nlabel = "Xã {i}"\n'
                       for i, cid in enumerate(COMMUNES, start=1))
    return CONFIG + communes + f'\n[telegram]\napi_base = "{tg.base_url}"\nfile_base = "{tg.base_file_url}"\n'


def accepted_sends(tg: TelegramEmulator, chat: int) -> int:
    return sum(1 for c in tg.calls_to("sendMessage") if c.chat_id == chat and c.ok)


async def test_fan_out_follows_an_upgraded_group_once_and_later_posts_use_the_new_id(
        store: Store, tmp_path, tg: TelegramEmulator) -> None:
    campaign = Campaign(tmp_path / "camp", config_text(tg))
    campaign.write("a.md", post_text(title="Khai mạc", channels=FAN_OUT))
    campaign.write("b.md", post_text(title="Bế mạc", time="10:00", channels=FAN_OUT))
    supergroup = tg.upgrade(NHOM, notify=False)  # an admin changed a setting; nobody told Loa
    clock = FakeClock(DUE)
    with virtual_time(clock):
        cfg = fast(campaign.config())
        engine = Engine(store, cfg, telegram_adapters(cfg, tg), clock)
        await engine.start(run_sweep=False)
        approve(store, "a")
        approve(store, "b")
        await settle(engine)
        # every chat got the post exactly once; the old id refused it once and nothing went there
        for chat in (CHANNEL, supergroup, *COMMUNES):
            assert [m["plain"].splitlines()[0] for m in tg.messages(chat)] == ["Khai mạc"], chat
        assert tg.messages(NHOM) == []
        refused = [c for c in tg.calls_to("sendMessage") if c.chat_id == NHOM]
        assert [(c.status, c.description) for c in refused] == [(400, "Bad Request: group chat was upgraded to a supergroup chat")]
        with store.session() as s:
            assert {d.channel: d.status for d in repo.deliveries_for(s, "post:a")} == dict.fromkeys(
                ["tg", "nhom", "xa_1", "xa_2", "xa_3"], "sent")
            assert [e.detail["channels"] for e in repo.audit_events(s) if e.action == "chat_moved"] == [["nhom"]]
        [alert] = [m["plain"] for m in tg.messages(ADMIN)]
        assert f"thành siêu nhóm {supergroup}" in alert and "[channels.nhom]" in alert and f'to "{supergroup}"' in alert

        clock.set(DUE + timedelta(minutes=90))  # the next post: straight to the new id, no refusal first
        await engine.sweep()
        await settle(engine)
        await engine.stop()
    assert [m["plain"].splitlines()[0] for m in tg.messages(supergroup)] == ["Khai mạc", "Bế mạc"]
    assert len([c for c in tg.calls if c.chat_id == NHOM]) == 1
    assert accepted_sends(tg, supergroup) == 2 and all(accepted_sends(tg, c) == 2 for c in COMMUNES)
    assert len(tg.messages(ADMIN)) == 1  # told once

    # loa check warns, at the channel's line in config.toml, while the config still names the old id
    result = CliRunner().invoke(cli, ["check", "--config", str(campaign.config_path)], env={"LOA_DATABASE_URL": store.url})
    assert result.exit_code == 0, result.output
    line = campaign.config_path.read_text().splitlines().index('target = "-100200"') + 1
    assert f"{campaign.config_path}:{line}: cảnh báo / warning: kênh 'nhom'" in result.output
    assert f'set target = "{supergroup}"' in result.output


async def test_edits_and_deletes_reach_each_message_where_it_lives(store: Store, tmp_path, tg: TelegramEmulator) -> None:
    """A message sent before the upgrade stays in the old chat; one sent after lives in the new one."""
    campaign = Campaign(tmp_path / "camp", config_text(tg))
    campaign.write("a.md", post_text(title="Trước", channels="[nhom]"))
    campaign.write("b.md", post_text(title="Sau", time="10:00", channels="[nhom]"))
    clock = FakeClock(DUE)
    with virtual_time(clock):
        cfg = fast(campaign.config())
        engine = Engine(store, cfg, telegram_adapters(cfg, tg), clock)
        await engine.start(run_sweep=False)
        approve(store, "a")
        approve(store, "b")
        await settle(engine)
        supergroup = tg.upgrade(NHOM, notify=False)
        clock.set(DUE + timedelta(minutes=90))
        await engine.sweep()
        await settle(engine)
        assert chats.Routes(store).current("telegram", str(NHOM)) == str(supergroup)
        admin = Actor("admin", cfg.people["admin"])
        after = await engine.retract(admin, "b")
        before = await engine.retract(admin, "a")
        await engine.stop()
    assert after.complete and after.deleted == ["nhom"] and tg.messages(supergroup) == []
    assert not before.complete and "old group -100200" in before.failed["nhom"]
    assert [m["plain"].splitlines()[0] for m in tg.messages(NHOM)] == ["Trước"]  # out of the bot's reach: reported

