"""/lichcanhan (/mycalendar) in chat: a private calendar link in a private chat, renewed or turned off on
request, never shown in a group (Telegram or Zalo), and only for people in [people]; every step audited."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from campaign import calendar_links
from campaign.clock import FakeClock
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import CalendarToken
from tests.bot.conftest import APPROVERS, CHAT_CONFIG, LAN, MINH, STRANGER, Live, running, with_urls
from tests.bot.test_zalo_chat import APPROVAL_CHAT, Both, both  # noqa: F401 - the Zalo Bot fixture

PUBLIC = "https://loa.example.vn"
LINK = re.compile(re.escape(PUBLIC) + r"/calendar/p/([A-Za-z0-9_-]+)\.ics")


@pytest.fixture
async def site(tmp_path: Path, store: Store) -> AsyncIterator[Live]:
    """The chat side with ``[web] public_url`` set, so links are built from it."""
    config = CHAT_CONFIG.replace("[web]\n", f'[web]\npublic_url = "{PUBLIC}"\n')
    clock = FakeClock(datetime(2021, 1, 25, 1, 0, tzinfo=UTC))
    async with running(tmp_path / "camp", store, lambda tg: with_urls(config, tg), clock) as it:
        yield it


def tokens(live: Live) -> list[CalendarToken]:
    with live.store.session() as s:
        return list(s.exec(select(CalendarToken)).all())


def actions(live: Live, actor: str) -> list[str]:
    with live.store.session() as s:
        return [e.action for e in repo.audit_events(s) if e.actor == actor and e.action.startswith(("calendar", "refused"))]


async def test_a_private_chat_gets_a_link_then_a_new_one_then_none(site: Live) -> None:
    config = site.engine.config
    first = LINK.search(await site.say(LAN, "/lichcanhan"))
    assert first, site.texts(LAN)
    assert calendar_links.person_of(site.store, config, first.group(1)) == config.people["lan"]
    again = await site.say(LAN, "/lichcanhan")
    assert not LINK.search(again) and "/lichcanhan moi" in again and "25/01/2021" in again
    renewed = await site.say(LAN, "/lichcanhan mới")  # with diacritics, as a phone keyboard types it
    second = LINK.search(renewed)
    assert second and second.group(1) != first.group(1) and "ngừng hoạt động" in renewed
    assert calendar_links.person_of(site.store, config, first.group(1)) is None
    assert calendar_links.person_of(site.store, config, second.group(1)) == config.people["lan"]
    assert "Đã tắt" in await site.say(LAN, "/lichcanhan huy")
    assert calendar_links.person_of(site.store, config, second.group(1)) is None
    assert "chưa có" in await site.say(LAN, "/lichcanhan huy")
    assert "Cách dùng" in await site.say(LAN, "/lichcanhan xoa")  # an unknown word: the usage line, nothing changed
    # only the hashes are kept, both revoked
    assert {(t.token_hash, t.revoked_at is not None) for t in tokens(site)} == {
        (calendar_links.digest(first.group(1)), True), (calendar_links.digest(second.group(1)), True)}
    assert actions(site, "lan") == ["calendar-link", "calendar-revoked", "calendar-link", "calendar-revoked"]


async def test_english_words_and_answers(site: Live) -> None:
    first = await site.say(MINH, "/mycalendar", lang="en")
    assert LINK.search(first) and "Your own calendar" in first
    again = await site.say(MINH, "/mycalendar", lang="en")
    assert "/mycalendar new" in again and "/mycalendar off" in again
    assert LINK.search(await site.say(MINH, "/mycalendar new", lang="en"))
    assert "turned off" in await site.say(MINH, "/mycalendar off", lang="en")


async def test_in_a_group_it_refuses_and_hands_out_nothing(site: Live) -> None:
    answer = await site.say(LAN, "/lichcanhan", chat=APPROVERS)
    assert "chat riêng" in answer and "/lichcanhan" in answer and not LINK.search(answer)
    answer = await site.say(LAN, "/mycalendar new", chat=APPROVERS)
    assert "private chat" in answer and not LINK.search(answer)
    assert tokens(site) == [] and actions(site, "lan") == []


async def test_someone_not_in_people_gets_no_link_and_is_audited(site: Live) -> None:
    answer = await site.say(STRANGER, "/lichcanhan")
    assert not LINK.search(answer) and "[people]" in answer
    assert tokens(site) == []
    with site.store.session() as s:
        refused = [e for e in repo.audit_events(s) if e.action == "refused"]
    assert [(e.actor, e.detail["attempted"]) for e in refused] == [(f"telegram:{STRANGER}", "calendar-link")]


async def test_a_zalo_group_gets_no_link_either(both: Both) -> None:  # noqa: F811 - the fixture
    answer = await both.say("zl_11", "lichcanhan", chat=APPROVAL_CHAT)
    assert "chat riêng" in answer and "/calendar/p/" not in answer
    web = await both.say("zl_11", "trangweb", chat=APPROVAL_CHAT)  # a sign-in link is personal too
    assert "chat riêng" in web and "/signin/" not in web
    with both.store.session() as s:
        assert s.exec(select(CalendarToken)).all() == []
