"""Huge numbers, odd pages and forged buttons in chat: a polite answer, never "something went wrong".

Every case here once ended in the generic error with a traceback in the log (or, for an approve
button with an empty hash, approved whatever the content was by then).
"""

from __future__ import annotations

import logging

import pytest

from campaign.store import repo
from tests.bot.conftest import APPROVERS, BOSS, LAN, Live
from tests.bot.test_approvals import new_post
from tests.conftest import post_text

GENERIC = "Something went wrong"
HUGE = "9" * 20


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


@pytest.mark.parametrize(("command", "expected"), [
    (f"/bai {HUGE}", f"no post '{HUGE}'"),
    ("/bai ²", "no post '²'"),
    (f"/nhatky {HUGE}", f"no post '{HUGE}'"),
    (f"/duyet {HUGE}", f"no post '{HUGE}'"),
    (f"/gotuchoi {HUGE}", f"no post '{HUGE}'"),
    (f"/thuhoi {HUGE}", f"no post '{HUGE}'"),
    (f"/dinhchinh {HUGE}", f"no post '{HUGE}'"),
    ("/homnay 99999999999", "Usage: /today [page]"),
    ("/homnay ²", "Usage: /today [page]"),
    ("/tuannay 99999999999999999999999", "Usage: /week [page]"),
    ("/choduyet -5", "Usage: /pending [page]"),
    ("/choduyet 0", "Usage: /pending [page]"),
    ("/lich 27/01 99999999999", "Usage: /date [DD/MM [page]]"),
    ("/homnay 1 2", "Usage: /today [page]"),
    (f"/guilai {HUGE}", f"'{HUGE}' is not a delivery number"),
    ("/boqua ²", "'²' is not a delivery number"),
    ("/guilai", "Usage: /retry ID…"),
])
async def test_out_of_range_arguments_get_the_usage_line(live: Live, caplog: pytest.LogCaptureFixture,
                                                         command: str, expected: str) -> None:
    live.campaign.write("a.md", post_text())
    await live.engine.resync()  # a post on the day, so a page number reaches the database's OFFSET
    with caplog.at_level(logging.WARNING):
        answer = await live.say(BOSS, command, lang="en")  # the admin reads English
    assert expected in answer and GENERIC not in answer
    no_tracebacks(caplog)


async def test_usage_line_in_vietnamese(live: Live) -> None:
    assert await live.say(LAN, "/homnay 99999999999") == "Cách dùng: /homnay [trang] — Lịch hôm nay"


async def test_a_page_in_range_still_works(live: Live) -> None:
    live.campaign.write("a.md", post_text(title="Bài A"))
    await live.engine.resync()
    live.clock.set(live.clock.now().replace(day=26))
    assert "Bài A" in await live.say(LAN, "/homnay 1")
    assert "Bài A" in await live.say(LAN, "/homnay 1000")  # past the end: the last page


@pytest.mark.parametrize("data", [
    f"a:{HUGE}:0123abcd", f"r:{HUGE}:0123abcd", f"d:{HUGE}:0123abcd", f"X:{HUGE}", f"C:{HUGE}",
    "g:nope::1", "g:today::99999999999", "g:today::-5", f"g:post:{HUGE}:0", "g:help::0", "g:today:",
    "a:1", "a:²:0123abcd", "Z:1", "", "P:extra", "a:1:" + "f" * 70,
])
async def test_forged_buttons_are_refused_politely(live: Live, caplog: pytest.LogCaptureFixture, data: str) -> None:
    post_id = await new_post(live)
    control = live.request(post_id)
    with caplog.at_level(logging.WARNING):
        toast = await live.press(BOSS, APPROVERS, control["message_id"], data, forged=True)
    assert toast == "Nút này không còn hiệu lực. / This button is no longer valid."
    assert live.tg.answers[-1].show_alert
    assert GENERIC not in "\n".join(live.texts(APPROVERS))
    no_tracebacks(caplog)


@pytest.mark.parametrize("given", ["", "0", "deadbee"])  # empty, and prefixes of the real hash shorter than 8
async def test_approve_with_an_empty_or_short_hash_is_refused_as_stale_and_audited(live: Live, given: str) -> None:
    post_id = await new_post(live)
    with live.store.session() as s:
        real = repo.post_by_key(s, "a").content_hash
    short = real[:len(given)]
    control = live.request(post_id)
    for action in ("a", "r"):
        toast = await live.press(LAN, APPROVERS, control["message_id"], f"{action}:{post_id}:{short}", forged=True)
        assert "The post changed after this request" in toast
    with live.store.session() as s:
        assert repo.live_approvals(s, post_id) == []
        refused = [e.detail for e in repo.audit_events(s, post_id=post_id) if e.action == "refused"]
    assert refused == [{"attempted": "approve", "reason": "stale", "hash": short},
                       {"attempted": "reject", "reason": "stale", "hash": short}]
    assert "Lý do từ chối" not in "\n".join(live.texts(APPROVERS))  # no reason prompt for a stale reject


async def test_the_real_buttons_still_work(live: Live) -> None:
    post_id = await new_post(live)
    control = live.request(post_id)
    assert await live.press(LAN, APPROVERS, control["message_id"], live.button(control, "a:")) == "Đã duyệt ✅"
