"""Publishing rules on the store: when a post goes out, is held or is missed; pause and resume.

Everything here is a function of the store, the config and the clock, so the scheduler, the
sweep, the simulator and the chat bot all apply the same rules. The rows a published post
becomes are ``campaign.deliveries``' business; reminders and the digest are ``campaign.reminders``'.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from campaign.approvals import approval_state
from campaign.clock import Clock
from campaign.config import Config
from campaign.deliveries import add_deliveries, alert, post_payload
from campaign.kinds import kinds_where
from campaign.states import UPCOMING, AuditAction, PostState, PublishAction
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Post
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


def is_paused(s: Session) -> bool:
    return repo.get_setting(s, PAUSED) == "1"


def set_paused(store: Store, paused: bool, actor: str, now: datetime) -> bool:
    """Returns whether anything changed."""
    with store.session() as s:
        if is_paused(s) == paused:
            return False
        repo.set_setting(s, PAUSED, "1" if paused else "0")
        repo.audit(s, now, actor, AuditAction.PAUSE if paused else AuditAction.RESUME)
        s.commit()
    return True


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
            repo.audit(s, now, "scheduler", AuditAction.MISSED, post_id=post.id, ref=key, late_seconds=int(late.total_seconds()))
            alert(s, config, now, f"missed:{key}:{post.content_hash[:12]}",
                  both("alert.missed", catch_up=int(config.catch_up.total_seconds() // 60), **words))
            s.commit()
            return Outcome(key, PublishAction.MISSED, late=late)
        reason = hold_reason(s, config, post)
        if reason is not None:
            was_held = post.status == PostState.HELD
            if not was_held:
                post.status = PostState.HELD
                repo.audit(s, now, "scheduler", AuditAction.HELD, post_id=post.id, ref=key, reason=reason[1])
            new = alert(s, config, now, f"held:{key}:{post.content_hash[:12]}:{reason[1][:40]}",
                        both("alert.held", reason=reason, **words))
            s.commit()
            return Outcome(key, PublishAction.HELD, reason=reason[1], late=late, repeated=was_held and not new)
        rows = add_deliveries(s, f"post:{key}", post.channels, post_payload(post), now, post_id=post.id,
                              due_at=post.scheduled_at, content_hash=post.content_hash)
        post.status, post.published_hash = PostState.PUBLISHED, post.content_hash
        repo.audit(s, now, "scheduler", AuditAction.PUBLISHED, post_id=post.id, ref=key, channels=list(post.channels),
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
        repo.audit(s, now, "scheduler", AuditAction.BROADCAST_EARLY, post_id=post.id, ref=key, channels=early)
        s.commit()
        return Outcome(key, PublishAction.PUBLISHED, delivery_ids=[r.id for r in rows if r.id is not None])


def publish_all_due(store: Store, config: Config, clock: Clock) -> list[Outcome]:
    with store.session() as s:
        keys = [p.key for p in repo.due_posts(s, clock.now())]
    return [publish_due(store, config, clock, k) for k in keys]
