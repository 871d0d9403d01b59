"""The channel kinds Loa delivers to, and what each platform accepts: one table, read everywhere.

Rendering (``render.check_fits``), content checks (``content``), config validation (``config``),
the adapters (``channels/*``) and the composition root (``bot/app.py``) all read ``SPECS`` instead
of copying a limit, so changing one means one line here. Adding a kind means one ``ChannelKind``
member, one ``KindSpec`` entry and its adapter factory in ``bot/app.py`` (a test checks all three).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePath
from types import MappingProxyType
from urllib.parse import urlsplit

from campaign.errors import CONTROL_RE
from campaign.texts import inline

__all__ = [
    "IMAGE_SUFFIXES",
    "OA_KINDS",
    "PULL_KINDS",
    "ZALO_IMAGE_SUFFIXES",
    "SPECS",
    "ChannelKind",
    "KindSpec",
    "MediaKind",
    "MediaRule",
    "TextFormat",
    "kinds_where",
    "media_kind",
    "spec",
    "target_problem",
]


class ChannelKind(StrEnum):
    """The ``kind`` of a ``[channels.<key>]`` table; the values are what config.toml and the store hold."""

    TELEGRAM = "telegram"
    ZALO_OA_GROUP = "zalo_oa_group"
    ZALO_OA_BROADCAST = "zalo_oa_broadcast"
    ZALO_BOT = "zalo_bot"
    FACEBOOK_PAGE = "facebook_page"
    WEBHOOK = "webhook"
    FEED = "feed"
    LED = "led"
    CONSOLE = "console"


class TextFormat(StrEnum):
    """How a kind shows a post's text: which of ``render.Rendered``'s renderings it sends."""

    TELEGRAM_HTML = "telegram_html"  # Telegram's HTML subset (parse_mode=HTML)
    PLAIN = "plain"  # plain text, no markup at all (links written out)
    DOCUMENT = "document"  # the Markdown, HTML and plain text together (a webhook's JSON, a feed item, an LED slide)


class MediaKind(StrEnum):
    """What a media file is sent as, told by its name: an image, or any other file (video, document)."""

    IMAGE = "image"
    FILE = "file"


# Files sent as pictures where the platform can (Telegram photos; Zalo takes fewer, see its rule).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif")
ZALO_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif")


def media_kind(path: str | PurePath) -> MediaKind:
    return MediaKind.IMAGE if str(path).lower().endswith(IMAGE_SUFFIXES) else MediaKind.FILE


@dataclass(frozen=True)
class MediaRule:
    """One media kind on one platform: the largest file (None: no limit of its own) and, when the
    platform takes only some formats, the file name endings it takes."""

    max_bytes: int | None = None
    suffixes: tuple[str, ...] | None = None

    def takes(self, path: str | PurePath) -> bool:
        return self.suffixes is None or str(path).lower().endswith(self.suffixes)


@dataclass(frozen=True)
class KindSpec:
    """What one channel kind accepts and can do. Limits are in the unit the platform counts."""

    kind: ChannelKind
    platform: str  # the platform's name in length messages ("Telegram", "Zalo")
    label: str  # this kind's name in media messages ("Telegram", "Zalo OA")
    text_format: TextFormat
    text_limit: int | None  # characters (UTF-16 units) of a text-only message; None: no limit
    caption_limit: int | None = None  # characters of the text sent with media; None: as text_limit
    media: Mapping[MediaKind, MediaRule] = field(default_factory=dict)  # a kind absent here is refused
    album_limit: int | None = None  # media items in one message; None: not checked
    can_edit: bool = False
    can_delete: bool = False
    can_pin: bool = False
    public: bool = True  # seen by the public (False: a local stand-in such as the console)
    delivers: bool = True  # really sends somewhere (the console only prints)
    pull: bool = False  # nothing is sent: what is published is recorded and served by web/ (feeds, LED screens)
    deduplicates: bool = False  # the receiver drops a repeat (idempotency key): a lost answer is simply resent
    reviewed_early: bool = False  # the platform reviews it before it shows: it goes out `broadcast_lead` early
    # The [zalo] key that overrides the image byte limit (Zalo OA: `image_max_bytes`), or "".
    image_limit_setting: str = ""
    target_check: Callable[[str | int], str | None] = field(default=lambda _target: None, compare=False, repr=False)

    def media_rule(self, path: str | PurePath) -> MediaRule | None:
        """The rule for this file on this kind, or None when the kind does not take it at all."""
        return self.media.get(media_kind(path))


def _short(value: object, limit: int = 60) -> str:
    """A value as it may appear in a message: repr'd (control characters visible) and clipped."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# What each platform accepts as a target (checked when config.toml loads, not at the first send).
