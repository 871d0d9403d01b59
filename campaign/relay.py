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
from datetime import UTC, datetime, timedelta
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import feedparser
from sqlmodel import Session, select

from campaign.clock import Clock
from campaign.config import Config, RelaySource
from campaign.drafts import replace_draft, write_draft
from campaign.states import PostState
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import RelayItem
from campaign.texts import t

RELAY_FOLDER = "relay"  # content/relay/<source id>/
_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
                         "tr", "table", "section", "article", "figure", "figcaption", "pre", "hr"})
_SKIP_TAGS = frozenset({"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"})
# Markdown punctuation that could make feed text into links, HTML, emphasis or code: each escaped with "\".
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&~|!#{}])")
_LINE_START = re.compile(r"^(\s*)([-+=])", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)


class FeedError(Exception):
    """The feed's bytes are not a feed (broken XML with nothing readable, an HTML page)."""


@dataclass(frozen=True)
class FeedItem:
    key: str  # SHA-256 of the entry's id, or of its link when it has none
    link: str
    title: str
    html: str  # the entry's content or summary, as the feed has it
    published: datetime | None = None

    @cached_property
    def text(self) -> str:
        """Plain text from the entry's HTML made safe; worked out only for items that become drafts."""
        return html_to_text(self.html)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256("\0".join((self.title, self.html, self.link)).encode()).hexdigest()


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


def parse_feed(data: bytes, url: str) -> list[FeedItem]:
    """RSS or Atom bytes -> items, newest first when dates are given; ``FeedError`` when nothing is readable.

    feedparser reads broken XML loosely: items it still finds are used, a feed with none is an error.
    """
    # No HTML sanitizing nor URI resolving inside the content here: the HTML becomes plain text
    # (``html_to_text`` drops scripts and every tag), and only the item's link is resolved (``safe_link``).
    parsed: Any = feedparser.parse(data, response_headers={"content-location": url}, sanitize_html=False,
                                   resolve_relative_uris=False)
    entries = list(parsed.get("entries", []))
    if not entries and (parsed.get("bozo") or not parsed.get("version")):
        reason = parsed.get("bozo_exception")
        raise FeedError(str(reason) if reason else "not an RSS or Atom feed")
    items: dict[str, FeedItem] = {}
    for e in entries:
        link = safe_link(str(e.get("link") or ""), url)
        ident = str(e.get("id") or e.get("guid") or link or "").strip()
        if not ident:
            continue
        key = hashlib.sha256(ident.encode()).hexdigest()
        title = str(e.get("title") or "")
        title = html_to_text(title) if "<" in title or "&" in title else title  # feedparser decodes entities
        items.setdefault(key, FeedItem(key, link or url, " ".join(title.split()), _entry_html(e), _published(e)))
    out = list(items.values())
    if not out and parsed.get("bozo"):
        raise FeedError(str(parsed.get("bozo_exception") or "no readable item"))
    if all(i.published for i in out):
        out.sort(key=lambda i: i.published or datetime.min.replace(tzinfo=UTC), reverse=True)
    return out


def _entry_html(e: Any) -> str:
    for c in e.get("content") or ():
        if c.get("value"):
            return str(c["value"])
    return str(e.get("summary") or e.get("description") or "")


def _published(e: Any) -> datetime | None:
    stamp = e.get("published_parsed") or e.get("updated_parsed")
    if not stamp:
        return None
    year, month, day, hour, minute, second = (int(v) for v in stamp[:6])
    return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)


def safe_link(link: str, base: str) -> str:
    """An http(s) URL (relative ones made absolute) with the characters that would end a Markdown link
    escaped; "" for anything else (``javascript:`` and friends)."""
    link = urljoin(base, link.strip()) if link.strip() else ""
    if urlsplit(link).scheme not in ("http", "https"):
        return ""
    return quote(link, safe=":/?#@!$&'*+,;=%~-._[]")


class _TextOf(HTMLParser):
    """The text of an HTML fragment: script-like elements dropped, blocks on their own lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text from feed HTML: tags gone, entities decoded, paragraphs kept, whitespace tidied."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    return "\n\n".join(line for line in lines if line)


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


def proposed_time(source: RelaySource, config: Config, now: datetime) -> str:
    """When the draft is proposed to go out: ``lead`` from now, rounded up to 5 minutes, local time."""
    when = (now + source.lead).astimezone(config.tz)
    when = when.replace(second=0, microsecond=0) + timedelta(minutes=1 if when.second or when.microsecond else 0)
    when += timedelta(minutes=-when.minute % 5)
    return f"{when:%Y-%m-%d %H:%M}"


def take_items(store: Store, config: Config, clock: Clock, source: RelaySource, items: list[FeedItem]) -> PollOutcome:
    """Remember the feed's items; write drafts for new ones (capped) and handle the ones that changed."""
    out = PollOutcome()
    now = clock.now()
    folder = config.content_dir / RELAY_FOLDER / source.id
    with store.session() as s:
        known = {r.item_key: r for r in s.exec(select(RelayItem).where(RelayItem.source == source.id))}
        first_poll = not known
        links = {r.link for r in known.values()}
        fresh: list[FeedItem] = []
        for item in items:
            row = known.get(item.key)
            if row is not None and row.content_hash != item.content_hash:
                before = row.draft
                if (key := _changed(s, config, source, row, item, now)) is not None:
                    (out.updated if key == before else out.written).append(key)
            elif row is None and item.link not in links:
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


def _draft_args(source: RelaySource, config: Config, item: FeedItem, now: datetime, lang: str,
                *, updated: bool = False) -> dict[str, Any]:
    title, body = draft_fields(source, item, lang)
    if updated:
        title = t("relay.updated_title", lang, title=title)
    return {"title": title, "at": proposed_time(source, config, now), "channels": list(source.channels), "body": body,
            "author": "", "source": item.link, "milestone": source.milestone}


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


__all__ = ["FeedError", "FeedItem", "PollOutcome", "escape_markdown", "html_to_text", "parse_feed",
           "take_items"]
