"""Drafts written by people (from chat) or by Loa (relayed items): one Markdown file each, never overwritten.

A draft is an ordinary post file with front matter (``author``, and ``source`` when it came from
elsewhere), so it goes through ``loa check``, sync, approval and publishing like any other post;
the folder stays the one source of truth. ``write_draft`` is the one writer: a temporary file, then
a hard link to a name that does not exist yet (atomic, and it cannot replace a file someone wrote
meanwhile), so a watcher never sees half a file and no one's work is lost.

``markdown_from_entities`` turns a chat message's formatting (Telegram's entities: offsets in
UTF-16 code units) into the Markdown the content folder holds, so bold, italic and links survive.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from campaign.commands import fold

MAX_NAMES = 1000  # files of the same minute and title: after that something is wrong, not busy
SLUG_LENGTH = 50


@dataclass(frozen=True)
class Source:
    """Where a draft's text came from: a channel's name and a link to the original (when it has one)."""

    name: str
    url: str | None = None

    @property
    def front_matter(self) -> str:
        return f"{self.name} <{self.url}>" if self.url else self.name

    def markdown(self) -> str:
        """The source named, and linked when there is a link (the "Nguồn: …" line readers see)."""
        name = escape(self.name)
        return f"[{name}]({self.url})" if self.url else name


def slug(title: str) -> str:
    """A file name part from a title: "Khai mạc Đại hội!" -> "khai-mac-dai-hoi"."""
    words = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")
    return words[:SLUG_LENGTH].rstrip("-") or "bai"


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one); one line, whatever the text holds."""
    return json.dumps(" ".join(text.split()), ensure_ascii=False)


def front_matter(*, title: str, at: datetime, tz: tzinfo, channels: Sequence[str], author: str,
                 media: Sequence[str] = (), source: Source | None = None, milestone: str | None = None) -> str:
    lines = [f"title: {_quoted(title)}"]
    if milestone:
        lines.append(f"milestone: {milestone}")
    lines.append(f'time: "{at.astimezone(tz):%Y-%m-%d %H:%M}"')
    lines.append("channels: [" + ", ".join(channels) + "]")
    if media:
        lines.append("media: [" + ", ".join(_quoted(m) for m in media) + "]")
    lines.append(f"author: {author}")
    if source is not None:
        lines.append(f"source: {_quoted(source.front_matter)}")
    return "---\n" + "\n".join(lines) + "\n---\n"


def write_draft(folder: Path, *, title: str, at: datetime, tz: tzinfo, channels: Sequence[str], body: str, author: str,
                source: Source | None = None, milestone: str | None = None,
                media: Sequence[tuple[str, bytes]] = ()) -> Path:
    """Write a draft (and its photos, named after it, next to it) into ``folder``; returns the Markdown file.

    The name is ``YYYYMMDD-HHMM-slug.md`` (the post's local time), with ``-2``, ``-3``… when taken;
    ``media`` are (suffix, bytes) pairs, referenced from the front matter as the content loader expects.
    """
    folder.mkdir(parents=True, exist_ok=True)
    base = f"{at.astimezone(tz):%Y%m%d-%H%M}-{slug(title)}"
    for n in range(1, MAX_NAMES + 1):
        stem = base if n == 1 else f"{base}-{n}"
        target = folder / f"{stem}.md"
        if target.exists():
            continue
        names = [f"{stem}-{i}{suffix}" for i, (suffix, _) in enumerate(media, start=1)]
        written: list[Path] = []
        try:
            for name, (_, data) in zip(names, media, strict=True):
                written.append(_place(folder / name, data))
            text = front_matter(title=title, at=at, tz=tz, channels=channels, author=author, media=names,
                                source=source, milestone=milestone) + body.strip() + "\n"
            return _place(target, text.encode())
        except FileExistsError:  # someone took this name meanwhile: leave theirs, try the next
            for path in written:
                path.unlink(missing_ok=True)
    raise FileExistsError(f"{folder}/{base}*.md: {MAX_NAMES} drafts of this name already")


def _place(target: Path, data: bytes) -> Path:
    """``data`` at ``target`` in one step, or ``FileExistsError`` (nothing replaced)."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".draft-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, target)  # unlike os.replace, fails when the name exists
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return target


# --- chat formatting -> Markdown -----------------------------------------------------------------------

@dataclass(frozen=True)
class Entity:
    """One formatted span of a chat message: Telegram's ``MessageEntity`` as plain data (UTF-16 units)."""

    kind: str  # bold, italic, strikethrough, code, pre, text_link, url, underline, …
    offset: int
    length: int
    url: str | None = None


_MARKS = {"bold": ("**", "**"), "italic": ("_", "_"), "strikethrough": ("~~", "~~"), "code": ("`", "`"),
          "pre": ("\n```\n", "\n```\n")}
_SPECIAL = re.compile(r"([\\`*_\[\]<>~])")


def escape(text: str) -> str:
    """Characters that would start Markdown formatting in plain text, escaped (line-start lists are left alone)."""
    return _SPECIAL.sub(r"\\\1", text)


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def markdown_from_entities(text: str, entities: Sequence[Entity]) -> str:
    """The message as Markdown: bold, italic, strikethrough, code and links kept; the rest as plain text.

    Telegram has no list entity: "- a" / "1. a" lines are already Markdown lists and stay as typed.
    Whitespace at a span's edges is moved outside it (``** bold**`` would not be bold in Markdown).
    """
    units = text.encode("utf-16-le")
    size = len(units) // 2

    def cut(a: int, b: int) -> str:
        return units[2 * a:2 * b].decode("utf-16-le", errors="replace")

    opens: dict[int, list[tuple[int, str]]] = {}
    closes: dict[int, list[tuple[int, int, str]]] = {}
    for n, e in enumerate(entities):
        start, end = max(0, e.offset), min(size, e.offset + e.length)
        inner = cut(start, end)
        if not inner.strip() or (e.kind not in _MARKS and e.kind != "text_link") or (e.kind == "text_link" and not e.url):
            continue
        start += _u16(inner) - _u16(inner.lstrip())
        end -= _u16(inner) - _u16(inner.rstrip())
        mark_open, mark_close = ("[", f"]({e.url})") if e.kind == "text_link" else _MARKS[e.kind]
        opens.setdefault(start, []).append((end, mark_open))
        closes.setdefault(end, []).append((start, n, mark_close))
    code_depth = 0
    out: list[str] = []
    cuts = sorted({0, size, *opens, *closes})
    for i, at in enumerate(cuts):
        for _start, _n, mark in sorted(closes.get(at, []), key=lambda c: (-c[0], -c[1])):
            out.append(mark)
            code_depth -= mark in ("`", "\n```\n")
        for _end, mark in sorted(opens.get(at, []), key=lambda o: -o[0]):
            out.append(mark)
            code_depth += mark in ("`", "\n```\n")
        if i + 1 < len(cuts):
            piece = cut(at, cuts[i + 1])
            out.append(piece if code_depth else escape(piece))
    return "".join(out).strip()
