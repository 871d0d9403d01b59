"""bot.callbacks on its own: every button round-trips within 64 bytes; forged data is refused politely."""

from __future__ import annotations

import pytest

from bot.callbacks import (
    ACTIONS,
    INVALID,
    MAX_BYTES,
    Callback,
    decode,
    draft_data,
    encode,
    page_data,
    parse_reason_marker,
    reason_marker,
)
from campaign.ask import MAX_ID
from campaign.errors import Conflict


@pytest.mark.parametrize(("action", "parts", "expected"), [
    ("approve", (12, "1f2e3d4c"), Callback("approve", post_id=12, hash_prefix="1f2e3d4c")),
    ("reject", (MAX_ID, "ab"), Callback("reject", post_id=MAX_ID, hash_prefix="ab")),
    ("diff", (3, ""), Callback("diff", post_id=3, hash_prefix="")),
    ("pause", (), Callback("pause")), ("resume", (), Callback("resume")), ("cancel", (), Callback("cancel")),
    ("retract", (7,), Callback("retract", post_id=7)), ("correct", (7,), Callback("correct", post_id=7)),
    ("resend", (99,), Callback("resend", delivery_id=99)), ("went_out", (99,), Callback("went_out", delivery_id=99)),
])
def test_every_action_round_trips(action: str, parts: tuple[object, ...], expected: Callback) -> None:
    data = encode(action, *parts)
    assert len(data.encode()) <= MAX_BYTES
    assert decode(data) == expected


def test_every_action_code_is_decodable() -> None:
    assert {decode(encode(a, *args)).action for a, args in [
        ("approve", (1, "ab")), ("reject", (1, "ab")), ("diff", (1, "ab")), ("pause", ()), ("resume", ()),
        ("cancel", ()), ("retract", (1,)), ("correct", (1,)), ("page", ("today", "", 0)), ("resend", (1,)),
        ("went_out", (1,)), ("draft", ("slot", 0))]} == set(ACTIONS.values())


def test_draft_buttons_round_trip() -> None:
    assert decode(draft_data("slot", -1)) == Callback("draft", op="slot", index=-1)  # "now"
    assert decode(draft_data("channel", 3)) == Callback("draft", op="channel", index=3)


def test_page_buttons_keep_colons_in_the_argument_and_cut_long_ones() -> None:
    assert decode(page_data("date", "27/01 10:00", 2)) == Callback("page", command="date", arg="27/01 10:00", page=2)
    long = page_data("date", "x" * 100, 1000)
    assert len(long.encode()) <= MAX_BYTES and decode(long).arg == "x" * 30


def test_encoding_refuses_data_over_64_bytes() -> None:
    with pytest.raises(ValueError, match="too long"):
        encode("approve", 1, "f" * 64)


@pytest.mark.parametrize("data", [
    "", ":", "z:1:ab", "a", "a:", "a:12", "a:12:XYZ", "a:0:ab", f"a:{MAX_ID + 1}:ab", "a:-1:ab", "a:²:ab",
    "a:1:" + "a" * 61, "P:now", "X:", "X:#7", "X:1.5", "K:0", "W:abc", "K:#3",
    "g:today:", "g:today::", "g:today::1001", "g:nope::1", "g:today::-1", "g:today::²",
    "a:1:ab\n", "é" * 40, "D:", "D:slot", "D:slot:", "D:slot:-1", "D:nope:1", "D:save:1001", "D:save:x",
])
def test_forged_or_malformed_data_is_no_longer_valid(data: str) -> None:
    with pytest.raises(Conflict) as refused:
        decode(data)
    assert str(refused.value) == INVALID


def test_the_reason_marker_comes_back_from_the_reply() -> None:
    marker = reason_marker(12, "1f2e3d4c")
    assert parse_reason_marker(f"Vì sao từ chối bài? {marker}") == (12, "1f2e3d4c")


@pytest.mark.parametrize("text", ["", "no marker", "#R12-1f2e", "#Rx-1f2e3d4c", "#R12-1F2E3D4C", "#R12345678901-1f2e3d4c"])
def test_no_marker_no_reason(text: str) -> None:
    assert parse_reason_marker(text) is None