TELEGRAM_TARGET_RE = re.compile(r"@[A-Za-z][A-Za-z0-9_]{2,31}|-?[1-9][0-9]{0,18}")
TELEGRAM_ID_MAX = 2**63 - 1
ZALO_ID_RE = re.compile(r"[A-Za-z0-9_]{1,64}")  # Zalo user, group and bot chat ids: digits or hex
FACEBOOK_PAGE_RE = re.compile(r"[1-9][0-9]{4,24}")  # a Page id: digits (the Graph API takes no username for posting)
PULL_TARGET_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # a feed's or LED screen's name in its web address
ZALO_BROADCAST_RE = re.compile(r"followers(?::\s*[a-z_]+\s*=\s*[A-Za-z0-9_-]+(?:\s*,\s*[a-z_]+\s*=\s*[A-Za-z0-9_-]+)*)?")


def _telegram_target(target: str | int) -> str | None:
    text = str(target)
    if TELEGRAM_TARGET_RE.fullmatch(text) and (not text.lstrip("-").isdigit() or abs(int(text)) <= TELEGRAM_ID_MAX):
        return None
    return inline("kinds.target.telegram", target=_short(target))


def _broadcast_target(target: str | int) -> str | None:
    if isinstance(target, str) and ZALO_BROADCAST_RE.fullmatch(target):
        return None
    return inline("kinds.target.broadcast", target=_short(target))


def _zalo_id_target(target: str | int) -> str | None:
    return None if ZALO_ID_RE.fullmatch(str(target)) else inline("kinds.target.zalo_id", target=_short(target))


def _facebook_target(target: str | int) -> str | None:
    return None if FACEBOOK_PAGE_RE.fullmatch(str(target)) else inline("kinds.target.facebook", target=_short(target))


def _webhook_target(target: str | int) -> str | None:
    text = str(target)
    parts = urlsplit(text)
    if (isinstance(target, str) and parts.scheme in ("http", "https") and parts.netloc and not parts.query
            and not parts.fragment and not CONTROL_RE.search(text) and " " not in text):
        return None
    return inline("kinds.target.webhook", target=_short(target))


def _pull_target(kind: str) -> Callable[[str | int], str | None]:
    def check(target: str | int) -> str | None:
        if isinstance(target, str) and PULL_TARGET_RE.fullmatch(target):
            return None
        return inline("kinds.target.pull", kind=kind, target=_short(target))
    return check


def _any_target(target: str | int) -> str | None:
    return inline("kinds.target.control") if CONTROL_RE.search(str(target)) else None


_MB = 1024 * 1024
_ZALO_OA_IMAGES = {MediaKind.IMAGE: MediaRule(1_000_000, ZALO_IMAGE_SUFFIXES)}  # default of [zalo] image_max_bytes
_ANY_MEDIA = {MediaKind.IMAGE: MediaRule(), MediaKind.FILE: MediaRule()}

