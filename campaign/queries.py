"""Read-side queries shared by the CLI and the chat bot."""

from __future__ import annotations

from campaign.approvals import approval_state
from campaign.config import Config
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


def deliveries_by_kind(store: Store, config: Config) -> dict[str, dict[str, int]]:
    """Channel kind -> delivery state -> count (``loa status`` and the chat's /status): a fanpage, a feed
    or an LED screen in trouble shows as such. A channel no longer in config.toml counts under "?"."""
    with store.session() as s:
        by_channel = repo.delivery_counts_by_channel(s)
    out: dict[str, dict[str, int]] = {}
    for key, states in by_channel.items():
        kind = config.channels[key].kind if key in config.channels else "?"
        for state, n in states.items():
            out.setdefault(kind, {})[state] = out.get(kind, {}).get(state, 0) + n
    return dict(sorted(out.items()))
