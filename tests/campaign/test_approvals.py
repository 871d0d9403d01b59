"""campaign.approvals on its own: only live approvals of the current content count, each person once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from campaign.approvals import ApprovalState, approval_state, state_label
from campaign.store.models import Approval, Post

AT = datetime(2021, 1, 25, 1, 0, tzinfo=UTC)


def post(required: int = 2, content_hash: str = "h2") -> Post:
    return Post(key="a", title="A", content_hash=content_hash, approvals_required=required)


def vote(person: str, decision: str = "approve", content_hash: str = "h2", reason: str | None = None,
         voided: bool = False) -> Approval:
    return Approval(post_id=1, content_hash=content_hash, person=person, decision=decision, reason=reason, at=AT,
                    voided_at=AT if voided else None)


def test_no_votes_is_pending_with_all_missing() -> None:
    state = approval_state(post(), [])
    assert state == ApprovalState(2, (), ())
    assert not state.approved and state.missing == 2 and state.label() == "chờ duyệt / pending 0/2"


def test_enough_distinct_people_approve() -> None:
    state = approval_state(post(), [vote("lan"), vote("lan"), vote("minh")])
    assert state.approvers == ("lan", "minh")  # in order, each person once
    assert state.approved and state.missing == 0 and state.label() == "đã duyệt / approved 2/2"


def test_one_person_twice_is_still_one_approval() -> None:
    state = approval_state(post(), [vote("lan"), vote("lan")])
    assert not state.approved and state.missing == 1 and state.label() == "chờ duyệt / pending 1/2"


def test_approvals_of_older_content_or_voided_ones_do_not_count() -> None:
    state = approval_state(post(), [vote("lan", content_hash="h1"), vote("minh", voided=True), vote("an")])
    assert state.approvers == ("an",) and not state.approved


def test_a_rejection_of_the_current_content_outweighs_any_number_of_approvals() -> None:
    state = approval_state(post(required=1), [vote("lan"), vote("minh", "reject", reason="Sai tên"), vote("an")])
    assert state.rejected_by == (("minh", "Sai tên"),)
    assert not state.approved and state.missing == 0 and state.label() == "bị từ chối / rejected"


def test_a_rejection_of_older_content_or_a_voided_one_is_forgotten() -> None:
    state = approval_state(post(required=1), [vote("minh", "reject", content_hash="h1"),
                                              vote("an", "reject", voided=True), vote("lan")])
    assert state.rejected_by == () and state.approved


def test_a_rejection_without_a_reason_has_an_empty_one() -> None:
    assert approval_state(post(), [vote("minh", "reject")]).rejected_by == (("minh", ""),)


@pytest.mark.parametrize(("required", "approved", "rejected", "label"), [
    (1, 0, False, "chờ duyệt / pending 0/1"), (1, 1, False, "đã duyệt / approved 1/1"),
    (2, 3, False, "đã duyệt / approved 3/2"), (0, 0, False, "đã duyệt / approved 0/0"),
    (2, 2, True, "bị từ chối / rejected"),
])
def test_labels(required: int, approved: int, rejected: bool, label: str) -> None:
    assert state_label(required, approved, rejected) == label


def test_more_approvals_than_required_still_missing_none() -> None:
    assert ApprovalState(1, ("lan", "minh"), ()).missing == 0