SPECS: Mapping[ChannelKind, KindSpec] = MappingProxyType({
    ChannelKind.TELEGRAM: KindSpec(
        ChannelKind.TELEGRAM, "Telegram", "Telegram", TextFormat.TELEGRAM_HTML, text_limit=4096, caption_limit=1024,
        # Photos up to 10 MB; anything else goes as a document, up to 50 MB (the Bot API's upload limits).
        media={MediaKind.IMAGE: MediaRule(10 * _MB), MediaKind.FILE: MediaRule(50 * _MB)},
        album_limit=10,  # sendMediaGroup takes 2-10 items; a single item is sent as a plain photo/video
        can_edit=True, can_delete=True, can_pin=True, target_check=_telegram_target),
    ChannelKind.ZALO_OA_GROUP: KindSpec(
        ChannelKind.ZALO_OA_GROUP, "Zalo", "Zalo OA", TextFormat.PLAIN, text_limit=2000, media=_ZALO_OA_IMAGES,
        image_limit_setting="image_max_bytes", target_check=_zalo_id_target),
    ChannelKind.ZALO_OA_BROADCAST: KindSpec(
        ChannelKind.ZALO_OA_BROADCAST, "Zalo", "Zalo OA", TextFormat.PLAIN, text_limit=2000, media=_ZALO_OA_IMAGES,
        image_limit_setting="image_max_bytes", reviewed_early=True, target_check=_broadcast_target),
    ChannelKind.ZALO_BOT: KindSpec(
        ChannelKind.ZALO_BOT, "Zalo", "Zalo Bot", TextFormat.PLAIN, text_limit=2000, media=_ANY_MEDIA,
        # Shows the images it can send by URL (ZALO_IMAGE_SUFFIXES) and leaves other files out.
        target_check=_zalo_id_target),
    ChannelKind.FACEBOOK_PAGE: KindSpec(
        ChannelKind.FACEBOOK_PAGE, "Facebook Page", "Facebook Page", TextFormat.PLAIN, text_limit=63_206,
        # Page photos: Facebook's advice is 4 MB; other files are not posted (no video yet).
        media={MediaKind.IMAGE: MediaRule(4_000_000, (".jpg", ".jpeg", ".png", ".gif"))},
        can_edit=True, can_delete=True, target_check=_facebook_target),
    ChannelKind.WEBHOOK: KindSpec(
        ChannelKind.WEBHOOK, "webhook", "webhook", TextFormat.DOCUMENT, text_limit=None, media=_ANY_MEDIA,
        can_edit=True, can_delete=True, deduplicates=True, target_check=_webhook_target),
    ChannelKind.FEED: KindSpec(
        ChannelKind.FEED, "feed", "feed", TextFormat.DOCUMENT, text_limit=None, media=_ANY_MEDIA,
        can_edit=True, can_delete=True, delivers=False, pull=True, target_check=_pull_target("feed")),
    ChannelKind.LED: KindSpec(
        # The screen shows the first image and clips the text to what fits.
        ChannelKind.LED, "LED", "LED", TextFormat.DOCUMENT, text_limit=None, media=_ANY_MEDIA,
        can_edit=True, can_delete=True, delivers=False, pull=True, target_check=_pull_target("led")),
    ChannelKind.CONSOLE: KindSpec(
        ChannelKind.CONSOLE, "console", "console", TextFormat.PLAIN, text_limit=None, media=_ANY_MEDIA,
        can_edit=True, can_delete=True, can_pin=True, public=False, delivers=False, target_check=_any_target),
})


# Kinds nobody sends to: what is published to them is recorded in the store and served by web/.
PULL_KINDS = frozenset({ChannelKind.FEED, ChannelKind.LED})
# The kinds one Zalo Official Account serves (one shared client and token pair).
OA_KINDS = frozenset({ChannelKind.ZALO_OA_GROUP, ChannelKind.ZALO_OA_BROADCAST})


def spec(kind: str) -> KindSpec:
    """The spec of ``kind`` (a ``ChannelKind`` or its value); KeyError for a kind Loa does not know."""
    try:
        return SPECS[ChannelKind(kind)]
    except ValueError:
        raise KeyError(kind) from None


def kinds_where(test: Callable[[KindSpec], bool]) -> frozenset[ChannelKind]:
    """The kinds whose spec passes ``test`` (e.g. ``kinds_where(lambda s: s.reviewed_early)``)."""
    return frozenset(k for k, s in SPECS.items() if test(s))


def target_problem(kind: str, target: str | int) -> str | None:
    """Why ``target`` cannot be a ``kind`` channel's target (None: it looks like what the platform accepts)."""
    return spec(kind).target_check(target)
