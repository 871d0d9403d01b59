"""Atom, RSS and JSON Feed 1.1 of a feed channel (feedgen), with their ETags."""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedgen.feed import FeedGenerator
from lxml import etree

from campaign.config import ChannelConfig, Config
from campaign.store.models import PullItem

FORMATS = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}


def media_url(base: str, item: PullItem, index: int) -> str:
    """Media are served per item (``/media/<item>/<n>/<name>``): only published files are reachable."""
    return f"{base}/media/{item.id}/{index}/{Path(item.media[index]).name}"


def _attachment(config: Config, base: str, item: PullItem, index: int) -> tuple[str, int, str]:
    path = config.content_dir / item.media[index]
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    return media_url(base, item, index), size, mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def render(fmt: str, config: Config, channel: ChannelConfig, items: Sequence[PullItem], base: str) -> bytes:
    self_url = f"{base}/feeds/{channel.target}.{fmt}"
    updated = max((i.updated_at for i in items), default=datetime(2000, 1, 1, tzinfo=UTC))
    if fmt == "json":
        return _json_feed(config, channel, items, base, self_url)
    fg = FeedGenerator()
    fg.id(f"{base}/feeds/{channel.target}")
    fg.title(channel.label)
    fg.subtitle(config.name)  # RSS's description
    fg.link(href=self_url, rel="self")
    fg.link(href=f"{base}/feeds/{channel.target}", rel="alternate")
    fg.language(config.language)
    fg.generator("Loa")
    fg.updated(updated)
    fg.lastBuildDate(updated)
    for item in items:  # newest first, as they come
        fe = fg.add_entry(order="append")
        fe.id(f"urn:uuid:{item.guid}")
        fe.guid(f"urn:uuid:{item.guid}", permalink=False)
        fe.title(item.title)
        fe.summary(item.plain or item.title)  # RSS: <description>
        fe.content(item.html or "<p></p>", type="CDATA" if fmt == "rss" else "html")  # RSS: <content:encoded>
        fe.published(item.published_at)
        fe.updated(item.updated_at)
        if item.media:
            url, size, mime = _attachment(config, base, item, 0)
            fe.enclosure(url, str(size), mime)
    if fmt == "rss":
        return bytes(fg.rss_str(pretty=False))  # RSS allows one enclosure per item: the first file
    return _atom_enclosures(bytes(fg.atom_str(pretty=False)), [[_attachment(config, base, i, n) for n in range(len(i.media))]
                                                               for i in items])


def _atom_enclosures(atom: bytes, attachments: list[list[tuple[str, int, str]]]) -> bytes:
    """Every file of an entry as ``<link rel="enclosure">``. (feedgen 1.0 writes entry links without
    their attributes, and keeps one enclosure: the entries' links are rewritten here.)"""
    ns = "{http://www.w3.org/2005/Atom}"
    root = etree.fromstring(atom)
    for entry, files in zip(root.iter(f"{ns}entry"), attachments, strict=True):
        for link in entry.findall(f"{ns}link"):
            entry.remove(link)
        for url, size, mime in files:
            etree.SubElement(entry, f"{ns}link", rel="enclosure", href=url, type=mime, length=str(size))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _json_feed(config: Config, channel: ChannelConfig, items: Sequence[PullItem], base: str, self_url: str) -> bytes:
    def entry(item: PullItem) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": f"urn:uuid:{item.guid}", "title": item.title, "content_html": item.html, "content_text": item.plain,
            "date_published": item.published_at.isoformat(), "date_modified": item.updated_at.isoformat(),
        }
        if item.media:
            out["attachments"] = [dict(zip(("url", "size_in_bytes", "mime_type"), _attachment(config, base, item, n), strict=True))
                                  for n in range(len(item.media))]
        return out

    feed = {
        "version": "https://jsonfeed.org/version/1.1", "title": channel.label, "description": config.name,
        "home_page_url": f"{base}/feeds/{channel.target}", "feed_url": self_url, "language": config.language,
        "items": [entry(i) for i in items],
    }
    return json.dumps(feed, ensure_ascii=False, separators=(",", ":")).encode()
