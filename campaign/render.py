"""Render a post's Markdown body for each channel and check channel length limits.

Posts are authored once in Markdown but delivered to channels with very
different formatting support: Telegram accepts a small HTML subset
(``parse_mode=HTML``) while Zalo only takes plain text. Rendering both from
the same markdown-it token tree keeps the two outputs structurally identical,
and doing it here (pure, no network) lets the scheduler reject posts that a
channel would refuse *before* the send time comes around.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

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
    "render_markdown",
    "telegram_visible_length",
]

TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024
# sendMediaGroup takes 2-10 items; a single item is sent as a plain photo/video.
TELEGRAM_ALBUM_LIMIT = 10
ZALO_TEXT_LIMIT = 2000

KNOWN_KINDS: frozenset[str] = frozenset(
    {"telegram", "zalo_oa_group", "zalo_oa_broadcast", "zalo_bot", "console"}
)
ZALO_KINDS: frozenset[str] = frozenset({"zalo_oa_group", "zalo_oa_broadcast", "zalo_bot"})

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

_Mode = Literal["html", "plain"]

# CommonMark + strikethrough. Raw HTML is turned off so that any HTML in the
# source arrives as ordinary text and goes through the escaping path; tables
# stay off because neither channel can display them.
_MD = MarkdownIt("commonmark", {"html": False}).enable("strikethrough").disable("table")


@dataclass(frozen=True)
class Rendered:
    """One post body rendered for every channel family."""

    telegram_html: str  # body as Telegram HTML (parse_mode=HTML)
    plain: str  # body as plain text for Zalo (and console)


def render_markdown(body: str, *, title: str | None = None) -> Rendered:
    """Render Markdown once into Telegram HTML and plain text.

    Both outputs come from the same token tree so the two channels show the
    same structure; a non-empty ``title`` is prepended as a (bold) first line.
    """
    tree = SyntaxTreeNode(_MD.parse(body))
    html_body = _join_blocks(_Renderer("html").blocks(tree.children, quote_depth=0))
    plain_body = _join_blocks(_Renderer("plain").blocks(tree.children, quote_depth=0))

    clean_title = title.strip() if title else ""
    if clean_title:
        html_body = _join_blocks([f"<b>{_escape(clean_title)}</b>", html_body])
        plain_body = _join_blocks([clean_title, plain_body])
    return Rendered(telegram_html=html_body, plain=plain_body)


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


def check_fits(rendered: Rendered, *, kinds: set[str], media_count: int) -> list[str]:
    """List the reasons the post would be rejected by the target channels.

    Messages are "Vietnamese / English" so operators see the problem in their
    language; an empty list means every channel in ``kinds`` accepts the post.
    Unknown kinds or a negative media count are caller bugs and raise.
    """
    unknown = set(kinds) - KNOWN_KINDS
    if unknown:
        raise ValueError(f"unknown channel kinds: {sorted(unknown)}")
    if media_count < 0:
        raise ValueError(f"media_count must be >= 0, got {media_count}")

    problems: list[str] = []
    delivering = set(kinds) - {"console"}

    if delivering and media_count == 0 and not rendered.plain.strip():
        problems.append("Bài đăng không có nội dung và không có media / Post has no text and no media")

    if "telegram" in kinds:
        length = telegram_visible_length(rendered.telegram_html)
        if media_count == 0:
            if length > TELEGRAM_TEXT_LIMIT:
                problems.append(
                    f"Văn bản Telegram dài {length} ký tự, tối đa {TELEGRAM_TEXT_LIMIT}"
                    f" / Telegram text is {length} characters, limit {TELEGRAM_TEXT_LIMIT}"
                )
        elif length > TELEGRAM_CAPTION_LIMIT:
            problems.append(
                f"Chú thích Telegram kèm media dài {length} ký tự, tối đa"
                f" {TELEGRAM_CAPTION_LIMIT}; hãy rút gọn nội dung hoặc gửi media"
                " thành tin nhắn riêng"
                f" / Telegram caption with media is {length} characters, limit"
                f" {TELEGRAM_CAPTION_LIMIT}; shorten the text or send the media"
                " as a separate message"
            )
        if media_count > TELEGRAM_ALBUM_LIMIT:
            problems.append(
                f"Album Telegram có {media_count} tệp media, tối đa {TELEGRAM_ALBUM_LIMIT}"
                f" / Telegram album has {media_count} media items,"
                f" limit {TELEGRAM_ALBUM_LIMIT}"
            )

    if set(kinds) & ZALO_KINDS:
        # Zalo's exact counting rule is undocumented; UTF-16 units never
        # undercount compared with code points, so it is the safe choice.
        length = _utf16_len(rendered.plain)
        if length > ZALO_TEXT_LIMIT:
            problems.append(
                f"Văn bản Zalo dài {length} ký tự, tối đa {ZALO_TEXT_LIMIT}"
                f" / Zalo text is {length} characters, limit {ZALO_TEXT_LIMIT}"
            )

    return problems


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


def _node_text(node: SyntaxTreeNode) -> str:
    """Flatten an inline subtree to bare text (used for image alt text)."""
    if node.type in {"softbreak", "hardbreak"}:
        return " "
    if not node.children:
        return node.content
    return "".join(_node_text(child) for child in node.children)


class _Renderer:
    """Walks the markdown-it syntax tree and emits one output flavour."""

    def __init__(self, mode: _Mode) -> None:
        self.html = mode == "html"

    # -- helpers ------------------------------------------------------------ #

    def _text(self, text: str) -> str:
        return _escape(text) if self.html else text

    def _wrap(self, tag: str, inner: str) -> str:
        return f"<{tag}>{inner}</{tag}>" if self.html and inner else inner

    # -- blocks ------------------------------------------------------------- #

    def blocks(self, nodes: Sequence[SyntaxTreeNode], *, quote_depth: int) -> list[str]:
        """Render sibling block nodes, dropping ones that come out empty."""
        out = [self.block(node, quote_depth=quote_depth) for node in nodes]
        return [block for block in out if block]

    def block(self, node: SyntaxTreeNode, *, quote_depth: int) -> str:
        """Render one block-level node."""
        kind = node.type
        if kind == "paragraph":
            return self.inline_container(node)
        if kind == "heading":
            return self._wrap("b", self.inline_container(node))
        if kind in {"bullet_list", "ordered_list"}:
            return self.list_block(node, quote_depth=quote_depth)
        if kind == "blockquote":
            return self.blockquote(node, quote_depth=quote_depth)
        if kind in {"fence", "code_block"}:
            return self.code_block(node)
        if kind == "hr":
            return HR_LINE
        if kind == "html_block":
            return self._text(node.content.rstrip("\n"))
        if kind == "inline":
            return self.inline(node.children, in_link=False)
        if node.children:
            return _join_blocks(self.blocks(node.children, quote_depth=quote_depth))
        return self._text(node.content)

    def inline_container(self, node: SyntaxTreeNode) -> str:
        """Render the single ``inline`` child that paragraphs/headings hold."""
        parts = [
            self.inline(child.children, in_link=False) if child.type == "inline"
            else self.block(child, quote_depth=0)
            for child in node.children
        ]  # fmt: skip
        return "".join(parts).strip()

    def list_block(self, node: SyntaxTreeNode, *, quote_depth: int) -> str:
        """Bullets become "• ", ordered items keep their numbers ("3. ")."""
        ordered = node.type == "ordered_list"
        start = int(node.attrs.get("start", 1)) if ordered else 1
        items: list[str] = []
        for index, item in enumerate(node.children):
            marker = f"{start + index}. " if ordered else f"{BULLET} "
            content = "\n".join(self.blocks(item.children, quote_depth=quote_depth))
            items.append(_hang(marker, content))
        return "\n".join(items)

    def blockquote(self, node: SyntaxTreeNode, *, quote_depth: int) -> str:
        """Telegram forbids nested blockquotes, so only the outermost is tagged."""
        inner = _join_blocks(self.blocks(node.children, quote_depth=quote_depth + 1))
        if not inner:
            return ""
        if self.html:
            return inner if quote_depth else f"<blockquote>{inner}</blockquote>"
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))

    def code_block(self, node: SyntaxTreeNode) -> str:
        """Fenced/indented code; Telegram takes the language from the class."""
        code = node.content.rstrip("\n")
        if not self.html:
            return code
        lang = _code_language(node.info) if node.type == "fence" else ""
        if lang:
            return f'<pre><code class="language-{_escape_attr(lang)}">{_escape(code)}</code></pre>'
        return f"<pre>{_escape(code)}</pre>"

    # -- inline ------------------------------------------------------------- #

    def inline(self, nodes: Sequence[SyntaxTreeNode], *, in_link: bool) -> str:
        """Render a run of inline nodes."""
        return "".join(self.inline_node(node, in_link=in_link) for node in nodes)

    def inline_node(self, node: SyntaxTreeNode, *, in_link: bool) -> str:
        """Render one inline node."""
        kind = node.type
        if kind == "text":
            return self._text(node.content)
        if kind in {"softbreak", "hardbreak"}:
            # Chat authors write line by line; keep their line breaks.
            return "\n"
        if kind == "strong":
            return self._wrap("b", self.inline(node.children, in_link=in_link))
        if kind == "em":
            return self._wrap("i", self.inline(node.children, in_link=in_link))
        if kind == "s":
            return self._wrap("s", self.inline(node.children, in_link=in_link))
        if kind == "code_inline":
            # Telegram does not allow a code entity inside a link entity.
            if in_link:
                return self._text(node.content)
            return self._wrap("code", self._text(node.content))
        if kind == "link":
            return self.link(node)
        if kind == "image":
            # Media is sent separately; the body only keeps the description.
            return self._text(_node_text(node))
        if kind == "html_inline":
            return self._text(node.content)
        if node.children:
            return self.inline(node.children, in_link=in_link)
        return self._text(node.content)

    def link(self, node: SyntaxTreeNode) -> str:
        """Clickable only for allowed schemes; otherwise just the link text."""
        href = str(node.attrs.get("href", ""))
        text = self.inline(node.children, in_link=True)
        allowed = _link_allowed(href)
        if not text.strip():
            text = self._text(href) if allowed else ""
        if not allowed:
            return text
        if self.html:
            return f'<a href="{_escape_attr(href)}">{text}</a>'
        if node.markup == "autolink" or text in {href, href.removeprefix("mailto:")}:
            return text
        return f"{text} ({href})"
