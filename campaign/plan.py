"""The plan view: every post on the timeline with its approval state and the warnings admins need."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from campaign.config import Config
from campaign.content import PostSource
from campaign.errors import Problem
from campaign.kinds import ChannelKind, spec
from campaign.series import Slot, all_slots, slots
from campaign.states import PostState
from campaign.texts import inline, t


@dataclass
class PlanRow:
    key: str
    title: str
    milestone: str | None
    at: datetime  # local
    channels: tuple[str, ...]
    approval: str
    status: str
    path: str
    warnings: list[str] = field(default_factory=list)
    slot_notes: list[str] = field(default_factory=list)  # those of ``warnings`` that say "same minute as …"
    number: int | None = None  # the post number the chat uses (bài #12); None until synced
    approvals: int = 0  # distinct approvers of the current content
    needed: int = 1
    approvers: tuple[str, ...] = ()
    rejected: bool = False
    series: str | None = None  # the [[series]] id of a series item or an empty slot
    empty: bool = False  # an empty slot of a series: not a post

    @property
    def approved(self) -> bool:
        return not self.rejected and self.approvals >= self.needed

    @property
    def state(self) -> str:
        """The approval state as a machine value: pending, approved or rejected (empty: a series' empty slot)."""
        if self.empty:
            return "empty"
        return "rejected" if self.rejected else "approved" if self.approved else "pending"

    def as_json(self) -> dict[str, object]:
        """Machine values (ids, states, counts), not display strings."""
        return {
            "number": self.number, "key": self.key, "title": self.title, "milestone": self.milestone,
            "at": self.at.isoformat(), "channels": list(self.channels), "state": self.state,
            "approvals": self.approvals, "needed": self.needed, "status": self.status,
            "path": self.path, "warnings": self.warnings, "series": self.series, "empty": self.empty,
        }


@dataclass(frozen=True)
class StoredState:
    approval: str
    status: str
    approved: bool
    number: int | None = None
    approvers: tuple[str, ...] = ()
    required: int = 1
    rejected: bool = False


def build_plan(config: Config, posts: list[PostSource], stored: dict[str, StoredState], now: datetime) -> list[PlanRow]:
    """Rows in time order, each carrying its own warnings."""
    rows: list[PlanRow] = []
    for post in sorted(posts, key=lambda p: (p.scheduled_at, p.key)):
        state = stored.get(post.key)
        row = PlanRow(
            key=post.key, title=f"{post.series_title} | {post.title}" if post.series_title else post.title, milestone=post.milestone, at=post.scheduled_at.astimezone(config.tz),
            channels=post.channels, approval=state.approval if state else f"{inline('plan.pending')} 0/{post.approvals}",
            status=state.status if state else PostState.NEW, path=str(post.path),
            number=state.number if state else None, approvals=len(state.approvers) if state else 0,
            needed=state.required if state else post.approvals, approvers=state.approvers if state else (),
            rejected=state.rejected if state else False, series=post.series,
        )
        if not any(m.span.contains(row.at) for m in config.milestones):
            row.warnings.append(inline("plan.outside"))
        deadline = post.scheduled_at - config.approval.deadline
        # still to go out but past its approval deadline: someone must act now (a post whose time has gone is
        # held or missed, and `loa run` says so); `loa check` and `loa plan` both print this
        if (state is None or not state.approved) and row.status in (PostState.NEW, PostState.SCHEDULED) and deadline <= now < post.scheduled_at:
            row.warnings.append(inline("plan.deadline_passed"))
        rows.append(row)
    for (ch, _), group in same_minute_groups(rows).items():
        first = group[0]
        for row in group[1:]:
            note = inline("plan.same_minute", channel=ch, first=first.key, n=len(group))
            row.warnings.append(note)
            row.slot_notes.append(note)
    _quota_warnings(config, posts, rows)
    return rows


def same_minute_groups(rows: list[PlanRow]) -> dict[tuple[str, datetime], list[PlanRow]]:
    """Rows sharing a channel and a minute, in time order, keyed by (channel, minute): one pass, so
    10,000 posts in one minute cost 10,000 steps, not the 50 million of comparing every pair."""
    groups: dict[tuple[str, datetime], list[PlanRow]] = defaultdict(list)
    for row in rows:
        minute = row.at.replace(second=0, microsecond=0)
        for ch in row.channels:
            groups[(ch, minute)].append(row)
    return {slot: group for slot, group in groups.items() if len(group) > 1}


def _quota_warnings(config: Config, posts: list[PostSource], rows: list[PlanRow]) -> None:
    """Zalo OA limits broadcasts per day and per month: say which posts go over."""
    broadcast = {k for k, ch in config.channels.items() if ch.kind == ChannelKind.ZALO_OA_BROADCAST}
    for quota, fmt, label in ((config.zalo.broadcast_quota_per_day, "%d/%m/%Y", "plan.day"),
                              (config.zalo.broadcast_quota_per_month, "%m/%Y", "plan.month")):
        if not quota or not broadcast:
            continue
        seen: dict[str, int] = defaultdict(int)
        for row in rows:
            if broadcast & set(row.channels):
                period = row.at.strftime(fmt)
                seen[period] += 1
                if seen[period] > quota:
                    row.warnings.append(" / ".join(
                        t("plan.quota", lang, nth=seen[period], period=f"{t(label, lang)} {period}", quota=quota)
                        for lang in ("vi", "en")))


SLOT_EXAMPLES = 3  # files named in a same-minute warning


def plan_warnings(rows: list[PlanRow]) -> list[Problem]:
    """The warnings ``loa check`` prints: each row's own, and one per crowded (channel, minute) slot with the
    count and the first few files, however many posts share it."""
    out = [Problem(r.path, None, w, severity="warning") for r in rows for w in r.warnings if w not in r.slot_notes]
    for (ch, minute), group in same_minute_groups(rows).items():
        names = ", ".join(r.key for r in group[:SLOT_EXAMPLES]) + (", …" if len(group) > SLOT_EXAMPLES else "")
        at = f"{minute:%H:%M %d/%m/%Y}"
        out.append(Problem(group[0].path, None, inline("plan.crowded", n=len(group), channel=ch, at=at, names=names),
                           severity="warning"))
    return out


def empty_slot_rows(config: Config) -> list[PlanRow]:
    """One row per empty slot of every series (drawn apart from posts: "trống / empty"), in time order."""
    return [_empty_row(config, slot) for slot in all_slots(config) if slot.empty]


def _empty_row(config: Config, slot: Slot) -> PlanRow:
    series = slot.series
    return PlanRow(key=f"{series.prefix}#{slot.number}", title=f"{series.title} | {inline('plan.empty_slot')}",
                   milestone=slot.milestone, at=slot.at, channels=series.channels, approval="—", status="empty",
                   path=str(config.content_dir / series.folder), needed=0, series=series.id, empty=True)


def series_warnings(config: Config) -> list[Problem]:
    """A series with fewer items than slots: named, with its first empty slot (at its [[series]] line)."""
    out: list[Problem] = []
    for series in config.series:
        found = slots(config, series)
        empty = [s for s in found if s.empty]
        at = config.series_lines.get(series.id)
        if not found:
            out.append(Problem(config.path, at, inline("plan.series_no_slots", series=series.id, when=series.when.text),
                               severity="warning"))
        elif empty:
            out.append(Problem(config.path, at, inline(
                "plan.series_short", series=series.id, items=len(found) - len(empty), slots=len(found),
                first=f"{empty[0].at:%H:%M %d/%m/%Y}", folder=f"{config.content_dir.name}/{series.folder}"),
                severity="warning"))
    return out


def daily_gap_warnings(config: Config, posts: list[PostSource]) -> list[Problem]:
    """For each milestone marked ``daily = true``, every local day of it without a post on a public channel."""
    daily = [m for m in config.milestones if m.daily]
    if not daily:
        return []
    public = {k for k, c in config.channels.items() if spec(c.kind).public}
    days = {p.scheduled_at.astimezone(config.tz).date() for p in posts if public.intersection(p.channels)}
    out: list[Problem] = []
    for m in daily:
        day = m.span.first_day
        while day <= m.span.last_day:
            if day not in days:
                out.append(Problem(config.path, config.milestone_lines.get(m.id), inline(
                    "plan.daily_gap", milestone=m.id, day=f"{day:%d/%m/%Y}"), severity="warning"))
            day += timedelta(days=1)
    return out
