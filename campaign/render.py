"""Render a post's Markdown body for each channel and check channel length limits.

Posts are authored once in Markdown but delivered to channels with very
different formatting support: Telegram accepts a small HTML subset
(``parse_mode=HTML``) while Zalo only takes plain text. Rendering both from
the same CommonMark event stream keeps the two outputs structurally identical,
and doing it here (pure, no network) lets the scheduler reject posts that a
channel would refuse *before* the send time comes around.

Speed matters (``sync`` renders every new or edited post to check it fits): the
parse is pulldown-cmark's (Rust, through ``pyromark``; markdown-it-py's parse alone
cost 6x the time to read the files), its events are walked once, each step
producing the HTML and the plain text side by side, and the Telegram visible
length is worked out from the HTML just built instead of re-parsing it with
``html.parser``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pyromark

from campaign.kinds import SPECS, ChannelKind, KindSpec, TextFormat
from campaign.texts import pair

__all__ = [
    "ALLOWED_LINK_SCHEMES",
    "KNOWN_KINDS",
    "TELEGRAM_ALBUM_LIMIT",
    "TELEGRAM_ALLOWED_TAGS",
    "TELEGRAM_CAPTION_LIMIT",
    "TELEGRAM_TEXT_LIMIT",
    "ZALO_KINDS",
    "ZALO_TEXT_LIMIT",
    "Rendered",
    "check_fits",
    "kicker_of",
    "length_on",
    "limit_on",
    "render_markdown",
    "telegram_visible_length",
]

# Read from the channel-kind table (campaign.kinds); kept as names for the callers that quote them.
TELEGRAM_TEXT_LIMIT: int = SPECS[ChannelKind.TELEGRAM].text_limit or 0
TELEGRAM_CAPTION_LIMIT: int = SPECS[ChannelKind.TELEGRAM].caption_limit or 0
TELEGRAM_ALBUM_LIMIT: int = SPECS[ChannelKind.TELEGRAM].album_limit or 0
ZALO_TEXT_LIMIT: int = SPECS[ChannelKind.ZALO_BOT].text_limit or 0

KNOWN_KINDS: frozenset[str] = frozenset(ChannelKind)
ZALO_KINDS: frozenset[str] = frozenset(k for k, s in SPECS.items() if s.platform == "Zalo")

# Tags Telegram's HTML parse mode understands; anything else makes the API
# reject the whole message, so the renderer must never emit other tags.
TELEGRAM_ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
        "a", "code", "pre", "blockquote", "tg-spoiler",
    }
)  # fmt: skip

# Only schemes that are safe and that Telegram/Zalo clients can open; relative
# links and odd schemes would be dead or dangerous in a chat message.
ALLOWED_LINK_SCHEMES: frozenset[str] = frozenset({"http", "https", "tg", "mailto"})

BULLET = "•"
HR_LINE = "———"

# CommonMark + ~~strikethrough~~ (pulldown-cmark through pyromark). Raw HTML in the source
# arrives as HTML events that the walk turns into ordinary, escaped text; tables stay off
# because neither channel can display them. Subscript is on only so that pulldown-cmark does not
# read a *single* tilde as strikethrough ("khoảng ~100 người ~ 200~"): the walk puts the tildes back.
_OPTIONS = pyromark.Options.ENABLE_STRIKETHROUGH | pyromark.Options.ENABLE_SUBSCRIPT


@dataclass(frozen=True)
class Rendered:
    """One post body rendered for every channel family."""

    telegram_html: str  # body as Telegram HTML (parse_mode=HTML)
    plain: str  # body as plain text for Zalo (and console)
    # What telegram_visible_length(telegram_html) returns, filled in by render_markdown (which
    # knows its own HTML) so check_fits need not re-parse it; None: check_fits measures the HTML.
    telegram_length: int | None = field(default=None, compare=False, repr=False)


def render_markdown(body: str, *, title: str | None = None, kicker: str | None = None) -> Rendered:
    """Render Markdown once into Telegram HTML and plain text.

    Both outputs come from the same token stream, in one walk, so the two
    channels show the same structure; a non-empty ``title`` is prepended as a
    (bold) first line, led by ``kicker`` (a series' title, in italics, then
    " | ") when there is one: on one line, so that feeds, which take the first
    line as the item's title, read "Series | Title".
    """
    html_blocks, plain_blocks, _ = _blocks(list(pyromark.events(body, options=_OPTIONS)), 0, 0)
    html_body = _join_blocks(html_blocks)
    plain_body = _join_blocks(plain_blocks)

    clean_title = title.strip() if title else ""
    clean_kicker = kicker.strip() if kicker else ""
    if clean_title or clean_kicker:
        html_head = " | ".join(([f"<i>{_escape(clean_kicker)}</i>"] if clean_kicker else [])
                               + ([f"<b>{_escape(clean_title)}</b>"] if clean_title else []))
        html_body = _join_blocks([html_head, html_body])
        plain_body = _join_blocks([" | ".join(x for x in (clean_kicker, clean_title) if x), plain_body])
    return Rendered(
        telegram_html=html_body, plain=plain_body, telegram_length=_own_html_visible_length(html_body)
    )


def kicker_of(options: Mapping[str, Any]) -> str | None:
    """The line a stored post shows before its title: its series' title (``PostSource.options``), if any."""
    value = options.get("series_title")
    return value if isinstance(value, str) and value else None


