"""The report against the plan: what was planned, approved, published on time or late, missed, failed.

Units that receive a plan report back up what they did; these are the figures for that report, by
phase and milestone, by channel and by author, with the incidents. The writers (XLSX, HTML, CSV)
live beside the CLI; this module only counts.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from campaign.config import Config
from campaign.publishing import LATE_NOTE_AFTER
from campaign.states import AuditAction, DeliveryState, PostState
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.repo import ReportApproval, ReportDelivery, ReportEvent, ReportPost

INCIDENT_ACTIONS = (AuditAction.HELD, AuditAction.MISSED, AuditAction.DELIVERY_FAILED, AuditAction.DELIVERY_UNKNOWN,
                    AuditAction.RATE_LIMITED, AuditAction.RETRACT_PARTIAL, AuditAction.CORRECT_PARTIAL)


class Fate(StrEnum):
    """What became of a post, as the report counts it (``outcome.*`` in the catalog names each)."""

    PLANNED = "planned"
    ON_TIME = "on_time"
    LATE = "late"
    MISSED = "missed"
    HELD = "held"
    WITHDRAWN = "withdrawn"
    RETRACTED = "retracted"


@dataclass
class Tally:
    """One row of a report table."""

    planned: int = 0
    approved: int = 0
    on_time: int = 0
    late: int = 0
    late_worst: timedelta = timedelta(0)
    missed: int = 0
    failed: int = 0
    retracted: int = 0
    corrected: int = 0
    turnarounds: list[timedelta] = field(default_factory=list)

    @property
    def turnaround_median(self) -> timedelta | None:
        return timedelta(seconds=statistics.median(x.total_seconds() for x in self.turnarounds)) if self.turnarounds else None

    @property
    def turnaround_worst(self) -> timedelta | None:
        return max(self.turnarounds) if self.turnarounds else None


@dataclass(frozen=True)
class PostLine:
    """One post's outcome (the detail sheet)."""

    number: int
    key: str
    title: str
    at: datetime  # local
    milestone: str | None
    phase: str | None
    channels: tuple[str, ...]
    author: str
    outcome: Fate
    approved: bool
    late: timedelta | None
    failed_channels: tuple[str, ...]
    corrected: bool
    turnaround: timedelta | None


@dataclass(frozen=True)
class Incident:
    at: datetime  # local
    kind: str  # one of INCIDENT_ACTIONS
    post_key: str
    title: str
    channel: str | None
    detail: str


@dataclass
class Report:
    campaign: str
    zone: str
    start: datetime | None  # local, inclusive
    end: datetime | None  # local, exclusive
    made_at: datetime
    total: Tally
    by_phase: dict[str, Tally]  # before | during | after | none
    by_milestone: dict[str, Tally]  # milestone id, or "" for posts outside every milestone
    by_channel: dict[str, Tally]
    by_author: dict[str, Tally]
    posts: list[PostLine]
    incidents: list[Incident]


def _turnaround(post: ReportPost, approvals: list[ReportApproval], asked: datetime | None) -> timedelta | None:
    """From the first request (or the post's arrival) to the approval that made it count."""
    current = [a for a in approvals if a.content_hash == post.content_hash and a.voided_at is None]
    if any(a.decision == "reject" for a in current):
        return None
    people: dict[str, datetime] = {}
    for a in sorted(current, key=lambda a: a.at):
        if a.decision == "approve":
            people.setdefault(a.person, a.at)
    if len(people) < post.approvals_required or asked is None:
        return None
    done = sorted(people.values())[post.approvals_required - 1]
    return max(timedelta(0), done - asked)


