"""A local Telegram Bot API server for tests.

Why this exists: Loa's Telegram code must survive what the real Bot API does —
flood control (429 + retry_after), flaky networks, kicked bots, HTML it refuses —
and we cannot exercise any of that against api.telegram.org in CI.  This module
is a small, thread-based HTTP server that speaks the Bot API closely enough for
the *real* python-telegram-bot client to talk to it::

    with TelegramEmulator(token="123456:TEST") as tg:
        bot = telegram.Bot("123456:TEST", base_url=tg.base_url, base_file_url=tg.base_file_url)
        async with bot:
            await bot.send_message("@chan", "<b>Xin chào</b>", parse_mode="HTML")
        assert tg.last_message("@chan")["text"] == "<b>Xin chào</b>"

It doubles as documentation of how Telegram behaves.  The rules it enforces:

* Every answer is ``{"ok": true, "result": ...}`` or
  ``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}``
  and the HTTP status equals ``error_code``.  PTB maps 400 -> BadRequest,
  401/404 -> InvalidToken, 403 -> Forbidden, 409 -> Conflict, 429 (with
  ``parameters.retry_after``) -> RetryAfter, anything else -> NetworkError.
* URLs are ``/bot<token>/<method>``; method names are case-insensitive.  A wrong
  token is 401 Unauthorized, an unknown method 404.
* Parameters arrive as JSON, url-encoded or multipart form data.  Clients send
  nested values (``reply_markup``, ``media``, ``entities``) as JSON strings inside
  the form, and files as multipart parts, referenced from JSON as
  ``attach://<part name>``.
* Flood control: about 30 messages/s per bot overall, 20 messages/min per group
  or channel, 1 message/s per private chat.  Exceeding it answers 429 with an
  integer ``retry_after``; the message is NOT sent.
* Message ids are per chat and increase.  ``@username`` chat ids are public
  channels; negative numeric ids are (super)groups; positive ids are users.
* ``parse_mode="HTML"`` accepts only Telegram's tag set (no ``<br>``, ``<p>``,
  ``<div>``); ``MarkdownV2`` needs ``_*[]()~`>#+-=|{}.!`` escaped.  Violations are
  400 "can't parse entities".  Text is limited to 4096 and captions to 1024
  characters *after* markup is removed.  Returned messages carry the plain text
  plus ``entities``, like Telegram.
* Editing text/caption without ``reply_markup`` removes the inline keyboard;
  an edit that changes nothing is 400 "message is not modified".
* A message can be deleted only within 48 hours of being sent (the emulator's clock, which
  a test may drive: ``clock=`` or ``advance()``); later ``deleteMessage`` answers 400
  "message can't be deleted", as it does where the bot lacks the right (``restrict()``).
  Editing has no time limit.
* A group upgraded to a supergroup (``upgrade()``) gets a new id; every request naming the
  old id answers 400 "group chat was upgraded to a supergroup chat" with
  ``parameters.migrate_to_chat_id`` (PTB raises ``ChatMigrated``).  Its messages stay in
  the old chat, out of the bot's reach; the new chat's ids start again at 1.  The bot
  learns of it from two service messages (``migrate_to_chat_id`` in the old chat,
  ``migrate_from_chat_id`` in the new one).
* Updates are delivered either by ``getUpdates`` (long polling; ``offset``
  confirms earlier updates) or, once ``setWebhook`` is called, by POSTing them to
  the webhook URL with ``X-Telegram-Bot-Api-Secret-Token`` — never both: while a
  webhook is set, ``getUpdates`` is 409 Conflict.

Deliberate simplifications: URL media is never fetched (no internet in tests),
legacy ``parse_mode="Markdown"`` is passed through unparsed, inline-mode
messages are not supported, photos always report 1280x720.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, TypeVar

from tests.emulators.common import LOST_ANSWER, Served, UploadedFile, lose_answer, parse_request
from tests.emulators.waiting import wait_for, wait_until

__all__ = [
    "DEFAULT_LIMITS",
    "FAULT_KINDS",
    "Call",
    "CallbackAnswer",
    "Limits",
    "TelegramEmulator",
    "UploadedFile",
    "WebhookDelivery",
    "wait_for",
    "wait_until",
]

JSON = dict[str, Any]
T = TypeVar("T")


# --------------------------------------------------------------------------------------
# What Telegram says.  Kept verbatim so tests can match on the same text as production.
# --------------------------------------------------------------------------------------

UNAUTHORIZED = "Unauthorized"
METHOD_NOT_FOUND = "Not Found: method not found"
CHAT_NOT_FOUND = "Bad Request: chat not found"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
PIN_NOT_FOUND = "Bad Request: message to pin not found"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"
EMPTY_FILE = "Bad Request: file must be non-empty"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
CANT_DELETE = "Bad Request: message can't be deleted"
CANT_EDIT = "Bad Request: message can't be edited"
GROUP_UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"
DELETE_WINDOW = 48 * 3600  # seconds after sending during which a message may be deleted
POLL_TERMINATED = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

# Fault kinds accepted by TelegramEmulator.inject()/fault_rate().
FAULT_KINDS = frozenset({"500", "502", "timeout", "drop", "429", "kicked", "not_found", *LOST_ANSWER})


def _forbidden_text(chat_type: str) -> str:
    """Telegram's 403 wording depends on where the bot lost access."""
    if chat_type == "private":
        return "Forbidden: bot was blocked by the user"
    return f"Forbidden: bot was kicked from the {chat_type} chat"


def _is_send_method(method: str) -> bool:
    """Methods that post or change messages; only these count against flood limits."""
    if method in ("sendChatAction", "deleteWebhook", "deleteMyCommands"):
        return False
    return method.startswith(("send", "edit", "delete", "pin", "unpin"))


# --------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Telegram's flood limits; scale them in tests instead of sending hundreds of messages.

    Each limit is a token bucket whose burst equals one window's worth (30 at once, then
    30/s; 20 at once per group, then 20/min; 1 per private chat, then 1/s), which is
    exactly what a leaky-bucket client such as ``aiolimiter.AsyncLimiter(30, 1)`` emits.

    ``grace_seconds`` tolerates client-side jitter: a request passes if the bucket would
    hold a token that much later, and the debt is kept, so the long-run rate is still
    exact.  It is needed because the first request of a burst often reaches the server
    ~0.1 s after the client's limiter released it while later ones arrive promptly; the
    cost is that an instantaneous burst may exceed the capacity by ``rate * grace``
    (7 at 30/s).  Use ``grace_seconds=0`` for exact accounting.
    """

    global_per_sec: float = 30.0
    group_per_min: float = 20.0
    private_per_sec: float = 1.0
    grace_seconds: float = 0.25


DEFAULT_LIMITS = Limits()


@dataclass
class Call:
    """One HTTP request the bot made, including ones answered with errors or faults."""

    method: str
    params: dict[str, Any]
    chat_id: int | None
    at: float  # time.monotonic() when the request arrived
    status: int | None = None  # None: no HTTP answer at all (drop/timeout faults)
    result: Any = None
    description: str | None = None
    fault: str | None = None  # injected fault kind, or "flood" for a real rate-limit 429
    files: dict[str, UploadedFile] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when Telegram would have accepted the request."""
        return self.status == 200


