"""Admin operations on deliveries and published posts: retry, skip, retract, correct, pause.

The state changes and their checks live here; the channel calls (delete, edit) are made by the
engine between ``*_targets`` and ``record_*``, because ``campaign`` knows no platform.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from campaign.approvals import approval_state
from campaign.clock import Clock
from campaign.config import Config
from campaign.deliveries import post_payload
from campaign.errors import Conflict, NotFound
from campaign.payload import Payload
from campaign.publishing import set_paused
from campaign.review import Actor, find_post, require
from campaign.states import ATTENTION, AuditAction, DeliveryState, PostState
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Delivery
from campaign.texts import inline
from campaign.texts import t as text


@dataclass(frozen=True)
class Target:
    delivery_id: int
    channel: str
    message_ids: tuple[str, ...]
    sent_at: datetime | None = None  # which chat the message lives in, if the chat moved since (campaign.chats)
    media: tuple[str, ...] = ()  # a caption, not a text, is what can be edited


@dataclass
class Retraction:
    """What ``/retract`` did in each channel: deleted, replaced by the notice, or still showing the post."""

    post_id: int
    deleted: list[str] = field(default_factory=list)  # channel keys
    replaced: dict[str, int] = field(default_factory=dict)  # channel key -> other album items still showing
    failed: dict[str, str] = field(default_factory=dict)  # channel key -> why it still shows the post

    @property
    def complete(self) -> bool:
        return not self.failed

    def report(self, config: Config, lang: str) -> str:
        """The admin's answer in plain words: where the post is gone, where the notice stands, what still shows."""
        def names(keys: Iterable[str]) -> str:
            return ", ".join(_label(config, k) for k in keys)

        lines = [text("retract.done", lang, id=self.post_id) if self.complete
                 else text("retract.partial", lang, id=self.post_id, channels=names(self.failed))]
        if self.deleted:
            lines.append(text("retract.deleted", lang, channels=names(self.deleted)))
        if self.replaced:
            lines.append(text("retract.replaced", lang, channels=names(self.replaced)))
        lines += [text("retract.album", lang, channel=_label(config, k), n=n) for k, n in self.replaced.items() if n]
        lines += [text("retract.failed", lang, channel=_label(config, k), reason=why) for k, why in self.failed.items()]
        return "\n".join(lines)


def _label(config: Config, key: str) -> str:
    ch = config.channels.get(key)
    return f"«{ch.label}» ({key})" if ch else key


def pause(store: Store, clock: Clock, actor: Actor, paused: bool) -> bool:
    with store.session() as s:
        require(s, actor, "admin", clock.now(), AuditAction.PAUSE if paused else AuditAction.RESUME)
    return set_paused(store, paused, actor.label, clock.now())


def retry_delivery(store: Store, clock: Clock, actor: Actor, delivery_id: int) -> Delivery:
    """A failed or unknown delivery goes back to the queue, attempts reset (the admin checked)."""
    now = clock.now()

    def requeue(d: Delivery) -> None:
        d.status, d.attempts, d.next_attempt_at, d.last_error = DeliveryState.PENDING, 0, now, None

    return _change_delivery(store, now, actor, delivery_id, AuditAction.RETRY, ATTENTION, requeue)


def skip_delivery(store: Store, clock: Clock, actor: Actor, delivery_id: int) -> Delivery:
    """Give up on a delivery (or, for an unknown one, accept that it went out)."""

    def skip(d: Delivery) -> None:
        d.status = DeliveryState.SKIPPED

    return _change_delivery(store, clock.now(), actor, delivery_id, AuditAction.SKIP, (*ATTENTION, DeliveryState.PENDING), skip)


def unknown_group(store: Store, delivery_id: int) -> list[int]:
    """The 'unknown' rows of the post (or message) that ``delivery_id`` belongs to: what one alert's
    Resend / It went out button acts on. Each is then retried or skipped, and audited, one by one."""
    with store.session() as s:
        d = s.get(Delivery, delivery_id)
        if d is None:
            raise NotFound(inline("operations.no_delivery", id=delivery_id))
        ids = [r.id or 0 for r in repo.deliveries_for(s, d.ref) if r.status == DeliveryState.UNKNOWN]
    if not ids:
        raise Conflict(inline("operations.nothing_unknown", id=delivery_id))
    return ids


