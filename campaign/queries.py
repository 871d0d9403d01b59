"""Read-side queries shared by the CLI and the chat bot."""

from __future__ import annotations

from datetime import datetime

from campaign.approvals import ApprovalState, approval_state
from campaign.calendars import CalendarPost
from campaign.config import Config
from campaign.plan import StoredState
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Post


def _posts_with_state(store: Store) -> list[tuple[Post, ApprovalState]]:
    """Every stored post with its approval state (two queries, whatever the number of posts)."""
    with store.session() as s:
        posts = repo.posts_by_key(s)
        approvals = repo.approvals_for(s, [p.id for p in posts.values() if p.id is not None])
    return [(p, approval_state(p, approvals.get(p.id or 0, []))) for p in posts.values()]


def stored_states(store: Store) -> dict[str, StoredState]:
    """Approval state and status of every stored post, by key, for the plan view."""
    return {p.key: StoredState(state.label(), p.status, state.approved, number=p.id, approvers=state.approvers,
                               required=state.required, rejected=bool(state.rejected_by))
            for p, state in _posts_with_state(store)}


def posts_version(store: Store) -> str:
    """Changes whenever a post or an approval does: served calendars are rebuilt only then."""
    with store.session() as s:
        return repo.posts_fingerprint(s)


def calendar_posts(store: Store) -> tuple[list[CalendarPost], datetime | None]:
    """The stored posts as the calendars need them, and when the newest of them last changed (the DTSTAMP:
    the same store gives the same calendar bytes, so a subscriber's repeated fetch can be answered 304)."""
    rows = _posts_with_state(store)
    posts = [CalendarPost(p.key, p.title, p.scheduled_at, tuple(p.channels), p.milestone, p.status, state.approved,
                          state.required, state.approvers, bool(state.rejected_by), p.id) for p, state in rows]
    return posts, max((p.updated_at for p, _ in rows), default=None)


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