@dataclass(frozen=True)
class CallbackAnswer:
    """An answerCallbackQuery call: what the user saw after pressing a button."""

    id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to POST an update to the webhook."""

    update_id: int
    url: str
    status: int | None
    error: str | None
    at: float


# --------------------------------------------------------------------------------------
# Errors and rate limiting
# --------------------------------------------------------------------------------------


class _ApiError(Exception):
    """Raised by method implementations; becomes an ok:false answer."""

    def __init__(
        self, status: int, description: str, retry_after: int | None = None, parameters: JSON | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.parameters = dict(parameters or {})

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        parameters = {**self.parameters, **({"retry_after": self.retry_after} if self.retry_after is not None else {})}
        if parameters:
            body["parameters"] = parameters
        return body


def _flood(retry_after: int) -> _ApiError:
    return _ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


class _TokenBucket:
    """Classic token bucket: ``capacity`` burst, refilled at ``rate`` tokens per second."""

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = max(1.0, capacity)
        self.rate = rate
        self.tokens = self.capacity
        self.updated = now

    def wait_time(self, now: float, grace: float) -> float:
        """Seconds until one token is available (0 if it is available now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens + self.rate * grace >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1.0


# --------------------------------------------------------------------------------------
# Formatting: Telegram turns HTML / MarkdownV2 into plain text + entities (UTF-16 offsets)
# --------------------------------------------------------------------------------------


class _ParseError(Exception):
    """Markup Telegram refuses; answered as 400 "can't parse entities"."""


class _TextBuilder:
    """Accumulates plain text and tracks its length in UTF-16 code units."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0

    def add(self, s: str) -> None:
        self.parts.append(s)
        self.pos += _utf16_len(s)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _utf16_len(s: str) -> int:
    """Telegram measures offsets and lengths in UTF-16 code units (emoji count as 2)."""
    return len(s.encode("utf-16-le")) // 2


def _byte_offset(src: str, index: int) -> int:
    """Telegram's parse errors point at UTF-8 byte offsets."""
    return len(src[:index].encode("utf-8"))


def _sorted_entities(entities: list[JSON]) -> list[JSON]:
    return sorted((e for e in entities if e["length"] > 0), key=lambda e: (e["offset"], -e["length"]))


_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",  # only as <span class="tg-spoiler">
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
_HTML_ATTR_RE = re.compile(r"""([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_HTML_CHARREF_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_NAMED_CHARREFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _unescape_html(s: str) -> str:
    def repl(m: re.Match[str]) -> str:
        ref = m.group(1)
        if ref in _NAMED_CHARREFS:
            return _NAMED_CHARREFS[ref]
        code = int(ref[1:].replace("x", "0x", 1), 0) if ref.startswith("#x") else int(ref[1:])
        return chr(code) if 0 < code <= 0x10FFFF else m.group(0)

    return _HTML_CHARREF_RE.sub(repl, s)


def _parse_html(src: str) -> tuple[str, list[JSON]]:
    """Telegram's HTML: a fixed tag set, every tag closed, only &lt; &gt; &amp; &quot; named."""
    out = _TextBuilder()
    entities: list[JSON] = []
    # (tag, entity, start offset, byte offset of the tag)
    stack: list[tuple[str, JSON, int, int]] = []
    i = 0
    while i < len(src):
        c = src[i]
        if c == "&":
            m = _HTML_CHARREF_RE.match(src, i)
            if m:
                out.add(_unescape_html(m.group(0)))
                i = m.end()
                continue
        if c != "<":
            out.add(c)
            i += 1
            continue
        m = _HTML_TAG_RE.match(src, i)
        if m is None:
            name = re.match(r"/?([^\s<>]*)", src[i + 1 :])
            tag = name.group(1) if name else ""
            raise _ParseError(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(src, i)}')
        closing, tag, raw_attrs = m.group(1) == "/", m.group(2).lower(), m.group(3)
        if closing:
            if not stack:
                raise _ParseError(f"Unexpected end tag at byte offset {_byte_offset(src, i)}")
            open_tag, entity, start, _ = stack.pop()
            if open_tag != tag:
                raise _ParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(src, i)}, "
                    f'expected "</{open_tag}>", found "</{tag}>"'
                )
            entity["length"] = out.pos - start
            parent = stack[-1] if stack else None
            if tag == "code" and parent is not None and parent[0] == "pre":
                # <pre><code class="language-python"> is one pre entity with a language.
                if "language" in entity:
                    parent[1]["language"] = entity["language"]
            elif entity["type"]:
                entities.append(entity)
        else:
            if tag not in _HTML_ENTITY_TYPES:
                raise _ParseError(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(src, i)}')
            attrs = {
                a.group(1).lower(): _unescape_html(a.group(2) or a.group(3) or a.group(4) or "")
                for a in _HTML_ATTR_RE.finditer(raw_attrs)
            }
            entity = {"type": _HTML_ENTITY_TYPES[tag], "offset": out.pos, "length": 0}
            if tag == "span" and attrs.get("class") != "tg-spoiler":
                raise _ParseError(f'Unsupported start tag "span" at byte offset {_byte_offset(src, i)}')
            if tag == "a":
                if attrs.get("href"):
                    entity["url"] = attrs["href"]
                else:
                    entity["type"] = ""  # <a> without href is just text
            if tag == "tg-emoji":
                entity["custom_emoji_id"] = attrs.get("emoji-id", "")
            if tag == "code" and attrs.get("class", "").startswith("language-"):
                entity["language"] = attrs["class"][len("language-") :]
            if tag == "blockquote" and "expandable" in attrs:
                entity["type"] = "expandable_blockquote"
            stack.append((tag, entity, out.pos, _byte_offset(src, i)))
        i = m.end()
    if stack:
        raise _ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.text, _sorted_entities(entities)


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_MARKERS = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}
_MDV2_TITLES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def _find_unescaped(src: str, token: str, start: int) -> int:
    i = start
    while i < len(src):
        if src[i] == "\\":
            i += 2
            continue
        if src.startswith(token, i):
            return i
        i += 1
    return -1


def _reserved(c: str) -> _ParseError:
    return _ParseError(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")


def _parse_markdown_v2(src: str) -> tuple[str, list[JSON]]:
    """MarkdownV2: markup characters everywhere else must be backslash-escaped."""
    out = _TextBuilder()
    entities: list[JSON] = []
    stack: list[tuple[str, JSON, int]] = []  # (marker, entity, index in src)
    quote_start: int | None = None
    line_start = True
    i = 0
    while i < len(src):
        c = src[i]
        if line_start:
            line_start = False
            if c == ">":
                quote_start = out.pos if quote_start is None else quote_start
                i += 1
                continue
            if quote_start is not None:  # the quote ended with the previous line
                entities.append(
                    {"type": "blockquote", "offset": quote_start, "length": out.pos - 1 - quote_start}
                )
                quote_start = None
        if c == "\\":
            if i + 1 >= len(src):
                raise _reserved("\\")
            out.add(src[i + 1])
            i += 2
            continue
        if c == "`":
            fence = "```" if src.startswith("```", i) else "`"
            end = _find_unescaped(src, fence, i + len(fence))
            if end < 0:
                kind = "Pre" if fence == "```" else "Code"
                raise _ParseError(f"Can't find end of {kind} entity at byte offset {_byte_offset(src, i)}")
            body = src[i + len(fence) : end]
            entity: JSON = {"type": "code", "offset": out.pos}
            if fence == "```":
                entity["type"] = "pre"
                first, newline, rest = body.partition("\n")
                if newline and first and not any(ch.isspace() for ch in first):
                    entity["language"], body = first, rest
                elif newline and not first:
                    body = rest
            out.add(re.sub(r"\\(.)", r"\1", body, flags=re.DOTALL))
            entity["length"] = out.pos - entity["offset"]
            entities.append(entity)
            i = end + len(fence)
            continue
        if c in "*_~|":
            marker = "__" if src.startswith("__", i) else c
            if c == "|":
                if not src.startswith("||", i):
                    raise _reserved("|")
                marker = "||"
            if stack and stack[-1][0] == marker:
                _, entity, _ = stack.pop()
                entity["length"] = out.pos - entity["offset"]
                entities.append(entity)
            elif any(s[0] == marker for s in stack):
                _, inner, at = stack[-1]
                raise _ParseError(
                    f"Can't find end of {_MDV2_TITLES[inner['type']]} entity at byte offset "
                    f"{_byte_offset(src, at)}"
                )
            else:
                stack.append((marker, {"type": _MDV2_MARKERS[marker], "offset": out.pos}, i))
            i += len(marker)
            continue
        if c == "!" and src.startswith("![", i):
            stack.append(("[", {"type": "custom_emoji", "offset": out.pos}, i))
            i += 2
            continue
        if c == "[":
            stack.append(("[", {"type": "text_link", "offset": out.pos}, i))
            i += 1
            continue
        if c == "]" and stack and stack[-1][0] == "[":
            _, entity, at = stack.pop()
            end = _find_unescaped(src, ")", i + 2) if src.startswith("(", i + 1) else -1
            if end < 0:
                raise _ParseError(f"Can't find end of TextUrl entity at byte offset {_byte_offset(src, at)}")
            url = re.sub(r"\\(.)", r"\1", src[i + 2 : end])
            entity["length"] = out.pos - entity["offset"]
            if entity["type"] == "custom_emoji":
                entity["custom_emoji_id"] = url.rpartition("id=")[2]
            else:
                entity["url"] = url
            entities.append(entity)
            i = end + 1
            continue
        if c in _MDV2_RESERVED:
            raise _reserved(c)
        out.add(c)
        line_start = c == "\n"
        i += 1
    if quote_start is not None:
        entities.append({"type": "blockquote", "offset": quote_start, "length": out.pos - quote_start})
    if stack:
        _, entity, at = stack[-1]
        raise _ParseError(
            f"Can't find end of {_MDV2_TITLES[entity['type']]} entity at byte offset {_byte_offset(src, at)}"
        )
    return out.text, _sorted_entities(entities)


_BOT_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")


def _command_entities(text: str) -> list[JSON]:
    """Telegram marks /commands (and /command@bot) in users' messages as bot_command."""
    return [
        {"type": "bot_command", "offset": _utf16_len(text[: m.start()]), "length": _utf16_len(m.group(0))}
        for m in _BOT_COMMAND_RE.finditer(text)
    ]


# --------------------------------------------------------------------------------------
# Request parsing: JSON, url-encoded and multipart bodies all become one params dict
# --------------------------------------------------------------------------------------

# Values that clients JSON-encode inside form fields.  Only these are decoded, so a text
# like "[1, 2]" stays text.
_JSON_FIELDS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "media", "link_preview_options",
        "commands", "scope", "allowed_updates", "reply_parameters", "message_ids",
    }
)  # fmt: skip
_INT_FIELDS = frozenset(
    {
        "message_id", "offset", "limit", "timeout", "user_id", "cache_time", "max_connections",
        "message_thread_id", "reply_to_message_id", "duration", "width", "height",
    }
)  # fmt: skip
_BOOL_FIELDS = frozenset(
    {
        "disable_notification", "protect_content", "show_alert", "drop_pending_updates",
        "disable_web_page_preview", "has_spoiler", "show_caption_above_media",
        "allow_sending_without_reply", "disable_content_type_detection", "allow_paid_broadcast",
    }
)  # fmt: skip


