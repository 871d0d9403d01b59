"""Repositories: every query the rest of Loa needs, so no SQL lives anywhere else."""

from __future__ import annotations

import json
import typing
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Integer, Table, Text, and_, case, cast, func, or_, update
from sqlalchemy import select as sa_select  # plain column rows (sqlmodel's select types at most 4 columns)
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import QueryableAttribute, load_only
from sqlmodel import Session, col, select

from campaign.states import UPCOMING, AuditAction, DeliveryState, PostState, Vote
from campaign.store.models import Approval, AuditEvent, ChatMove, Delivery, Post, PostVersion, Setting

# --- settings ---------------------------------------------------------------------------------


def get_setting(s: Session, key: str, default: str | None = None) -> str | None:
    row = s.get(Setting, key)
    return row.value if row else default


def set_setting(s: Session, key: str, value: str) -> None:
    row = s.get(Setting, key)
    if row:
        row.value = value
    else:
        s.add(Setting(key=key, value=value))


# --- audit ------------------------------------------------------------------------------------


def audit(s: Session, at: datetime, actor: str, action: AuditAction, *, post_id: int | None = None,
          ref: str | None = None, **detail: Any) -> None:
    s.add(AuditEvent(at=at, actor=actor, action=action, post_id=post_id, ref=ref, detail=detail))


def audit_events(s: Session, *, post_id: int | None = None, since: datetime | None = None) -> Sequence[AuditEvent]:
    q = select(AuditEvent).order_by(col(AuditEvent.at), col(AuditEvent.id))
    if post_id is not None:
        q = q.where(AuditEvent.post_id == post_id)
    if since is not None:
        q = q.where(col(AuditEvent.at) >= since)
    return s.exec(q).all()


# --- posts ------------------------------------------------------------------------------------


def post_by_key(s: Session, key: str) -> Post | None:
    return s.exec(select(Post).where(Post.key == key)).first()


def posts_by_key(s: Session) -> dict[str, Post]:
    return {p.key: p for p in s.exec(select(Post)).all()}


LISTING = typing.cast(tuple[QueryableAttribute[Any], ...], (  # the model's columns, typed as their values by sqlmodel
    Post.id, Post.key, Post.title, Post.scheduled_at, Post.channels, Post.status, Post.content_hash,
    Post.published_hash, Post.approvals_required, Post.milestone, Post.approved_by, Post.rejected, Post.options))


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched: such results are ``CursorResult`` (the generic type hides it)."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount or 0)


def posts_between(s: Session, start: datetime | None, end: datetime | None, *,
                  statuses: Iterable[str] | None = None, lean: bool = False) -> Sequence[Post]:
    """Posts in a time window; ``lean`` loads only what a listing shows (not bodies and renderings)."""
    q = select(Post).order_by(col(Post.scheduled_at), col(Post.key))
    if lean:
        q = q.options(load_only(*LISTING))
    if start is not None:
        q = q.where(col(Post.scheduled_at) >= start)
    if end is not None:
        q = q.where(col(Post.scheduled_at) < end)
    if statuses is not None:
        q = q.where(col(Post.status).in_(list(statuses)))
    return s.exec(q).all()


def awaiting_approval(s: Session, since: datetime, offset: int, limit: int) -> tuple[Sequence[Post], int]:
    """One page of posts still short of approvals for their current content, and how many there are.

    Two index-friendly queries instead of one OR: corrections of published posts (few, and earlier
    in time, so they lead the list), then posts to come.
    """
    short = or_(col(Post.approved_by) < col(Post.approvals_required), col(Post.rejected))
    corrections = list(s.exec(
        select(Post).where(Post.status == PostState.PUBLISHED, col(Post.published_hash) != col(Post.content_hash), short)
        .options(load_only(*LISTING)).order_by(col(Post.scheduled_at), col(Post.key))).all())
    upcoming = and_(col(Post.status).in_(list(UPCOMING)), col(Post.scheduled_at) >= since, short)
    rest, count = _page(s, upcoming, max(0, offset - len(corrections)), max(0, limit - len(corrections[offset:])))
    return [*corrections[offset:offset + limit], *rest], len(corrections) + count


def listing(s: Session, start: datetime, end: datetime | None, *, statuses: Iterable[str], public: bool,
            offset: int, limit: int) -> tuple[Sequence[Post], int]:
    """One page of the posts in a window and their number; ``public``: only approved or published ones."""
    return _page(s, _window(start, end, statuses, public), offset, limit)


def first_posts(s: Session, start: datetime, *, statuses: Iterable[str], public: bool, limit: int) -> Sequence[Post]:
    """The first posts from ``start`` on, as ``listing`` would page them, without counting them all."""
    return _rows(s, _window(start, None, statuses, public), 0, limit)


