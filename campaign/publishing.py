"""Publishing rules on the store: when a post goes out, is held or is missed; deliveries and alerts.

Everything here is a function of the store, the config and the clock, so the scheduler, the
sweep, the simulator and the chat bot all apply the same rules.
"""

from __future__ import annotations

import html
import logging
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from campaign.approvals import approval_state
from campaign.clock import Clock
from campaign.config import Config, Milestone
from campaign.kinds import kinds_where
from campaign.payload import Action, Choice, Payload
from campaign.render import render_markdown
from campaign.states import UPCOMING, VISIBLE, DeliveryState, PostState, PublishAction
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Delivery, Post
from campaign.texts import both, local, pair

log = logging.getLogger(__name__)
PAUSED = "paused"
LATE_NOTE_AFTER = timedelta(minutes=1)


@dataclass
class Outcome:
    key: str
    action: PublishAction
    reason: str = ""
    late: timedelta = timedelta(0)
    delivery_ids: list[int] = field(default_factory=list)
    repeated: bool = False  # the same state as last time (a held post re-checked by the sweep): not worth a log line


def post_payload(post: Post) -> Payload:
    """The message a post becomes, rendered now from the Markdown that sync checked (and hashed)."""
    rendered = render_markdown(post.body, title=post.title)
    options = post.options
    return Payload(html=rendered.telegram_html, plain=rendered.plain, media=tuple(m["path"] for m in post.media),
                   pin=bool(options.get("pin")), silent=bool(options.get("silent")),
                   preview=bool(options.get("preview", True)))


def text_payload(plain: str) -> Payload:
    return Payload(html=html.escape(plain, quote=False), plain=plain)


def is_paused(s: Session) -> bool:
    return repo.get_setting(s, PAUSED) == "1"


def set_paused(store: Store, paused: bool, actor: str, now: datetime) -> bool:
    """Returns whether anything changed."""
    with store.session() as s:
        if is_paused(s) == paused:
            return False
        repo.set_setting(s, PAUSED, "1" if paused else "0")
        repo.audit(s, now, actor, "pause" if paused else "resume")
        s.commit()
    return True


def add_deliveries(s: Session, ref: str, channels: list[str] | tuple[str, ...], payload: Payload, now: datetime,
                   *, post_id: int | None = None, due_at: datetime | None = None, content_hash: str | None = None) -> list[Delivery]:
    """One pending row per channel; a (ref, channel) pair that exists already is left alone."""
    existing = {d.channel for d in repo.deliveries_for(s, ref)}
    rows = [
        Delivery(ref=ref, post_id=post_id, channel=ch, status=DeliveryState.PENDING, due_at=due_at or now, next_attempt_at=now,
                 payload=payload.to_json(), content_hash=content_hash, created_at=now)
        for ch in dict.fromkeys(channels) if ch not in existing
    ]
    s.add_all(rows)
    return rows


_LOGGED: dict[str, None] = {}  # alert refs this process logged, when no alert chat row records them
_LOGGED_MAX = 10_000


def alert(s: Session, config: Config, now: datetime, ref: str, text: str) -> bool:
    """Tell the admins once per ``ref`` through the alert chats, and log it once too (chats may be down).

    A ref names a state (e.g. held, for this content, for this reason), so a held post that the
    sweep re-checks every few seconds logs one line, and a new one when its state changes.
    Returns whether the alert was new.
    """
    rows = add_deliveries(s, f"alert:{ref}", config.alert_chats, text_payload(text), now)
    new = bool(rows) if config.alert_chats else _first_time(ref)
    if new:
        log.warning("alert %s: %s", ref, text.splitlines()[-1])
    return new


def _first_time(ref: str) -> bool:
    if ref in _LOGGED:
        return False
    if len(_LOGGED) >= _LOGGED_MAX:
        _LOGGED.pop(next(iter(_LOGGED)))
    _LOGGED[ref] = None
    return True


def raise_alert(store: Store, config: Config, clock: Clock, ref: str, text: str) -> None:
    """An alert from outside a store transaction (e.g. a channel that has to stop)."""
    with store.session() as s:
        alert(s, config, clock.now(), ref, text)
        s.commit()


def _post_words(post: Post, config: Config) -> dict[str, Any]:
    return {"title": post.title, "key": post.key, "at": local(post.scheduled_at, config.tz)}


def hold_reason(s: Session, config: Config, post: Post) -> tuple[str, str] | None:
    """Why the post may not go out now (vi, en), or None if it may."""
    if post.source_error:
        return pair("reason.broken", error=post.source_error.split(": ", 1)[-1][:200])
    if is_paused(s):
        return pair("reason.paused")
    state = approval_state(post, repo.live_approvals(s, post.id or 0))
    if state.rejected_by:
        who, why = state.rejected_by[0]
        name = config.people[who].name if who in config.people else who
        return pair("reason.rejected", who=name, why=why or "—")
    if not state.approved:
        return pair("reason.approvals", have=len(state.approvers), need=state.required)
    return None


