"""Delivery bookkeeping: the rows that queue each message, and what happens to them once sent.

``add_deliveries`` queues one row per channel; ``alert`` tells the admins (once per ref); the
``mark_*`` functions record a send's outcome (sent, a failed attempt with its back-off, or
'unknown' when the answer was lost, which asks the admins); ``recover`` deals with rows caught
mid-send when a process stopped.
"""

from __future__ import annotations

import html
import logging
import random
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from campaign import monitoring
from campaign.clock import Clock
from campaign.config import Config
from campaign.payload import Action, Choice, Payload
from campaign.render import render_markdown
from campaign.states import AuditAction, DeliveryState
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Delivery, Post
from campaign.texts import both

log = logging.getLogger(__name__)


def post_payload(post: Post) -> Payload:
    """The message a post becomes, rendered now from the Markdown that sync checked (and hashed)."""
    rendered = render_markdown(post.body, title=post.title)
    options = post.options
    return Payload(html=rendered.telegram_html, plain=rendered.plain, media=tuple(m["path"] for m in post.media),
                   pin=bool(options.get("pin")), silent=bool(options.get("silent")),
                   preview=bool(options.get("preview", True)),
                   meta={"id": post.key, "title": post.title, "markdown": post.body, "milestone": post.milestone or "",
                         "time": post.scheduled_at.isoformat(), "version": post.content_hash[:16]})


def text_payload(plain: str) -> Payload:
    return Payload(html=html.escape(plain, quote=False), plain=plain)


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


def recover(store: Store, config: Config, clock: Clock) -> list[Delivery]:
    """At start-up (or on taking over as leader): rows caught mid-send become 'unknown' and the
    admins are asked what to do (Resend / It went out)."""
    now = clock.now()
    with store.session() as s:
        rows = repo.mark_stale_sending_unknown(s)
        by_ref: dict[str, list[Delivery]] = {}
        for d in rows:
            repo.audit(s, now, "scheduler", AuditAction.DELIVERY_UNKNOWN, post_id=d.post_id, ref=d.ref, channel=d.channel, delivery=d.id)
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
        repo.audit(s, now, "scheduler", AuditAction.DELIVERY_UNKNOWN, post_id=d.post_id, ref=d.ref, channel=d.channel, delivery=d.id,
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
        repo.audit(s, now, "scheduler", AuditAction.DELIVERED, post_id=d.post_id, ref=d.ref, channel=d.channel, message_ids=list(message_ids))
        s.commit()
    monitoring.note_send(store, now)


def backoff(config: Config, attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential with jitter: base·2^(n-1), capped, times a random factor in [0.5, 1]."""
    base = config.delivery.backoff * (1 << max(0, attempts - 1))  # 2^(n-1), typed int (2 ** n is Any to mypy)
    capped = min(base, config.delivery.backoff_max)
    jitter = rng.random() if rng is not None else random.random()
    return capped * (0.5 + 0.5 * jitter)


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
            if retry_after:  # a 429 (flood wait): an incident of ours, in the report against the plan
                repo.audit(s, now, "scheduler", AuditAction.RATE_LIMITED, post_id=d.post_id, ref=d.ref, channel=d.channel,
                           retry_after=retry_after)
            s.commit()
            return DeliveryState.PENDING
        d.status = DeliveryState.FAILED
        repo.audit(s, now, "scheduler", AuditAction.DELIVERY_FAILED, post_id=d.post_id, ref=d.ref, channel=d.channel, error=d.last_error,
                   attempts=d.attempts)
        if not d.ref.startswith("alert:"):
            alert(s, config, now, f"failed:{d.id}", both("alert.failed", title=_title(s, d), channel=d.channel,
                                                          error=d.last_error, id=d.id))
        s.commit()
        return DeliveryState.FAILED
