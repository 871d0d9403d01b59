"""Tables. Small classes, one per thing the campaign remembers; all times aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from campaign.states import DeliveryState, MoveSource, PostState


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


# jsonb on PostgreSQL: json has no btree operator class, and ix_posts_board carries the channels
INDEXABLE_JSON = JSON().with_variant(JSONB(), "postgresql")


BOARD_COLUMNS = ("scheduled_at", "status", "rejected", "approved_by", "approvals_required", "published_hash",
                 "content_hash", "channels")


class Post(SQLModel, table=True):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_listing", "status", "scheduled_at", "approved_by", "approvals_required", "rejected"),
        # everything the timeline counts per (channels, time, state) of a window: read from the index alone
        # (board.clusters: a month of 10,000 posts without touching their bodies)
        Index("ix_posts_board", *BOARD_COLUMNS),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=300)
    source_path: str
    title: str
    milestone: str | None = None
    time_text: str = ""
    scheduled_at: datetime = _utc(index=True)
    channels: list[str] = Field(default_factory=list, sa_column=Column(INDEXABLE_JSON, nullable=False))
    media: list[dict[str, Any]] = _json()
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    approvals_required: int = 1
    author: str | None = None
    body: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    file_hash: str = Field(max_length=64)
    file_stat: str | None = Field(default=None, max_length=100)  # size:mtime_ns:ctime_ns:inode when parsed (sync skips on it)
    status: str = Field(default=PostState.SCHEDULED, max_length=20)  # a PostState; indexed first in ix_posts_listing
    published_hash: str | None = Field(default=None, max_length=64)
    # distinct approvers of the current content and whether someone rejected it: kept in step with the
    # approvals table by repo.add_approval/count_votes, so listings filter in SQL (the rules read approvals)
    approved_by: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    rejected: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    source_error: str | None = None
    updated_at: datetime = _utc()

    @property
    def changed_after_publish(self) -> bool:
        return self.published_hash is not None and self.published_hash != self.content_hash


class Approval(SQLModel, table=True):
    __tablename__ = "approvals"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="posts.id", index=True)
    content_hash: str = Field(max_length=64)
    person: str
    decision: str = Field(max_length=10)  # a Vote: approve | reject
    reason: str | None = None
    at: datetime = _utc()
    voided_at: datetime | None = _utc(nullable=True)


class Delivery(SQLModel, table=True):
    """One message to one channel: a post, a milestone reminder, a digest or an alert."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("ref", "channel", name="uq_delivery_ref_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(index=True, max_length=300)
    post_id: int | None = Field(default=None, foreign_key="posts.id", index=True)
    channel: str = Field(max_length=100)
    status: str = Field(default=DeliveryState.PENDING, index=True, max_length=20)  # a DeliveryState
    due_at: datetime = _utc()
    next_attempt_at: datetime = _utc(index=True)
    attempts: int = 0
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    content_hash: str | None = Field(default=None, max_length=64)
    message_ids: list[str] = _json()
    last_error: str | None = None
    sent_at: datetime | None = _utc(nullable=True, index=True)  # indexed: /healthz's last publish
    created_at: datetime = _utc()


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc(index=True)
    actor: str
    action: str = Field(index=True, max_length=50)
    post_id: int | None = Field(default=None, index=True)
    ref: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class PostVersion(SQLModel, table=True):
    """Each distinct content of a post, kept so "what changed" and history survive edits."""

    __tablename__ = "post_versions"
    __table_args__ = (UniqueConstraint("post_id", "content_hash", name="uq_post_version"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="posts.id", index=True)
    content_hash: str = Field(max_length=64)
    title: str
    time_text: str = ""
    channels: list[str] = _json()
    body: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = _utc()


class Setting(SQLModel, table=True):
    __tablename__ = "settings"

    key: str = Field(primary_key=True, max_length=100)
    value: str


class ZaloToken(SQLModel, table=True):
    """The OA token pair: refresh tokens are single-use, so the pair is saved before use."""

    __tablename__ = "zalo_tokens"

    id: int = Field(default=1, primary_key=True)
    access_token: str = Field(sa_column=Column(Text, nullable=False))
    refresh_token: str = Field(sa_column=Column(Text, nullable=False))
    expires_at: datetime = _utc()
    updated_at: datetime = _utc()
    generation: int = 0


class ChatMove(SQLModel, table=True):
    """A chat that changed its id (a Telegram group upgraded to a supergroup): later sends follow it.

    ``at`` is when Loa learned of it: messages sent before it stay in the old chat, the ones after
    it went to the new one, so edits and deletes know where each message lives.
    """

    __tablename__ = "chat_moves"

    kind: str = Field(primary_key=True, max_length=20)  # channel kind, e.g. "telegram"
    old_chat: str = Field(primary_key=True, max_length=100)
    new_chat: str = Field(max_length=100)
    at: datetime = _utc()
    source: str = Field(default=MoveSource.SEND, max_length=20)  # a MoveSource: send (refused, then followed) | update


class PullItem(SQLModel, table=True):
    """A post published to a pull channel (feed, LED screen): what ``web/`` serves for it.

    Retracting marks it rather than deleting it (the delivery still names it); corrections rewrite it.
    """

    __tablename__ = "pull_items"
    __table_args__ = (Index("ix_pull_items_listing", "kind", "target", "retracted", "published_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # feed | led
    target: str = Field(max_length=100)  # its name in the URL: /feeds/<target>.atom, /led/<target>
    guid: str = Field(max_length=64)  # a stable, never reused id for feed readers (urn:uuid:…)
    title: str = Field(sa_column=Column(Text, nullable=False))
    html: str = Field(sa_column=Column(Text, nullable=False))
    plain: str = Field(sa_column=Column(Text, nullable=False))
    media: list[str] = _json()  # paths relative to content/
    retracted: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    published_at: datetime = _utc()
    updated_at: datetime = _utc()


class WebSignin(SQLModel, table=True):
    """A one-time sign-in link the bot handed out: used once (``used_at``), within its expiry."""

    __tablename__ = "web_signins"

    nonce: str = Field(primary_key=True, max_length=64)
    person: str = Field(max_length=100)
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    used_at: datetime | None = _utc(nullable=True)


class CalendarToken(SQLModel, table=True):
    """A person's private calendar link: only the token's sha256 is kept, so the table leaks no working link.

    One live row per person at most (``revoked_at`` unset); a new link revokes the old one."""

    __tablename__ = "calendar_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    person: str = Field(max_length=100, index=True)
    created_at: datetime = _utc()
    revoked_at: datetime | None = _utc(nullable=True)


class ShareMark(SQLModel, table=True):
    """A staff member's "I shared it" for one post, on behalf of one unit: once per person and post."""

    __tablename__ = "share_marks"
    __table_args__ = (UniqueConstraint("post_id", "person", name="uq_share_mark_post_person"),
                      Index("ix_share_marks_unit", "unit", "post_id"))

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="posts.id")
    unit: str = Field(max_length=30)  # a [[units]] id
    person: str = Field(max_length=100)  # a [people] key
    at: datetime = _utc()


class RelayFeed(SQLModel, table=True):
    """How polling a [[relay]] source goes: its validators for conditional GET, and its failures.

    ``failing_since`` is the first failure of the current run of failures (None while it answers);
    ``alerted`` says the admins were told about this run, so they hear of it once.
    """

    __tablename__ = "relay_feeds"

    source: str = Field(primary_key=True, max_length=100)
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    failures: int = 0
    failing_since: datetime | None = _utc(nullable=True)
    next_poll_at: datetime | None = _utc(nullable=True)  # not before (back-off after errors)
    alerted: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_ok_at: datetime | None = _utc(nullable=True)


class RelayItem(SQLModel, table=True):
    """One item a relay source has shown: remembered so it becomes a draft once (by id, and by link).

    ``draft`` is the post key of the draft written for it (None: seen but not relayed, e.g. the
    backlog of a huge feed); ``draft_hash`` the SHA-256 of the file as written, so an edit by staff is
    never overwritten; ``content_hash`` the upstream title/text/link, so a change upstream is noticed.
    """

    __tablename__ = "relay_items"
    __table_args__ = (UniqueConstraint("source", "item_key", name="uq_relay_item"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=100, index=True)
    item_key: str = Field(max_length=64)  # SHA-256 of the entry's id (or link): feed ids may be any length
    link: str = Field(sa_column=Column(Text, nullable=False))
    title: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    draft: str | None = Field(default=None, max_length=300)
    draft_hash: str | None = Field(default=None, max_length=64)
    first_seen: datetime = _utc()
    updated_at: datetime = _utc()
