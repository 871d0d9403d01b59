"""Files -> store. Idempotent: unchanged files are skipped on their stat stamp, or on their byte hash.

Built for 10,000+ posts: the skip test reads only a few columns of each stored post (and no file
whose stat is as it was), full rows are loaded only for the files that need work, and new posts
and their "added" audit events are written with one executemany each rather than an ORM object each.
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from campaign.clock import Clock
from campaign.config import Config
from campaign.content import PostSource, iter_post_entries, load_post, read_post_file
from campaign.errors import Problem, printable
from campaign.states import AuditAction, PostState
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Post
from campaign.texts import inline

CONFIG_HASH = "config_hash"


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    changed_after_publish: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # of the files parsed this time (severity "warning")

    @property
    def touched(self) -> list[str]:
        """Keys whose schedule or content moved: their jobs and approval requests need a look."""
        return [*self.added, *self.changed, *self.rescheduled, *self.withdrawn, *self.restored]

    @property
    def changes(self) -> int:
        return len(self.touched) + len(self.changed_after_publish)


def sync(store: Store, config: Config, clock: Clock, *, actor: str = "sync") -> SyncReport:
    with _cycle_collector_paused():
        return _sync(store, config, clock, actor)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Sync makes and drops ~100 objects per file, all freed by reference counting; the cycle
    collector's passes over the whole heap meanwhile added 30-60 % to a 10,000-file sync, at random
    (docs/benchmarks.md). What cycles a sync leaves are collected after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _sync(store: Store, config: Config, clock: Clock, actor: str) -> SyncReport:
    report = SyncReport()
    now = clock.now()
    config_hash = hashlib.sha256(config.path.read_bytes()).hexdigest()
    with store.session() as s:
        full = repo.get_setting(s, CONFIG_HASH) != config_hash
        # Only the columns the skip test needs; full rows are loaded for the files that need work.
        states = repo.post_sync_states(s)
        seen: set[str] = set()
        if not config.content_dir.is_dir():
            report.problems.append(Problem(config.content_dir, None, inline("content.no_folder")))
            return report
        new_rows: list[dict[str, Any]] = []
        work: list[tuple[Path, str, bytes, str | None]] = []  # files to parse, in walk order, in batches
        restamp: list[tuple[int, str]] = []  # unchanged files whose stat changed (touched, copied back)
        for name, key in iter_post_entries(config.content_dir):
            seen.add(key)
            state = states.get(key)
            known = state is not None and not full and state.source_error is None and state.status != PostState.WITHDRAWN
            try:
                stamp = file_stamp(os.stat(name))
            except OSError as exc:
                report.problems.append(Problem(Path(name), None, f"{inline('content.cannot_read')}: {exc.strerror}"))
                continue
            if known and state is not None and stamp is not None and stamp == state.file_stat \
                    and _media_unchanged(config, state):
                report.unchanged += 1  # not even read: size, times and inode as when it was last parsed
                continue
            raw = read_post_file(name, config.content_dir)
            if isinstance(raw, Problem):
                _broken(s, key, states, [raw], now, actor, report)
                continue
            if known and state is not None and state.file_hash == hashlib.sha256(raw).hexdigest() \
                    and _media_unchanged(config, state):
                report.unchanged += 1
                if stamp is not None:
                    restamp.append((state.id, stamp))
                continue
            work.append((Path(name), key, raw, stamp))
            if len(work) >= _BATCH:
                _process(s, config, work, states, new_rows, now, actor, report)
                work.clear()
                _insert_new(s, new_rows, now, actor)  # in batches too: memory stays flat however many posts
        repo.set_file_stamps(s, restamp)
        _process(s, config, work, states, new_rows, now, actor, report)
        gone = [key for key, state in states.items() if key not in seen and state.status != PostState.WITHDRAWN]
        gone_rows = repo.posts_for_keys(s, gone) if gone else {}
        for key in gone:
            row = gone_rows.get(key)
            if row is None:  # deleted from the store meanwhile: nothing left to withdraw
                continue
            if row.status in (PostState.PUBLISHED, PostState.RETRACTED):
                if row.source_error != "deleted":
                    row.source_error = "deleted"
                    repo.audit(s, now, actor, AuditAction.SOURCE_DELETED_AFTER_PUBLISH, post_id=row.id, ref=key)
                continue
            row.status, row.updated_at = PostState.WITHDRAWN, now
            repo.void_approvals(s, row.id or 0, now)
            repo.count_votes(s, row)
            repo.audit(s, now, actor, AuditAction.WITHDRAWN, post_id=row.id, ref=key, reason="file deleted")
            report.withdrawn.append(key)
        s.flush()
        _insert_new(s, new_rows, now, actor)
        if full:
            repo.set_setting(s, CONFIG_HASH, config_hash)
        s.commit()
    return report


def _insert_new(s: Session, new_rows: list[dict[str, Any]], now: datetime, actor: str) -> None:
    """New posts in bulk (one executemany or COPY), their ids in one query, then their "added" audit
    events: the rows one ORM object per post would make, without the unit of work. (A new post has
    no earlier version: ``post_versions`` keeps only the contents a post replaced.)"""
    if not new_rows:
        return
    last_id = repo.last_post_id(s)
    repo.insert_posts(s, new_rows)
    ids = repo.post_ids_after(s, last_id)
    detail: dict[str, Any] = {}
    repo.insert_audit_events(s, [
        {"at": now, "actor": actor, "action": AuditAction.ADDED, "post_id": ids[r["key"]], "ref": r["key"], "detail": detail}
        for r in new_rows
    ])
    new_rows.clear()


# Files needing work are parsed in batches so that the full rows of the existing posts among them
# come in one query per batch, while memory stays bounded (the raw bytes of at most _BATCH files).
_BATCH = 500


def _process(s: Session, config: Config, work: list[tuple[Path, str, bytes, str | None]], states: dict[str, repo.SyncState],
             new_rows: list[dict[str, Any]], now: datetime, actor: str, report: SyncReport) -> None:
    if not work:
        return
    existing = [key for _, key, _, _ in work if key in states]
    rows = repo.posts_for_keys(s, existing) if existing else {}
    for path, key, raw, stamp in work:
        row = rows.get(key)
        post, problems = load_post(path, raw, config, key=key)
        if post is None:
            report.problems.extend(problems)
            if row is not None:
                _mark_broken(s, row, problems, now, actor)
            continue
        report.warnings.extend(post.warnings)
        if row is None:
            new_rows.append(_new_row(post, stamp, now))
            report.added.append(key)
            continue
        _apply(s, row, post, stamp, now, actor, report)


def _broken(s: Session, key: str, states: dict[str, repo.SyncState], problems: list[Problem], now: datetime, actor: str,
            report: SyncReport) -> None:
    """A file that cannot even be read (not a regular file, too large, a symlink out of content/)."""
    report.problems.extend(problems)
    if key in states:
        row = repo.posts_for_keys(s, [key]).get(key)
        if row is not None:
            _mark_broken(s, row, problems, now, actor)


def _mark_broken(s: Session, row: Post, problems: list[Problem], now: datetime, actor: str) -> None:
    """The post is held and reported, as for any broken file; the messages are stored as printable text
    (a file name may hold bytes or characters the database refuses)."""
    messages = [printable(str(p)) for p in problems]
    row.source_error = "; ".join(messages)
    repo.audit(s, now, actor, AuditAction.SOURCE_BROKEN, post_id=row.id, ref=row.key, problems=messages)


def _apply(s: Session, row: Post, post: PostSource, stamp: str | None, now: datetime, actor: str, report: SyncReport) -> None:
    key = post.key
    was_withdrawn = row.status == PostState.WITHDRAWN
    content_changed = row.content_hash != post.content_hash
    moved = row.scheduled_at != post.scheduled_at
    old_hash = row.content_hash
    if content_changed:
        repo.keep_version(s, row, now)  # before _fill overwrites it
    _fill(row, post, now)
    row.file_stat = stamp
    row.source_error = None
    if row.status in (PostState.PUBLISHED, PostState.RETRACTED):
        if content_changed:
            repo.count_votes(s, row)  # votes on the new content (none yet, or those of a reverted-to version)
            report.changed_after_publish.append(key)
            repo.audit(s, now, actor, AuditAction.CHANGED_AFTER_PUBLISH, post_id=row.id, ref=key, old_hash=old_hash, new_hash=post.content_hash)
        return
    if was_withdrawn:
        row.status = PostState.SCHEDULED
        report.restored.append(key)
        repo.audit(s, now, actor, AuditAction.RESTORED, post_id=row.id, ref=key)
    elif content_changed:
        voided = repo.void_approvals(s, row.id or 0, now)
        repo.count_votes(s, row)
        report.changed.append(key)
        repo.audit(s, now, actor, AuditAction.CHANGED, post_id=row.id, ref=key, old_hash=old_hash, new_hash=post.content_hash,
                   approvals_voided=voided)
    elif moved:
        report.rescheduled.append(key)
        repo.audit(s, now, actor, AuditAction.RESCHEDULED, post_id=row.id, ref=key, scheduled_at=post.scheduled_at.isoformat())
    if row.status in (PostState.HELD, PostState.MISSED) and (content_changed or moved) and post.scheduled_at > now:
        row.status = PostState.SCHEDULED


def _new_row(post: PostSource, stamp: str | None, now: datetime) -> dict[str, Any]:
    """Every column of a new ``posts`` row (but ``id``), as ``_fill`` would set them on a new ``Post``."""
    return {
        "key": post.key, "source_path": str(post.path), "title": post.title, "milestone": post.milestone,
        "time_text": post.time_text, "scheduled_at": post.scheduled_at, "channels": list(post.channels),
        "media": [{"path": m.path, "size": m.size, "mtime_ns": m.mtime_ns} for m in post.media],
        "options": post.options(), "approvals_required": post.approvals, "author": post.author, "body": post.body,
        "content_hash": post.content_hash, "file_hash": post.file_hash, "file_stat": stamp, "status": PostState.SCHEDULED,
        "published_hash": None, "approved_by": 0, "rejected": False, "source_error": None, "updated_at": now,
    }


def _fill(row: Post, post: PostSource, now: datetime) -> None:
    row.source_path = str(post.path)
    row.title = post.title
    row.milestone = post.milestone
    row.time_text = post.time_text
    row.scheduled_at = post.scheduled_at
    row.channels = list(post.channels)
    row.media = [{"path": m.path, "size": m.size, "mtime_ns": m.mtime_ns} for m in post.media]
    row.options = post.options()
    row.approvals_required = post.approvals
    row.author = post.author
    row.body = post.body
    row.content_hash = post.content_hash
    row.file_hash = post.file_hash
    row.updated_at = now


# A file changed after it was parsed must not look unchanged: a stamp is kept only once the file's
# times are this far in the past, so that a later write (>= now) cannot share them, however coarse
# the file system's clock (FAT: 2 s). Until then the file is read and hashed, as every file was before.
STAMP_SETTLED_NS = 3_000_000_000


def file_stamp(st: os.stat_result) -> str | None:
    """Size, modification and change times and inode, as git's index keeps them; None while too recent."""
    if max(st.st_mtime_ns, st.st_ctime_ns) > time.time_ns() - STAMP_SETTLED_NS:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def _media_unchanged(config: Config, row: repo.SyncState) -> bool:
    for m in row.media:
        try:
            st = (config.content_dir / m["path"]).stat()
        except OSError:
            return False
        if st.st_size != m["size"] or st.st_mtime_ns != m["mtime_ns"]:
            return False
    return True