def publish_due(store: Store, config: Config, clock: Clock, key: str) -> Outcome:
    """Apply the rules to one post whose time may have come."""
    now = clock.now()
    with store.session() as s:
        post = repo.post_by_key(s, key)
        if post is None or post.status not in UPCOMING:
            return Outcome(key, PublishAction.SKIPPED)
        if post.scheduled_at > now:
            return Outcome(key, PublishAction.WAIT)
        late = now - post.scheduled_at
        words = _post_words(post, config)
        if late > config.catch_up:
            post.status = PostState.MISSED
            repo.audit(s, now, "scheduler", "missed", post_id=post.id, ref=key, late_seconds=int(late.total_seconds()))
            alert(s, config, now, f"missed:{key}:{post.content_hash[:12]}",
                  both("alert.missed", catch_up=int(config.catch_up.total_seconds() // 60), **words))
            s.commit()
            return Outcome(key, PublishAction.MISSED, late=late)
        reason = hold_reason(s, config, post)
        if reason is not None:
            was_held = post.status == PostState.HELD
            if not was_held:
                post.status = PostState.HELD
                repo.audit(s, now, "scheduler", "held", post_id=post.id, ref=key, reason=reason[1])
            new = alert(s, config, now, f"held:{key}:{post.content_hash[:12]}:{reason[1][:40]}",
                        both("alert.held", reason=reason, **words))
            s.commit()
            return Outcome(key, PublishAction.HELD, reason=reason[1], late=late, repeated=was_held and not new)
        rows = add_deliveries(s, f"post:{key}", post.channels, post_payload(post), now, post_id=post.id,
                              due_at=post.scheduled_at, content_hash=post.content_hash)
        post.status, post.published_hash = PostState.PUBLISHED, post.content_hash
        repo.audit(s, now, "scheduler", "published", post_id=post.id, ref=key, channels=list(post.channels),
                   late_seconds=int(late.total_seconds()))
        if late > LATE_NOTE_AFTER:
            alert(s, config, now, f"late:{key}", both("alert.late", minutes=int(late.total_seconds() // 60), **words))
        try:
            s.commit()
        except IntegrityError:  # another worker published it first
            s.rollback()
            return Outcome(key, PublishAction.SKIPPED)
        return Outcome(key, PublishAction.PUBLISHED, late=late, delivery_ids=[r.id for r in rows if r.id is not None])


# Kinds the platform reviews before followers see them (Zalo OA broadcasts): queued `broadcast_lead` early.
EARLY_KINDS = kinds_where(lambda spec: spec.reviewed_early)


def early_channels(config: Config, channels: list[str] | tuple[str, ...]) -> list[str]:
    """Channels that go out ``broadcast_lead`` ahead: Zalo reviews OA broadcasts before followers see them."""
    if config.zalo.broadcast_lead <= timedelta(0):
        return []
    return [c for c in channels if c in config.channels and config.channels[c].kind in EARLY_KINDS]


def publish_early(store: Store, config: Config, clock: Clock, key: str) -> Outcome:
    """Queue a post's OA broadcast ahead of its time, under the same approval and pause rules."""
    now = clock.now()
    with store.session() as s:
        post = repo.post_by_key(s, key)
        if post is None or post.status not in UPCOMING:
            return Outcome(key, PublishAction.SKIPPED)
        early = early_channels(config, post.channels)
        if not early:
            return Outcome(key, PublishAction.SKIPPED)
        if now < post.scheduled_at - config.zalo.broadcast_lead:
            return Outcome(key, PublishAction.WAIT)
        reason = hold_reason(s, config, post)
        if reason is not None:  # tried again with the other channels at the post's time
            return Outcome(key, PublishAction.HELD, reason=reason[1])
        rows = add_deliveries(s, f"post:{key}", early, post_payload(post), now, post_id=post.id,
                              due_at=post.scheduled_at, content_hash=post.content_hash)
        repo.audit(s, now, "scheduler", "broadcast_early", post_id=post.id, ref=key, channels=early)
        s.commit()
        return Outcome(key, PublishAction.PUBLISHED, delivery_ids=[r.id for r in rows if r.id is not None])


def publish_all_due(store: Store, config: Config, clock: Clock) -> list[Outcome]:
    with store.session() as s:
        keys = [p.key for p in repo.due_posts(s, clock.now())]
    return [publish_due(store, config, clock, k) for k in keys]


# --- reminders and digest ---------------------------------------------------------------------


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
    day = clock.now().astimezone(config.tz).date()
    text = digest_text(store, config, day)
    with store.session() as s:
        rows = add_deliveries(s, f"digest:{day.isoformat()}", config.reminders.digest_chats, text_payload(text), clock.now())
        s.commit()
        return [r.id for r in rows if r.id is not None]


# --- delivery results -------------------------------------------------------------------------


def recover(store: Store, config: Config, clock: Clock) -> list[Delivery]:
    """At start-up (or on taking over as leader): rows caught mid-send become 'unknown' and the
    admins are asked what to do (Resend / It went out)."""
    now = clock.now()
    with store.session() as s:
        rows = repo.mark_stale_sending_unknown(s)
        by_ref: dict[str, list[Delivery]] = {}
        for d in rows:
            repo.audit(s, now, "scheduler", "delivery_unknown", post_id=d.post_id, ref=d.ref, channel=d.channel, delivery=d.id)
            if not d.ref.startswith("alert:"):
                by_ref.setdefault(d.ref, []).append(d)
        for group in by_ref.values():  # one alert per post, however many channels were caught mid-send
            _alert_unknown(s, config, now, group, "alert.unknown")
        s.commit()
    return rows


def unknown_choices(delivery_id: int) -> tuple[tuple[Choice, ...], ...]:
    """Resend / It went out: each acts on every 'unknown' row of the post that ``delivery_id`` belongs to."""
    return ((Choice(Action.RESEND, delivery_id), Choice(Action.WENT_OUT, delivery_id)),)


def _alert_unknown(s: Session, config: Config, now: datetime, rows: list[Delivery], key: str, **words: Any) -> None:
    """One alert per post for its unknown rows: a row joins the post's alert while that is not yet out."""
    first = rows[0]
    pending = list(repo.deliveries_like(s, f"alert:unknown:{first.ref}:", [DeliveryState.PENDING]))
    if pending:  # still waiting to go out: it lists every unknown row of the post
        rows = [d for d in repo.deliveries_for(s, first.ref) if d.status == DeliveryState.UNKNOWN] or rows
        first = min(rows, key=lambda d: d.id or 0)
    text = both(key, title=_title(s, first), channel=", ".join(d.channel for d in rows),
                id=" ".join(str(d.id) for d in rows), **words)
    payload = text_payload(text).with_choices(unknown_choices(first.id or 0))
    if pending:
        for a in pending:
            a.payload = payload.to_json()
        return
    log.warning("alert unknown:%s: %s", first.ref, text.splitlines()[-1])
    add_deliveries(s, f"alert:unknown:{first.ref}:{first.id}", config.alert_chats, payload, now)


def mark_ambiguous(store: Store, config: Config, delivery_id: int, error: str, now: datetime) -> DeliveryState:
    """The platform may have the message (its answer was lost): 'unknown', and the admins decide.

    Never retried by itself, since a retry may post it twice; returns the new status."""
    with store.session() as s:
        d = s.get(Delivery, delivery_id)
        if d is None or d.status != DeliveryState.SENDING:
            return DeliveryState(d.status) if d else DeliveryState.GONE
        d.status, d.last_error = DeliveryState.UNKNOWN, error[:500]
        repo.audit(s, now, "scheduler", "delivery_unknown", post_id=d.post_id, ref=d.ref, channel=d.channel, delivery=d.id,
                   error=d.last_error)
        if not d.ref.startswith("alert:"):
            _alert_unknown(s, config, now, [d], "alert.ambiguous", error=d.last_error)
        s.commit()
        return DeliveryState.UNKNOWN


def _title(s: Session, d: Delivery) -> str:
    if d.post_id is not None:
        post = s.get(Post, d.post_id)
        if post:
            return post.title
    return d.ref


def mark_sent(store: Store, delivery_id: int, message_ids: tuple[str, ...], now: datetime) -> None:
    with store.session() as s:
        d = s.get(Delivery, delivery_id)
        if d is None or d.status != DeliveryState.SENDING:  # recorded already (a retried commit), or resolved by a new leader
            return
        d.status, d.message_ids, d.sent_at, d.last_error = DeliveryState.SENT, list(message_ids), now, None
        repo.audit(s, now, "scheduler", "delivered", post_id=d.post_id, ref=d.ref, channel=d.channel, message_ids=list(message_ids))
        s.commit()


def backoff(config: Config, attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential with jitter: base·2^(n-1), capped, times a random factor in [0.5, 1]."""
    base = config.delivery.backoff * (2 ** max(0, attempts - 1))
    capped = min(base, config.delivery.backoff_max)
    return capped * (0.5 + 0.5 * (rng or random).random())


def mark_failed_attempt(store: Store, config: Config, delivery_id: int, error: str, *, transient: bool,
                        retry_after: float | None, now: datetime) -> DeliveryState:
    """Record a failed attempt; returns the new status (pending for a retry, or failed)."""
    with store.session() as s:
        d = s.get(Delivery, delivery_id)
        if d is None or d.status != DeliveryState.SENDING:  # recorded already (a retried commit), or resolved by a new leader
            return DeliveryState(d.status) if d else DeliveryState.GONE
        d.last_error = error[:500]
        if transient and d.attempts < config.delivery.max_attempts:
            wait = timedelta(seconds=retry_after) if retry_after else backoff(config, d.attempts)
            d.status, d.next_attempt_at = DeliveryState.PENDING, now + wait
            s.commit()
            return DeliveryState.PENDING
        d.status = DeliveryState.FAILED
        repo.audit(s, now, "scheduler", "delivery_failed", post_id=d.post_id, ref=d.ref, channel=d.channel, error=d.last_error,
                   attempts=d.attempts)
        if not d.ref.startswith("alert:"):
            alert(s, config, now, f"failed:{d.id}", both("alert.failed", title=_title(s, d), channel=d.channel,
                                                          error=d.last_error, id=d.id))
        s.commit()
        return DeliveryState.FAILED
