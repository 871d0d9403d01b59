"""The calendars a phone subscribes to, fetched over HTTP from the running server and parsed back:
the public one, and a person's private link from /lichcanhan (renewed, revoked)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from campaign.calendars import uid
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import CalendarToken
from tests.jobs.conftest import approve
from tests.web.board import LAN, MINH, Board, running_board

CAL_LINK = re.compile(r"https?://\S+/calendar/p/\S+\.ics")


@pytest.fixture
async def board(tmp_path: Path, store: Store) -> AsyncIterator[Board]:
    async with running_board(tmp_path / "camp", store) as b:
        yield b


async def ask(board: Board, user: int, text: str) -> str:
    """Say ``text`` to the bot in a private chat; its answer."""
    before = len(board.tg.messages(user))
    board.tg.user_message(user, text, language_code="vi")
    await board.tg.wait_for(lambda: len(board.tg.messages(user)) > before)
    return board.tg.messages(user)[-1].get("plain") or ""


async def calendar_link(board: Board, user: int, text: str = "/lichcanhan") -> str:
    answer = await ask(board, user, text)
    m = CAL_LINK.search(answer)
    assert m, answer
    return m.group(0).replace(board.url, "")


async def fetch(board: Board, path: str) -> Calendar:
    r = await board.http.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(r.content)


def events(cal: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def posts_by_state(board: Board) -> tuple[list[str], list[str]]:
    """Keys of the stored posts still waiting for approval (held ones too: they may still be approved), and of those approved or published."""
    with board.store.session() as s:
        posts = list(repo.posts_by_key(s).values())
    waiting = [p.key for p in posts if p.status in ("scheduled", "held") and p.approved_by < p.approvals_required and not p.rejected]
    shown = [p.key for p in posts if p.status == "published" or (p.status == "scheduled" and p.approved_by >= p.approvals_required)]
    return waiting, shown


async def test_the_public_calendar_has_milestones_and_approved_posts_only(board: Board) -> None:
    cal = await fetch(board, "/calendar/public.ics")
    cfg = board.engine.config
    by_uid = events(cal)
    titles = {str(e["SUMMARY"]) for e in by_uid.values()}
    assert {m.title for m in cfg.milestones} <= titles
    waiting, shown = posts_by_state(board)
    assert waiting, "the sample campaign has posts waiting for approval"
    post_uids = {u for u in by_uid if u.startswith("post-")}
    assert post_uids == {uid(cfg, "post", k) for k in shown}
    # approving a waiting post puts it on the public calendar, at its time in the campaign's zone
    key = waiting[0]
    approve(board.store, key, "nguyen_thi_lan")
    again = events(await fetch(board, "/calendar/public.ics"))
    added = set(again) - set(by_uid)
    assert added == {uid(cfg, "post", key)}
    event = again[uid(cfg, "post", key)]
    with board.store.session() as s:
        post = repo.post_by_key(s, key)
        assert post is not None
    start = event["DTSTART"].dt  # type: ignore[index]
    assert start == post.scheduled_at and str(start.tzinfo) == cfg.zone_name
    assert set(by_uid) <= set(again)  # nothing renamed: a calendar app updates, never duplicates


async def test_the_public_calendar_is_stable_and_answers_304_when_unchanged(board: Board) -> None:
    first = await board.http.get("/calendar/public.ics")
    second = await board.http.get("/calendar/public.ics")
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    r = await board.http.get("/calendar/public.ics", headers={"If-None-Match": first.headers["etag"]})
    assert r.status_code == 304 and r.content == b""
    waiting, _ = posts_by_state(board)
    approve(board.store, waiting[0], "nguyen_thi_lan")
    r = await board.http.get("/calendar/public.ics", headers={"If-None-Match": first.headers["etag"]})
    assert r.status_code == 200 and r.headers["etag"] != first.headers["etag"]


async def test_a_private_link_lists_what_the_person_must_approve_with_alarms(board: Board) -> None:
    path = await calendar_link(board, LAN)
    cal = await fetch(board, path)
    cfg = board.engine.config
    by_uid = events(cal)
    waiting, _ = posts_by_state(board)
    assert len(by_uid) == len(waiting) > 0
    with board.store.session() as s:
        posts = repo.posts_by_key(s)
    assert set(by_uid) == {uid(cfg, "approve-nguyen_thi_lan", k) for k in waiting}
    for key in waiting:
        event = by_uid[uid(cfg, "approve-nguyen_thi_lan", key)]
        start = event["DTSTART"].dt  # type: ignore[index]
        assert start == posts[key].scheduled_at - cfg.approval.deadline and str(start.tzinfo) == cfg.zone_name
        alarms = event.walk("VALARM")  # type: ignore[attr-defined]
        assert [a["TRIGGER"].dt for a in alarms] == [-timedelta(hours=1)]
        assert f"#{posts[key].id}" in str(event["SUMMARY"])  # type: ignore[index]
    assert set(events(await fetch(board, path))) == set(by_uid)  # same UIDs on the next poll
    # once Lan approves a post, it leaves her calendar (and not Minh's, who has not approved it)
    minh = events(await fetch(board, await calendar_link(board, MINH)))
    assert minh and not set(minh) & set(by_uid)  # each person's own events
    approve(board.store, waiting[0], "nguyen_thi_lan")
    after = events(await fetch(board, path))
    assert set(after) == set(by_uid) - {uid(cfg, "approve-nguyen_thi_lan", waiting[0])}


async def test_a_renewed_link_replaces_the_old_and_off_stops_it(board: Board) -> None:
    old = await calendar_link(board, LAN)
    again = await ask(board, LAN, "/lichcanhan")
    assert "/calendar/p/" not in again and "lichcanhan moi" in again
    assert (await board.http.get(old)).status_code == 200
    new = await calendar_link(board, LAN, "/lichcanhan moi")
    assert new != old
    r = await board.http.get(old)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
    assert (await board.http.get(new)).status_code == 200
    assert "tắt" in await ask(board, LAN, "/lichcanhan huy")
    assert (await board.http.get(new)).status_code == 404
    assert (await board.http.get("/calendar/p/not-a-token.ics")).status_code == 404
    with board.store.session() as s:
        actions = [e.action for e in repo.audit_events(s) if e.actor == "nguyen_thi_lan"]
        tokens = s.exec(CalendarToken.__table__.select()).all()  # type: ignore[attr-defined]
    assert actions.count("calendar-link") == 2 and actions.count("calendar-revoked") == 2
    assert all(new.split("/p/")[1].removesuffix(".ics") not in str(row) for row in tokens)  # only hashes are kept


async def test_a_status_change_alone_reaches_the_served_calendar(board: Board) -> None:
    """The served body is kept while the store is unchanged: a retraction (status only, no edit, no vote)
    must still take the post off the public calendar at the next fetch."""
    waiting, _ = posts_by_state(board)
    approve(board.store, waiting[0], "nguyen_thi_lan")
    cfg = board.engine.config
    before = events(await fetch(board, "/calendar/public.ics"))
    assert uid(cfg, "post", waiting[0]) in before
    assert events(await fetch(board, "/calendar/public.ics")) == before  # the kept body
    with board.store.session() as s:
        post = repo.post_by_key(s, waiting[0])
        assert post is not None
        post.status = "retracted"
        s.commit()
    after = events(await fetch(board, "/calendar/public.ics"))
    assert set(after) == set(before) - {uid(cfg, "post", waiting[0])}
