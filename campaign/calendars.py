"""Calendars (RFC 5545) of the plan: the public one, and each approver's own with deadlines and alarms.

Staff subscribe to these in their phone's calendar; UIDs depend only on the campaign and the post
or milestone key, so an edited post updates its event in place instead of adding a second one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from icalendar import Alarm, Calendar, Event

from campaign.config import Config, Milestone, Person
from campaign.states import UPCOMING, VISIBLE, PostState
from campaign.texts import t

POST_LENGTH = timedelta(minutes=15)  # a post is an instant; calendar apps show a short block
ALARM_BEFORE = timedelta(hours=1)
PUBLIC_STATUSES = VISIBLE  # approved posts still to go out, and those that went
OPEN_STATUSES = (PostState.NEW, *UPCOMING)  # still waiting for approvals


@dataclass(frozen=True)
class CalendarPost:
    """What a calendar needs of a post (from the store, or from the files for posts not yet synced)."""

    key: str
    title: str
    at: datetime  # aware
    channels: tuple[str, ...]
    milestone: str | None
    status: str  # new (not in the store yet), scheduled, held, published, …
    approved: bool
    needed: int
    approvers: tuple[str, ...] = ()  # people who approved the current content
    rejected: bool = False
    number: int | None = None  # the post number the chat uses (bài #12)


def campaign_slug(config: Config) -> str:
    """A short stable name for UIDs: the config file's folder name would move; the campaign name does not."""
    return hashlib.sha1(config.name.encode()).hexdigest()[:10]


def uid(config: Config, kind: str, key: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", key)
    return f"{kind}-{safe}@{campaign_slug(config)}.loa"


def _calendar(config: Config, name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Loa//campaign calendar//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", config.zone_name)
    return cal


def _labels(config: Config, channels: Iterable[str]) -> str:
    return ", ".join(config.channels[c].label if c in config.channels else c for c in channels)


def _milestone_event(config: Config, m: Milestone, stamp: datetime) -> Event:
    ev = Event()
    ev.add("uid", uid(config, "milestone", m.id))
    ev.add("dtstamp", stamp)
    ev.add("summary", m.title)
    whole_days = m.span.start.timetz().replace(tzinfo=None) == time(0) and m.span.end.timetz().replace(tzinfo=None) == time(0)
    if whole_days:
        ev.add("dtstart", m.span.first_day)
        ev.add("dtend", m.span.last_day + timedelta(days=1))
    else:
        ev.add("dtstart", m.span.start.astimezone(config.tz))
        ev.add("dtend", m.span.end.astimezone(config.tz))
    if m.description:
        ev.add("description", m.description)
    ev.add("categories", [t(f"phase.{m.phase}", "vi")])
    ev.add("transp", "TRANSPARENT")
    return ev


def public_calendar(config: Config, posts: Sequence[CalendarPost], stamp: datetime) -> Calendar:
    """Milestones, and the posts the public will see: approved ones still to go out and those published."""
    cal = _calendar(config, config.name)
    for m in config.milestones:
        cal.add_component(_milestone_event(config, m, stamp))
    titles = {m.id: m.title for m in config.milestones}
    for p in sorted(posts, key=lambda p: (p.at, p.key)):
        if p.status not in PUBLIC_STATUSES or not (p.approved or p.status == PostState.PUBLISHED):
            continue
        ev = Event()
        ev.add("uid", uid(config, "post", p.key))
        ev.add("dtstamp", stamp)
        ev.add("summary", p.title)
        ev.add("dtstart", p.at.astimezone(config.tz))
        ev.add("dtend", p.at.astimezone(config.tz) + POST_LENGTH)
        ev.add("description", t("ics.channels", "vi", channels=_labels(config, p.channels)))
        if p.milestone in titles:
            ev.add("categories", [titles[p.milestone]])
        cal.add_component(ev)
    cal.add_missing_timezones()
    return cal


def must_approve(person: Person, post: CalendarPost) -> bool:
    """Still short of approvals, not rejected, and not already approved by this person."""
    return (person.is_approver and post.status in OPEN_STATUSES and not post.approved and not post.rejected
            and person.key not in post.approvers)


def person_calendar(config: Config, person: Person, posts: Sequence[CalendarPost], stamp: datetime) -> Calendar:
    """One event per post this person must approve, at its approval deadline, with an alarm an hour before."""
    lang = person.language or config.language
    cal = _calendar(config, t("ics.person_name", lang, name=person.name, campaign=config.name))
    for p in sorted(posts, key=lambda p: (p.at, p.key)):
        if not must_approve(person, p):
            continue
        deadline = (p.at - config.approval.deadline).astimezone(config.tz)
        number = f"#{p.number}" if p.number is not None else p.key
        summary = t("ics.deadline", lang, title=p.title, number=number)
        ev = Event()
        ev.add("uid", uid(config, f"approve-{person.key}", p.key))
        ev.add("dtstamp", stamp)
        ev.add("summary", summary)
        ev.add("dtstart", deadline)
        ev.add("dtend", deadline + POST_LENGTH)
        ev.add("description", t("ics.deadline_detail", lang, at=f"{p.at.astimezone(config.tz):%H:%M %d/%m/%Y}",
                                channels=_labels(config, p.channels), have=len(p.approvers), need=p.needed,
                                number=number))
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", -ALARM_BEFORE)
        ev.add_component(alarm)
        cal.add_component(ev)
    cal.add_missing_timezones()
    return cal