def _window(start: datetime, end: datetime | None, statuses: Iterable[str], public: bool) -> ColumnElement[bool]:
    where = and_(col(Post.status).in_(list(statuses)), col(Post.scheduled_at) >= start)
    if end is not None:
        where = and_(where, col(Post.scheduled_at) < end)
    if public:
        approved = and_(col(Post.approved_by) >= col(Post.approvals_required), ~col(Post.rejected))
        where = and_(where, or_(col(Post.status) == PostState.PUBLISHED, approved))
    return where


def _page(s: Session, where: ColumnElement[bool], offset: int, limit: int) -> tuple[Sequence[Post], int]:
    total = s.exec(select(func.count()).select_from(Post).where(where)).one()
    return _rows(s, where, offset, limit), int(total)


def _rows(s: Session, where: ColumnElement[bool], offset: int, limit: int) -> Sequence[Post]:
    return s.exec(select(Post).where(where).options(load_only(*LISTING))
                  .order_by(col(Post.scheduled_at), col(Post.key)).offset(offset).limit(limit)).all()


def corrections(s: Session) -> Sequence[Post]:
    """Published posts whose file changed since: their new content needs approval before /correct."""
    return s.exec(select(Post).where(Post.status == PostState.PUBLISHED, col(Post.published_hash) != col(Post.content_hash))
                  .order_by(col(Post.scheduled_at))).all()


def post_counts(s: Session) -> dict[str, int]:
    return {status: n for status, n in s.exec(select(Post.status, func.count()).group_by(Post.status)).all()}


def due_posts(s: Session, now: datetime) -> Sequence[Post]:
    """Posts whose time has come and that have not gone out (scheduled or held)."""
    q = select(Post).where(col(Post.status).in_(list(UPCOMING)), col(Post.scheduled_at) <= now)
    return s.exec(q.order_by(col(Post.scheduled_at))).all()


# --- approvals --------------------------------------------------------------------------------


def live_approvals(s: Session, post_id: int) -> Sequence[Approval]:
    q = select(Approval).where(Approval.post_id == post_id, col(Approval.voided_at).is_(None))
    return s.exec(q.order_by(col(Approval.at))).all()


def approvals_for_all(s: Session, post_id: int) -> Sequence[Approval]:
    """Every approval ever given to the post, voided ones included (history, diffs)."""
    return s.exec(select(Approval).where(Approval.post_id == post_id).order_by(col(Approval.at))).all()


def approvals_for(s: Session, post_ids: Sequence[int]) -> dict[int, list[Approval]]:
    out: dict[int, list[Approval]] = {}
    if not post_ids:
        return out
    q = select(Approval).where(col(Approval.post_id).in_(list(post_ids)), col(Approval.voided_at).is_(None))
    for a in s.exec(q).all():
        out.setdefault(a.post_id, []).append(a)
    return out


def add_approval(s: Session, post: Post, person: str, decision: str, at: datetime, reason: str | None = None) -> Approval:
    """The one way a vote is recorded: the post's counts are kept in step."""
    approval = Approval(post_id=post.id or 0, content_hash=post.content_hash, person=person, decision=decision,
                        reason=reason, at=at)
    s.add(approval)
    s.flush()
    count_votes(s, post)
    return approval


def count_votes(s: Session, post: Post) -> None:
    """Recount the live votes on the post's current content into ``approved_by`` / ``rejected``."""
    live = [a for a in live_approvals(s, post.id or 0) if a.content_hash == post.content_hash]
    post.approved_by = len({a.person for a in live if a.decision == Vote.APPROVE})
    post.rejected = any(a.decision == Vote.REJECT for a in live)
    s.add(post)


def void_approvals(s: Session, post_id: int, at: datetime) -> int:
    res = s.execute(
        update(Approval).where(col(Approval.post_id) == post_id, col(Approval.voided_at).is_(None)).values(voided_at=at)
    )
    return rowcount(res)


def versions(s: Session, post_id: int) -> Sequence[PostVersion]:
    q = select(PostVersion).where(PostVersion.post_id == post_id).order_by(col(PostVersion.at), col(PostVersion.id))
    return s.exec(q).all()


def keep_version(s: Session, post: Post, at: datetime) -> None:
    """Keep the content ``post`` holds *before* it is overwritten: the posts row is always the newest
    version, ``post_versions`` the ones it replaced (so a new post costs no second copy of its body).
    A version seen again is kept once, stamped with the last time it was replaced."""
    known = s.exec(select(PostVersion).where(PostVersion.post_id == post.id,
                                             PostVersion.content_hash == post.content_hash)).first()
    if known is not None:
        known.at = at
        return
    s.add(PostVersion(post_id=post.id or 0, content_hash=post.content_hash, title=post.title,
                      time_text=post.time_text, channels=list(post.channels), body=post.body, at=at))