def build_report(store: Store, config: Config, start: datetime | None, end: datetime | None, now: datetime,
                 progress: Callable[[int, int], None] | None = None) -> Report:
    """Count every post due in [start, end) (local datetimes; None = open), as of ``now``."""
    with store.session() as s:
        posts, approvals, deliveries, events = repo.report_rows(s, start, end)
    by_post_approvals: dict[int, list[ReportApproval]] = defaultdict(list)
    for a in approvals:
        by_post_approvals[a.post_id].append(a)
    by_post_deliveries: dict[int, list[ReportDelivery]] = defaultdict(list)
    for d in deliveries:
        if d.post_id is not None:
            by_post_deliveries[d.post_id].append(d)
    by_post_events: dict[int, list[ReportEvent]] = defaultdict(list)
    for e in events:
        if e.post_id is not None:
            by_post_events[e.post_id].append(e)

    milestones = {m.id: m for m in config.milestones}
    total = Tally()
    by_phase: dict[str, Tally] = {p: Tally() for p in ("before", "during", "after")}
    by_milestone: dict[str, Tally] = {m.id: Tally() for m in config.milestones
                                      if (start is None or m.span.end > start) and (end is None or m.span.start < end)}
    by_channel: dict[str, Tally] = defaultdict(Tally)
    by_author: dict[str, Tally] = defaultdict(Tally)
    lines: list[PostLine] = []
    incidents: list[Incident] = []
    for i, post in enumerate(posts):
        if progress is not None and i % 500 == 0:
            progress(i, len(posts))
        pid = post.id
        evs = by_post_events.get(pid, [])
        actions = {e.action for e in evs}
        asked = next((e.at for e in evs if e.action == AuditAction.ADDED), None)
        ask_rows = [d.created_at for d in by_post_deliveries.get(pid, []) if d.ref.startswith("request:")]
        if ask_rows:
            asked = min(ask_rows)
        turnaround = _turnaround(post, by_post_approvals.get(pid, []), asked)
        published = next((e for e in evs if e.action == AuditAction.PUBLISHED), None)
        late = timedelta(seconds=int(published.detail.get("late_seconds", 0))) if published is not None else None
        outcome = _outcome(post.status, published is not None, late)
        approved = published is not None or turnaround is not None or (
            not post.rejected and post.approved_by >= post.approvals_required)
        failed = tuple(sorted({d.channel for d in by_post_deliveries.get(pid, [])
                               if d.status == DeliveryState.FAILED and d.ref.startswith("post:")}))
        corrected = AuditAction.CORRECTED in actions
        retracted = AuditAction.RETRACTED in actions or post.status == PostState.RETRACTED
        milestone = milestones.get(post.milestone or "")
        phase = milestone.phase if milestone else None
        author = post.author or "—"
        lines.append(PostLine(pid, post.key, post.title, post.scheduled_at.astimezone(config.tz), post.milestone, phase,
                              tuple(post.channels), author, outcome, approved, late, failed, corrected, turnaround))
        if outcome == Fate.WITHDRAWN:
            continue  # taken out of the plan: listed, not counted
        groups: list[Tally] = [total, by_phase.setdefault(phase or "none", Tally()),
                               by_milestone.setdefault(milestone.id if milestone else "", Tally()), by_author[author]]
        for tally in groups:
            _count(tally, outcome, approved, late, bool(failed), retracted, corrected, turnaround)
        for ch in post.channels:
            _count(by_channel[ch], outcome, approved, late, ch in failed, retracted, corrected, turnaround)
        incidents += [Incident(e.at.astimezone(config.tz), e.action, post.key, post.title, (e.detail or {}).get("channel"),
                               _incident_text(e.detail or {})) for e in evs if e.action in INCIDENT_ACTIONS]
    if progress is not None:
        progress(len(posts), len(posts))
    incidents.sort(key=lambda x: (x.at, x.post_key))
    return Report(config.name, config.zone_name, start, end, now.astimezone(config.tz), total,
                  {k: v for k, v in by_phase.items() if v.planned or k != "none"}, by_milestone,
                  dict(sorted(by_channel.items(), key=lambda kv: _order(config.channels, kv[0]))),
                  dict(sorted(by_author.items())), lines, incidents)


def _outcome(status: str, published: bool, late: timedelta | None) -> Fate:
    if status in (PostState.WITHDRAWN, PostState.RETRACTED, PostState.MISSED, PostState.HELD):
        return Fate(status)
    if published:
        return Fate.LATE if late is not None and late > LATE_NOTE_AFTER else Fate.ON_TIME
    return Fate.PLANNED


def _incident_text(detail: dict[str, Any]) -> str:
    text = str(detail.get("reason") or detail.get("error") or
               (f"{int(detail['late_seconds']) // 60} min" if "late_seconds" in detail else "") or
               (f"retry_after {detail['retry_after']} s" if "retry_after" in detail else ""))
    return text[:300]


def _order(channels: Iterable[str], key: str) -> tuple[int, str]:
    keys = list(channels)
    return (keys.index(key) if key in keys else len(keys), key)


def _count(t: Tally, outcome: Fate, approved: bool, late: timedelta | None, failed: bool, retracted: bool,
           corrected: bool, turnaround: timedelta | None) -> None:
    t.planned += 1
    t.approved += approved
    if outcome == Fate.ON_TIME or (outcome == Fate.RETRACTED and late is not None and late <= LATE_NOTE_AFTER):
        t.on_time += 1
    elif outcome == Fate.LATE or (outcome == Fate.RETRACTED and late is not None):
        t.late += 1
        if late is not None:
            t.late_worst = max(t.late_worst, late)
    elif outcome == Fate.MISSED:
        t.missed += 1
    t.failed += failed
    t.retracted += retracted
    t.corrected += corrected
    if turnaround is not None:
        t.turnarounds.append(turnaround)
