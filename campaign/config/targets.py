"""The seam to the channel-kind vocabulary (``campaign.kinds``): which kinds exist and what each accepts."""

from __future__ import annotations

from campaign.kinds import (
    PULL_KINDS as _PULL,
)
from campaign.kinds import (
    TELEGRAM_ID_MAX,
    TELEGRAM_TARGET_RE,
    ZALO_BROADCAST_RE,
    ZALO_ID_RE,
    ChannelKind,
    target_problem,
)

CHANNEL_KINDS: tuple[str, ...] = tuple(k.value for k in ChannelKind)
PULL_KINDS: tuple[str, ...] = tuple(k.value for k in ChannelKind if k in _PULL)

__all__ = ["CHANNEL_KINDS", "PULL_KINDS", "TELEGRAM_ID_MAX", "TELEGRAM_TARGET_RE", "ZALO_BROADCAST_RE", "ZALO_ID_RE",
           "target_problem"]
