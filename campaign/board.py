"""What the dashboard shows, read from the store: marks for the timeline, a post's whole story,
what waits for an approver, what needs an admin. Reads only; every change goes through
``review``/``operations`` like the chat's."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import BigInteger, String, and_, case, cast, extract, func, not_, union_all
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from campaign import drawing, review
from campaign.approvals import ApprovalState, approval_state
from campaign.config import Config
from campaign.kinds import ChannelKind, TextFormat, spec
from campaign.publishing import hold_reason, is_paused
from campaign.render import kicker_of, length_on, limit_on, render_markdown
from campaign.series import Slot, all_slots
from campaign.states import ATTENTION, PUBLIC_MARKS, MarkState, PostState
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Approval, AuditEvent, Delivery, Post
from campaign.texts import inline

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


def state_sql() -> Any:
    """``post_state`` as a SQL expression over ``posts`` (a test checks they agree on every case),
    so the timeline and the calendar count and filter states without reading every row."""
    bad = sa_select(col(Delivery.post_id)).where(col(Delivery.status).in_(BAD_DELIVERY), col(Delivery.ref).startswith("post:"))
    changed = and_(col(Post.published_hash).is_not(None), col(Post.published_hash) != col(Post.content_hash))
    return case(
        (col(Post.status).in_([PostState.RETRACTED, PostState.WITHDRAWN]), MarkState.RETRACTED.value),
        (col(Post.id).in_(bad.scalar_subquery()), MarkState.FAILED.value),
        (and_(col(Post.status) == PostState.PUBLISHED, not_(changed)), MarkState.PUBLISHED.value),
        (col(Post.status) == PostState.MISSED, MarkState.MISSED.value),
        (col(Post.rejected).is_(True), MarkState.REJECTED.value),
        (col(Post.status) == PostState.HELD, MarkState.HELD.value),
        (col(Post.approved_by) >= col(Post.approvals_required), MarkState.APPROVED.value),
        else_=MarkState.WAITING.value)


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


def bands(config: Config) -> list[drawing.Band]:
    return [drawing.Band(m.id, m.title, m.phase, m.span.start, m.span.end) for m in config.milestones]


def campaign_span(config: Config) -> tuple[datetime, datetime]:
    return min(m.span.start for m in config.milestones), max(m.span.end for m in config.milestones)


def lane(config: Config, channel: str) -> str:
    return config.channels[channel].label if channel in config.channels else channel


def lanes(config: Config, marks: Sequence[drawing.Mark | drawing.Cluster]) -> list[str]:
    """The channels posts go to, in the configuration's order (not the approvers' or admins' chats)."""
    used = {m.lane for m in marks} | {lane(config, k) for k in config.default_channels}
    return [lane(config, k) for k in config.channels if lane(config, k) in used]


def clusters(store: Store, config: Config, scale: drawing.Scale, *, public: bool = False,
             more: Callable[[datetime], str | None] | None = None) -> tuple[list[drawing.Cluster], int]:
    """The window's marks counted in SQL per (channels, bucket, state), and the number of posts in it.

    What ``drawing.cluster`` would make of ``marks``, without reading the window's posts one by one
    (a month of a 10,000-post campaign is 5,700 rows). A group of several links to ``more(first)``.
    """
    state = state_sql()
    secs = cast(extract("epoch", col(Post.scheduled_at)), BigInteger) - scale.origin
    bucket = secs * scale.inner // (scale.span * drawing.CLUSTER_PX)
    # only columns of ix_posts_board (and the rowid): SQLite and PostgreSQL answer from the index
    rows = sa_select(cast(col(Post.channels), String).label("channels"), bucket.label("bucket"), state.label("state"),
                     col(Post.scheduled_at), col(Post.id)).where(
        col(Post.scheduled_at) >= scale.start, col(Post.scheduled_at) < scale.end).subquery()
    c = rows.c
    q = (sa_select(c.channels, c.bucket, c.state, func.count(), func.min(c.scheduled_at), func.max(c.scheduled_at),
                   func.min(c.id)).group_by(c.channels, c.bucket, c.state))
    merged: dict[tuple[str, int, str], list[Any]] = {}
    parsed: dict[str, list[str]] = {}
    posts = 0
    with store.session() as s:
        for text, slot, st, n, first, last, pid in s.execute(q).all():
            names = parsed[text] if text in parsed else parsed.setdefault(text, json.loads(text))
            if (public and st not in PUBLIC_MARKS) or not names:
                continue
            posts += n
            for ch in names:  # posts going to several channels are on several lanes
                g = merged.setdefault((lane(config, ch), slot, st), [first, last, 0, pid])
                g[:] = [min(g[0], first), max(g[1], last), g[2] + n, min(g[3], pid)]
        singles = [g[3] for g in merged.values() if g[2] == 1]  # a lone post's mark names it
        titles = dict(s.execute(sa_select(col(Post.id), col(Post.title)).where(col(Post.id).in_(singles))).all()) if singles else {}
    out = []
    for (ln, _slot, st), (first, last, n, pid) in merged.items():
        href = None if public else f"/posts/{pid}" if n == 1 or more is None else more(first)
        out.append(drawing.Cluster(ln, MarkState(st), first, last, n, pid, titles.get(pid, ""), href))
    if not public:  # staff see what still needs writing; the public sees only what is approved
        empties = [drawing.Mark(0, empty_title(slot), lane(config, ch), slot.at, MarkState.EMPTY)
                   for slot in empty_slots(config, scale.start, scale.end) for ch in slot.series.channels]
        out += drawing.cluster(empties, sorted({m.lane for m in empties}), scale)
    return out, posts