def _change_delivery(store: Store, now: datetime, actor: Actor, delivery_id: int, action: AuditAction,
                     allowed: tuple[DeliveryState, ...], change: Callable[[Delivery], None]) -> Delivery:
    with store.session() as s:
        require(s, actor, "admin", now, action)
        d = s.get(Delivery, delivery_id)
        if d is None:
            raise NotFound(inline("operations.no_delivery", id=delivery_id))
        if d.status not in allowed:
            raise Conflict(" / ".join((
                text("operations.wrong_state", "vi", id=delivery_id, status=d.status, action=action, allowed=" / ".join(allowed)),
                text("operations.wrong_state", "en", id=delivery_id, status=d.status, action=action, allowed=" or ".join(allowed)),
            )))
        previous = d.status
        change(d)
        repo.audit(s, now, actor.label, action, post_id=d.post_id, ref=d.ref, channel=d.channel, delivery=d.id, was=previous)
        s.commit()
        return d


def _sent_targets(s: Any, key: str) -> list[Target]:
    return [sent_target(d) for d in repo.deliveries_for(s, f"post:{key}") if d.status == DeliveryState.SENT and d.message_ids]


def sent_target(d: Delivery) -> Target:
    return Target(d.id or 0, d.channel, tuple(d.message_ids), d.sent_at, Payload.from_json(d.payload).media)


def retract_targets(store: Store, clock: Clock, actor: Actor, ref: str) -> tuple[int, str, list[Target]]:
    with store.session() as s:
        post = find_post(s, ref)
        require(s, actor, "admin", clock.now(), "retract", post)
        if post.status != PostState.PUBLISHED:
            raise Conflict(inline("operations.not_published", id=post.id, status=post.status))
        return post.id or 0, post.title, _sent_targets(s, post.key)


def correct_targets(store: Store, clock: Clock, actor: Actor, ref: str) -> tuple[int, Payload, list[Target]]:
    """The new payload and where it goes; only for a published post whose new content is approved."""
    with store.session() as s:
        post = find_post(s, ref)
        require(s, actor, "admin", clock.now(), "correct", post)
        if post.status != PostState.PUBLISHED:
            raise Conflict(inline("operations.not_published", id=post.id, status=post.status))
        if not post.changed_after_publish:
            raise Conflict(inline("operations.no_change", id=post.id))
        state = approval_state(post, repo.live_approvals(s, post.id or 0))
        if not state.approved:
            raise Conflict(inline("operations.not_approved", id=post.id, state=state.label()))
        return post.id or 0, post_payload(post), _sent_targets(s, post.key)


def record_retraction(store: Store, clock: Clock, actor: Actor, post_id: int, done: list[int], errors: dict[int, str],
                      replaced: dict[int, int] | None = None) -> Retraction:
    """``done``: deliveries withdrawn, of which ``replaced`` (id -> album items left) by the notice, not deleted."""
    now, replaced = clock.now(), replaced or {}
    result = Retraction(post_id)
    with store.session() as s:
        post = find_post(s, post_id)
        outcome: dict[str, str] = {}
        for d_id in sorted(done):  # delivery order, not the order the channels happened to answer in
            d = s.get(Delivery, d_id)
            if d is not None:
                d.status = DeliveryState.RETRACTED
                if d_id in replaced:
                    result.replaced[d.channel] = replaced[d_id]
                    outcome[d.channel] = "notice" if not replaced[d_id] else f"notice, {replaced[d_id]} items left"
                else:
                    result.deleted.append(d.channel)
                    outcome[d.channel] = "deleted"
        for d_id, error in errors.items():
            d = s.get(Delivery, d_id)
            result.failed[d.channel if d else str(d_id)] = error
            outcome[d.channel if d else str(d_id)] = f"still shown: {error}"
        if not errors:
            post.status = PostState.RETRACTED
        repo.audit(s, now, actor.label, AuditAction.RETRACTED if not errors else AuditAction.RETRACT_PARTIAL, post_id=post.id, ref=post.key,
                   deleted=[i for i in done if i not in replaced], replaced=sorted(replaced),
                   errors={str(k): v for k, v in errors.items()}, channels=outcome)
        s.commit()
    return result


def record_correction(store: Store, clock: Clock, actor: Actor, post_id: int, payload: Payload, done: list[int],
                      errors: dict[int, str]) -> None:
    now = clock.now()
    with store.session() as s:
        post = find_post(s, post_id)
        for d_id in done:
            d = s.get(Delivery, d_id)
            if d is not None:
                d.payload, d.content_hash = payload.to_json(), post.content_hash
        if not errors:
            post.published_hash = post.content_hash
        repo.audit(s, now, actor.label, AuditAction.CORRECTED if not errors else AuditAction.CORRECT_PARTIAL, post_id=post.id, ref=post.key,
                   content_hash=post.content_hash, edited=done, errors={str(k): v for k, v in errors.items()})
        s.commit()
