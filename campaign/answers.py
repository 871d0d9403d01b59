"""Answers to schedule questions, in the reader's language. Returned as lines so any chat can page them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from campaign.approvals import approval_state, state_label
from campaign.commands import COMMANDS, Role
from campaign.config import Config, Person
from campaign.errors import Conflict
from campaign.queries import deliveries_by_kind
from campaign.render import kicker_of, render_markdown
from campaign.review import find_post
from campaign.states import ATTENTION, UPCOMING, VISIBLE, PostState
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Post
from campaign.texts import TEXTS, t

STATUS_MARK = {"scheduled": "⏳", "held": "⏸", "published": "✅", "missed": "⛔", "withdrawn": "🗑", "retracted": "↩️"}


def tr(key: str, lang: str, **kw: object) -> str:
    """This module's messages (``campaign.texts.answers``), in the reader's language."""
    return t(f"ans.{key}", lang, **kw)


@dataclass
class Answer:
    title: str
    lines: list[str] = field(default_factory=list)
    total: int | None = None  # set when ``lines`` is already one page of ``total`` lines
    page_size: int = 15

    def text(self) -> str:
        return "\n".join([self.title, *self.lines])


def is_staff(person: Person | None) -> bool:
    return person is not None and person.is_approver


def _post_line(config: Config, p: Post, *, with_day: bool = False, staff: bool = False, state: str = "") -> str:
    at = p.scheduled_at.astimezone(config.tz)
    when = f"{at:%d/%m %H:%M}" if with_day else f"{at:%H:%M}"
    extra = f" #{p.id} {STATUS_MARK.get(p.status, '')}{' ' + state if state else ''}" if staff else ""
    labels = ", ".join(config.channels[c].label if c in config.channels else c for c in p.channels)
    title = " | ".join(x for x in (kicker_of(p.options), p.title) if x)  # a series item reads as the channels show it
    return f"• {when} {title} — {labels}{extra}"


def _range(store: Store, config: Config, start: datetime, end: datetime | None, viewer: Person | None, *,
           with_day: bool, page: int, page_size: int, statuses: tuple[str, ...] = VISIBLE) -> tuple[list[str], int]:
    """One page of a window's posts as lines, and how many posts the window holds (paged in SQL)."""
    with store.session() as s:
        posts, total = repo.listing(s, start, end, statuses=statuses, public=not is_staff(viewer),
                                    offset=page * page_size, limit=page_size)
    return _lines(config, posts, viewer, with_day=with_day), total


def _lines(config: Config, posts: Sequence[Post], viewer: Person | None, *, with_day: bool) -> list[str]:
    staff = is_staff(viewer)
    return [_post_line(config, p, with_day=with_day, staff=staff,
                       state=state_label(p.approvals_required, p.approved_by, p.rejected)
                       if staff and p.status != PostState.PUBLISHED else "") for p in posts]


def _paged(title: str, lines: list[str], total: int, page_size: int, lang: str) -> Answer:
    if not total:
        return Answer(title, [tr("none", lang)])
    return Answer(title, lines, total=total, page_size=page_size)


def day(store: Store, config: Config, when: date, lang: str, viewer: Person | None, *, page: int = 0,
        page_size: int = 15) -> Answer:
    start = datetime.combine(when, time(0), tzinfo=config.tz)
    lines, total = _range(store, config, start, start + timedelta(days=1), viewer, with_day=False, page=page,
                          page_size=page_size)
    marks = [f"📌 {m.title}" for m in config.milestones if m.span.first_day <= when <= m.span.last_day]
    return _paged("\n".join([tr("day", lang, day=f"{when:%d/%m/%Y}"), *marks]), lines, total, page_size, lang)


