"""What one delivery sends: the message in both renderings, its options and the choices it offers.

A ``Payload`` is stored as JSON in ``deliveries.payload`` (``to_json`` / ``from_json``). The domain
says which *choices* a message offers (approve this post, resend that delivery…); how a choice is
shown is the chat side's business: the Telegram channel turns each into an inline button with the
bot's callback codec, the Zalo Bot lists them as commands to type (``campaign.commands.typed_hint``), the others leave them out. So ``campaign``
never builds platform button data.

``from_json`` also reads rows written before choices existed (``buttons`` holding callback data
already encoded): those are kept as ``legacy_buttons`` and sent as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from campaign.texts import inline

__all__ = ["Action", "Choice", "Payload"]


class Action(StrEnum):
    """What a choice asks the bot to do."""

    APPROVE = "approve"  # approve post ``target`` (content ``version``)
    REJECT = "reject"  # reject post ``target`` (asks for a reason)
    DIFF = "diff"  # show what changed in post ``target``
    RESEND = "resend"  # send again every 'unknown' delivery of the post that delivery ``target`` belongs to
    WENT_OUT = "went_out"  # accept that they went out (skip them)


@dataclass(frozen=True)
class Choice:
    """One answer a message offers its reader: an action on a post or a delivery."""

    action: Action
    target: int  # a post id (approve, reject, diff) or a delivery id (resend, went_out)
    version: str = ""  # the content hash prefix the reader saw (approve, reject, diff)

    @property
    def label(self) -> str:
        """Both languages, from the catalog: "✅ Duyệt / Approve"."""
        return inline(f"choice.{self.action.value}")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action.value, "target": self.target}
        return out | {"version": self.version} if self.version else out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Choice:
        return cls(Action(data["action"]), int(data["target"]), str(data.get("version") or ""))


@dataclass(frozen=True)
class Payload:
    html: str = ""  # Telegram HTML
    plain: str = ""  # plain text (Zalo, console)
    media: tuple[str, ...] = ()  # paths under content/
    pin: bool = False
    silent: bool = False
    preview: bool = True
    choices: tuple[tuple[Choice, ...], ...] = ()  # rows of choices, shown in this order
    legacy_buttons: tuple[tuple[tuple[str, str], ...], ...] = field(default=(), repr=False)  # (text, data), old rows
    # What a structured receiver (a webhook) needs beyond the rendered text: the post's key, title, Markdown,
    # milestone, time and version; empty for alerts and reminders.
    meta: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    def with_choices(self, choices: tuple[tuple[Choice, ...], ...]) -> Payload:
        return replace(self, choices=choices)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"html": self.html, "plain": self.plain, "media": list(self.media),
                               "pin": self.pin, "silent": self.silent, "preview": self.preview}
        if self.choices:
            out["choices"] = [[c.to_json() for c in row] for row in self.choices]
        if self.meta:
            out["meta"] = dict(self.meta)
        if self.legacy_buttons:
            out["buttons"] = [[{"text": t, "data": d} for t, d in row] for row in self.legacy_buttons]
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Payload:
        """A stored payload, from this code or the code before it (missing keys take their defaults)."""
        return cls(
            html=str(data.get("html") or ""),
            plain=str(data.get("plain") or ""),
            media=tuple(str(m) for m in data.get("media") or ()),
            pin=bool(data.get("pin")),
            silent=bool(data.get("silent")),
            preview=bool(data.get("preview", True)),
            choices=tuple(tuple(Choice.from_json(c) for c in row) for row in data.get("choices") or ()),
            legacy_buttons=tuple(tuple((str(b["text"]), str(b["data"])) for b in row) for row in data.get("buttons") or ()),
            meta={str(k): str(v) for k, v in (data.get("meta") or {}).items()},
        )
