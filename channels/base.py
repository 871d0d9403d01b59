"""The one interface every outbound channel implements, and the message it sends."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from campaign.errors import ChannelError  # re-exported: adapters raise it
from campaign.kinds import ChannelKind
from campaign.payload import Choice, Payload

__all__ = ["Button", "Channel", "ChannelError", "Choice", "OutMessage", "Sent"]


@dataclass(frozen=True)
class Button:
    text: str
    data: str  # callback data, already encoded by bot.callbacks (≤ 64 bytes): rows stored before choices


@dataclass(frozen=True)
class OutMessage:
    """A message in both renderings; each adapter picks the one its platform shows."""

    html: str
    plain: str
    media: tuple[Path, ...] = ()
    pin: bool = False
    silent: bool = False
    preview: bool = True
    choices: tuple[tuple[Choice, ...], ...] = ()  # what the reader may answer; each channel shows them its way
    buttons: tuple[tuple[Button, ...], ...] = ()  # buttons whose data is encoded already (shown after the choices)
    # What a structured receiver (a webhook) needs beyond the rendered text: the post's key, title,
    # Markdown, milestone, time and version (``deliveries.post_payload``'s meta); {} for alerts.
    meta: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    delivery_id: int | None = None  # the delivery row being sent (a webhook's idempotency key)

    @classmethod
    def from_payload(cls, payload: Payload, content_dir: Path, *, delivery_id: int | None = None) -> OutMessage:
        return cls(
            html=payload.html,
            plain=payload.plain,
            media=tuple(content_dir / m for m in payload.media),
            pin=payload.pin,
            silent=payload.silent,
            preview=payload.preview,
            choices=payload.choices,
            buttons=tuple(tuple(Button(text, data) for text, data in row) for row in payload.legacy_buttons),
            meta=dict(payload.meta),
            delivery_id=delivery_id,
        )


@dataclass(frozen=True)
class Sent:
    message_ids: tuple[str, ...] = field(default_factory=tuple)


class Channel(Protocol):
    """One platform. ``acquire`` waits for the rate limits; ``send`` then makes the call.

    Split in two so that a stop while waiting for a turn can release the delivery (nothing
    was sent), whereas a stop during ``send`` leaves it ambiguous.
    """

    kind: ChannelKind  # its entry in campaign.kinds.SPECS says what it accepts and whether its receiver deduplicates

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def acquire(self, target: str) -> None: ...

    async def send(self, target: str, message: OutMessage) -> Sent: ...

    async def edit(self, target: str, message_ids: tuple[str, ...], message: OutMessage) -> None: ...

    async def delete(self, target: str, message_ids: tuple[str, ...]) -> None: ...
