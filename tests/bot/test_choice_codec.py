"""Domain choices become callback data that the bot decodes back to the same action and target."""

from __future__ import annotations

import pytest

from bot import callbacks
from campaign.payload import Action, Choice


@pytest.mark.parametrize("choice", [Choice(Action.APPROVE, 12, "1f2e3d4c"), Choice(Action.REJECT, 12, "1f2e3d4c"),
                                    Choice(Action.DIFF, 3, "abcdef01"), Choice(Action.RESEND, 99),
                                    Choice(Action.WENT_OUT, 123456), Choice(Action.SHARED, 42, unit="xa-an-binh")])
def test_encode_choice_decodes_to_the_same_action(choice: Choice) -> None:
    cb = callbacks.decode(callbacks.encode_choice(choice))
    assert cb.action == choice.action
    if choice.action in (Action.RESEND, Action.WENT_OUT):
        assert cb.delivery_id == choice.target
    elif choice.action is Action.SHARED:
        assert (cb.post_id, cb.unit) == (choice.target, choice.unit)
    else:
        assert (cb.post_id, cb.hash_prefix) == (choice.target, choice.version)
