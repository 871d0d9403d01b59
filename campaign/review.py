"""Approving and rejecting posts, and the requests that ask approvers to do so.

Every rule is checked here, whatever chat the press or command came from: the person's role,
that the post still exists, that the request is for the post's current content, that authors
do not approve their own posts. Refusals are audited.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from campaign.approvals import ApprovalState, approval_state
from campaign.ask import number
from campaign.clock import Clock
from campaign.config import Config, Person
from campaign.deliveries import add_deliveries, alert, post_payload, text_payload
from campaign.errors import Conflict, NotAllowed, NotFound
from campaign.kinds import ChannelKind
from campaign.payload import Action, Choice, Payload
from campaign.render import render_markdown
from campaign.states import UPCOMING, AuditAction, PostState, Vote
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Post
from campaign.texts import both, inline, local, t

HASH_PREFIX = 8
REVIEWABLE = UPCOMING


@dataclass(frozen=True)
class Actor:
    """Who is acting: a configured person, or an unknown chat user (kept for the audit)."""

    label: str  # e.g. "lan" or "telegram:12345"
    person: Person | None = None

    @property
    def name(self) -> str:
        return self.person.name if self.person else self.label


@dataclass(frozen=True)
class ReviewResult:
    post: Post
    state: ApprovalState
    decision: str  # approve | reject | override


def needs_review(post: Post) -> bool:
    """New or changed content that has not gone out (or a correction of one that has)."""
    return post.status in REVIEWABLE or (post.status == PostState.PUBLISHED and post.changed_after_publish)


def find_post(s: Session, ref: str | int) -> Post:
    """A post by numeric id or by key (path under content/); an id out of range names no post."""
    text = str(ref)
    if isinstance(ref, int) or text.isdigit():
        post_id = number(text)
        post = s.get(Post, post_id) if post_id is not None else None
    else:
        post = repo.post_by_key(s, text)
    if post is None:
        raise NotFound(inline("review.no_post", ref=text[:40]))
    return post


# Admins may do everything approvers and editors do (``Person.is_approver`` / ``is_editor`` say so).
_HAS_ROLE: dict[str, Callable[[Person], bool]] = {"admin": lambda p: p.is_admin, "approver": lambda p: p.is_approver, "editor": lambda p: p.is_editor}
_REFUSAL = {"admin": "review.admins_only", "approver": "review.not_allowed", "editor": "review.editors_only"}


def require(s: Session, actor: Actor, role: str, now: datetime, action: str, post: Post | None = None) -> Person:
    person = actor.person
    allowed = person is not None and _HAS_ROLE[role](person)
    if not allowed:
        repo.audit(s, now, actor.label, AuditAction.REFUSED, post_id=post.id if post else None, ref=post.key if post else None,
                   attempted=action)
        s.commit()
        raise NotAllowed(inline(_REFUSAL[role]))
    assert person is not None
    return person


def require_fresh(s: Session, actor: Actor, post: Post, hash_prefix: str, now: datetime, action: str) -> None:
    """A button's decision binds to the content it showed: the full stored prefix, nothing shorter.

    An empty or short prefix would match any content (a forged ``a:ID:`` would approve whatever
    the file says now), so it is refused like a stale one, and both are audited.
    """
    if len(hash_prefix) == HASH_PREFIX and post.content_hash.startswith(hash_prefix):
        return
    repo.audit(s, now, actor.label, AuditAction.REFUSED, post_id=post.id, ref=post.key, attempted=action, reason="stale",
               hash=hash_prefix)
    s.commit()
    raise Conflict(inline("review.stale"))


def fresh(store: Store, actor: Actor, post_ref: int, hash_prefix: str, now: datetime, action: str) -> Post:
    """The post, if ``hash_prefix`` is still its content (see ``require_fresh``)."""
    with store.session() as s:
        post = find_post(s, post_ref)
        require_fresh(s, actor, post, hash_prefix, now, action)
        return post


def check(store: Store, actor: Actor, role: str, now: datetime, action: str) -> Person:
    """Raise ``NotAllowed`` (and audit the attempt) unless the actor has the role."""
    with store.session() as s:
        return require(s, actor, role, now, action)


def decide(store: Store, config: Config, clock: Clock, actor: Actor, post_ref: str | int, hash_prefix: str | None,
           decision: str, reason: str | None = None) -> ReviewResult:
    """Approve or reject the post's current content; ``hash_prefix`` None means "whatever is current"."""
    now = clock.now()
    with store.session() as s:
        post = find_post(s, post_ref)
        person = require(s, actor, "approver", now, decision, post)
        if hash_prefix is not None:
            require_fresh(s, actor, post, hash_prefix, now, decision)
        if not needs_review(post):
            raise Conflict(inline("review.no_review", status=post.status))
        if decision == Vote.APPROVE and post.author == person.key:
            repo.audit(s, now, actor.label, AuditAction.REFUSED, post_id=post.id, ref=post.key, attempted="self-approve")
            s.commit()
            raise NotAllowed(inline("review.self_approve"))
        if decision == Vote.REJECT and not (reason or "").strip():
            raise Conflict(inline("review.reason_needed"))
        current = [a for a in repo.live_approvals(s, post.id or 0) if a.content_hash == post.content_hash]
        if any(a.person == person.key and a.decision == decision for a in current):
            raise Conflict(inline("review.already"))
        repo.add_approval(s, post, person.key, decision, now, (reason or "").strip() or None)
        repo.audit(s, now, actor.label, AuditAction.APPROVED if decision == Vote.APPROVE else AuditAction.REJECTED, post_id=post.id,
                   ref=post.key, content_hash=post.content_hash, reason=reason)
        s.commit()
        state = approval_state(post, repo.live_approvals(s, post.id or 0))
        return ReviewResult(post, state, decision)


