"""What the dashboard shows, read from the store: marks for the timeline, a post's whole story,
what waits for an approver, what needs an admin. Reads only; every change goes through
``review``/``operations`` like the chat's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from campaign import drawing, review
from campaign.approvals import ApprovalState, approval_state
from campaign.config import Config
from campaign.kinds import ChannelKind, TextFormat, spec
from campaign.publishing import hold_reason, is_paused
from campaign.render import length_on, limit_on, render_markdown
from campaign.states import ATTENTION, PUBLIC_MARKS, MarkState, PostState
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Approval, AuditEvent, Delivery, Post

BAD_DELIVERY = ATTENTION


def post_state(post: Post | Row, bad_delivery: bool = False) -> MarkState:
    """One word for a post's colour: published, failed, held, approved, waiting…"""
    if post.status in (PostState.RETRACTED, PostState.WITHDRAWN):
        return MarkState.RETRACTED
    if bad_delivery:
        return MarkState.FAILED
    if post.status == PostState.PUBLISHED and not (post.published_hash is not None and post.published_hash != post.content_hash):
        return MarkState.PUBLISHED
    if post.status == PostState.MISSED:
        return MarkState.MISSED
    if post.rejected:
        return MarkState.REJECTED
    if post.status == PostState.HELD:
        return MarkState.HELD
    return MarkState.APPROVED if post.approved_by >= post.approvals_required else MarkState.WAITING


@dataclass(frozen=True)
class Row:
    """The columns a timeline or calendar shows of a post (read as plain rows: 10,000 of them are cheap)."""

    id: int
    key: str
    title: str
    scheduled_at: datetime
    channels: list[str]
    milestone: str | None
    author: str | None
    status: str
    content_hash: str
    published_hash: str | None
    approved_by: int
    approvals_required: int
    rejected: bool


_ROW = (Post.id, Post.key, Post.title, Post.scheduled_at, Post.channels, Post.milestone, Post.author, Post.status,
        Post.content_hash, Post.published_hash, Post.approved_by, Post.approvals_required, Post.rejected)


def rows_between(store: Store, start: datetime, end: datetime) -> tuple[list[Row], set[int]]:
    """Posts in [start, end) as rows, and the ids of those with a failed or unknown delivery (two queries)."""
    window = (col(Post.scheduled_at) >= start, col(Post.scheduled_at) < end)
    with store.session() as s:
        rows = [Row(*r) for r in s.exec(select(*_ROW).where(*window).order_by(col(Post.scheduled_at), col(Post.key))).all()]  # type: ignore[call-overload]
        bad = {int(i) for i in s.exec(select(Delivery.post_id).join(Post, col(Post.id) == col(Delivery.post_id)).where(
            *window, col(Delivery.status).in_(BAD_DELIVERY), col(Delivery.ref).startswith("post:")).distinct()).all()
            if i is not None}
    return rows, bad


def bands(config: Config) -> list[drawing.Band]:
    return [drawing.Band(m.id, m.title, m.phase, m.span.start, m.span.end) for m in config.milestones]


def campaign_span(config: Config) -> tuple[datetime, datetime]:
    return min(m.span.start for m in config.milestones), max(m.span.end for m in config.milestones)


def lane(config: Config, channel: str) -> str:
    return config.channels[channel].label if channel in config.channels else channel


def lanes(config: Config, marks: Sequence[drawing.Mark]) -> list[str]:
    """The channels posts go to, in the configuration's order (not the approvers' or admins' chats)."""
    used = {m.lane for m in marks} | {lane(config, k) for k in config.default_channels}
    return [lane(config, k) for k in config.channels if lane(config, k) in used]


def marks(store: Store, config: Config, start: datetime, end: datetime, *, public: bool = False) -> list[drawing.Mark]:
    """Every post in the window, once per channel, with its state (``public``: approved or published only)."""
    posts, bad = rows_between(store, start, end)
    out: list[drawing.Mark] = []
    for p in posts:
        state = post_state(p, p.id in bad)
        if public and state not in PUBLIC_MARKS:
            continue
        out.extend(drawing.Mark(p.id, p.title, lane(config, ch), p.scheduled_at, state, None if public else f"/posts/{p.id}")
                   for ch in p.channels)
    return out


@dataclass(frozen=True)
class Preview:
    channel: str
    label: str
    kind: str
    html: str | None  # Telegram HTML subset (shown as HTML)
    text: str  # what a plain-text channel shows
    length: int
    limit: int | None
    over: bool


@dataclass
class PostPage:
    post: Post
    state: str
    approval: ApprovalState
    approvals: list[Approval]
    previews: list[Preview]
    media: list[dict[str, Any]]
    deliveries: list[Delivery]
    audit: list[AuditEvent]
    diff: str
    hold: tuple[str, str] | None
    milestone_title: str = ""
    people: dict[str, str] = field(default_factory=dict)


