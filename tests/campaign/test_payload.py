"""The stored payload: round trip, rows written by the code before it, and choices labelled from the catalog."""

from __future__ import annotations

from campaign.payload import Action, Choice, Payload
from campaign.texts import TEXTS


def test_payload_round_trips_through_json() -> None:
    p = Payload(html="<b>A</b>", plain="A", media=("a/b.png",), pin=True, silent=True, preview=False,
                choices=((Choice(Action.APPROVE, 12, "1f2e3d4c"), Choice(Action.REJECT, 12, "1f2e3d4c")),
                         (Choice(Action.RESEND, 7),)))
    assert Payload.from_json(p.to_json()) == p


def test_rows_written_by_the_old_code_still_read() -> None:
    old = {"html": "x", "plain": "x", "media": ["m.jpg"], "pin": False, "silent": True, "preview": True,
           "buttons": [[{"text": "🔁 Gửi lại / Resend", "data": "K:5"}]]}
    p = Payload.from_json(old)
    assert (p.plain, p.media, p.silent, p.choices) == ("x", ("m.jpg",), True, ())
    assert p.legacy_buttons == ((("🔁 Gửi lại / Resend", "K:5"),),)
    assert Payload.from_json(p.to_json()) == p  # kept as they were when written back
    bare = Payload.from_json({"html": "h", "plain": "p"})  # an alert row: no media, no options
    assert (bare.media, bare.pin, bare.preview) == ((), False, True)


def test_every_action_has_a_label_in_both_languages() -> None:
    for action in Action:
        vi, en = TEXTS[f"choice.{action.value}"]
        assert Choice(action, 1).label == f"{vi} / {en}"
    assert Choice(Action.APPROVE, 1).label == "✅ Duyệt / Approve"
