"""Read-side queries shared by the CLI and the chat bot."""

from __future__ import annotations

from campaign.approvals import approval_state
from campaign.plan import StoredState
from campaign.store import repo
from campaign.store.db import Store


def stored_states(store: Store) -> dict[str, StoredState]:
    """Approval state and status of every stored post, by key, for the plan view."""
    with store.session() as s:
        posts = repo.posts_by_key(s)
        approvals = repo.approvals_for(s, [p.id for p in posts.values() if p.id is not None])
    out: dict[str, StoredState] = {}
    for key, p in posts.items():
        state = approval_state(p, approvals.get(p.id or 0, []))
        out[key] = StoredState(state.label(), p.status, state.approved, number=p.id, approvers=state.approvers,
                               required=state.required, rejected=bool(state.rejected_by))
    return out