def _coerce(params: dict[str, Any]) -> dict[str, Any]:
    """Give form strings the types a JSON body would have had."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str):
            if key in _JSON_FIELDS:
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as exc:
                    raise _ApiError(400, f"Bad Request: can't parse {key} JSON object") from exc
            elif key in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
                value = int(value)
            elif key in _BOOL_FIELDS:
                value = value.lower() in ("true", "1")
            elif key == "chat_id" and re.fullmatch(r"-?\d+", value):
                value = int(value)
        out[key] = value
    return out


# --------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    """What the handler should do with the connection."""

    action: Literal["respond", "drop", "hang", "lost"]
    status: int = 200
    body: JSON | None = None
    raw: bytes | None = None  # non-JSON payload (file downloads)
    lost: str = ""  # for "lost": which LOST_ANSWER fault (the request was processed)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, emulator: TelegramEmulator) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.emulator = emulator


class _Handler(BaseHTTPRequestHandler):
    """Thin I/O shell; all Telegram behaviour lives in TelegramEmulator._process."""

    protocol_version = "HTTP/1.1"  # keep-alive, like api.telegram.org
    disable_nagle_algorithm = True  # headers and body go out as separate writes; avoid 40 ms stalls
    server_version = "nginx/1.18.0"
    timeout = 60
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence per-request stderr logging; Call records are the log."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        emulator = self.server.emulator
        body = self._read_body()
        if emulator._stopping.is_set():  # kept-alive connections outlive stop(); refuse them
            self.close_connection = True
            return
        path, _, query = self.path.partition("?")
        outcome = emulator._process(
            urllib.parse.unquote(path), self.headers.get("Content-Type", ""), body, query
        )
        if outcome.action == "lost":
            lose_answer(self, outcome.lost)
            return
        if outcome.action != "respond":
            if outcome.action == "hang":
                emulator._hang()
            self.close_connection = True  # answer nothing; the client sees a dead connection
            return
        if outcome.raw is not None:
            payload, ctype = outcome.raw, "application/octet-stream"
        else:
            payload, ctype = json.dumps(outcome.body, ensure_ascii=False).encode(), "application/json"
        try:
            self.send_response(outcome.status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # client gave up (e.g. its read timeout) and closed the socket
            self.close_connection = True


# --------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------


@dataclass
class _Chat:
    id: int
    type: str  # "private" | "supergroup" | "channel"
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    next_message_id: int = 1
    kicked: bool = False
    migrated_to: int | None = None  # upgraded to this supergroup: the old id answers 400 with it
    can_delete: bool = True  # False: deleteMessage answers "message can't be deleted" (no right)
    can_edit: bool = True  # False: edits answer "message can't be edited"
    messages: dict[int, JSON] = field(default_factory=dict)  # live messages by id, in order

    def json(self) -> JSON:
        out: JSON = {"id": self.id, "type": self.type}
        if self.type == "private":
            out["first_name"] = self.first_name or f"User {self.id}"
        else:
            out["title"] = self.title or f"Chat {self.id}"
        if self.username:
            out["username"] = self.username
        return out


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    filename: str | None
    mime_type: str | None
    size: int | None
    content: bytes | None
    file_path: str


@dataclass
class _FaultRule:
    kind: str
    method: str | None
    chat_id: int | None
    remaining: int
    retry_after: int | None


# --------------------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------------------


class TelegramEmulator(Served):
    """In-process fake of api.telegram.org for one bot token; thread-safe.

    Test-facing API, by purpose:

    * lifecycle: ``start()``/``stop()`` or ``with``; ``base_url``, ``base_file_url``, ``port``
    * what the bot did: ``calls``, ``calls_to(method)``, ``messages(chat)``,
      ``last_message(chat)``, ``deleted``, ``sent_count(chat=None)``, ``answers``,
      ``commands()``, ``webhook_deliveries``, ``pending_updates``
    * what users do: ``user_message(...)``, ``press_button(...)``
    * how Telegram misbehaves: ``limits``, ``inject(kind, ...)``, ``fault_rate(p, ...)``,
      ``kick(chat)``, ``hang_seconds``, ``fault_retry_after``, ``restrict(chat, ...)``
    * how chats change: ``upgrade(group)`` (a group becomes a supergroup with a new id)
    * time (message dates, the 48-hour delete limit): ``clock=``, ``advance(seconds)``, ``now()``
    * setup: ``add_chat(...)``, ``add_file(...)``, ``chat_id_for(chat)``, ``bot_info``
    * waiting: ``wait_until(pred)``, ``await wait_for(pred)``
    """

    name = "tg-emulator"

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        limits: Limits | None = DEFAULT_LIMITS,
        hang_seconds: float = 2.0,
        bot_username: str = "loa_test_bot",
        bot_first_name: str = "Loa",
        strict_markup: bool = True,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """``clock``: Unix seconds for message dates and the 48-hour rule (default: real time)."""
        self._init_lifecycle()
        self._clock = clock or time.time
        self._clock_offset = 0.0
        self.token = token
        self.hang_seconds = hang_seconds  # how long a "timeout" fault holds the request (at most)
        self.hanging = 0  # requests held by a "timeout" fault right now
        self._releases = 0  # bumped by release_hung()
        self.fault_retry_after = 3  # retry_after of injected "429" faults unless given
        self.strict_markup = strict_markup  # False: accept any HTML/MarkdownV2 as-is
        bot_id = token.split(":", 1)[0]
        self._bot: JSON = {
            "id": int(bot_id) if bot_id.isdigit() else 123456,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._methods = {
            name[len("_api_") :].lower(): name[len("_api_") :]
            for name in dir(self)
            if name.startswith("_api_")
        }
        # records
        self._calls: list[Call] = []
        self._deleted: list[JSON] = []
        self._answers: list[CallbackAnswer] = []
        self._sent: list[int] = []  # chat id of every message the bot created
        self._deliveries: list[WebhookDelivery] = []
        # chats, users, files
        self._chats: dict[int, _Chat] = {}
        self._usernames: dict[str, int] = {}
        self._users: dict[int, JSON] = {}
        self._files: dict[str, _StoredFile] = {}
        self._file_paths: dict[str, str] = {}
        self._file_counter = itertools.count(1)
        self._album_counter = itertools.count(13_000_000_000_000_000)
        # updates
        self._update_ids = itertools.count(100_000_001)
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._updates: deque[JSON] = deque()  # waiting for getUpdates
        self._poll_generation = 0
        self._open_queries: set[str] = set()
        self._webhook: JSON | None = None  # {"url", "secret_token", "allowed_updates", "max_connections"}
        self._webhook_queue: deque[JSON] = deque()
        self._webhook_error: tuple[int, str] | None = None
        self._webhook_description = ""  # Telegram adds e.g. "Webhook was set" to the answer
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        # faults and limits
        self._rules: list[_FaultRule] = []
        self._fault_p = 0.0
        self._fault_kinds: tuple[str, ...] = ()
        self._rng = random.Random(0)
        self._limits: Limits | None = None
        self.limits = limits

    # ---- lifecycle -------------------------------------------------------------------

    def _make_server(self) -> _Server:
        return _Server(self)

    def _background(self) -> list[threading.Thread]:
        return [threading.Thread(target=self._webhook_loop, name="tg-emulator-webhook", daemon=True)]

    @property
    def base_url(self) -> str:
        """For ``telegram.Bot(token, base_url=...)``; PTB appends ``<token>/<method>``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``telegram.Bot(..., base_file_url=...)``; downloads of uploaded files."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ---- configuration -----------------------------------------------------------------

    @property
    def limits(self) -> Limits | None:
        return self._limits

    @limits.setter
    def limits(self, limits: Limits | None) -> None:
        """Replace the flood limits (None disables them); buckets start full."""
        with self._lock:
            self._limits = limits
            self._chat_buckets: dict[int, _TokenBucket] = {}
            self._global_bucket = (
                _TokenBucket(limits.global_per_sec, limits.global_per_sec, time.monotonic())
                if limits
                else None
            )

    def inject(
        self,
        kind: str,
        *,
        method: str | None = None,
        chat_id: int | str | None = None,
        count: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Fail the next ``count`` matching requests with ``kind`` (see FAULT_KINDS).

        ``method=None`` matches send-type methods only (so a background getUpdates poll
        does not eat the fault); ``method="*"`` matches anything.  A faulted request is
        never processed, so a client's retry is not a duplicate — except the ``LOST_ANSWER``
        kinds ("lost_response", "reset", "garbage"): processed and recorded like any
        accepted request, then the answer is lost, so a blind retry IS a duplicate.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        with self._lock:
            target = self._test_chat(chat_id).id if chat_id is not None else None
            canonical = method if method in (None, "*") else self._methods.get(method.lower(), method)
            self._rules.append(_FaultRule(kind, canonical, target, count, retry_after))

    def fault_rate(self, p: float, kinds: Iterable[str] = ("500", "timeout", "drop"), seed: int = 0) -> None:
        """Fail each send-type request with probability ``p`` (0 disables), reproducibly."""
        kinds = tuple(kinds)
        unknown = set(kinds) - FAULT_KINDS
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}")
        with self._lock:
            self._fault_p, self._fault_kinds, self._rng = p, kinds, random.Random(seed)

    def kick(self, chat_id: int | str) -> None:
        """From now on the bot has no access to this chat: every request for it is 403."""
        with self._lock:
            self._test_chat(chat_id).kicked = True

    def add_chat(
        self,
        chat_id: int | str,
        *,
        type: str | None = None,
        title: str | None = None,
        username: str | None = None,
    ) -> int:
        """Declare a chat explicitly (e.g. a channel known by numeric id); returns its id."""
        with self._lock:
            chat = self._test_chat(chat_id)
            if type is not None:
                chat.type = type
            if title is not None:
                chat.title = title
            if username is not None:
                chat.username = username.lstrip("@")
                self._usernames[chat.username.lower()] = chat.id
            return chat.id

    def restrict(self, chat_id: int | str, *, delete: bool = False, edit: bool = True) -> None:
        """The bot's rights in a chat: without ``delete`` deleteMessage is refused, without ``edit`` edits are."""
        with self._lock:
            chat = self._test_chat(chat_id)
            chat.can_delete, chat.can_edit = delete, edit

    def upgrade(self, chat_id: int | str, *, notify: bool = True, by_user: int = 1) -> int:
        """An admin upgrades a group to a supergroup; returns the new id.

        From now on the old id answers 400 with ``migrate_to_chat_id``.  With ``notify`` the bot
        gets the two service messages real Telegram sends (old chat: ``migrate_to_chat_id``; new
        chat: ``migrate_from_chat_id``); without it, it finds out when it next uses the old id.
        """
        with self._lock:
            old = self._test_chat(chat_id)
            if old.type not in ("group", "supergroup") or old.migrated_to is not None:
                raise ValueError(f"chat {old.id} is not a group that can be upgraded")
            new_id = -(1_000_000_000_000 + abs(old.id))
            while new_id in self._chats:
                new_id -= 1
            old.type, old.migrated_to = "group", new_id
            new = self._chats[new_id] = _Chat(new_id, "supergroup", title=old.title or f"Chat {old.id}")
            if notify:
                user = self._remember_user(by_user, "Admin", "vi", None)
                for chat, key, value in ((old, "migrate_to_chat_id", new_id), (new, "migrate_from_chat_id", old.id)):
                    record = self._new_record(chat, from_bot=False, user_id=by_user)
                    message = self._message_json(record)
                    message.update({"from": user, key: value})
                    self._queue_update({"message": message})
            return new_id

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock on (message dates, the 48-hour delete limit)."""
        with self._lock:
            self._clock_offset += seconds

    def now(self) -> float:
        """The emulator's time in Unix seconds."""
        return self._clock() + self._clock_offset

    def add_file(self, content: bytes, *, filename: str = "file.bin", kind: str = "document") -> str:
        """Register a file as if uploaded earlier; returns a file_id the bot may reuse."""
        with self._lock:
            return self._store_file(kind, filename, None, content, None).file_id

    # ---- inspection --------------------------------------------------------------------

    @property
    def bot_info(self) -> JSON:
        """The bot's User object, as getMe returns it."""
        return dict(self._bot)

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """Calls of one method (case-insensitive)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    @property
    def deleted(self) -> list[JSON]:
        with self._lock:
            return copy.deepcopy(self._deleted)

    @property
    def answers(self) -> list[CallbackAnswer]:
        with self._lock:
            return list(self._answers)

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        with self._lock:
            return list(self._deliveries)

    def chat_id_for(self, chat_id: int | str) -> int:
        """The numeric id Telegram uses for ``chat_id`` (stable for @usernames)."""
        with self._lock:
            return self._test_chat(chat_id).id

    def messages(self, chat_id: int | str, *, include_user: bool = False) -> list[JSON]:
        """Live (not deleted) messages the bot posted in a chat, oldest first."""
        with self._lock:
            chat = self._test_chat(chat_id)
            return [copy.deepcopy(m) for m in chat.messages.values() if include_user or m["from_bot"]]

    def last_message(self, chat_id: int | str) -> JSON | None:
        """The newest live bot message in a chat, or None."""
        messages = self.messages(chat_id)
        return messages[-1] if messages else None

    def sent_count(self, chat_id: int | str | None = None) -> int:
        """Messages the bot created (album items count one each), deleted ones included."""
        with self._lock:
            if chat_id is None:
                return len(self._sent)
            target = self._test_chat(chat_id).id
            return sum(1 for c in self._sent if c == target)

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command list set for a scope/language via setMyCommands."""
        with self._lock:
            return copy.deepcopy(self._commands.get(self._commands_key(scope, language_code), []))

    @property
    def polls(self) -> int:
        """getUpdates calls received so far (counted when they arrive, before they wait)."""
        with self._lock:
            return self._poll_generation

    @property
    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates) + len(self._webhook_queue)

    # ---- user side ---------------------------------------------------------------------

    def user_message(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | str | None = None,
        first_name: str = "Tester",
        language_code: str = "vi",
        username: str | None = None,
        reply_to_message_id: int | None = None,
        entities: list[JSON] | None = None,
        forward_origin: JSON | None = None,
        photo: bytes | None = None,
    ) -> JSON:
        """A user writes to the bot (private chat by default); returns the queued Update.

        ``entities``: the formatting the user's client sent (offsets in UTF-16 units, as Telegram's);
        ``forward_origin``: the message was forwarded from there (``{"type": "channel", "chat": …}``);
        ``photo``: a photo with ``text`` as its caption (the bot may ``getFile`` and download it).
        """
        with self._lock:
            user = self._remember_user(user_id, first_name, language_code, username)
            chat = self._test_chat(chat_id if chat_id is not None else user_id)
            record = self._new_record(chat, from_bot=False, user_id=user_id, reply_to=reply_to_message_id)
            found = entities if entities is not None else _command_entities(text)
            if photo is None:
                record.update(text=text, plain=text, entities=found)
            else:
                stored = self._store_file("photo", "photo.jpg", "image/jpeg", photo, None)
                item = {"type": "photo", "file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                        "size": stored.size, "filename": None, "mime_type": "image/jpeg"}
                record.update(caption=text, plain=text, entities=found, media=[item])
            message = self._message_json(record)
            message["from"] = user
            if forward_origin is not None:
                message["forward_origin"] = {"date": int(self.now()), **forward_origin}
            return self._queue_update({"message": message})

    def press_button(
        self,
        user_id: int,
        message_id: int,
        chat_id: int | str,
        data: str,
        language_code: str = "vi",
        *,
        first_name: str = "Tester",
        forged: bool = False,
    ) -> str:
        """A user presses an inline button on a bot message; returns the callback query id.

        Raises ValueError when the message or a button with that callback_data does not
        exist — a real user could not press it either.  ``forged=True``: a modified client
        sends ``data`` anyway (Telegram does not check callback data against the buttons).
        """
        with self._lock:
            chat = self._test_chat(chat_id)
            record = chat.messages.get(message_id)
            if record is None:
                raise ValueError(f"no live message {message_id} in chat {chat.id}")
            keyboard = (record.get("reply_markup") or {}).get("inline_keyboard") or []
            if not forged and not any(b.get("callback_data") == data for row in keyboard for b in row):
                raise ValueError(f"message {message_id} has no button with callback_data {data!r}")
            user = self._remember_user(user_id, first_name, language_code, None)
            query_id = str(next(self._query_ids))
            self._open_queries.add(query_id)
            self._queue_update(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": user,
                        "message": self._message_json(record),
                        "chat_instance": str(zlib.crc32(str(chat.id).encode())),
                        "data": data,
                    }
                }
            )
            return query_id

    def release_hung(self) -> None:
        """End every request a "timeout" fault is holding now (the client sees a dead connection).

        Lets a test decide when an in-flight send ends, instead of racing ``hang_seconds``."""
        with self._cond:
            self._releases += 1
            self._cond.notify_all()

    def _hang(self) -> None:
        """Hold a request until ``hang_seconds`` pass, ``release_hung()`` or ``stop()``."""
        with self._cond:
            generation = self._releases
            self.hanging += 1
            try:
                self._cond.wait_for(lambda: self._stopping.is_set() or self._releases != generation,
                                    timeout=self.hang_seconds)
            finally:
                self.hanging -= 1

    # ---- waiting helpers -----------------------------------------------------------------

    @staticmethod
    def wait_until(predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Block until ``predicate()`` is truthy; see module-level wait_until."""
        return wait_until(predicate, timeout)

    @staticmethod
    async def wait_for(predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Await until ``predicate()`` is truthy; see module-level wait_for."""
        return await wait_for(predicate, timeout)

    # ---- request processing ------------------------------------------------------------

    def _process(self, path: str, content_type: str, body: bytes, query: str) -> _Outcome:
        """Route one HTTP request: auth, faults, flood control, then the method itself."""
        at = time.monotonic()
        if path.startswith("/file/bot"):
            return self._download(path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return _Outcome("respond", 404, {"ok": False, "error_code": 404, "description": "Not Found"})
        token, _, method_name = path[len("/bot") :].partition("/")
        method = self._methods.get(method_name.lower())
        call = Call(method=method or method_name, params={}, chat_id=None, at=at)
        try:
            params, call.files = parse_request(content_type, body, query)
            call.params = _coerce(params)
            if token != self.token:
                raise _ApiError(401, UNAUTHORIZED)
            if method is None:
                raise _ApiError(404, METHOD_NOT_FOUND)
            return self._dispatch(call, method)
        except _ApiError as err:
            return self._finish(call, _Outcome("respond", err.status, err.body()))
        except (ValueError, UnicodeDecodeError) as err:
            error = _ApiError(400, f"Bad Request: can't parse request: {err}")
            return self._finish(call, _Outcome("respond", 400, error.body()))

    def _dispatch(self, call: Call, method: str) -> _Outcome:
        params = call.params
        with self._lock:
            chat = self._chat_for(params["chat_id"]) if params.get("chat_id") not in (None, "") else None
            call.chat_id = chat.id if chat else None
            fault = self._take_fault(method, call.chat_id)
            if fault is not None and fault.kind in LOST_ANSWER:  # processed below, then the answer is lost
                call.fault = fault.kind
            elif fault is not None:
                call.fault = fault.kind
                return self._finish(call, self._fault_outcome(fault, chat))
            if chat is not None and chat.kicked:
                raise _ApiError(403, _forbidden_text(chat.type))
            if chat is not None and chat.migrated_to is not None:
                raise _ApiError(400, GROUP_UPGRADED, parameters={"migrate_to_chat_id": chat.migrated_to})
            buckets: list[_TokenBucket] = []
            if _is_send_method(method):
                retry_after, buckets = self._check_flood(chat)
                if retry_after is not None:
                    call.fault = "flood"
                    raise _flood(retry_after)
            result = getattr(self, f"_api_{method}")(params, call.files, chat)
            for bucket in buckets:  # only accepted requests spend flood tokens
                bucket.take()
            body: JSON = {"ok": True, "result": result}
            if method in ("setWebhook", "deleteWebhook"):
                body["description"] = self._webhook_description
            outcome = self._finish(call, _Outcome("respond", 200, body))
            return outcome if fault is None else _Outcome("lost", lost=fault.kind)

    def _finish(self, call: Call, outcome: _Outcome) -> _Outcome:
        """Record the call with its answer (or lack of one)."""
        if outcome.action == "respond" and outcome.body is not None:
            call.status = outcome.status
            call.result = outcome.body.get("result")
            call.description = outcome.body.get("description")
        with self._lock:
            self._calls.append(call)
        return outcome

    def _take_fault(self, method: str, chat_id: int | None) -> _FaultRule | None:
        for rule in self._rules:
            method_ok = rule.method == "*" or (
                _is_send_method(method) if rule.method is None else rule.method == method
            )
            if method_ok and rule.chat_id in (None, chat_id):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._rules.remove(rule)
                return rule
        if self._fault_p > 0 and _is_send_method(method) and self._rng.random() < self._fault_p:
            return _FaultRule(self._rng.choice(self._fault_kinds), None, None, 1, None)
        return None

    def _fault_outcome(self, fault: _FaultRule, chat: _Chat | None) -> _Outcome:
        if fault.kind in ("timeout", "drop"):
            return _Outcome("hang" if fault.kind == "timeout" else "drop")
        error = {
            "500": _ApiError(500, "Internal Server Error"),
            "502": _ApiError(502, "Bad Gateway"),
            "429": _flood(fault.retry_after or self.fault_retry_after),
            "kicked": _ApiError(403, _forbidden_text(chat.type if chat else "channel")),
            "not_found": _ApiError(400, CHAT_NOT_FOUND),
        }[fault.kind]
        return _Outcome("respond", error.status, error.body())

    def _check_flood(self, chat: _Chat | None) -> tuple[int | None, list[_TokenBucket]]:
        """Say how long to wait (None: go ahead) and which buckets the send will spend."""
        limits = self._limits
        if limits is None or self._global_bucket is None:
            return None, []
        now = time.monotonic()
        buckets = [self._global_bucket]
        if chat is not None:
            bucket = self._chat_buckets.get(chat.id)
            if bucket is None:
                if chat.type == "private":
                    bucket = _TokenBucket(limits.private_per_sec, limits.private_per_sec, now)
                else:
                    bucket = _TokenBucket(limits.group_per_min, limits.group_per_min / 60.0, now)
                self._chat_buckets[chat.id] = bucket
            buckets.append(bucket)
        wait = max(b.wait_time(now, limits.grace_seconds) for b in buckets)
        if wait > 0:
            return max(1, math.ceil(wait)), []
        return None, buckets

    def _download(self, rest: str) -> _Outcome:
        token, _, file_path = rest.partition("/")
        with self._lock:
            stored = self._files.get(self._file_paths.get(file_path, ""))
        if token != self.token or stored is None or stored.content is None:
            return _Outcome("respond", 404, {"ok": False, "error_code": 404, "description": "Not Found"})
        return _Outcome("respond", 200, raw=stored.content)

    # ---- chats, users, files, messages -------------------------------------------------

    def _chat_for(self, ref: int | str) -> _Chat:
        """Resolve a chat_id parameter, creating the chat on first use."""
        if isinstance(ref, str) and re.fullmatch(r"-?\d+", ref):
            ref = int(ref)
        if isinstance(ref, str):
            if not re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{3,31}", ref):
                raise _ApiError(400, CHAT_NOT_FOUND)
            name = ref[1:]
            known = self._usernames.get(name.lower())
            if known is not None:
                return self._chats[known]
            chat_id = -(1_000_000_000_000 + zlib.crc32(name.lower().encode()))  # -100xxxxxxxxxx
            while chat_id in self._chats:
                chat_id -= 1
            self._usernames[name.lower()] = chat_id
            chat = self._chats[chat_id] = _Chat(chat_id, "channel", title=name, username=name)
            return chat
        if not isinstance(ref, int) or isinstance(ref, bool) or ref == 0:
            raise _ApiError(400, CHAT_NOT_FOUND)
        chat = self._chats.get(ref)
        if chat is None:
            chat = self._chats[ref] = _Chat(ref, "private" if ref > 0 else "supergroup")
            if ref > 0 and ref in self._users:
                chat.first_name = self._users[ref]["first_name"]
        return chat

    def _test_chat(self, ref: int | str) -> _Chat:
        """_chat_for for test-side helpers: a bad chat id is the test's bug, not Telegram's."""
        try:
            return self._chat_for(ref)
        except _ApiError as err:
            raise ValueError(f"invalid chat id {ref!r}") from err

    def _remember_user(self, user_id: int, first_name: str, language_code: str, username: str | None) -> JSON:
        user: JSON = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }
        if username:
            user["username"] = username
        self._users[user_id] = user
        private = self._chats.get(user_id)
        if private is not None and private.type == "private":
            private.first_name = first_name
            private.username = username
        return dict(user)

    def _store_file(
        self, kind: str, filename: str | None, mime_type: str | None, content: bytes | None, size: int | None
    ) -> _StoredFile:
        n = next(self._file_counter)
        ext = filename.rpartition(".")[2] if filename and "." in filename else "bin"
        stored = _StoredFile(
            file_id=f"EMU-{kind}-{n}",
            file_unique_id=f"EMU{n}",
            kind=kind,
            filename=filename,
            mime_type=mime_type,
            size=len(content) if content is not None else size,
            content=content,
            file_path=f"{kind}s/file_{n}.{ext}",
        )
        self._files[stored.file_id] = stored
        self._file_paths[stored.file_path] = stored.file_id
        return stored

    def _resolve_media(self, kind: str, ref: Any, files: dict[str, UploadedFile], field_name: str) -> JSON:
        """Turn an upload, attach:// reference, URL or file_id into a stored media item."""
        if ref is None or (isinstance(ref, str) and ref.startswith("attach://")):
            upload = files.get(field_name if ref is None else ref[len("attach://") :])
            if upload is None:
                raise _ApiError(400, f"Bad Request: there is no {kind} in the request")
            if upload.size == 0:
                raise _ApiError(400, EMPTY_FILE)
            if upload.size > MAX_UPLOAD_BYTES:
                raise _ApiError(413, "Request Entity Too Large")
            stored = self._store_file(kind, upload.filename, upload.content_type, upload.content, None)
            source, url = "upload", None
        elif isinstance(ref, str) and ref.startswith(("http://", "https://")):
            # Telegram would download it; we never touch the network.
            stored = self._store_file(kind, ref.rsplit("/", 1)[-1] or None, None, None, None)
            source, url = "url", ref
        elif isinstance(ref, str) and ref in self._files:
            stored, source, url = self._files[ref], "file_id", None
        else:
            raise _ApiError(400, WRONG_FILE)
        return {
            "type": kind,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "filename": stored.filename,
            "size": stored.size,
            "mime_type": stored.mime_type,
            "source": source,
            "url": url,
        }

    def _new_record(
        self, chat: _Chat, *, from_bot: bool, user_id: int | None = None, reply_to: int | None = None
    ) -> JSON:
        """Allocate the next message id in a chat and store an empty message."""
        message_id = chat.next_message_id
        chat.next_message_id += 1
        record: JSON = {
            "message_id": message_id,
            "chat_id": chat.id,
            "date": int(self.now()),
            "from_bot": from_bot,
            "user_id": user_id,
            "text": None,
            "caption": None,
            "plain": None,
            "entities": [],
            "parse_mode": None,
            "media": [],
            "reply_markup": None,
            "edited": False,
            "edit_date": None,
            "pinned": False,
            "disable_notification": False,
            "protect_content": False,
            "link_preview_options": None,
            "media_group_id": None,
            "reply_to_message_id": reply_to,
        }
        chat.messages[message_id] = record
        if from_bot:
            self._sent.append(chat.id)
        return record

    def _message_json(self, record: JSON, *, nested: bool = False) -> JSON:
        """The Telegram Message object for a stored message (what PTB de_json's)."""
        chat = self._chats[record["chat_id"]]
        chat_json = chat.json()
        message: JSON = {"message_id": record["message_id"], "date": record["date"], "chat": chat_json}
        if not record["from_bot"]:
            message["from"] = dict(self._users.get(record["user_id"]) or {})
        elif chat.type == "channel":
            message["sender_chat"] = chat_json  # channel posts are signed by the channel
        else:
            message["from"] = {k: self._bot[k] for k in ("id", "is_bot", "first_name", "username")}
        if record["edit_date"]:
            message["edit_date"] = record["edit_date"]
        if record["media_group_id"]:
            message["media_group_id"] = record["media_group_id"]
        if record["protect_content"]:
            message["has_protected_content"] = True
        if record["text"] is not None:
            message["text"] = record["plain"]
            if record["entities"]:
                message["entities"] = record["entities"]
        for item in record["media"]:
            message.update(self._media_json(item))
        if record["media"] and record["caption"] is not None:
            message["caption"] = record["plain"]
            if record["entities"]:
                message["caption_entities"] = record["entities"]
        markup = record["reply_markup"]
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # only inline keyboards are echoed back
        reply_to = chat.messages.get(record["reply_to_message_id"] or 0)
        if reply_to is not None and not nested:
            message["reply_to_message"] = self._message_json(reply_to, nested=True)
        return message

    @staticmethod
    def _media_json(item: JSON) -> JSON:
        base: JSON = {"file_id": item["file_id"], "file_unique_id": item["file_unique_id"]}
        if item["size"] is not None:
            base["file_size"] = item["size"]
        named = {**base, **({"file_name": item["filename"]} if item["filename"] else {})}
        if item["mime_type"]:
            named["mime_type"] = item["mime_type"]
        kind = item["type"]
        if kind == "photo":
            return {"photo": [{**base, "width": 1280, "height": 720}]}
        if kind == "document":
            return {"document": named}
        if kind == "audio":
            return {"audio": {**named, "duration": 0}}
        video = {**named, "width": 1280, "height": 720, "duration": 0}
        if kind == "animation":
            return {"animation": video, "document": named}
        return {kind: video}

    def _render(self, text: Any, parse_mode: Any, entities: Any) -> tuple[str, list[JSON]]:
        """Apply parse_mode like Telegram: returns plain text and entities."""
        text = "" if text is None else str(text)
        if isinstance(entities, list):
            return text, entities
        mode = str(parse_mode or "").lower()
        try:
            if mode == "html":
                return _parse_html(text) if self.strict_markup else (text, [])
            if mode == "markdownv2":
                return _parse_markdown_v2(text) if self.strict_markup else (text, [])
        except _ParseError as err:
            raise _ApiError(400, f"Bad Request: can't parse entities: {err}") from err
        if mode not in ("", "markdown"):
            raise _ApiError(400, "Bad Request: unsupported parse_mode")
        return text, []

    @staticmethod
    def _check_markup(markup: Any) -> None:
        """Inline keyboards are validated by Telegram before anything is sent."""
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return
        for row in markup["inline_keyboard"]:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                url = button.get("url")
                if url is not None and not re.match(r"(https?|tg)://", str(url)):
                    raise _ApiError(400, "Bad Request: BUTTON_URL_INVALID")
                if len(button) == 1:  # only "text"
                    raise _ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")

    def _reply_target(self, params: JSON, chat: _Chat) -> int | None:
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        allow = reply.get("allow_sending_without_reply", params.get("allow_sending_without_reply", False))
        if int(message_id) not in chat.messages:
            if allow:
                return None
            raise _ApiError(400, REPLY_NOT_FOUND)
        return int(message_id)

    def _apply_common(self, record: JSON, params: JSON) -> None:
        record["disable_notification"] = bool(params.get("disable_notification", False))
        record["protect_content"] = bool(params.get("protect_content", False))
        record["reply_markup"] = params.get("reply_markup")
        if params.get("link_preview_options") is not None:
            record["link_preview_options"] = params["link_preview_options"]
        elif params.get("disable_web_page_preview"):
            record["link_preview_options"] = {"is_disabled": True}

    def _require_chat(self, chat: _Chat | None) -> _Chat:
        if chat is None:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        return chat

    def _edit_target(self, params: JSON, chat: _Chat | None) -> JSON:
        if params.get("inline_message_id"):
            raise _ApiError(400, "Bad Request: inline messages are not supported by the emulator")
        record = self._require_chat(chat).messages.get(params.get("message_id") or 0)
        if record is None:
            raise _ApiError(400, EDIT_NOT_FOUND)
        if not record["from_bot"]:
            raise _ApiError(400, "Bad Request: message can't be edited")
        return record

    def _apply_edit(self, record: JSON, changes: JSON) -> None:
        """Telegram rejects an edit that changes nothing; otherwise marks it edited."""
        if not self._chats[record["chat_id"]].can_edit:
            raise _ApiError(400, CANT_EDIT)
        if all(record.get(k) == v for k, v in changes.items() if k in ("plain", "entities", "reply_markup")):
            raise _ApiError(400, NOT_MODIFIED)
        record.update(changes)
        record["edited"] = True
        record["edit_date"] = int(self.now())

    # ---- updates -------------------------------------------------------------------------

    def _queue_update(self, payload: JSON) -> JSON:
        """Give an update its id and hand it to getUpdates or the webhook."""
        update = {"update_id": next(self._update_ids), **payload}
        with self._cond:
            if self._webhook is not None:
                self._webhook_queue.append(update)
            else:
                self._updates.append(update)
            self._cond.notify_all()
        return copy.deepcopy(update)

    def _webhook_loop(self) -> None:
        """POST queued updates to the webhook in order, retrying failures with backoff."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        backoff = 0.05
        while not self._stopping.is_set():
            with self._cond:
                while not self._stopping.is_set() and not (self._webhook and self._webhook_queue):
                    self._cond.wait(0.5)
                if self._stopping.is_set() or self._webhook is None:
                    return  # (the wait above only ends without a webhook when stopping)
                update = self._webhook_queue[0]
                hook = dict(self._webhook)
            request = urllib.request.Request(
                hook["url"], data=json.dumps(update).encode(), headers={"Content-Type": "application/json"}
            )
            if hook.get("secret_token"):
                request.add_header("X-Telegram-Bot-Api-Secret-Token", hook["secret_token"])
            status: int | None = None
            error: str | None = None
            try:
                with opener.open(request, timeout=5) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status, error = exc.code, f"Wrong response from the webhook: {exc.code} {exc.reason}"
            except OSError as exc:
                error = f"Connection failed: {exc}"
            delivered = status is not None and 200 <= status < 300
            with self._cond:
                self._deliveries.append(
                    WebhookDelivery(update["update_id"], hook["url"], status, error, time.monotonic())
                )
                if delivered:
                    if self._webhook_queue and self._webhook_queue[0] is update:
                        self._webhook_queue.popleft()
                    elif update in self._updates:  # webhook deleted meanwhile; don't deliver twice
                        self._updates.remove(update)
                    backoff = 0.05
                else:
                    self._webhook_error = (int(self.now()), error or "")
            if not delivered:
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 1.0)

    # ---- Bot API methods -------------------------------------------------------------------
    # Each takes (params, files, chat) and returns the "result" or raises _ApiError.

    def _api_getMe(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> JSON:
        return dict(self._bot)

    def _api_sendMessage(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> JSON:
        chat = self._require_chat(chat)
        plain, entities = self._render(p.get("text"), p.get("parse_mode"), p.get("entities"))
        if not plain.strip():
            raise _ApiError(400, TEXT_EMPTY)
        if _utf16_len(plain) > TELEGRAM_TEXT_LIMIT:
            raise _ApiError(400, TEXT_TOO_LONG)
        self._check_markup(p.get("reply_markup"))
        record = self._new_record(chat, from_bot=True, reply_to=self._reply_target(p, chat))
        record.update(text=p["text"], plain=plain, entities=entities, parse_mode=p.get("parse_mode"))
        self._apply_common(record, p)
        return self._message_json(record)

    def _send_media(self, kind: str, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> JSON:
        chat = self._require_chat(chat)
        plain, entities = self._render(p.get("caption"), p.get("parse_mode"), p.get("caption_entities"))
        if _utf16_len(plain) > TELEGRAM_CAPTION_LIMIT:
            raise _ApiError(400, CAPTION_TOO_LONG)
        self._check_markup(p.get("reply_markup"))
        reply_to = self._reply_target(p, chat)
        item = self._resolve_media(kind, p.get(kind), files, kind)
        record = self._new_record(chat, from_bot=True, reply_to=reply_to)
        record.update(media=[item], parse_mode=p.get("parse_mode"))
        if p.get("caption") is not None:
            record.update(caption=p["caption"], plain=plain, entities=entities)
        self._apply_common(record, p)
        return self._message_json(record)

    def _api_sendPhoto(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> JSON:
        return self._send_media("photo", p, files, chat)

    def _api_sendDocument(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> JSON:
        return self._send_media("document", p, files, chat)

    def _api_sendVideo(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> JSON:
        return self._send_media("video", p, files, chat)

    def _api_sendAnimation(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> JSON:
        return self._send_media("animation", p, files, chat)

    def _api_sendAudio(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> JSON:
        return self._send_media("audio", p, files, chat)

    def _api_sendMediaGroup(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> list[JSON]:
        chat = self._require_chat(chat)
        media = p.get("media")
        if not isinstance(media, list) or not media:
            raise _ApiError(400, 'Bad Request: parameter "media" is required')
        if len(media) > 10:
            raise _ApiError(400, "Bad Request: too much messages to send as an album")
        if len(media) < 2:  # wording approximate; Telegram refuses single-item albums
            raise _ApiError(400, "Bad Request: media group must contain at least 2 items")
        kinds = {m.get("type") for m in media}
        for lonely in ("document", "audio"):
            if lonely in kinds and len(kinds) > 1:
                raise _ApiError(400, f"Bad Request: {lonely} can't be mixed with other media types")
        if not kinds <= {"photo", "video", "document", "audio"}:
            raise _ApiError(400, "Bad Request: can't parse InputMedia: unsupported media type")
        reply_to = self._reply_target(p, chat)
        # Validate everything first: Telegram sends an album entirely or not at all.
        prepared = []
        for item in media:
            plain, entities = self._render(
                item.get("caption"), item.get("parse_mode"), item.get("caption_entities")
            )
            if _utf16_len(plain) > TELEGRAM_CAPTION_LIMIT:
                raise _ApiError(400, CAPTION_TOO_LONG)
            stored = self._resolve_media(item["type"], item.get("media"), files, "")
            prepared.append((item, stored, plain, entities))
        group_id = str(next(self._album_counter))
        results = []
        for item, stored, plain, entities in prepared:
            record = self._new_record(chat, from_bot=True, reply_to=reply_to)
            record.update(media=[stored], media_group_id=group_id, parse_mode=item.get("parse_mode"))
            if item.get("caption") is not None:
                record.update(caption=item["caption"], plain=plain, entities=entities)
            self._apply_common(record, {**p, "reply_markup": None})
            results.append(self._message_json(record))
        return results

    def _api_sendChatAction(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> bool:
        self._require_chat(chat)
        return True

    def _api_editMessageText(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> JSON:
        record = self._edit_target(p, chat)
        if record["text"] is None:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        plain, entities = self._render(p.get("text"), p.get("parse_mode"), p.get("entities"))
        if not plain.strip():
            raise _ApiError(400, TEXT_EMPTY)
        if _utf16_len(plain) > TELEGRAM_TEXT_LIMIT:
            raise _ApiError(400, TEXT_TOO_LONG)
        self._check_markup(p.get("reply_markup"))
        changes: JSON = {
            "text": p["text"],
            "plain": plain,
            "entities": entities,
            "parse_mode": p.get("parse_mode"),
            "reply_markup": p.get("reply_markup"),  # omitted => keyboard removed
        }
        if p.get("link_preview_options") is not None:
            changes["link_preview_options"] = p["link_preview_options"]
        self._apply_edit(record, changes)
        return self._message_json(record)

    def _api_editMessageCaption(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> JSON:
        record = self._edit_target(p, chat)
        if not record["media"]:
            raise _ApiError(400, "Bad Request: there is no caption in the message to edit")
        plain, entities = self._render(p.get("caption"), p.get("parse_mode"), p.get("caption_entities"))
        if _utf16_len(plain) > TELEGRAM_CAPTION_LIMIT:
            raise _ApiError(400, CAPTION_TOO_LONG)
        self._check_markup(p.get("reply_markup"))
        self._apply_edit(
            record,
            {
                "caption": p.get("caption"),
                "plain": plain if p.get("caption") is not None else None,
                "entities": entities,
                "parse_mode": p.get("parse_mode"),
                "reply_markup": p.get("reply_markup"),
            },
        )
        return self._message_json(record)

    def _api_editMessageReplyMarkup(
        self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None
    ) -> JSON:
        record = self._edit_target(p, chat)
        self._check_markup(p.get("reply_markup"))
        self._apply_edit(
            record,
            {"plain": record["plain"], "entities": record["entities"], "reply_markup": p.get("reply_markup")},
        )
        return self._message_json(record)

    def _api_deleteMessage(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> bool:
        chat = self._require_chat(chat)
        record = chat.messages.get(p.get("message_id") or 0)
        if record is None:
            raise _ApiError(400, DELETE_NOT_FOUND)
        if not chat.can_delete or self.now() - record["date"] > DELETE_WINDOW:
            raise _ApiError(400, CANT_DELETE)
        del chat.messages[record["message_id"]]
        self._deleted.append({**record, "deleted_at": time.monotonic()})
        return True

    def _api_deleteMessages(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> bool:
        chat = self._require_chat(chat)
        for message_id in p.get("message_ids") or []:
            record = chat.messages.pop(int(message_id), None)
            if record is not None:  # missing ones are skipped silently, like Telegram
                self._deleted.append({**record, "deleted_at": time.monotonic()})
        return True

    def _api_pinChatMessage(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> bool:
        record = self._require_chat(chat).messages.get(p.get("message_id") or 0)
        if record is None:
            raise _ApiError(400, PIN_NOT_FOUND)
        record["pinned"] = True
        return True

    def _api_unpinChatMessage(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> bool:
        chat = self._require_chat(chat)
        pinned = [m for m in chat.messages.values() if m["pinned"]]
        target = (
            chat.messages.get(p["message_id"]) if p.get("message_id") else (pinned[-1] if pinned else None)
        )
        if target is not None:
            target["pinned"] = False
        return True

    def _api_unpinAllChatMessages(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> bool:
        for record in self._require_chat(chat).messages.values():
            record["pinned"] = False
        return True

    def _api_getChat(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> JSON:
        chat = self._require_chat(chat)
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        info = {**chat.json(), "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}
        pinned = [m for m in chat.messages.values() if m["pinned"]]
        if pinned:
            info["pinned_message"] = self._message_json(pinned[-1])
        return info

    def _api_getFile(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> JSON:
        stored = self._files.get(str(p.get("file_id")))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        result: JSON = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if stored.size is not None:
            result["file_size"] = stored.size
        if stored.content is not None:
            result["file_path"] = stored.file_path
        return result

    def _api_getUpdates(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> list[JSON]:
        """Long polling: confirm < offset, then wait up to ``timeout`` s for something new."""
        if self._webhook is not None:
            raise _ApiError(409, WEBHOOK_ACTIVE)
        offset = p.get("offset")
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        deadline = time.monotonic() + max(float(p.get("timeout") or 0), 0.0)
        allowed = p.get("allowed_updates")
        if isinstance(offset, int) and offset < 0:  # -N: keep only the last N updates
            while len(self._updates) > -offset:
                self._updates.popleft()
        elif isinstance(offset, int):
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        # A newer poll terminates an older one, like a second bot instance would.
        self._poll_generation += 1
        generation = self._poll_generation
        self._cond.notify_all()
        while True:
            ready = [u for u in self._updates if not allowed or any(k in u for k in allowed)]
            if ready or self._stopping.is_set():
                return copy.deepcopy(ready[:limit])
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self._cond.wait(remaining)
            if self._poll_generation != generation:
                raise _ApiError(409, POLL_TERMINATED)

    def _api_answerCallbackQuery(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> bool:
        query_id = str(p.get("callback_query_id"))
        if query_id not in self._open_queries:
            raise _ApiError(400, QUERY_TOO_OLD)
        self._open_queries.discard(query_id)
        cache_time = p.get("cache_time")
        self._answers.append(
            CallbackAnswer(
                id=query_id,
                text=p.get("text"),
                show_alert=bool(p.get("show_alert", False)),
                url=p.get("url"),
                cache_time=int(cache_time) if cache_time is not None else None,
            )
        )
        return True

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope = scope if isinstance(scope, dict) else {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    def _api_setMyCommands(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _ApiError(400, 'Bad Request: parameter "commands" is invalid')
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(p.get("scope"), p.get("language_code"))
        self._commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    def _api_getMyCommands(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> list[JSON]:
        return copy.deepcopy(
            self._commands.get(self._commands_key(p.get("scope"), p.get("language_code")), [])
        )

    def _api_deleteMyCommands(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> bool:
        self._commands.pop(self._commands_key(p.get("scope"), p.get("language_code")), None)
        return True

    def _api_setWebhook(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> bool:
        url = str(p.get("url") or "")
        if not url:
            return self._api_deleteWebhook(p, files, chat)
        if not url.startswith(("http://", "https://")):  # real Telegram insists on https
            raise _ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _ApiError(400, "Bad Request: secret token contains unallowed characters")
        already = self._webhook is not None and self._webhook["url"] == url
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": p.get("allowed_updates"),
            "max_connections": int(p.get("max_connections") or 40),
        }
        if p.get("drop_pending_updates"):
            self._updates.clear()
            self._webhook_queue.clear()
        self._webhook_queue.extend(self._updates)  # pending updates now go to the webhook
        self._updates.clear()
        self._webhook_error = None
        self._webhook_description = "Webhook is already set" if already else "Webhook was set"
        self._cond.notify_all()
        return True

    def _api_deleteWebhook(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> bool:
        self._webhook_description = "Webhook was deleted" if self._webhook else "Webhook is already deleted"
        self._webhook = None
        self._updates.extendleft(reversed(self._webhook_queue))  # undelivered -> getUpdates
        self._webhook_queue.clear()
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self._cond.notify_all()
        return True

    def _api_getWebhookInfo(self, p: JSON, files: dict[str, UploadedFile], chat: _Chat | None) -> JSON:
        hook = self._webhook
        info: JSON = {
            "url": hook["url"] if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._webhook_queue) if hook else len(self._updates),
        }
        if hook:
            info["max_connections"] = hook["max_connections"]
            if hook["allowed_updates"]:
                info["allowed_updates"] = hook["allowed_updates"]
            if self._webhook_error:
                info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info