def telegram_visible_length(html: str) -> int:
    """Length Telegram counts against its limits for an HTML-mode message.

    Telegram measures the text *after* entity parsing (tags removed, entities
    such as ``&amp;`` decoded) in UTF-16 code units, so an emoji outside the
    BMP counts as 2.
    """
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return _utf16_len("".join(collector.parts))


def check_fits(rendered: Rendered, *, kinds: Iterable[str], media_count: int) -> list[str]:
    """List the reasons the post would be rejected by the target channels.

    Messages are "Vietnamese / English" so operators see the problem in their
    language; an empty list means every channel in ``kinds`` accepts the post.
    The limits are each kind's ``KindSpec``; kinds sharing a limit report it once.
    Unknown kinds or a negative media count are caller bugs and raise.
    """
    unknown = set(kinds) - KNOWN_KINDS
    if unknown:
        raise ValueError(f"unknown channel kinds: {sorted(unknown)}")
    if media_count < 0:
        raise ValueError(f"media_count must be >= 0, got {media_count}")

    specs = [s for k, s in SPECS.items() if k in set(kinds)]
    problems: list[str] = []
    if any(s.delivers for s in specs) and media_count == 0 and not rendered.plain.strip():
        problems.append(_both("fits.empty"))
    for s in specs:
        for problem in _misfits(rendered, s, media_count):
            if problem not in problems:
                problems.append(problem)
    return problems


def _misfits(rendered: Rendered, spec: KindSpec, media_count: int) -> list[str]:
    """What one kind refuses: text or caption too long, too many media items."""
    out: list[str] = []
    length = length_on(rendered, spec)
    caption = media_count > 0 and spec.caption_limit is not None
    limit = limit_on(spec, media_count)
    if limit is not None and length > limit:
        out.append(_both("fits.caption" if caption else "fits.text", platform=spec.platform, length=length, limit=limit))
    if spec.album_limit is not None and media_count > spec.album_limit:
        out.append(_both("fits.album", platform=spec.platform, count=media_count, limit=spec.album_limit))
    return out


def length_on(rendered: Rendered, spec: KindSpec) -> int:
    """The post's length as the kind counts it against its limits."""
    if spec.text_format is TextFormat.TELEGRAM_HTML:
        length = rendered.telegram_length
        return telegram_visible_length(rendered.telegram_html) if length is None else length
    # Zalo's exact counting rule is undocumented; UTF-16 units never
    # undercount compared with code points, so it is the safe choice.
    return _utf16_len(rendered.plain)


