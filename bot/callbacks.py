"""Inline-button callback data: the one place it is encoded and decoded.

Telegram allows 64 bytes, so the data is compact: ``a:12:1f2e3d4c`` (approve post 12, content
hash prefix). Decoding never trusts the data (a modified client can send anything): every part
is parsed with bounds here, and the handler re-checks the post, hash and role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from campaign.ask import COMMANDS, MAX_PAGE, number
from campaign.compose import Op
from campaign.errors import Conflict
from campaign.payload import Action, Choice
from campaign.texts import inline

ACTIONS = {
    "a": "approve", "r": "reject", "d": "diff",  # + post id, hash prefix
    "P": "pause", "R": "resume", "N": "cancel",  # confirmations
    "X": "retract", "C": "correct",  # + post id (confirmation)
    "g": "page",  # + command, argument, page
    "K": "resend", "W": "went_out",  # + delivery id (an alert about sends that may or may not be out)
    "D": "draft",  # + step option (campaign.compose.Op), index + 1: a button of a draft being written (/moi)
}
CODES = {v: k for k, v in ACTIONS.items()}
MAX_BYTES = 64
DRAFT_OPS = frozenset(op.value for op in Op)
MAX_DRAFT_INDEX = 1000
_HASH = re.compile(r"[0-9a-f]{0,64}")
INVALID = inline("chat.invalid_button")


@dataclass(frozen=True)
class Callback:
    action: str
    post_id: int | None = None
    hash_prefix: str | None = None
    command: str | None = None
    arg: str = ""
    page: int = 0
    delivery_id: int | None = None
    op: str | None = None  # draft: which option (campaign.compose.Op)
    index: int = 0  # draft: its argument (a slot or channel index; -1 is "now")


def encode(action: str, *parts: object) -> str:
    data = ":".join([CODES[action], *(str(p) for p in parts)])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data too long ({len(data.encode())} bytes): {data!r}")
    return data


def encode_choice(choice: Choice) -> str:
    """A domain choice (``campaign.payload.Choice``) as the data of its inline button."""
    if choice.action in (Action.APPROVE, Action.REJECT, Action.DIFF):
        return encode(choice.action.value, choice.target, choice.version)
    return encode(choice.action.value, choice.target)


def draft_data(op: str, index: int) -> str:
    """A draft conversation's button (``campaign.compose.Option``): the option and its index, shifted to be >= 0."""
    return encode("draft", op, index + 1)


def page_data(command: str, arg: str, page: int) -> str:
    return encode("page", command, arg[:30], page)


def decode(data: str) -> Callback:
    """Data -> Callback, or ``Conflict`` (a polite "no longer valid") for anything malformed or out of range.

    The hash part is only checked to be hex here; whether it is the full prefix of the post's
    current content is ``campaign.review``'s decision (it audits a stale or forged one).
    """
    code, _, body = data.partition(":")
    action = ACTIONS.get(code)
    if action is None or len(data.encode()) > MAX_BYTES:
        raise Conflict(INVALID)
    if action in ("approve", "reject", "diff"):
        ref, sep, hash_prefix = body.partition(":")
        post_id = number(ref)
        if sep and post_id is not None and _HASH.fullmatch(hash_prefix):
            return Callback(action, post_id=post_id, hash_prefix=hash_prefix)
    elif action in ("retract", "correct"):
        if (post_id := number(body)) is not None and body.isdigit():
            return Callback(action, post_id=post_id)
    elif action in ("pause", "resume", "cancel"):
        if not body:
            return Callback(action)
    elif action == "draft":
        op, _, index_text = body.partition(":")
        index = number(index_text, low=0, high=MAX_DRAFT_INDEX) if index_text.isdigit() else None
        if op in DRAFT_OPS and index is not None:
            return Callback(action, op=op, index=index - 1)
    elif action in ("resend", "went_out"):
        if (delivery_id := number(body)) is not None and body.isdigit():
            return Callback(action, delivery_id=delivery_id)
    else:  # page: command, argument (may hold ':'), page
        command, _, rest = body.partition(":")
        arg, sep, page_text = rest.rpartition(":")
        page = number(page_text, low=0, high=MAX_PAGE) if page_text.isdigit() else None
        if command in COMMANDS and sep and page is not None:
            return Callback(action, command=command, arg=arg, page=page)
    raise Conflict(INVALID)


REASON_MARK = "#R{post_id}-{hash_prefix}"
_REASON = re.compile(r"#R([0-9]{1,10})-([0-9a-f]{8})")


def reason_marker(post_id: int, hash_prefix: str) -> str:
    """Put in the "why do you reject?" prompt; the approver's reply to it carries it back."""
    return REASON_MARK.format(post_id=post_id, hash_prefix=hash_prefix)


def parse_reason_marker(text: str) -> tuple[int, str] | None:
    m = _REASON.search(text or "")
    return (int(m.group(1)), m.group(2)) if m else None
