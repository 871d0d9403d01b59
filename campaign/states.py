"""The states a post and a delivery go through, and the other small vocabularies of the store.

The values are the strings the database holds (``posts.status``, ``deliveries.status``,
``approvals.decision``, ``chat_moves.source``), so these enums need no migration: a row read back
gives a plain ``str``, which compares equal to the member (``StrEnum``).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ATTENTION",
    "UPCOMING",
    "VISIBLE",
    "DeliveryState",
    "MoveSource",
    "PostState",
    "PublishAction",
    "Vote",
]


class PostState(StrEnum):
    """``posts.status``: where a post is on its way out."""

    SCHEDULED = "scheduled"  # waiting for its time
    HELD = "held"  # its time came, but it may not go out (approvals, pause, a broken file); looked at again
    MISSED = "missed"  # its time passed beyond catch_up without it going out
    PUBLISHED = "published"  # its deliveries are queued
    RETRACTED = "retracted"  # its messages were deleted by an admin
    WITHDRAWN = "withdrawn"  # its file was deleted (or the simulator left it out)
    NEW = "new"  # not in the store yet (``loa plan`` before a sync); never stored


class DeliveryState(StrEnum):
    """``deliveries.status``: one message to one channel."""

    PENDING = "pending"  # queued, or waiting for its next attempt
    SENDING = "sending"  # claimed by a worker: on the wire until its result is recorded
    SENT = "sent"
    FAILED = "failed"  # gave up (a permanent error, or out of attempts)
    UNKNOWN = "unknown"  # the platform may have it (the answer was lost): the admins decide
    SKIPPED = "skipped"  # an admin said not to send it (or that it went out)
    RETRACTED = "retracted"  # deleted again by an admin
    GONE = "gone"  # no such row (what a record function returns for it); never stored


class PublishAction(StrEnum):
    """What applying the publishing rules to a post did (``publishing.Outcome.action``)."""

    PUBLISHED = "published"
    HELD = "held"
    MISSED = "missed"
    WAIT = "wait"  # not its time yet
    SKIPPED = "skipped"  # nothing to do (gone, already out, or another worker did it)


class Vote(StrEnum):
    """``approvals.decision``."""

    APPROVE = "approve"
    REJECT = "reject"


class MoveSource(StrEnum):
    """``chat_moves.source``: how Loa learned that a chat changed its id."""

    SEND = "send"  # a send was refused, naming the new chat, and followed
    UPDATE = "update"  # the chat's own service message


class MarkState(StrEnum):
    """A post's colour on the dashboard, the plan picture and the calendars: one word for where it stands."""

    WAITING = "waiting"  # for approvals
    APPROVED = "approved"
    HELD = "held"
    PUBLISHED = "published"
    MISSED = "missed"
    FAILED = "failed"  # a delivery failed or is unknown
    REJECTED = "rejected"
    RETRACTED = "retracted"  # or withdrawn


# What the public side shows of a post.
PUBLIC_MARKS: tuple[MarkState, ...] = (MarkState.APPROVED, MarkState.PUBLISHED)


class AuditAction(StrEnum):
    """``audit_events.action``: what happened, as ``loa audit``, the dashboard and the report read it."""

    # the files (campaign.sync)
    ADDED = "added"
    CHANGED = "changed"
    CHANGED_AFTER_PUBLISH = "changed_after_publish"
    RESCHEDULED = "rescheduled"
    RESTORED = "restored"
    WITHDRAWN = "withdrawn"
    SOURCE_BROKEN = "source_broken"
    SOURCE_DELETED_AFTER_PUBLISH = "source_deleted_after_publish"
    # people (campaign.review, campaign.operations, campaign.signin)
    APPROVED = "approved"
    REJECTED = "rejected"
    OVERRIDE = "override"
    REFUSED = "refused"
    PAUSE = "pause"
    RESUME = "resume"
    RETRY = "retry"
    SKIP = "skip"
    RETRACTED = "retracted"
    RETRACT_PARTIAL = "retract_partial"
    CORRECTED = "corrected"
    CORRECT_PARTIAL = "correct_partial"
    WEB_LINK = "web-link"
    WEB_SIGNIN = "web-signin"
    DRAFTED = "drafted"  # a draft written from chat into content/inbox
    # the scheduler (campaign.publishing, campaign.deliveries, campaign.chats)
    PUBLISHED = "published"
    HELD = "held"
    MISSED = "missed"
    BROADCAST_EARLY = "broadcast_early"
    DELIVERED = "delivered"
    DELIVERY_UNKNOWN = "delivery_unknown"
    DELIVERY_FAILED = "delivery_failed"
    RATE_LIMITED = "rate_limited"
    CHAT_MOVED = "chat_moved"


# Posts whose time may still come: the scheduler's and the reviewers' working set.
UPCOMING: tuple[PostState, ...] = (PostState.SCHEDULED, PostState.HELD)
# Posts the chat answers list.
VISIBLE: tuple[PostState, ...] = (PostState.SCHEDULED, PostState.HELD, PostState.PUBLISHED)
# Deliveries an admin has to look at.
ATTENTION: tuple[DeliveryState, ...] = (DeliveryState.FAILED, DeliveryState.UNKNOWN)
