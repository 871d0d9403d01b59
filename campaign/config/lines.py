"""config.toml's text: decoded and parsed, and the line of every key for located messages.

``tomllib`` reports syntax errors with a line but keeps no positions for keys, so ``KeyLines`` (a
small line scanner, written by hand for that reason) finds the line of each key.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from campaign.config.messages import line
from campaign.errors import ConfigError, Problem

_TABLE_ARRAY_RE = re.compile(r"\[\[\s*([^\]]+?)\s*\]\]")
_TABLE_RE = re.compile(r"\[\s*([^\]]+?)\s*\]")
_KEY_RE = re.compile(r"""((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")
_KEY_PART_RE = re.compile(r"""(?:"[^"]*"|'[^']*'|[^.]+)""")


def read_toml(path: Path) -> tuple[dict[str, Any], KeyLines]:
    """The parsed file and its key lines; ``ConfigError`` when it cannot be read, decoded or parsed."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError([Problem(path, None, f"{line('config.unreadable')}: {exc.strerror}")]) from None
    try:
        text = data.decode("utf-8-sig")  # a BOM, as some Windows editors write, is fine
    except UnicodeDecodeError as exc:
        at = data[: exc.start].count(b"\n") + 1
        raise ConfigError([Problem(path, at, line("config.not_utf8"))]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+)", str(exc))
        raise ConfigError([Problem(path, int(m.group(1)) if m else None, f"{line('config.bad_toml')}: {exc}")]) from None
    except RecursionError:
        raise ConfigError([Problem(path, None, line("config.too_deep"))]) from None
    return raw, KeyLines(text)


class KeyLines:
    """Line numbers of tables and keys in a TOML text, for error messages."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        counts: dict[tuple[str, ...], int] = {}
        for no, text_line in enumerate(text.split("\n"), start=1):  # TOML's newlines only: not U+0085, U+2028
            s = text_line.strip()
            if m := _TABLE_ARRAY_RE.match(s):
                name = split_key(m.group(1))
                counts[name] = counts.get(name, -1) + 1
                table = (*name, str(counts[name]))
                self._record(table, no)
            elif m := _TABLE_RE.match(s):
                table = split_key(m.group(1))
                self._record(table, no)
            elif m := _KEY_RE.match(s):
                self._record((*table, *split_key(m.group(1))), no)

    def _record(self, key: tuple[str, ...], no: int) -> None:
        """The first line of ``key`` and of every table it implies (``[a.b.c]`` defines ``a`` and ``a.b``)."""
        for end in range(len(key), 0, -1):
            if self.lines.setdefault(key[:end], no) != no:
                break

    def of(self, *key: str | int) -> int | None:
        """The line of ``key``, or of its nearest enclosing table or key that is written in the file."""
        parts = tuple(str(k) for k in key)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return None


def split_key(key: str) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in _KEY_PART_RE.findall(key))
