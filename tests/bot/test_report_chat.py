"""/baocao: an admin gets the report against the plan as an Excel file in the chat."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from campaign.store import repo
from tests.bot.conftest import BOSS, LAN, MINH, Live
from tests.bot.test_approvals import publish_time
from tests.conftest import post_text


async def test_admin_gets_the_report_file(live: Live) -> None:
    live.campaign.write("a.md", post_text(title="Khai mạc Đại hội"))
    await live.engine.resync()
    with live.store.session() as s:
        post_id = repo.post_by_key(s, "a").id
    await live.say(LAN, f"/duyet {post_id}")
    await live.say(MINH, f"/duyet {post_id}")
    await publish_time(live)
    assert "quản trị viên" in await live.say(LAN, "/baocao")  # approvers may not
    caption = await live.say(BOSS, "/baocao 20/01 31/01")
    assert caption == "📊 Report against the plan: 1 planned, 1 published (0 late), 0 missed, 0 failed, 0 incidents."
    [call] = [c for c in live.tg.calls_to("sendDocument") if c.ok]
    [upload] = call.files.values()
    assert upload.filename == "bao-cao-20012021-31012021.xlsx"
    wb = load_workbook(io.BytesIO(upload.content))
    assert wb.sheetnames[0] == "Summary"  # the admin reads English
    rows = {r[1]: r for r in wb["Summary"].iter_rows(min_row=7, values_only=True)}
    assert rows["Total"][2:5] == (1, 1, 1)
    assert "after the last" in await live.say(BOSS, "/report 31/01 20/01")
    assert "/report [DD/MM] [DD/MM]" in await live.say(BOSS, "/report 1/1 2/1 3/1")
