"""Conditional requests: the one check of ``If-None-Match`` that feeds and calendars share."""

from __future__ import annotations


def matches(header: str | None, etag: str) -> bool:
    """Whether the client already holds ``etag`` (weak tags compare equal; ``*`` matches anything)."""
    if not header:
        return False
    return header.strip() == "*" or etag in {t.strip().removeprefix("W/") for t in header.split(",")}