def limit_on(spec: KindSpec, media_count: int) -> int | None:
    """The kind's limit for a post with ``media_count`` media items (a caption's, when it has one)."""
    return spec.caption_limit if media_count > 0 and spec.caption_limit is not None else spec.text_limit


def _both(key: str, **kw: object) -> str:
    vi, en = pair(key, **kw)
    return f"{vi} / {en}"


# --------------------------------------------------------------------------- #
# Internals
# --------------------------------------------------------------------------- #


class _TextCollector(HTMLParser):
    """Collects only character data, mirroring what Telegram keeps as text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _utf16_len(text: str) -> int:
    """Count UTF-16 code units, the unit Telegram's limits are expressed in."""
    return len(text.encode("utf-16-le")) // 2


_TAG_RE = re.compile(r"<[^>]*>")


def _own_html_visible_length(html: str) -> int:
    """``telegram_visible_length`` for HTML this module produced, without an HTML parser.

    The renderer's HTML is a closed grammar: every ``<`` starts one of its own tags
    (attribute values have ``<``, ``>`` and ``"`` escaped, so a tag ends at the first ``>``),
    and text holds no entity but ``&amp;``, ``&lt;``, ``&gt;`` (every ``&`` of the text is
    escaped). Dropping the tags and counting each entity as the one character it stands for
    is then exactly what ``html.parser`` (convert_charrefs) keeps, at a fraction of the cost.
    """
    text = _TAG_RE.sub("", html)
    length = _utf16_len(text)
    if "&" in text:
        length -= (
            4 * text.count("&amp;") + 3 * (text.count("&lt;") + text.count("&gt;")) + 5 * text.count("&quot;")
        )
    return length