def override(store: Store, config: Config, clock: Clock, actor: Actor, post_ref: str | int) -> ReviewResult:
    """An admin lifts a rejection (the approvals still have to be there)."""
    now = clock.now()
    with store.session() as s:
        post = find_post(s, post_ref)
        require(s, actor, "admin", now, "override", post)
        rejections = [a for a in repo.live_approvals(s, post.id or 0) if a.decision == Vote.REJECT]
        if not rejections:
            raise Conflict(inline("review.not_rejected"))
        for a in rejections:
            a.voided_at = now
        s.flush()
        repo.count_votes(s, post)
        repo.audit(s, now, actor.label, AuditAction.OVERRIDE, post_id=post.id, ref=post.key, lifted=[a.person for a in rejections])
        s.commit()
        return ReviewResult(post, approval_state(post, repo.live_approvals(s, post.id or 0)), "override")


def what_changed(store: Store, post_ref: str | int) -> str:
    """A unified diff from the last approved (or previous) version to the current content."""
    with store.session() as s:
        post = find_post(s, post_ref)
        versions = list(repo.versions(s, post.id or 0))
        approved = {a.content_hash for a in repo.approvals_for_all(s, post.id or 0) if a.decision == Vote.APPROVE}
    older = [v for v in versions if v.content_hash != post.content_hash]
    base = next((v for v in reversed(older) if v.content_hash in approved), older[-1] if older else None)
    if base is None:
        return inline("review.new_post")
    old = [f"title: {base.title}", f"time: {base.time_text}", f"channels: {', '.join(base.channels)}", "", *base.body.splitlines()]
    new = [f"title: {post.title}", f"time: {post.time_text}", f"channels: {', '.join(post.channels)}", "", *post.body.splitlines()]
    diff = list(difflib.unified_diff(old, new, inline("review.before"), inline("review.after"), lineterm="", n=1))
    return "\n".join(diff[2:]) if diff else inline("review.no_diff")


# --- requests ---------------------------------------------------------------------------------


def request_text(config: Config, post: Post, state: ApprovalState, lang: str | None = None) -> str:
    words: dict[str, Any] = {
        "id": post.id, "title": post.title, "at": local(post.scheduled_at, config.tz),
        "channels": ", ".join(config.channels[c].label if c in config.channels else c for c in post.channels),
        "have": len(state.approvers), "need": state.required,
    }
    head = t("request", lang, **words) if lang else both("request", **words)
    if post.status == PostState.PUBLISHED:
        head += "\n" + (t("request.correction", lang) if lang else both("request.correction"))
    return head + "".join("\n" + line for line in kind_previews(config, post, lang))


PREVIEW_CHARS = 600  # of the fanpage text in a request (the whole post is in the preview message above it)


