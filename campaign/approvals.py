"""Approval policy: who may approve, and when a post counts as approved for its current content."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from campaign.states import Vote
from campaign.store.models import Approval, Post
from campaign.texts import inline


@dataclass(frozen=True)
class ApprovalState:
    required: int
    approvers: tuple[str, ...]  # distinct people who approved the current hash
    rejected_by: tuple[tuple[str, str], ...]  # (person, reason) on the current hash

    @property
    def approved(self) -> bool:
        return not self.rejected_by and len(self.approvers) >= self.required

    @property
    def missing(self) -> int:
        return max(0, self.required - len(self.approvers))

    def label(self) -> str:
        return state_label(self.required, len(self.approvers), bool(self.rejected_by))


def state_label(required: int, approved: int, rejected: bool) -> str:
    if rejected:
        return inline("approvals.rejected")
    if approved >= required:
        return f"{inline('approvals.approved')} {approved}/{required}"
    return f"{inline('approvals.pending')} {approved}/{required}"


def approval_state(post: Post, approvals: Sequence[Approval]) -> ApprovalState:
    current = [a for a in approvals if a.content_hash == post.content_hash and a.voided_at is None]
    approvers = tuple(dict.fromkeys(a.person for a in current if a.decision == Vote.APPROVE))
    rejected = tuple((a.person, a.reason or "") for a in current if a.decision == Vote.REJECT)
    return ApprovalState(post.approvals_required, approvers, rejected)