def _escape(text: str) -> str:
    """Escape text content; Telegram requires exactly &, < and > escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attr(text: str) -> str:
    """Escape an attribute value placed inside double quotes."""
    return _escape(text).replace('"', "&quot;")


def _join_blocks(blocks: Sequence[str]) -> str:
    """Separate non-empty blocks by one blank line, like paragraphs in chat."""
    return "\n\n".join(b for b in (block.strip("\n") for block in blocks) if b.strip())


def _hang(marker: str, content: str) -> str:
    """Put a list marker before the first line and align the following lines."""
    if not content:
        return marker.rstrip()
    indent = " " * len(marker)
    first, *rest = content.split("\n")
    lines = [marker + first] + [indent + line if line else line for line in rest]
    return "\n".join(lines)


def _link_allowed(href: str) -> bool:
    """Whether a URL may become a clickable link (safe, absolute scheme)."""
    try:
        parts = urlsplit(href)
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_LINK_SCHEMES:
        return False
    # "http:foo" has a scheme but no host; Telegram would reject it.
    return scheme not in {"http", "https"} or bool(parts.netloc)


def _code_language(info: str) -> str:
    """First word of a fence info string, if it is a plausible language name."""
    words = info.split()
    if not words:
        return ""
    lang = words[0]
    if all(ch.isalnum() or ch in "+-_#." for ch in lang):
        return lang
    return ""


# --------------------------------------------------------------------------- #
# The walk: pulldown-cmark's flat event stream (``{"Start": tag}`` / ``{"End": tag}``
# around their children, leaves such as ``{"Text": ...}``, ``"SoftBreak"``, ``"Rule"``)
# is rendered in one recursive-descent pass. Every step returns the HTML and the plain
# text of its node; each output keeps its own decisions (a block empty in one output may
# not be in the other), exactly as two separate renderings would. In a tight list item
# the inline events sit directly in the item, next to nested blocks: such a run is
# treated as a paragraph.
# --------------------------------------------------------------------------- #

_INLINE_TAGS = {"Emphasis": "i", "Strong": "b", "Strikethrough": "s"}
_INLINE_CONTAINERS = frozenset({*_INLINE_TAGS, "Subscript", "Link", "Image"})
_BREAKS = frozenset({"SoftBreak", "HardBreak"})


def _tag(value: str | dict[str, Any]) -> str:
    """The name of a Start/End payload: ``"Paragraph"`` or the one key of ``{"List": 3}``."""
    return value if type(value) is str else next(iter(value))


def _blocks(ev: Sequence[Any], i: int, quote_depth: int) -> tuple[list[str], list[str], int]:
    """Render sibling blocks from ``ev[i]`` up to their parent's End event (or the end).

    Returns the non-empty HTML blocks, the non-empty plain blocks and the index
    of the event that stopped the walk.
    """
    html: list[str] = []
    plain: list[str] = []
    n = len(ev)
    while i < n:
        e = ev[i]
        if type(e) is str:
            if e == "Rule":
                html.append(HR_LINE)
                plain.append(HR_LINE)
                i += 1
                continue
        else:
            ((kind, value),) = e.items()
            if kind == "End":
                break
            if kind == "Start" and (tag := _tag(value)) not in _INLINE_CONTAINERS:
                h, p, i = _block(ev, i, tag, value, quote_depth)
                if h:
                    html.append(h)
                if p:
                    plain.append(p)
                continue
        h, p, i = _inline(ev, i, False)  # inline content straight in a (tight) list item
        if h := h.strip():
            html.append(h)
        if p := p.strip():
            plain.append(p)
    return html, plain, i


def _block(ev: Sequence[Any], i: int, tag: str, value: Any, quote_depth: int) -> tuple[str, str, int]:
    """Render the block whose Start is ``ev[i]``; returns (html, plain, index after its End)."""
    if tag == "Paragraph" or tag == "Heading":
        h, p, end = _inline(ev, i + 1, False)
        h, p = h.strip(), p.strip()
        if tag == "Heading" and h:
            h = f"<b>{h}</b>"
        return h, p, end + 1
    if tag == "List":
        return _list(ev, i + 1, value["List"], quote_depth)
    if tag == "BlockQuote":
        # Telegram forbids nested blockquotes, so only the outermost is tagged.
        hs, ps, end = _blocks(ev, i + 1, quote_depth + 1)
        h, p = _join_blocks(hs), _join_blocks(ps)
        if h and not quote_depth:
            h = f"<blockquote>{h}</blockquote>"
        if p:
            p = "\n".join(f"> {line}" if line else ">" for line in p.split("\n"))
        return h, p, end + 1
    if tag == "CodeBlock" or tag == "HtmlBlock":
        text, end = _leaf_text(ev, i + 1)
        text = text.rstrip("\n")
        if tag == "HtmlBlock":  # raw HTML is shown as the text the author typed, never as tags
            return _escape(text), text, end + 1
        kind = value["CodeBlock"]
        lang = _code_language(kind["Fenced"]) if type(kind) is dict else ""
        if lang:
            return f'<pre><code class="language-{_escape_attr(lang)}">{_escape(text)}</code></pre>', text, end + 1
        return f"<pre>{_escape(text)}</pre>", text, end + 1
    hs, ps, end = _blocks(ev, i + 1, quote_depth)  # any other container: its blocks
    return _join_blocks(hs), _join_blocks(ps), end + 1


def _leaf_text(ev: Sequence[Any], i: int) -> tuple[str, int]:
    """Concatenate the text events of a code or HTML block; returns the index of its End."""
    parts: list[str] = []
    n = len(ev)
    while i < n:
        e = ev[i]
        if type(e) is not str:
            ((kind, value),) = e.items()
            if kind == "End":
                break
            if type(value) is str:
                parts.append(value)
        i += 1
    return "".join(parts), i


def _list(ev: Sequence[Any], i: int, start: int | None, quote_depth: int) -> tuple[str, str, int]:
    """Bullets become "• ", ordered items keep their numbers ("3. ")."""
    html: list[str] = []
    plain: list[str] = []
    index = 0
    n = len(ev)
    while i < n:
        e = ev[i]
        if type(e) is not str and "End" in e:
            break
        marker = f"{start + index}. " if start is not None else f"{BULLET} "
        hs, ps, end = _blocks(ev, i + 1, quote_depth)  # ev[i] is an Item's Start
        i = end + 1
        html.append(_hang(marker, "\n".join(hs)))
        plain.append(_hang(marker, "\n".join(ps)))
        index += 1
    return "\n".join(html), "\n".join(plain), i + 1


def _inline(ev: Sequence[Any], i: int, in_link: bool) -> tuple[str, str, int]:
    """Render a run of inline events up to an End (or a block's Start, or the end); returns its index.

    Bold, italic and strikethrough stay in this loop (a stack of where each opened; no call per
    span): a span that turns out empty loses its tags, as an empty ``<b></b>`` would be refused.
    """
    html: list[str] = []
    plain: list[str] = []
    opened: list[tuple[int, str]] = []  # (index in html of the opening tag, tag)
    n = len(ev)
    while i < n:
        e = ev[i]
        if type(e) is str:
            if e not in _BREAKS:  # "Rule": a block
                break
            # Chat authors write line by line; keep their line breaks.
            html.append("\n")
            plain.append("\n")
            i += 1
            continue
        i += 1
        if (text := e.get("Text")) is not None:  # most events: checked before unpacking the others
            html.append(_escape(text) if "&" in text or "<" in text or ">" in text else text)
            plain.append(text)
            continue
        ((kind, value),) = e.items()
        if kind == "End":
            if not opened:
                i -= 1  # the End of what contains this run: the caller's
                break
            at, tag = opened.pop()
            if tag == "~":
                html.append("~")
                plain.append("~")
            elif any(html[at + 1:]):
                html.append(f"</{tag}>")
            else:
                html[at] = ""
        elif kind == "Start":
            tag = _tag(value)
            if tag in _INLINE_TAGS:
                opened.append((len(html), _INLINE_TAGS[tag]))
                html.append(f"<{_INLINE_TAGS[tag]}>")
            elif tag == "Subscript":  # ~one tilde~ is not formatting here: the tildes stay as typed
                opened.append((len(html), "~"))
                html.append("~")
                plain.append("~")
            elif tag == "Image":
                # Media is sent separately; the body only keeps the description.
                _, p, end = _inline(ev, i, in_link)
                html.append(_escape(p))
                plain.append(p)
                i = end + 1
            elif tag == "Link":
                h, p, end = _inline(ev, i, True)
                h, p = _link(value["Link"], h, p)
                html.append(h)
                plain.append(p)
                i = end + 1
            else:  # a block starts (in a tight list item)
                i -= 1
                break
        elif type(value) is str:  # code, raw HTML; events this renderer does not know show nothing
            text = _escape(value)
            # Telegram does not allow a code entity inside a link entity; raw HTML is literal text.
            html.append(f"<code>{text}</code>" if kind == "Code" and text and not in_link else text)
            plain.append(value)
    return "".join(html), "".join(plain), i


def _link(link: dict[str, Any], html: str, plain: str) -> tuple[str, str]:
    """Clickable only for allowed schemes; otherwise just the link text."""
    kind = link.get("link_type")
    href = str(link.get("dest_url", ""))
    if kind == "Email":
        href = "mailto:" + href
    allowed = _link_allowed(href)
    if not html.strip():
        html = _escape(href) if allowed else ""
    if not plain.strip():
        plain = href if allowed else ""
    if not allowed:
        return html, plain
    html = f'<a href="{_escape_attr(href)}">{html}</a>'
    if kind == "Autolink" or kind == "Email" or plain in {href, href.removeprefix("mailto:")}:
        return html, plain
    return html, f"{plain} ({href})"
