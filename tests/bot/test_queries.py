"""Schedule questions against the sample campaign, in Vietnamese and English, as users would ask."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaign.clock import FakeClock
from campaign.store.db import Store
from tests.bot.conftest import Live, running
from tests.emulators.telegram import TelegramEmulator

ROOT = Path(__file__).resolve().parents[2]
APPROVER, ENGLISH_APPROVER, PUBLIC = 100000002, 100000003, 555


def sample_config(tg: TelegramEmulator) -> str:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    return text.replace('token_env = "TELEGRAM_BOT_TOKEN"',
                        f'token_env = "TELEGRAM_BOT_TOKEN"\napi_base = "{tg.base_url}"\nfile_base = "{tg.base_file_url}"')


@pytest.fixture
async def sample(tmp_path: Path, store: Store) -> AsyncIterator[Live]:
    clock = FakeClock(datetime(2021, 1, 26, 0, 0, tzinfo=UTC))  # 07:00 on the opening day
    async with running(tmp_path / "sample", store, sample_config, clock, content=ROOT / "content") as it:
        yield it


@pytest.mark.parametrize("command", ["/today", "/homnay", "hôm nay có gì?"])
async def test_today(sample: Live, command: str) -> None:
    answer = await sample.say(APPROVER, command)
    assert answer.startswith("🗓 Lịch ngày 26/01/2021")
    assert "📌 Khai mạc Đại hội XIII của Đảng" in answer
    assert "10:30 Khai mạc trọng thể Đại hội đại biểu toàn quốc lần thứ XIII của Đảng" in answer
    assert "15:00" in answer


@pytest.mark.parametrize("command", ["/tomorrow", "/ngaymai"])
async def test_tomorrow(sample: Live, command: str) -> None:
    answer = await sample.say(APPROVER, command)
    assert answer.startswith("🗓 Lịch ngày 27/01/2021") and "08:30" in answer and "18:00" in answer


@pytest.mark.parametrize("command", ["/date 27/01", "/lich 27/01", "lịch ngày 27/01", "/lich 27/1/2021"])
async def test_a_given_day(sample: Live, command: str) -> None:
    answer = await sample.say(APPROVER, command)
    assert answer.startswith("🗓 Lịch ngày 27/01/2021") and "Thông cáo báo chí ngày làm việc thứ hai" in answer


async def test_bad_date_is_explained(sample: Live) -> None:
    assert "Không hiểu ngày '32/13'" in await sample.say(APPROVER, "/lich 32/13")


@pytest.mark.parametrize("command", ["/week", "/tuannay"])
async def test_week_is_paginated(sample: Live, command: str) -> None:
    answer = await sample.say(APPROVER, command)
    assert answer.startswith("🗓 Lịch từ 25/01 đến 31/01/2021")
    first = sample.tg.messages(APPROVER)[-1]
    lines = answer.splitlines()[1:]
    if len(lines) >= 15:
        data = sample.button(first, "g:")
        await sample.press(APPROVER, APPROVER, first["message_id"], data)
        assert "(2/" in sample.tg.messages(APPROVER)[-1]["plain"]


@pytest.mark.parametrize("command", ["/next", "/tieptheo", "sắp tới có gì"])
async def test_next(sample: Live, command: str) -> None:
    answer = await sample.say(APPROVER, command)
    assert "Đang diễn ra: Khai mạc Đại hội XIII" in answer
    assert "Mốc tiếp theo: Ngày làm việc thứ hai" in answer
    assert "26/01 10:30" in answer


@pytest.mark.parametrize("command", ["/milestones", "/cacmoc"])
async def test_milestones(sample: Live, command: str) -> None:
    answer = await sample.say(APPROVER, command)
    assert answer.splitlines()[0] == "📌 Các mốc của chiến dịch"
    assert "▶️ 26/01/2021 Khai mạc Đại hội XIII của Đảng (trong)" in answer
    assert answer.count("✔️") >= 5


async def test_english_reader(sample: Live) -> None:
    assert (await sample.say(ENGLISH_APPROVER, "/today")).startswith("🗓 Schedule for 26/01/2021")
    assert "📌 Campaign milestones" in await sample.say(ENGLISH_APPROVER, "/cacmoc")
    assert "Next milestone:" in await sample.say(PUBLIC, "/next", lang="en")
    help_text = await sample.say(PUBLIC, "/help", lang="en")
    assert "/today /homnay — Today's schedule" in help_text and "/pending" not in help_text


async def test_public_sees_only_approved_posts(sample: Live) -> None:
    answer = await sample.say(PUBLIC, "/today")
    assert "Khai mạc Đại hội XIII" in answer and "Không có bài nào." in answer  # nothing is approved yet
    assert "26/01 10:30" not in await sample.say(PUBLIC, "/next")
    await sample.say(APPROVER, "/duyet toan-quoc-xiii/13-khai-mac-dai-hoi-xiii")
    assert "10:30 Khai mạc trọng thể Đại hội đại biểu toàn quốc" in await sample.say(PUBLIC, "/homnay")
    assert "26/01 10:30" in await sample.say(PUBLIC, "/next")


async def test_staff_commands(sample: Live) -> None:
    pending = await sample.say(APPROVER, "/choduyet")
    assert pending.startswith("⏳ Bài chờ duyệt") and "10:30 Khai mạc trọng thể Đại hội đại biểu toàn quốc" in pending
    status = await sample.say(APPROVER, "/status")
    assert status.startswith("📊 Tình trạng gửi")
    detail = await sample.say(APPROVER, "/post toan-quoc-xiii/13-khai-mac-dai-hoi-xiii")
    assert detail.startswith("📄 Bài #") and "Lịch sử:" in detail and "added — sync" in detail


async def test_command_menu_in_both_languages(sample: Live) -> None:
    await sample.tg.wait_for(lambda: sample.tg.commands(language_code="en"))
    vi = {c["command"]: c["description"] for c in sample.tg.commands()}
    en = {c["command"]: c["description"] for c in sample.tg.commands(language_code="en")}
    assert vi["today"] == "Lịch hôm nay" and en["today"] == "Today's schedule"
    assert "pending" not in vi
    staff = sample.tg.commands(scope={"type": "chat", "chat_id": -1001000000001})
    assert "pending" in {c["command"] for c in staff}
