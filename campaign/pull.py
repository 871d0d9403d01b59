"""Pull channels (feed, LED screen): what was published to them, kept for ``web/`` to serve.

Nothing is sent to a feed or a screen; they fetch. Publishing records the post (its title, an
HTML body for readers, its plain text and media), retracting marks it, correcting rewrites it.
Each channel has a *version* (a counter) that changes with every one of these, so feeds answer
``If-None-Match`` and LED screens refresh without rendering anything that did not change.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import PullItem

FEED_ITEMS = 50  # a feed shows the latest 50


@dataclass(frozen=True)
class Published:
    """A message as a pull channel keeps it."""

    title: str
    html: str  # body only (the title is separate), as HTML paragraphs
    plain: str  # body only
    media: tuple[str, ...] = ()


def from_rendering(html: str, plain: str, media: Sequence[str] = ()) -> Published:
    """Split a rendered post (title line first, as ``render_markdown`` writes it) into title and body.

    The Telegram rendering is already escaped HTML with a small set of tags; its blank-line
    separated blocks become paragraphs and its line breaks ``<br>``.
    """
    title, _, body_plain = plain.partition("\n")
    html_lines = html.split("\n\n", 1)
    body_html = html_lines[1] if len(html_lines) > 1 and "\n" in plain else ("" if not body_plain else html)
    paragraphs = [p.strip("\n") for p in body_html.split("\n\n") if p.strip()]
    return Published(title=title.strip() or "…", html="".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs),
                     plain=body_plain.strip(), media=tuple(media))


def record(store: Store, kind: str, target: str, item: Published, now: datetime) -> int:
    with store.session() as s:
        row = PullItem(kind=kind, target=target, guid=str(uuid.uuid4()), title=item.title, html=item.html,
                       plain=item.plain, media=list(item.media), published_at=now, updated_at=now)
        s.add(row)
        _bump(s, kind, target)
        s.commit()
        assert row.id is not None
        return row.id


def rewrite(store: Store, ids: Sequence[int], item: Published, now: datetime) -> int:
    """A correction: the same items (same guid, same place in the feed) with the new content."""
    with store.session() as s:
        rows = _rows(s, ids)
        for row in rows:
            row.title, row.html, row.plain, row.media, row.updated_at = item.title, item.html, item.plain, list(item.media), now
            _bump(s, row.kind, row.target)
        s.commit()
        return len(rows)


def retract(store: Store, ids: Sequence[int], now: datetime) -> int:
    with store.session() as s:
        rows = _rows(s, ids)
        for row in rows:
            row.retracted, row.updated_at = True, now
            _bump(s, row.kind, row.target)
        s.commit()
        return len(rows)


def _rows(s: Session, ids: Sequence[int]) -> list[PullItem]:
    if not ids:
        return []
    return list(s.exec(select(PullItem).where(col(PullItem.id).in_(list(ids)))).all())


def latest(store: Store, kind: str, target: str, limit: int = FEED_ITEMS) -> list[PullItem]:
    """The newest items still published, newest first."""
    with store.session() as s:
        return list(s.exec(
            select(PullItem)
            .where(PullItem.kind == kind, PullItem.target == target, col(PullItem.retracted).is_(False))
            .order_by(col(PullItem.published_at).desc(), col(PullItem.id).desc())
            .limit(limit)
        ).all())


def version(store: Store, kind: str, target: str) -> str:
    """A counter that moves on whenever an item of the channel is recorded, rewritten or retracted
    (kept in the settings table: one primary-key read per feed request or LED check)."""
    with store.session() as s:
        return repo.get_setting(s, _version_key(kind, target)) or "0"


def _version_key(kind: str, target: str) -> str:
    return f"pull:{kind}:{target}"


_local_writes = 0


def local_writes() -> int:
    """How many writes this process made to pull channels: a reader caching ``version`` for a moment
    (web/) drops its copy when this moves, so what this process publishes shows at once."""
    return _local_writes


def _bump(s: Session, kind: str, target: str) -> None:
    global _local_writes
    _local_writes += 1
    key = _version_key(kind, target)
    s.flush()
    repo.set_setting(s, key, str(int(repo.get_setting(s, key) or "0") + 1))


def item_ids(message_ids: Sequence[str]) -> list[int]:
    """Delivery message ids (strings) back to item ids; anything else is ignored."""
    return [int(m) for m in message_ids if m.isdigit()]
