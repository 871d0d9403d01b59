"""Inline-button callback data: the one place it is encoded and decoded.

Telegram allows 64 bytes, so the data is compact: ``a:12:1f2e3d4c`` (approve post 12, content
hash prefix). Decoding never trusts the data: the handler re-checks the post, hash and role.
"""

from __future__ import annotations

from dataclasses import dataclass

from campaign.errors import Conflict

ACTIONS = {
    "a": "approve", "r": "reject", "d": "diff",  # + post id, hash prefix
    "P": "pause", "R": "resume", "N": "cancel",  # confirmations
    "X": "retract", "C": "correct",  # + post id (confirmation)
    "g": "page",  # + command, argument, page
    "K": "resend", "W": "went_out",  # + delivery id (an alert about sends that may or may not be out)
}
CODES = {v: k for k, v in ACTIONS.items()}
MAX_BYTES = 64


@dataclass(frozen=True)
class Callback:
    action: str
    post_id: int | None = None
    hash_prefix: str | None = None
    command: str | None = None
    arg: str = ""
    page: int = 0
    delivery_id: int | None = None


def encode(action: str, *parts: object) -> str:
    data = ":".join([CODES[action], *(str(p) for p in parts)])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data too long ({len(data.encode())} bytes): {data!r}")
    return data


def page_data(command: str, arg: str, page: int) -> str:
    return encode("page", command, arg[:30], page)


def decode(data: str) -> Callback:
    code, *parts = data.split(":")
    action = ACTIONS.get(code)
    try:
        if action in ("approve", "reject", "diff"):
            return Callback(action, post_id=int(parts[0]), hash_prefix=parts[1])
        if action in ("retract", "correct"):
            return Callback(action, post_id=int(parts[0]))
        if action in ("pause", "resume", "cancel"):
            return Callback(action)
        if action in ("resend", "went_out"):
            return Callback(action, delivery_id=int(parts[0]))
        if action == "page":
            return Callback(action, command=parts[0], arg=parts[1], page=int(parts[2]))
    except (IndexError, ValueError):
        pass
    raise Conflict("Nút này không còn hiệu lực. / This button is no longer valid.")


REASON_MARK = "#R{post_id}-{hash_prefix}"


def reason_marker(post_id: int, hash_prefix: str) -> str:
    """Put in the "why do you reject?" prompt; the approver's reply to it carries it back."""
    return REASON_MARK.format(post_id=post_id, hash_prefix=hash_prefix)


def parse_reason_marker(text: str) -> tuple[int, str] | None:
    import re

    m = re.search(r"#R(\d+)-([0-9a-f]{8})", text or "")
    return (int(m.group(1)), m.group(2)) if m else None
