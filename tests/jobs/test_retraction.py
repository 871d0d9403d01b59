"""``[telegram] retraction_notice``: the admin's own words, or none at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from campaign.clock import FakeClock
from campaign.review import Actor
from campaign.store.db import Store
from jobs.engine import Engine
from jobs.simulate import virtual_time
from tests.conftest import CONFIG, Campaign, post_text
from tests.emulators.telegram import TelegramEmulator
from tests.jobs.conftest import approve, fast, telegram_adapters
from tests.jobs.test_engine import settle

DUE = datetime(2021, 1, 26, 1, 30, tzinfo=UTC)
NHOM = -100200


@pytest.mark.parametrize("notice", ["Bài đã được gỡ theo yêu cầu.", ""])
async def test_the_configured_notice_or_none(store: Store, tmp_path, notice: str) -> None:
    clock = FakeClock(DUE)
    with TelegramEmulator("123456:TEST-TOKEN", clock=lambda: clock.now().timestamp()) as tg:
        campaign = Campaign(tmp_path / "camp", CONFIG + f'\n[telegram]\napi_base = "{tg.base_url}"\n'
                            f'file_base = "{tg.base_file_url}"\nretraction_notice = "{notice}"\n')
        campaign.write("a.md", post_text(title="Khai mạc", channels="[nhom]"))
        with virtual_time(clock):
            cfg = fast(campaign.config())
            engine = Engine(store, cfg, telegram_adapters(cfg, tg), clock)
            await engine.start(run_sweep=False)
            approve(store, "a")
            await settle(engine)
            clock.advance(timedelta(hours=48, seconds=1))
            result = await engine.retract(Actor("admin", cfg.people["admin"]), "a")
            await engine.stop()
        [m] = tg.messages(NHOM)
    if notice:
        assert result.complete and list(result.replaced) == ["nhom"] and m["plain"] == notice
    else:
        assert not result.complete and m["plain"].startswith("Khai mạc") and not m["edited"]
        assert "retraction_notice is empty" in result.failed["nhom"]
        assert "«Nhóm» (nhom) still shows the post" in result.report(cfg, "en")
