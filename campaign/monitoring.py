"""What ``/healthz`` and ``/metrics`` report from the store (the queries; web/ only formats them)."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, text
from sqlmodel import col, select

from campaign.states import UPCOMING, DeliveryState
from campaign.store.db import Store
from campaign.store.models import Delivery, Post

AWAITING = UPCOMING  # post states in which approvals still matter


@dataclass(frozen=True)
class HealthFacts:
    pending: int
    unknown: int
    last_publish: datetime | None


def health_facts(store: Store) -> HealthFacts:
    """One statement of three indexed reads: cheap enough for a load balancer's probe every second."""
    def count(status: str) -> Any:
        return select(func.count()).select_from(Delivery).where(Delivery.status == status).scalar_subquery()

    last = select(func.max(Delivery.sent_at)).scalar_subquery()
    with store.session() as s:
        pending, unknown, last_publish = s.exec(select(count(DeliveryState.PENDING), count(DeliveryState.UNKNOWN), last)).one()
    if isinstance(last_publish, str):  # SQLite hands a subquery's datetime back as text
        last_publish = datetime.fromisoformat(last_publish)
    if last_publish is not None and last_publish.tzinfo is None:
        last_publish = last_publish.replace(tzinfo=UTC)
    return HealthFacts(pending=int(pending), unknown=int(unknown), last_publish=last_publish)


_last_local_send: weakref.WeakKeyDictionary[Store, datetime] = weakref.WeakKeyDictionary()


def note_send(store: Store, at: datetime) -> None:
    """A delivery this process recorded as sent: /healthz shows it before its next store reading."""
    if (last := _last_local_send.get(store)) is None or at > last:
        _last_local_send[store] = at


def last_local_send(store: Store) -> datetime | None:
    return _last_local_send.get(store)


def ping(store: Store) -> None:
    """Raises if the store cannot be reached."""
    with store.session() as s:
        s.exec(select(text("1"))).one()


@dataclass(frozen=True)
class Counts:
    deliveries: dict[tuple[str, str], int]  # (channel key, status) -> n
    posts: dict[str, int]  # status -> n
    approvals_pending: int  # posts still to go out that lack approvals (none rejected)


def counts(store: Store) -> Counts:
    with store.session() as s:
        deliveries = {(ch, st): n for ch, st, n in s.exec(
            select(Delivery.channel, Delivery.status, func.count()).group_by(Delivery.channel, Delivery.status)).all()}
        posts = dict(s.exec(select(Post.status, func.count()).group_by(Post.status)).all())
        pending = s.exec(select(func.count()).select_from(Post).where(
            col(Post.status).in_(AWAITING), col(Post.approved_by) < col(Post.approvals_required),
            col(Post.rejected).is_(False))).one()
    return Counts(deliveries=deliveries, posts=posts, approvals_pending=int(pending))
