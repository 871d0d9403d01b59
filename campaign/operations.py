"""Admin operations on deliveries and published posts: retry, skip, retract, correct, pause.

The state changes and their checks live here; the channel calls (delete, edit) are made by the
engine between ``*_targets`` and ``record_*``, because ``campaign`` knows no platform.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from campaign.approvals import approval_state
from campaign.clock import Clock
from campaign.errors import Conflict, NotFound
from campaign.publishing import post_payload, set_paused
from campaign.review import Actor, find_post, require
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Delivery


@dataclass(frozen=True)
class Target:
    delivery_id: int
    channel: str
    message_ids: tuple[str, ...]


def pause(store: Store, clock: Clock, actor: Actor, paused: bool) -> bool:
    with store.session() as s:
        require(s, actor, "admin", clock.now(), "pause" if paused else "resume")
    return set_paused(store, paused, actor.label, clock.now())


def retry_delivery(store: Store, clock: Clock, actor: Actor, delivery_id: int) -> Delivery:
    """A failed or unknown delivery goes back to the queue, attempts reset (the admin checked)."""
    now = clock.now()

    def requeue(d: Delivery) -> None:
        d.status, d.attempts, d.next_attempt_at, d.last_error = "pending", 0, now, None

    return _change_delivery(store, now, actor, delivery_id, "retry", ("failed", "unknown"), requeue)


def skip_delivery(store: Store, clock: Clock, actor: Actor, delivery_id: int) -> Delivery:
    """Give up on a delivery (or, for an unknown one, accept that it went out)."""

    def skip(d: Delivery) -> None:
        d.status = "skipped"

    return _change_delivery(store, clock.now(), actor, delivery_id, "skip", ("failed", "unknown", "pending"), skip)


def unknown_group(store: Store, delivery_id: int) -> list[int]:
    """The 'unknown' rows of the post (or message) that ``delivery_id`` belongs to: what one alert's
    Resend / It went out button acts on. Each is then retried or skipped, and audited, one by one."""
    with store.session() as s:
        d = s.get(Delivery, delivery_id)
        if d is None:
            raise NotFound(f"không có lượt gửi #{delivery_id} / no delivery #{delivery_id}")
        ids = [r.id or 0 for r in repo.deliveries_for(s, d.ref) if r.status == "unknown"]
    if not ids:
        raise Conflict(f"không còn lượt gửi nào chưa rõ của #{delivery_id} (đã xử lý) / "
                       f"nothing unknown is left for #{delivery_id} (already handled)")
    return ids


def _change_delivery(store: Store, now: datetime, actor: Actor, delivery_id: int, action: str,
                     allowed: tuple[str, ...], change: Callable[[Delivery], None]) -> Delivery:
    with store.session() as s:
        require(s, actor, "admin", now, action)
        d = s.get(Delivery, delivery_id)
        if d is None:
            raise NotFound(f"không có lượt gửi #{delivery_id} / no delivery #{delivery_id}")
        if d.status not in allowed:
            raise Conflict(f"lượt gửi #{delivery_id} đang '{d.status}', cần {' / '.join(allowed)} / "
                           f"delivery #{delivery_id} is '{d.status}', {action} needs {' or '.join(allowed)}")
        previous = d.status
        change(d)
        repo.audit(s, now, actor.label, action, post_id=d.post_id, ref=d.ref, channel=d.channel, delivery=d.id, was=previous)
        s.commit()
        return d


def _sent_targets(s: Any, key: str) -> list[Target]:
    return [Target(d.id or 0, d.channel, tuple(d.message_ids)) for d in repo.deliveries_for(s, f"post:{key}")
            if d.status == "sent" and d.message_ids]


def retract_targets(store: Store, clock: Clock, actor: Actor, ref: str) -> tuple[int, str, list[Target]]:
    with store.session() as s:
        post = find_post(s, ref)
        require(s, actor, "admin", clock.now(), "retract", post)
        if post.status != "published":
            raise Conflict(f"bài #{post.id} chưa đăng ({post.status}) / post #{post.id} is not published ({post.status})")
        return post.id or 0, post.title, _sent_targets(s, post.key)


def correct_targets(store: Store, clock: Clock, actor: Actor, ref: str) -> tuple[int, dict[str, Any], list[Target]]:
    """The new payload and where it goes; only for a published post whose new content is approved."""
    with store.session() as s:
        post = find_post(s, ref)
        require(s, actor, "admin", clock.now(), "correct", post)
        if post.status != "published":
            raise Conflict(f"bài #{post.id} chưa đăng ({post.status}) / post #{post.id} is not published ({post.status})")
        if not post.changed_after_publish:
            raise Conflict(f"bài #{post.id} không có thay đổi sau khi đăng / post #{post.id} has no change since publishing")
        state = approval_state(post, repo.live_approvals(s, post.id or 0))
        if not state.approved:
            raise Conflict(f"nội dung mới của bài #{post.id} chưa được duyệt ({state.label()}) / "
                           f"the new content of post #{post.id} is not approved yet")
        return post.id or 0, post_payload(post), _sent_targets(s, post.key)


def record_retraction(store: Store, clock: Clock, actor: Actor, post_id: int, done: list[int], errors: dict[int, str]) -> None:
    now = clock.now()
    with store.session() as s:
        post = find_post(s, post_id)
        for d_id in done:
            d = s.get(Delivery, d_id)
            if d is not None:
                d.status = "retracted"
        if not errors:
            post.status = "retracted"
        repo.audit(s, now, actor.label, "retracted" if not errors else "retract_partial", post_id=post.id, ref=post.key,
                   deleted=done, errors={str(k): v for k, v in errors.items()})
        s.commit()


def record_correction(store: Store, clock: Clock, actor: Actor, post_id: int, payload: dict[str, Any], done: list[int],
                      errors: dict[int, str]) -> None:
    now = clock.now()
    with store.session() as s:
        post = find_post(s, post_id)
        for d_id in done:
            d = s.get(Delivery, d_id)
            if d is not None:
                d.payload, d.content_hash = payload, post.content_hash
        if not errors:
            post.published_hash = post.content_hash
        repo.audit(s, now, actor.label, "corrected" if not errors else "correct_partial", post_id=post.id, ref=post.key,
                   content_hash=post.content_hash, edited=done, errors={str(k): v for k, v in errors.items()})
        s.commit()