def kind_previews(config: Config, post: Post, lang: str | None = None) -> list[str]:
    """How the post will look where the chat preview cannot show it: the fanpage's plain text, the portal's
    document, the feed item, the LED screen."""
    lines: list[str] = []
    rendered = None
    for key in post.channels:
        channel = config.channels.get(key)
        if channel is None or channel.kind not in _PREVIEWED:
            continue
        rendered = rendered or render_markdown(post.body, title=post.title)
        words: dict[str, Any] = {"channel": channel.label, "count": len(post.media), "title": post.title,
                                 "chars": len(render_markdown(post.body).plain), "milestone": post.milestone or "—"}
        if channel.kind == "facebook_page":
            media = (t("preview.facebook.media", lang, **words) if lang else
                     tuple(t("preview.facebook.media", x, **words) for x in ("vi", "en"))) if post.media else ""
            lines.append(t("preview.facebook", lang, **words, media=media) if lang else
                         both("preview.facebook", **words, media=media or ("", "")))
            text = rendered.plain
            lines.append(text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…")
        elif channel.kind == ChannelKind.LED:
            lines.append(t("preview.led", lang, **words) if lang else both("preview.led", **words))
            text = rendered.plain.removeprefix(post.title).strip()
            lines.append(text if len(text) <= LED_PREVIEW_CHARS else text[: LED_PREVIEW_CHARS - 1] + "…")
        else:
            key = "preview.feed" if channel.kind == ChannelKind.FEED else "preview.webhook"
            words["target"] = channel.target
            lines.append(t(key, lang, **words) if lang else both(key, **words))
    return lines


# Kinds whose look the chat cannot show, so the approval request describes it.
_PREVIEWED = frozenset({ChannelKind.FACEBOOK_PAGE, ChannelKind.WEBHOOK, ChannelKind.FEED, ChannelKind.LED})
LED_PREVIEW_CHARS = 160  # about what an office screen shows under the title at a glance


def decision_text(config: Config, post: Post, state: ApprovalState, actor: Actor, decision: str, at: datetime,
                  reason: str | None = None) -> str:
    """The request message after a decision: who decided, when, and where the post stands."""
    key = {"approve": "decided.approve", "reject": "decided.reject", "override": "decided.override"}[decision]
    line = both(key, who=actor.name, at=local(at, config.tz), reason=reason or "—")
    status = both("decided.approved") if state.approved else both("decided.waiting", have=len(state.approvers), need=state.required)
    return f"{request_text(config, post, state).splitlines()[0]}\n{line}\n{status}"


def choices(post: Post) -> tuple[tuple[Choice, ...], ...]:
    """Approve / Reject / What changed, on the content the approver sees (the chat side shows them)."""
    h, post_id = post.content_hash[:HASH_PREFIX], post.id or 0
    return ((Choice(Action.APPROVE, post_id, h), Choice(Action.REJECT, post_id, h)), (Choice(Action.DIFF, post_id, h),))


def control_payload(config: Config, post: Post, state: ApprovalState) -> Payload:
    """The request's control message: its text and the choices."""
    return text_payload(request_text(config, post, state)).with_choices(choices(post))


def request_refs(post: Post) -> tuple[str, str]:
    h = post.content_hash[:12]
    return f"request:{post.key}:{h}", f"request-ctl:{post.key}:{h}"


def queue_requests(store: Store, config: Config, clock: Clock, keys: list[str] | None = None) -> list[int]:
    """Send the post as it will appear, then a control message with the buttons, to each approvers' chat.

    Only for posts due within ``ask_ahead`` (or corrections of published ones), so a whole campaign
    does not land on the approvers at once; the sweep asks about the rest as their time nears.
    ``keys``: just these posts (after a sync); None: every post in the window. Idempotent.
    """
    if not config.approval.chats:
        return []
    now = clock.now()
    ids: list[int] = []
    with store.session() as s:
        posts = [*repo.posts_between(s, now - config.catch_up, now + config.approval.ask_ahead, statuses=list(REVIEWABLE)),
                 *repo.corrections(s)]
        if keys is not None:  # after a sync: only what it touched (it may have touched thousands; the window is small)
            wanted = set(keys)
            posts = [p for p in posts if p.key in wanted]
        for post in posts:
            if not needs_review(post):
                continue
            if post.status != PostState.PUBLISHED and not now - config.catch_up <= post.scheduled_at <= now + config.approval.ask_ahead:
                continue
            state = approval_state(post, repo.live_approvals(s, post.id or 0))
            if state.approved or state.rejected_by:
                continue
            preview_ref, control_ref = request_refs(post)
            if repo.deliveries_for(s, control_ref):
                continue
            preview = replace(post_payload(post), pin=False, silent=True)
            control = control_payload(config, post, state)
            rows = add_deliveries(s, preview_ref, config.approval.chats, preview, now, post_id=post.id)
            rows += add_deliveries(s, control_ref, config.approval.chats, control, now, post_id=post.id)
            s.flush()
            ids += [r.id for r in rows if r.id is not None]
        s.commit()
    return ids


# --- deadlines --------------------------------------------------------------------------------


def deadline_check(store: Store, config: Config, clock: Clock, key: str, kind: str) -> list[int]:
    """At a reminder offset or at the deadline itself: nudge approvers, or alert admins."""
    now = clock.now()
    with store.session() as s:
        post = repo.post_by_key(s, key)
        if post is None or post.status not in REVIEWABLE:
            return []
        state = approval_state(post, repo.live_approvals(s, post.id or 0))
        if state.approved:
            return []
        words = {"title": post.title, "key": post.key, "id": post.id, "at": local(post.scheduled_at, config.tz),
                 "deadline": local(post.scheduled_at - config.approval.deadline, config.tz), "missing": state.missing}
        if kind == "deadline":
            alert(s, config, now, f"deadline:{key}:{post.content_hash[:12]}", both("alert.deadline", **words))
            rows = []
        else:
            rows = add_deliveries(s, f"approval-remind:{key}:{post.content_hash[:12]}:{kind}", config.approval.chats,
                                  text_payload(both("request.reminder", **words)), now, post_id=post.id)
        s.commit()
        return [r.id for r in rows if r.id is not None]
