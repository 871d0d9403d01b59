"""Reading a feed: RSS or Atom bytes -> items with safe plain text (feedparser, then our own HTML-to-text).

Kept apart from ``campaign.relay`` (and light: feedparser and the standard library only) because
``jobs.relay`` runs it in a worker process, away from the event loop's GIL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import feedparser

_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
                         "tr", "table", "section", "article", "figure", "figcaption", "pre", "hr"})
_SKIP_TAGS = frozenset({"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"})


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