# --- deliveries -------------------------------------------------------------------------------


def deliveries_for(s: Session, ref: str) -> Sequence[Delivery]:
    return s.exec(select(Delivery).where(Delivery.ref == ref).order_by(col(Delivery.id))).all()


def delivery_counts(s: Session) -> dict[str, int]:
    rows = s.exec(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    return {status: n for status, n in rows}


def delivery_counts_by_channel(s: Session) -> dict[str, dict[str, int]]:
    """channel key -> state -> deliveries (``loa status`` groups them by channel kind)."""
    out: dict[str, dict[str, int]] = {}
    for channel, status, n in s.exec(select(Delivery.channel, Delivery.status, func.count())
                                     .group_by(Delivery.channel, Delivery.status)).all():
        out.setdefault(channel, {})[status] = n
    return out


def ready_deliveries(s: Session, now: datetime, limit: int = 500, *, later: Sequence[str] = (),
                     besides: Iterable[int] = ()) -> Sequence[Delivery]:
    """Pending rows whose time has come, oldest first, except ``besides`` (rows a worker has in hand already);
    rows whose ref starts with one of ``later`` (share kits) after all others, so a public post queued behind
    hundreds of them is within ``limit``, and is read without reading theirs again (on the event loop)."""
    q = select(Delivery).where(Delivery.status == DeliveryState.PENDING, col(Delivery.next_attempt_at) <= now)
    if skip := list(besides):
        q = q.where(col(Delivery.id).not_in(skip))
    order: list[Any] = [col(Delivery.next_attempt_at), col(Delivery.id)]
    if later:
        order.insert(0, case((or_(*(col(Delivery.ref).startswith(p, autoescape=True) for p in later)), 1), else_=0))
    return s.exec(q.order_by(*order).limit(limit)).all()


def next_pending_at(s: Session) -> datetime | None:
    return s.exec(select(func.min(Delivery.next_attempt_at)).where(Delivery.status == DeliveryState.PENDING)).first()


def claim_delivery(s: Session, delivery_id: int) -> bool:
    """pending -> sending, atomically; False if someone else has it (exactly-once hinges on this)."""
    res = s.execute(
        update(Delivery).where(col(Delivery.id) == delivery_id, col(Delivery.status) == DeliveryState.PENDING)
        .values(status=DeliveryState.SENDING, attempts=Delivery.attempts + 1)
    )
    s.commit()
    return rowcount(res) == 1


def mark_stale_sending_unknown(s: Session) -> list[Delivery]:
    """Rows left in 'sending' by a crash: the message may or may not be out, so never resend."""
    rows = list(s.exec(select(Delivery).where(Delivery.status == DeliveryState.SENDING)).all())
    for d in rows:
        d.status = DeliveryState.UNKNOWN
        d.last_error = "process stopped while sending; resend or mark sent"
    return rows


def deliveries_like(s: Session, ref_prefix: str, statuses: list[str]) -> Sequence[Delivery]:
    """Rows whose ref starts with ``ref_prefix`` (e.g. the alerts about one post), in these states."""
    q = select(Delivery).where(col(Delivery.ref).startswith(ref_prefix, autoescape=True), col(Delivery.status).in_(statuses))
    return s.exec(q.order_by(col(Delivery.id))).all()


def deliveries_by_status(s: Session, statuses: list[str]) -> Sequence[Delivery]:
    q = select(Delivery).where(col(Delivery.status).in_(statuses)).order_by(col(Delivery.id))
    return s.exec(q).all()


# --- chat moves -------------------------------------------------------------------------------


def chat_moves(s: Session, kind: str) -> Sequence[ChatMove]:
    """Every known move of a channel kind's chats (a handful at most: read whole)."""
    return s.exec(select(ChatMove).where(ChatMove.kind == kind).order_by(col(ChatMove.at))).all()


def all_chat_moves(s: Session) -> Sequence[ChatMove]:
    return s.exec(select(ChatMove).order_by(col(ChatMove.at))).all()


def add_chat_move(s: Session, kind: str, old: str, new: str, at: datetime, source: str) -> bool:
    """Remember that ``old`` is now ``new``; False if that was known already."""
    row = s.get(ChatMove, (kind, old))
    if row is not None and row.new_chat == new:
        return False
    if row is None:
        s.add(ChatMove(kind=kind, old_chat=old, new_chat=new, at=at, source=source))
    else:
        row.new_chat, row.at, row.source = new, at, source
    return True


# --- sync (bulk) ------------------------------------------------------------------------------
# A sync of thousands of files must not build an ORM object per row: these read only the columns
# the skip test needs and write new posts, their first versions and "added" events with Core
# executemany (no unit of work, no per-object pydantic defaults).

_IN_CHUNK = 500  # keys per IN (...) list: well inside every driver's bind-parameter limit


class SyncState(NamedTuple):
    """What sync needs to skip an unchanged file, read for every post at every sync."""

    key: str
    id: int
    file_hash: str
    file_stat: str | None
    status: str
    source_error: str | None
    media: list[dict[str, Any]]


def post_sync_states(s: Session) -> dict[str, SyncState]:
    # media as text, decoded only where there is some: most posts have none, and 10,000 json.loads
    # were a quarter of a no-change resync
    q = select(Post.key, Post.id, Post.file_hash, Post.file_stat, Post.status, Post.source_error,  # type: ignore[call-overload]
               cast(Post.media, Text))
    return {r[0]: SyncState(r[0], r[1], r[2], r[3], r[4], r[5], [] if r[6] == "[]" else json.loads(r[6]))
            for r in s.execute(q)}


def set_file_stamps(s: Session, stamps: Sequence[tuple[int, str]]) -> None:
    """Record the stat stamp of files found unchanged by their hash (one executemany)."""
    if stamps:
        s.execute(update(Post), [{"id": pid, "file_stat": stamp} for pid, stamp in stamps])  # bulk UPDATE by primary key


def time_texts(s: Session, keys: Iterable[str]) -> dict[str, str]:
    """The stored ``time_text`` of the given posts (sync's skip test for series items: has the slot moved?)."""
    wanted = list(dict.fromkeys(keys))
    out: dict[str, str] = {}
    for i in range(0, len(wanted), _IN_CHUNK):
        out.update(s.exec(select(Post.key, Post.time_text).where(col(Post.key).in_(wanted[i:i + _IN_CHUNK]))).all())
    return out


def posts_for_keys(s: Session, keys: Iterable[str]) -> dict[str, Post]:
    """Full ``Post`` rows for the given keys (missing keys are simply absent)."""
    wanted = list(dict.fromkeys(keys))
    out: dict[str, Post] = {}
    for i in range(0, len(wanted), _IN_CHUNK):
        for p in s.exec(select(Post).where(col(Post.key).in_(wanted[i:i + _IN_CHUNK]))).all():
            out[p.key] = p
    return out


def last_post_id(s: Session) -> int:
    return s.execute(select(func.max(Post.id))).scalar() or 0


def post_ids_after(s: Session, last_id: int) -> dict[str, int]:
    """key -> id of the posts added after ``last_id``: a range of the primary key, not a key lookup each."""
    q = select(Post.key, Post.id).where(col(Post.id) > last_id)
    return {k: pid for k, pid in s.execute(q).all()}


def insert_posts(s: Session, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT new posts in one executemany; every dict carries every column but ``id``."""
    _insert_many(s, Post.__table__, rows)  # type: ignore[attr-defined]


def insert_audit_events(s: Session, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT audit events (at, actor, action, post_id, ref, detail) in one executemany."""
    _insert_many(s, AuditEvent.__table__, rows)  # type: ignore[attr-defined]


_UNSET = object()


def _insert_many(s: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Many rows in one go on the driver, each value through its column type's own bind processor.

    The rows ``s.execute(table.insert(), rows)`` would write, without Core's per-row, per-parameter
    bookkeeping, which cost more than the database itself for 10,000 posts (docs/benchmarks.md):
    one executemany on SQLite, a COPY on PostgreSQL (a fifth of an executemany's time). Every dict
    carries every column but ``id``.
    """
    if not rows:
        return
    conn = s.connection()
    dialect = conn.dialect
    names = [c.name for c in table.columns if c.name != "id"]
    procs = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    # the same object in the same column (sync's one "now", one actor) is converted once
    last: list[tuple[Any, Any]] = [(_UNSET, None)] * len(procs)
    values: list[tuple[Any, ...]] = []
    for row in rows:
        converted = []
        for i, (n, proc) in enumerate(zip(names, procs, strict=True)):
            v = row[n]
            if proc is not None:
                seen, out = last[i]
                if v is not seen:
                    out = proc(v)
                    last[i] = (v, out)
                v = out
            converted.append(v)
        values.append(tuple(converted))
    columns = ", ".join(dialect.identifier_preparer.quote(n) for n in names)
    table_name = dialect.identifier_preparer.quote(table.name)
    if dialect.name == "postgresql":
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table_name} ({columns}) FROM STDIN") as copy:
            for v in values:
                copy.write_row(v)
    else:
        conn.exec_driver_sql(f"INSERT INTO {table_name} ({columns}) VALUES ({', '.join('?' * len(names))})", values)


# --- the report against the plan -------------------------------------------------------------


def _post_ids_between(start: datetime | None, end: datetime | None) -> Any:
    q = select(Post.id)
    if start is not None:
        q = q.where(col(Post.scheduled_at) >= start)
    if end is not None:
        q = q.where(col(Post.scheduled_at) < end)
    return q


class ReportPost(NamedTuple):
    id: int
    key: str
    title: str
    scheduled_at: datetime
    channels: list[str]
    status: str
    content_hash: str
    approvals_required: int
    approved_by: int
    rejected: bool
    milestone: str | None
    author: str | None


class ReportApproval(NamedTuple):
    post_id: int
    content_hash: str
    person: str
    decision: str
    at: datetime
    voided_at: datetime | None


class ReportDelivery(NamedTuple):
    post_id: int
    ref: str
    channel: str
    status: str
    created_at: datetime


class ReportEvent(NamedTuple):
    post_id: int
    at: datetime
    action: str
    detail: dict[str, Any]


def posts_fingerprint(s: Session) -> str:
    """A few aggregates that change whenever a post or an approval does (a status change, a vote, an edit, a
    withdrawal): two index-sized queries, so a view built from every post is rebuilt only when this moves."""
    posts = s.execute(sa_select(col(Post.status), func.count(), func.max(col(Post.updated_at)), func.sum(col(Post.approved_by)),
                                func.sum(cast(col(Post.rejected), Integer)), func.max(col(Post.id)))
                      .group_by(col(Post.status)).order_by(col(Post.status))).all()
    votes = s.execute(sa_select(func.count(), func.max(col(Approval.id)), func.count(col(Approval.voided_at)))).one()
    return repr((posts, tuple(votes)))


REPORT_ACTIONS = (AuditAction.ADDED, AuditAction.PUBLISHED, AuditAction.CORRECTED, AuditAction.RETRACTED, AuditAction.HELD,
                  AuditAction.MISSED, AuditAction.DELIVERY_FAILED, AuditAction.DELIVERY_UNKNOWN, AuditAction.RATE_LIMITED,
                  AuditAction.RETRACT_PARTIAL, AuditAction.CORRECT_PARTIAL)


def _columns(*columns: Any) -> Any:
    """A select of plain columns, as rows (no ORM objects to build)."""
    return sa_select(*[col(c) for c in columns])


def report_rows(s: Session, start: datetime | None, end: datetime | None) -> tuple[
        list[ReportPost], list[ReportApproval], list[ReportDelivery], list[ReportEvent]]:
    """The posts due in a window, with their approvals, post deliveries and approval requests, and the audit
    events a report reads: four queries whatever the number of posts (ids go in as a subquery, never as
    thousands of bound parameters), plain rows rather than ORM objects (10,000 posts in well under a second)."""
    ids = _post_ids_between(start, end)
    posts = s.execute(_columns(Post.id, Post.key, Post.title, Post.scheduled_at, Post.channels, Post.status,
                             Post.content_hash, Post.approvals_required, Post.approved_by, Post.rejected, Post.milestone,
                             Post.author).where(col(Post.id).in_(ids)).order_by(col(Post.scheduled_at), col(Post.key)))
    approvals = s.execute(_columns(Approval.post_id, Approval.content_hash, Approval.person, Approval.decision, Approval.at,
                                 Approval.voided_at).where(col(Approval.post_id).in_(ids)).order_by(col(Approval.at)))
    deliveries = s.execute(_columns(Delivery.post_id, Delivery.ref, Delivery.channel, Delivery.status, Delivery.created_at)
                           .where(col(Delivery.post_id).in_(ids),
                                  or_(col(Delivery.ref).like("post:%"), col(Delivery.ref).like("request:%"))))
    events = s.execute(_columns(AuditEvent.post_id, AuditEvent.at, AuditEvent.action, AuditEvent.detail)
                       .where(col(AuditEvent.post_id).in_(ids), col(AuditEvent.action).in_(REPORT_ACTIONS))
                       .order_by(col(AuditEvent.at), col(AuditEvent.id)))
    return ([ReportPost(*r) for r in posts], [ReportApproval(*r) for r in approvals],
            [ReportDelivery(*r) for r in deliveries], [ReportEvent(*r) for r in events])
