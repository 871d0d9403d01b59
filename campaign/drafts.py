"""Drafts written by Loa itself (relayed feed items; drafts from chat): a Markdown post file in content/.

The folder stays the one source of truth: a draft is an ordinary post file that goes through
``check``, sync, approvals and publishing like any other. Files appear whole (written under a dot
name, which the content loader skips, then published in one step) and an existing file is never
overwritten by a new draft.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from campaign.errors import CONTROL_RE

_SLUG_MAX = 60
_NAMES_TRIED = 1000
# U+2028/2029 are line breaks to YAML: kept out of one-line front-matter values like the control characters.
_ONE_LINE_RE = re.compile("[\u2028\u2029\r\n\t]+")


def write_draft(folder: Path, *, title: str, at: str, channels: list[str], body: str, author: str,
                source: str | None = None, milestone: str | None = None) -> Path:
    """Write a new draft in ``folder`` named ``<date>-<slug>.md`` (a free name: ``-2``, ``-3``… when taken).

    ``at`` is the post's ``time`` (e.g. ``"2021-01-27 09:00"``; its date starts the name), ``author`` a
    [people] key ("" for none: a relayed item has no author among the staff), ``source`` the original's URL.
    """
    text = draft_text(title=title, at=at, channels=channels, body=body, author=author, source=source, milestone=milestone)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{_day(at)}-{slugify(title)}".strip("-")
    for n in range(1, _NAMES_TRIED + 1):
        target = folder / (f"{stem}.md" if n == 1 else f"{stem}-{n}.md")
        if target.exists():
            continue
        if _publish(folder, target, text):
            return target
    raise FileExistsError(errno.EEXIST, "no free draft name", str(folder / stem))


def replace_draft(path: Path, *, title: str, at: str, channels: list[str], body: str, author: str,
                  source: str | None = None, milestone: str | None = None) -> Path:
    """Rewrite an existing draft in place, atomically (a reader sees the old file or the new one)."""
    text = draft_text(title=title, at=at, channels=channels, body=body, author=author, source=source, milestone=milestone)
    tmp = _temp_file(path.parent, text)
    os.replace(tmp, path)
    return path


def draft_text(*, title: str, at: str, channels: list[str], body: str, author: str,
               source: str | None = None, milestone: str | None = None) -> str:
    """The file: front matter with every value quoted (JSON strings are YAML double-quoted strings), then the body."""
    lines = ["---", f"title: {_quoted(title)}"]
    if milestone:
        lines.append(f"milestone: {_quoted(milestone)}")
    lines.append(f"time: {_quoted(at)}")
    lines.append("channels: [" + ", ".join(_quoted(c) for c in channels) + "]")
    if author:
        lines.append(f"author: {_quoted(author)}")
    if source:
        lines.append(f"source: {_quoted(source)}")
    lines.append("---")
    return "\n".join(lines) + "\n" + clean_text(body).strip() + "\n"


def clean_text(text: str) -> str:
    """Text without the control characters content checks refuse (tabs and line breaks stay)."""
    return CONTROL_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def slugify(title: str) -> str:
    """An ASCII file-name part: Vietnamese letters without their marks (đ -> d), words joined by '-'."""
    text = unicodedata.normalize("NFKD", title.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug[:_SLUG_MAX].rstrip("-") or "draft"


def _quoted(value: str) -> str:
    return json.dumps(clean_text(_ONE_LINE_RE.sub(" ", value)).strip(), ensure_ascii=False)


def _day(at: str) -> str:
    m = re.match(r"\d{4}-\d{2}-\d{2}", at.strip())
    return m.group() if m else ""


def _temp_file(folder: Path, text: str) -> Path:
    """The text in a dot-named file of ``folder`` (skipped by the content loader), flushed to disk."""
    fd, name = tempfile.mkstemp(prefix=".draft-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def _publish(folder: Path, target: Path, text: str) -> bool:
    """Give the temp file its name unless the name is taken (False); never replaces a file.

    A hard link publishes atomically and fails on an existing name; where links are not supported,
    ``os.replace`` after checking the name (a race there is as narrow as the filesystem allows).
    """
    tmp = _temp_file(folder, text)
    try:
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False
        except OSError:
            if target.exists():
                return False
            os.replace(tmp, target)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
