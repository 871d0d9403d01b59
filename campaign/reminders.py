"""Milestone reminders and the daily digest: messages the campaign's timeline produces by itself."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from campaign.approvals import approval_state
from campaign.clock import Clock
from campaign.config import Config, Milestone
from campaign.deliveries import add_deliveries, text_payload
from campaign.states import VISIBLE, PostState
from campaign.store import repo
from campaign.store.db import Store
from campaign.texts import both, local, pair


def reminder_times(config: Config) -> list[tuple[str, Milestone, str, datetime]]:
    """(job ref, milestone, offset text, when) for every milestone reminder."""
    out = []
    for m in config.milestones:
        for text, offset in config.reminders.offsets:
            when = offset.apply(m.span.first_day, m.span.start, config.tz)
            out.append((f"remind:{m.id}:{text.replace(' ', '')}", m, text, when))
    return out


def send_reminder(store: Store, config: Config, clock: Clock, ref: str) -> list[int]:
    now = clock.now()
    match = next(((m, when) for r, m, _t, when in reminder_times(config) if r == ref), None)
    if match is None or not config.reminders.channels:
        return []
    milestone, when = match
    if now < when or now - when > config.catch_up:
        return []
    text = both("reminder", when=pair("reminder.starts", at=local(milestone.span.start, config.tz)),
                title=milestone.title, description=milestone.description or "—")
    with store.session() as s:
        rows = add_deliveries(s, ref, config.reminders.channels, text_payload(text), now, due_at=when)
        s.commit()
        return [r.id for r in rows if r.id is not None]


def digest_text(store: Store, config: Config, day: date) -> str:
    start = datetime.combine(day, time(0), tzinfo=config.tz)
    with store.session() as s:
        posts = repo.posts_between(s, start, start + timedelta(days=1), statuses=list(VISIBLE))
        approvals = repo.approvals_for(s, [p.id for p in posts if p.id])
    lines = [both("digest.title", day=day.strftime("%d/%m/%Y"))]
    if not posts:
        lines.append(both("digest.none"))
    pending = []
    for p in posts:
        state = approval_state(p, approvals.get(p.id or 0, []))
        mark = "✅" if p.status == PostState.PUBLISHED or state.approved else "⏳"
        lines.append(f"{mark} {local(p.scheduled_at, config.tz, '%H:%M')} {p.title} ({', '.join(p.channels)})")
        if p.status != PostState.PUBLISHED and not state.approved:
            pending.append(f"• {p.key} — {state.label()}")
    if pending:
        lines += [both("digest.pending", n=len(pending)), *pending]
    return "\n".join(lines)


def send_digest(store: Store, config: Config, clock: Clock) -> list[int]:
    """The morning digest; nothing at all on a day with no posts (a daily "no posts today" is noise)."""
    day = clock.now().astimezone(config.tz).date()
    start = datetime.combine(day, time(0), tzinfo=config.tz)
    with store.session() as s:
        if not repo.posts_between(s, start, start + timedelta(days=1), statuses=list(VISIBLE)):
            return []
    text = digest_text(store, config, day)
    with store.session() as s:
        rows = add_deliveries(s, f"digest:{day.isoformat()}", config.reminders.digest_chats, text_payload(text), clock.now())
        s.commit()
        return [r.id for r in rows if r.id is not None]
