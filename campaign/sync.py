"""Files -> store. Idempotent: unchanged files are skipped on their byte hash alone."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from campaign.clock import Clock
from campaign.config import Config
from campaign.content import PostSource, iter_post_files, load_post, post_key
from campaign.errors import Problem
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Post, PostVersion

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

    @property
    def touched(self) -> list[str]:
        """Keys whose schedule or content moved: their jobs and approval requests need a look."""
        return [*self.added, *self.changed, *self.rescheduled, *self.withdrawn, *self.restored]

    @property
    def changes(self) -> int:
        return len(self.touched) + len(self.changed_after_publish)


def sync(store: Store, config: Config, clock: Clock, *, actor: str = "sync") -> SyncReport:
    report = SyncReport()
    now = clock.now()
    config_hash = hashlib.sha256(config.path.read_bytes()).hexdigest()
    with store.session() as s:
        full = repo.get_setting(s, CONFIG_HASH) != config_hash
        rows = repo.posts_by_key(s)
        seen: set[str] = set()
        if not config.content_dir.is_dir():
            report.problems.append(Problem(config.content_dir, None, "thư mục nội dung không tồn tại / content folder does not exist"))
            return report
        for path in iter_post_files(config.content_dir):
            key = post_key(path, config.content_dir)
            seen.add(key)
            row = rows.get(key)
            try:
                raw = path.read_bytes()
            except OSError as exc:
                report.problems.append(Problem(path, None, f"không đọc được / cannot read: {exc.strerror}"))
                continue
            if row is not None and not full and row.source_error is None and row.status != "withdrawn" \
                    and row.file_hash == hashlib.sha256(raw).hexdigest() and _media_unchanged(config, row):
                report.unchanged += 1
                continue
            post, problems = load_post(path, raw, config)
            if post is None:
                report.problems.extend(problems)
                if row is not None:
                    row.source_error = "; ".join(str(p) for p in problems)
                    repo.audit(s, now, actor, "source_broken", post_id=row.id, ref=key, problems=[str(p) for p in problems])
                continue
            if row is None:
                s.add(_new_post(post, now))
                report.added.append(key)
                continue
            _apply(s, row, post, now, actor, report)
        for key, row in rows.items():
            if key in seen or row.status == "withdrawn":
                continue
            if row.status in ("published", "retracted"):
                if row.source_error != "deleted":
                    row.source_error = "deleted"
                    repo.audit(s, now, actor, "source_deleted_after_publish", post_id=row.id, ref=key)
                continue
            row.status, row.updated_at = "withdrawn", now
            repo.void_approvals(s, row.id or 0, now)
            repo.audit(s, now, actor, "withdrawn", post_id=row.id, ref=key, reason="file deleted")
            report.withdrawn.append(key)
        s.flush()
        if report.added:
            fresh = repo.posts_by_key(s)
            for key in report.added:
                row = fresh[key]
                repo.audit(s, now, actor, "added", post_id=row.id, ref=key)
                s.add(PostVersion(post_id=row.id or 0, content_hash=row.content_hash, title=row.title,
                                  time_text=row.time_text, channels=list(row.channels), body=row.body, at=now))
        repo.set_setting(s, CONFIG_HASH, config_hash)
        s.commit()
    return report


def _apply(s: Any, row: Post, post: PostSource, now: Any, actor: str, report: SyncReport) -> None:
    key = post.key
    was_withdrawn = row.status == "withdrawn"
    content_changed = row.content_hash != post.content_hash
    moved = row.scheduled_at != post.scheduled_at
    old_hash = row.content_hash
    _fill(row, post, now)
    row.source_error = None
    if content_changed:
        repo.add_version(s, row, now)
    if row.status in ("published", "retracted"):
        if content_changed:
            report.changed_after_publish.append(key)
            repo.audit(s, now, actor, "changed_after_publish", post_id=row.id, ref=key, old_hash=old_hash, new_hash=post.content_hash)
        return
    if was_withdrawn:
        row.status = "scheduled"
        report.restored.append(key)
        repo.audit(s, now, actor, "restored", post_id=row.id, ref=key)
    elif content_changed:
        voided = repo.void_approvals(s, row.id or 0, now)
        report.changed.append(key)
        repo.audit(s, now, actor, "changed", post_id=row.id, ref=key, old_hash=old_hash, new_hash=post.content_hash,
                   approvals_voided=voided)
    elif moved:
        report.rescheduled.append(key)
        repo.audit(s, now, actor, "rescheduled", post_id=row.id, ref=key, scheduled_at=post.scheduled_at.isoformat())
    if row.status in ("held", "missed") and (content_changed or moved) and post.scheduled_at > now:
        row.status = "scheduled"


def _new_post(post: PostSource, now: Any) -> Post:
    row = Post(key=post.key, source_path="", title="", body="", telegram_html="", plain_text="", content_hash="", file_hash="")
    _fill(row, post, now)
    return row


def _fill(row: Post, post: PostSource, now: Any) -> None:
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
    row.telegram_html = post.rendered.telegram_html
    row.plain_text = post.rendered.plain
    row.content_hash = post.content_hash
    row.file_hash = post.file_hash
    row.updated_at = now


def _media_unchanged(config: Config, row: Post) -> bool:
    for m in row.media:
        try:
            st = (config.content_dir / m["path"]).stat()
        except OSError:
            return False
        if st.st_size != m["size"] or st.st_mtime_ns != m["mtime_ns"]:
            return False
    return True