def marks(store: Store, config: Config, start: datetime, end: datetime, *, public: bool = False) -> list[drawing.Mark]:
    """Each post in [start, end) once per channel, with its state, and (staff) the empty series slots.

    For small windows read whole (the chat's 14 days); the dashboard counts its marks in SQL (``clusters``).
    """
    st = state_sql()
    where = (col(Post.scheduled_at) >= start, col(Post.scheduled_at) < end, *_filters(st, public=public))
    with store.session() as s:
        rows = s.execute(sa_select(col(Post.id), col(Post.title), col(Post.channels), col(Post.scheduled_at), st)
                         .where(*where).order_by(col(Post.scheduled_at), col(Post.key))).all()
    out = [drawing.Mark(pid, title, lane(config, ch), at, MarkState(state), None if public else f"/posts/{pid}")
           for pid, title, channels, at, state in rows for ch in channels]
    if not public:  # staff see what still needs writing; the public sees only what is approved
        out += [drawing.Mark(0, empty_title(slot), lane(config, ch), slot.at, MarkState.EMPTY)
                for slot in empty_slots(config, start, end) for ch in slot.series.channels]
    return out


def empty_slots(config: Config, start: datetime, end: datetime) -> list[Slot]:
    """The empty slots of every series in [start, end) (read from config.toml and the series folders)."""
    return [slot for slot in all_slots(config) if slot.empty and start <= slot.at < end]


def empty_title(slot: Slot) -> str:
    return f"{slot.series.title} | {inline('plan.empty_slot')}"


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
    state: MarkState
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
    rendered = render_markdown(post.body, title=post.title, kicker=kicker_of(post.options))
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


@dataclass(frozen=True)
class Day:
    """A calendar day: its first posts (with their state) and how many it has in all."""

    posts: list[tuple[Row, MarkState]]
    total: int


def calendar_days(store: Store, config: Config, first_day: date, days: int, *, per_day: int | None = None,
                  channel: str | None = None, milestone: str | None = None, state: str | None = None,
                  author: str | None = None, public: bool = False) -> dict[date, Day]:
    """The posts of ``days`` local days from ``first_day``, filtered as the calendar asks: per day its
    first ``per_day`` (each day's own LIMIT, on the scheduled_at index) and how many it has in all
    (a week of a 10,000-post campaign is 3,300 posts; it reads 280 of them)."""
    bounds = [datetime.combine(first_day + timedelta(days=i), time(0), config.tz) for i in range(days + 1)]
    st = state_sql()
    where = _filters(st, channel=channel, milestone=milestone, state=state, author=author, public=public)
    day = case(*((col(Post.scheduled_at) < b, i) for i, b in enumerate(bounds[1:])), else_=days)
    window = (col(Post.scheduled_at) >= bounds[0], col(Post.scheduled_at) < bounds[-1])
    counts = sa_select(day, func.count()).where(*window, *where).group_by(day)
    out: dict[date, Day] = {}
    with store.session() as s:
        totals = {int(i): int(n) for i, n in s.execute(counts).all()}
        parts = [sa_select(*_ROW, st.label("state")).where(  # type: ignore[call-overload]
            col(Post.scheduled_at) >= bounds[i], col(Post.scheduled_at) < bounds[i + 1], *where)
            .order_by(col(Post.scheduled_at), col(Post.key)).limit(per_day).subquery() for i in sorted(totals)]
        rows = s.execute(union_all(*(sa_select(p) for p in parts))).all() if parts else []
    for r in rows:
        row = Row(*r[:len(_ROW)])
        if channel and channel not in row.channels:
            continue
        d = row.scheduled_at.astimezone(config.tz).date()
        out.setdefault(d, Day([], totals.get((d - first_day).days, 0))).posts.append((row, MarkState(r.state)))
    return out


def public_posts(store: Store, start: datetime, end: datetime, limit: int) -> tuple[list[tuple[Row, MarkState]], int]:
    """The first ``limit`` approved or published posts in [start, end), and how many there are."""
    st = state_sql()
    where = (col(Post.scheduled_at) >= start, col(Post.scheduled_at) < end, *_filters(st, public=True))
    with store.session() as s:
        total = int(s.execute(sa_select(func.count()).select_from(Post).where(*where)).scalar_one())
        rows = s.execute(sa_select(*_ROW, st).where(*where)  # type: ignore[call-overload]
                         .order_by(col(Post.scheduled_at), col(Post.key)).limit(limit)).all()
    return [(Row(*r[:len(_ROW)]), MarkState(r[-1])) for r in rows], total


def _filters(st: Any, *, channel: str | None = None, milestone: str | None = None, state: str | None = None,
             author: str | None = None, public: bool = False) -> list[Any]:
    """The calendar's filters as SQL conditions (``st``: ``state_sql()``)."""
    where = []
    if channel:  # a JSON list of channel keys (identifiers): the quoted key is one of its items
        where.append(cast(col(Post.channels), String).contains(json.dumps(channel), autoescape=True))
    if milestone:
        where.append(col(Post.milestone) == milestone)
    if author:
        where.append(col(Post.author) == author)
    if state:
        where.append(st == state)
    if public:
        where.append(st.in_([m.value for m in PUBLIC_MARKS]))
    return where


def local_day_bounds(day: datetime, days: int) -> tuple[datetime, datetime]:
    return day, day + timedelta(days=days)


def titles(posts: Sequence[Post]) -> dict[int, str]:
    return {p.id or 0: p.title for p in posts}
