"""The seam to the channel-kind vocabulary: which kinds exist and what each accepts as a target.

Only this module names them, so moving them to ``campaign.kinds`` changes one import here.
"""

from __future__ import annotations

import re

from campaign.errors import CONTROL_RE

CHANNEL_KINDS = (
    "telegram", "zalo_oa_group", "zalo_oa_broadcast", "zalo_bot", "facebook_page", "webhook", "feed", "led", "console",
)
PULL_KINDS = ("feed", "led")  # kinds nobody sends to: what is published to them is served by web/
# What each platform accepts as a target or a person's id (checked here, not at the first send).
TELEGRAM_TARGET_RE = re.compile(r"@[A-Za-z][A-Za-z0-9_]{2,31}|-?[1-9][0-9]{0,18}")
ZALO_ID_RE = re.compile(r"[A-Za-z0-9_]{1,64}")  # Zalo user, group and bot chat ids: digits or hex
ZALO_BROADCAST_RE = re.compile(r"followers(?::\s*[a-z_]+\s*=\s*[A-Za-z0-9_-]+(?:\s*,\s*[a-z_]+\s*=\s*[A-Za-z0-9_-]+)*)?")
TELEGRAM_ID_MAX = 2**63 - 1
PULL_TARGET_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # a feed's or LED screen's name in its URL
FACEBOOK_PAGE_RE = re.compile(r"[1-9][0-9]{4,24}")  # a Page id: digits (the Graph API takes no username for posting)


def target_problem(kind: str, target: str | int) -> str | None:
    """Why ``target`` cannot be a ``kind`` channel's target (None: it looks like what the platform accepts)."""
    text = str(target)
    if kind == "telegram":
        if TELEGRAM_TARGET_RE.fullmatch(text) and (not text.lstrip("-").isdigit() or abs(int(text)) <= TELEGRAM_ID_MAX):
            return None
        return (f"đích Telegram phải là @tên_kênh hoặc id số (ví dụ -1001234567890), không phải {_short(target)} / "
                f"a Telegram target is @channelname or a numeric id (e.g. -1001234567890), not {_short(target)}")
    if kind == "zalo_oa_broadcast":
        if isinstance(target, str) and ZALO_BROADCAST_RE.fullmatch(text):
            return None
        return (f"đích broadcast phải là 'followers' hoặc 'followers:khóa=giá_trị,…', không phải {_short(target)} / "
                f"a broadcast target is 'followers' or 'followers:key=value,…', not {_short(target)}")
    if kind in ("zalo_oa_group", "zalo_bot"):
        if ZALO_ID_RE.fullmatch(text):
            return None
        return (f"đích Zalo phải là id (chữ số hoặc chữ cái, không dấu cách), không phải {_short(target)} / "
                f"a Zalo target is an id (digits or letters, no spaces), not {_short(target)}")
    if kind == "facebook_page":
        if FACEBOOK_PAGE_RE.fullmatch(text):
            return None
        return (f"đích fanpage phải là id số của Trang (Page ID, trong phần Giới thiệu của Trang), không phải "
                f"{_short(target)} / a facebook_page target is the Page's numeric id (Page ID, in the Page's About "
                f"section), not {_short(target)}")
    if kind == "webhook":
        from campaign.config.fields import url_problem  # fields imports this module's kinds

        if isinstance(target, str) and url_problem(text) is None:
            return None
        return (f"đích webhook phải là địa chỉ http:// hoặc https:// của bên nhận, không phải {_short(target)} / "
                f"a webhook target is the receiver's http:// or https:// URL, not {_short(target)}")
    if kind in PULL_KINDS:
        if isinstance(target, str) and PULL_TARGET_RE.fullmatch(text):
            return None
        return (f"đích {kind} là tên trong địa chỉ web (a-z, 0-9, '-', '_'; ví dụ 'so-tt'), không phải {_short(target)} / "
                f"a {kind} target is its name in the web address (a-z, 0-9, '-', '_'; e.g. 'so-tt'), not {_short(target)}")
    if CONTROL_RE.search(text):
        return "đích chứa ký tự điều khiển / the target contains a control character"
    return None


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