def previews(config: Config, post: Post) -> list[Preview]:
    """The post as each of its channels will show it, with its length against the channel's limit."""
    rendered = render_markdown(post.body, title=post.title)
    out = []
    for ch in post.channels:
        c = config.channels.get(ch)
        s = spec(c.kind if c else ChannelKind.CONSOLE)  # the kind table says how it shows text and what fits
        html = rendered.telegram_html if s.text_format is not TextFormat.PLAIN else None
        length, limit = length_on(rendered, s), limit_on(s, len(post.media))
        out.append(Preview(ch, lane(config, ch), s.kind, html, rendered.plain, length, limit,
                           limit is not None and length > limit))
    return out


def post_page(store: Store, config: Config, ref: int) -> PostPage:
    """Everything about one post (``NotFound`` if there is none)."""
    with store.session() as s:
        post = review.find_post(s, ref)
        approvals = list(repo.approvals_for_all(s, post.id or 0))
        live = [a for a in approvals if a.voided_at is None]
        deliveries = list(s.exec(select(Delivery).where(Delivery.post_id == post.id).order_by(col(Delivery.id))).all())
        audit = list(repo.audit_events(s, post_id=post.id))
        hold = hold_reason(s, config, post) if post.status == PostState.HELD else None
    bad = any(d.status in BAD_DELIVERY and d.ref.startswith("post:") for d in deliveries)
    m = config.milestone(post.milestone) if post.milestone else None
    return PostPage(post, post_state(post, bad), approval_state(post, live), approvals, previews(config, post),
                    list(post.media), deliveries, audit, review.what_changed(store, post.id or 0), hold,
                    m.title if m else "", {k: p.name for k, p in config.people.items()})


@dataclass(frozen=True)
class Waiting:
    post: Post
    deadline: datetime
    state: ApprovalState
    mine: str | None  # my decision on the current content, if any
    own: bool  # I wrote it (I may not approve it)


def waiting_for(store: Store, config: Config, person: str, now: datetime, limit: int = 200) -> list[Waiting]:
    """Posts short of approvals for their current content, soonest deadline first."""
    out = []
    with store.session() as s:
        posts, _total = repo.awaiting_approval(s, now - config.catch_up, 0, limit)
        by_post = repo.approvals_for(s, [p.id for p in posts if p.id is not None])
        authors = dict(s.exec(select(Post.id, Post.author).where(col(Post.id).in_([p.id for p in posts]))).all()) if posts else {}
        for post in posts:
            live = [a for a in by_post.get(post.id or 0, []) if a.voided_at is None]
            state = approval_state(post, live)
            mine = next((a.decision for a in live if a.person == person and a.content_hash == post.content_hash), None)
            out.append(Waiting(post, post.scheduled_at - config.approval.deadline, state, mine, authors.get(post.id) == person))
    return sorted(out, key=lambda w: (w.deadline, w.post.id or 0))


@dataclass
class Operations:
    paused: bool
    bad: list[tuple[Delivery, str]]  # (delivery, post title)
    held: list[tuple[Post, tuple[str, str] | None]]
    problems: list[str]
    counts: dict[str, int]


def operations(store: Store, config: Config, limit: int = 200) -> Operations:
    with store.session() as s:
        paused = is_paused(s)
        bad_rows = list(repo.deliveries_by_status(s, list(BAD_DELIVERY)))[:limit]
        titles = {p.id: p.title for p in s.exec(select(Post).where(
            col(Post.id).in_([d.post_id for d in bad_rows if d.post_id is not None]))).all()}
        held_posts = list(s.exec(select(Post).where(Post.status == PostState.HELD).order_by(col(Post.scheduled_at)).limit(limit)).all())
        held = [(p, hold_reason(s, config, p)) for p in held_posts]
        problems = [f"{p.source_error}" for p in s.exec(select(Post).where(
            col(Post.source_error).is_not(None), Post.source_error != "deleted").order_by(col(Post.key)).limit(limit)).all()]
        counts = dict(s.exec(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    return Operations(paused, [(d, titles.get(d.post_id, d.ref)) for d in bad_rows], held,
                      problems, {str(k): int(v) for k, v in counts.items()})


def calendar_posts(store: Store, config: Config, start: datetime, end: datetime, *, channel: str | None = None,
                   milestone: str | None = None, state: str | None = None, author: str | None = None,
                   public: bool = False) -> list[tuple[Row, MarkState]]:
    """Posts in [start, end) with their state, filtered as the calendar asks."""
    posts, bad = rows_between(store, start, end)
    out = []
    for p in posts:
        st = post_state(p, p.id in bad)
        if (channel and channel not in p.channels) or (milestone and p.milestone != milestone) \
                or (state and st != state) or (author and p.author != author):
            continue
        if public and st not in PUBLIC_MARKS:
            continue
        out.append((p, st))
    return out





def local_day_bounds(day: datetime, days: int) -> tuple[datetime, datetime]:
    return day, day + timedelta(days=days)


def titles(posts: Sequence[Post]) -> dict[int, str]:
    return {p.id or 0: p.title for p in posts}
