"""Relayed sources ("tiếp sóng"): a feed's new items become drafts awaiting approval, never posts by themselves.

This module is the domain side: reading a feed's bytes (feedparser), making its HTML safe text,
filling the [[relay]] template, and deciding per item what to write, remembering every item in the
store. Fetching (HTTP, conditional GET, back-off, the alert) is ``jobs.relay``'s.

Rules, as documented in docs/operations.md:

- an item is the same item when its id, or else its link, was seen before (per source);
- the first poll of a source relays only its newest ``max_items`` and remembers the backlog as seen;
  later, at most ``max_items`` drafts per poll, the rest on the next polls;
- an item that changes upstream rewrites its draft while that is untouched and not yet approved nor
  published; otherwise (approved, published, edited by staff) a new draft "Cập nhật: …" is written;
  a draft staff deleted stays deleted.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from campaign.clock import Clock
from campaign.config import Config, RelaySource
from campaign.drafts import Source, replace_draft, write_draft
from campaign.feeds import FeedItem
from campaign.states import PostState
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import RelayItem
from campaign.texts import t

RELAY_FOLDER = "relay"  # content/relay/<source id>/
# Markdown punctuation that could make feed text into links, HTML, emphasis or code: each escaped with "\".
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&~|!#{}])")
_LINE_START = re.compile(r"^(\s*)([-+=])", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)


@dataclass
class PollOutcome:
    """What one poll of one source did (for the log, the bench and the tests)."""

    written: list[str] = field(default_factory=list)  # post keys of new drafts
    updated: list[str] = field(default_factory=list)  # drafts rewritten in place
    waiting: int = 0  # new items left for the next poll (over max_items)
    backlog: int = 0  # items remembered without a draft (a source's first poll)

    @property
    def files(self) -> int:
        return len(self.written) + len(self.updated)


def escape_markdown(text: str) -> str:
    """Feed text as Markdown that reads as itself: no link, tag, emphasis, heading or list can come from it."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _NUMBERED.sub(r"\1\\\2", _LINE_START.sub(r"\1\\\2", text))


def excerpt(text: str, limit: int) -> str:
    """The first ``limit`` characters, cut at a word, with "…" when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,.;:-\n") + "…"


def draft_fields(source: RelaySource, item: FeedItem, lang: str) -> tuple[str, str]:
    """The draft's title and body from the source's templates."""
    title = item.title or t("relay.untitled", lang)
    text = escape_markdown(excerpt(item.text, source.excerpt)) if source.excerpt else ""
    values = {"title": title, "excerpt": text, "link": item.link, "label": escape_markdown(source.label)}
    body = source.body.format(**{**values, "title": escape_markdown(title)})
    return source.title.format(**values), re.sub(r"\n{3,}", "\n\n", body).strip()


def proposed_time(source: RelaySource, config: Config, now: datetime) -> datetime:
    """When the draft is proposed to go out: ``lead`` from now, rounded up to 5 minutes, local time."""
    when = (now + source.lead).astimezone(config.tz)
    when = when.replace(second=0, microsecond=0) + timedelta(minutes=1 if when.second or when.microsecond else 0)
    return when + timedelta(minutes=-when.minute % 5)


def take_items(store: Store, config: Config, clock: Clock, source: RelaySource, items: list[FeedItem]) -> PollOutcome:
    """Remember the feed's items; write drafts for new ones (capped) and handle the ones that changed."""
    out = PollOutcome()
    now = clock.now()
    folder = config.content_dir / RELAY_FOLDER / source.id
    with store.session() as s:
        # plain tuples, not rows: a big feed's thousands of items cost no ORM objects (the GIL is the loop's too)
        rows = _seen(s, source.id)
        seen = {key: digest for key, digest, _link in rows}
        first_poll = not seen
        links = {link for _key, _digest, link in rows}
        fresh: list[FeedItem] = []
        for item in items:
            digest = seen.get(item.key)
            if digest is not None and digest != item.content_hash:
                row = s.exec(select(RelayItem).where(RelayItem.source == source.id, RelayItem.item_key == item.key)).one()
                before = row.draft
                if (key := _changed(s, config, source, row, item, now)) is not None:
                    (out.updated if key == before else out.written).append(key)
            elif digest is None and item.link not in links:
                fresh.append(item)
                links.add(item.link)
        for n, item in enumerate(fresh):
            if n < source.max_items:
                path = write_draft(folder, **_draft_args(source, config, item, now, config.language))
                row = _row(source, item, now, config.content_dir, path)
                s.add(row)
                out.written.append(row.draft or "")
            elif first_poll:
                s.add(_row(source, item, now, config.content_dir, None))
                out.backlog += 1
            else:
                out.waiting += 1
        s.commit()
    return out


def _seen(s: Session, source_id: str) -> list[tuple[str, str, str]]:
    q = select(RelayItem.item_key, RelayItem.content_hash, RelayItem.link).where(RelayItem.source == source_id)
    return [(k, d, link) for k, d, link in s.exec(q)]


def _draft_args(source: RelaySource, config: Config, item: FeedItem, now: datetime, lang: str,
                *, updated: bool = False) -> dict[str, Any]:
    title, body = draft_fields(source, item, lang)
    if updated:
        title = t("relay.updated_title", lang, title=title)
    return {"title": title, "at": proposed_time(source, config, now), "tz": config.tz, "channels": list(source.channels),
            "body": body, "author": "", "source": Source(source.label, item.link), "milestone": source.milestone}


def _row(source: RelaySource, item: FeedItem, now: datetime, content_dir: Path, path: Path | None) -> RelayItem:
    return RelayItem(source=source.id, item_key=item.key, link=item.link, title=item.title,
                     content_hash=item.content_hash, draft=_key(path, content_dir) if path else None,
                     draft_hash=_file_hash(path) if path else None, first_seen=now, updated_at=now)


def _changed(s: Session, config: Config, source: RelaySource, row: RelayItem, item: FeedItem, now: datetime) -> str | None:
    """An item changed upstream: the post key of the draft rewritten or written, None when none is."""
    row.content_hash, row.title, row.link, row.updated_at = item.content_hash, item.title, item.link, now
    s.add(row)
    if row.draft is None:
        return None  # backlog: never relayed, and not now either
    path = config.content_dir / f"{row.draft}.md"
    if not path.exists():
        return None  # staff deleted the draft: it stays deleted
    post = repo.post_by_key(s, row.draft)
    decided = post is not None and (post.approved_by > 0 or post.rejected or post.status not in
                                    (PostState.SCHEDULED, PostState.HELD))
    args = _draft_args(source, config, item, now, config.language)
    if not decided and _file_hash(path) == row.draft_hash:
        replace_draft(path, **args)
    else:  # approved, published or edited by hand: their draft is left alone, the change is a draft of its own
        path = write_draft(path.parent, **_draft_args(source, config, item, now, config.language, updated=True))
    row.draft, row.draft_hash = _key(path, config.content_dir), _file_hash(path)
    return row.draft


def _key(path: Path, content_dir: Path) -> str:
    return path.relative_to(content_dir).with_suffix("").as_posix()


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


__all__ = ["PollOutcome", "draft_fields", "escape_markdown", "excerpt", "proposed_time", "take_items"]