def week(store: Store, config: Config, now: datetime, lang: str, viewer: Person | None, *, page: int = 0,
         page_size: int = 15) -> Answer:
    today = now.astimezone(config.tz).date()
    monday = today - timedelta(days=today.weekday())
    start = datetime.combine(monday, time(0), tzinfo=config.tz)
    lines, total = _range(store, config, start, start + timedelta(days=7), viewer, with_day=True, page=page,
                          page_size=page_size)
    title = tr("week", lang, start=f"{monday:%d/%m}", end=f"{monday + timedelta(days=6):%d/%m/%Y}")
    return _paged(title, lines, total, page_size, lang)


def ahead(store: Store, config: Config, start: datetime, end: datetime, lang: str, viewer: Person | None, *,
          limit: int = 30) -> Answer:
    """The posts of a window as text, the first ``limit`` of them and how many more (the picture's text form)."""
    lines, total = _range(store, config, start, end, viewer, with_day=True, page=0, page_size=limit)
    if total > limit:
        lines.append(tr("more", lang, n=total - limit))
    return Answer("", lines or [tr("none", lang)])


def next_up(store: Store, config: Config, now: datetime, lang: str, viewer: Person | None, count: int = 5) -> Answer:
    local_now = now.astimezone(config.tz)
    current = [m for m in config.milestones if m.span.contains(local_now)]
    upcoming = [m for m in config.milestones if m.span.start > local_now]
    lines = [tr("current_milestone", lang, title=m.title, end=f"{m.span.last_day:%d/%m}") for m in current]
    if upcoming:
        m = upcoming[0]
        lines.append(tr("next_milestone", lang, title=m.title, start=f"{m.span.first_day:%d/%m}", end=f"{m.span.last_day:%d/%m/%Y}"))
    elif not current:
        lines.append(tr("no_milestone", lang))
    with store.session() as s:
        posts = repo.first_posts(s, now, statuses=UPCOMING, public=not is_staff(viewer), limit=count)
    return Answer(tr("next", lang), lines + _lines(config, posts, viewer, with_day=True))


def milestones(config: Config, now: datetime, lang: str) -> Answer:
    local_now = now.astimezone(config.tz)
    lines = []
    for m in config.milestones:
        mark = "▶️" if m.span.contains(local_now) else ("✔️" if m.span.end <= local_now else "•")
        days = f"{m.span.first_day:%d/%m}" if m.span.first_day == m.span.last_day else f"{m.span.first_day:%d/%m}–{m.span.last_day:%d/%m}"
        lines.append(f"{mark} {days}/{m.span.last_day:%Y} {m.title} ({tr('phase.' + m.phase, lang)})")
    return Answer(tr("milestones", lang), lines)


def pending(store: Store, config: Config, now: datetime, lang: str, *, page: int = 0, page_size: int = 15) -> Answer:
    """Posts short of approvals (and corrections awaiting them): one page, counted by the database."""
    with store.session() as s:
        posts, total = repo.awaiting_approval(s, now - config.catch_up, page * page_size, page_size)
    lines = [_post_line(config, p, with_day=True, staff=True, state=state_label(p.approvals_required, p.approved_by, p.rejected))
             for p in posts]
    if not total:
        return Answer(tr("pending", lang), [tr("pending_none", lang)])
    return Answer(tr("pending", lang), lines, total=total, page_size=page_size)


def status(store: Store, config: Config, lang: str) -> Answer:
    with store.session() as s:
        counts = repo.delivery_counts(s)
        held = repo.posts_between(s, None, None, statuses=[PostState.HELD])
        attention = repo.deliveries_by_status(s, list(ATTENTION))
    lines = [" · ".join(f"{_state_name(k, lang)}: {n}" for k, n in sorted(counts.items())) or tr("none", lang)]
    lines += [f"  {kind}: " + ", ".join(f"{_state_name(k, lang)} {n}" for k, n in sorted(states.items()))
              for kind, states in deliveries_by_kind(store, config).items()]
    lines.append(tr("held_count", lang, n=len(held)))
    lines += [f"⏸ #{p.id} {p.title}" for p in held]
    lines += [f"{'❌' if d.status == 'failed' else '❓'} /retry {d.id} · /skip {d.id} — {d.ref} → {d.channel}: {d.last_error or ''}"
              for d in attention]
    return Answer(tr("status", lang), lines)


