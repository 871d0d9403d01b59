"""Atom, RSS and JSON Feed 1.1 of a feed channel (feedgen), with their ETags."""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedgen.feed import FeedGenerator

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
        fe.content(item.html or "<p></p>", type="CDATA" if fmt == "rss" else "html")
        fe.description(item.plain or item.title)
        fe.published(item.published_at)
        fe.updated(item.updated_at)
        for n in range(len(item.media)):
            url, size, mime = _attachment(config, base, item, n)
            fe.enclosure(url, str(size), mime)  # Atom: a link rel="enclosure"; RSS keeps only the first
    return bytes(fg.atom_str(pretty=False) if fmt == "atom" else fg.rss_str(pretty=False))


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