def _state_name(status: str, lang: str) -> str:
    key = f"ans.delivery.{status}"
    return t(key, lang) if key in TEXTS else status


def post_detail(store: Store, config: Config, ref: str, lang: str) -> Answer:
    with store.session() as s:
        post = find_post(s, ref)
        state = approval_state(post, repo.live_approvals(s, post.id or 0))
        events = repo.audit_events(s, post_id=post.id)
        deliveries = repo.deliveries_for(s, f"post:{post.key}")
    lines = [f"{post.key} · {post.scheduled_at.astimezone(config.tz):%H:%M %d/%m/%Y} · {post.status} · {state.label()}",
             "", render_markdown(post.body, title=post.title, kicker=kicker_of(post.options)).plain, "", tr("history", lang)]
    lines += [_event_line(config, e.at, e.actor, e.action, e.detail) for e in events]
    lines += [f"→ {d.channel}: {d.status} {','.join(d.message_ids)}" for d in deliveries]
    return Answer(tr("post", lang, id=post.id, title=post.title), lines)


def audit_trail(store: Store, config: Config, ref: str, lang: str) -> Answer:
    with store.session() as s:
        post = find_post(s, ref)
        events = repo.audit_events(s, post_id=post.id)
    return Answer(tr("post", lang, id=post.id, title=post.title), [_event_line(config, e.at, e.actor, e.action, e.detail) for e in events])


def _event_line(config: Config, at: datetime, actor: str, action: str, detail: dict[str, object]) -> str:
    extra = {k: v for k, v in detail.items() if k in ("reason", "channel", "error", "attempted", "late_seconds") and v}
    tail = " " + ", ".join(f"{k}={v}" for k, v in extra.items()) if extra else ""
    return f"{at.astimezone(config.tz):%d/%m %H:%M} {action} — {actor}{tail}"


def help_text(config: Config, lang: str, person: Person | None, *, prefix: str = "/") -> Answer:
    """Every listed command of the registry the reader may use, in their language's word order."""
    lines = [tr("help_public", lang)]
    staff_lines: list[str] = []
    for command in COMMANDS.values():
        role = command.role
        if not command.listed or not role.allows(person):
            continue
        words = (command.name, *command.aliases) if lang == "en" else (*command.aliases, command.name)
        line = f"{' '.join(prefix + w for w in words)} — {command.help(lang)}"
        if role is Role.PUBLIC:
            lines.append(line)
        else:
            staff_lines.append(line)
    if staff_lines:
        lines += ["", tr("help_staff", lang), *staff_lines]
    lines += ["", tr("help_plain", lang)]
    return Answer(tr("start", lang, bot="Loa", name=config.name), lines)


def parse_day(text: str, config: Config, now: datetime, lang: str) -> date:
    """ "27/01", "27/1/2021", "27-01" -> a date; the year is the campaign's when it is left out."""
    m = re.fullmatch(r"\s*(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?\s*", text)
    if not m:
        raise Conflict(tr("bad_date", lang, text=text))
    d, mo, y = int(m.group(1)), int(m.group(2)), m.group(3)
    years = [int(y)] if y else sorted({ms.span.first_day.year for ms in config.milestones} |
                                      {ms.span.last_day.year for ms in config.milestones} | {now.year})
    for year in years:
        try:
            candidate = date(year, mo, d)
        except ValueError:
            continue
        if y or any(ms.span.first_day <= candidate <= ms.span.last_day for ms in config.milestones):
            return candidate
    try:
        return date(int(y) if y else now.astimezone(config.tz).year, mo, d)
    except ValueError:
        raise Conflict(tr("bad_date", lang, text=text)) from None
