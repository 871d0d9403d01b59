"""A dress rehearsal of the campaign (``loa run --rehearse``): the whole timeline moved to start now.

The sample's dates (and a real campaign's, weeks before it starts) are far from today, so running it
only reports posts as missed or waits for weeks. A rehearsal moves every milestone and every post by
one shift, so that the next milestone with posts begins shortly after now; the order and the gaps
between posts stay as written, and the dashboard, the feeds and the console all show the moved times.
Posts that the shift puts before the rehearsal's start are left out (there is nothing to miss).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, tzinfo

from campaign.config import Config, Milestone, RehearsalShift
from campaign.errors import NotFound
from campaign.texts import inline
from campaign.timeexpr import Span

ResolveTime = Callable[[Span | None], datetime]  # a post's time against a milestone's span (or none)


def shifted_span(span: Span, shift: timedelta, tz: tzinfo) -> Span:
    """The span moved by ``shift``; its first and last local days follow its moved instants."""
    start, end = span.start + shift, span.end + shift
    last = max(start, end - timedelta(microseconds=1))
    return Span(start.astimezone(tz).date(), last.astimezone(tz).date(), start, end)


def pick_milestone(config: Config, with_posts: Iterable[str | None], now: datetime, wanted: str | None = None) -> Milestone:
    """The milestone the rehearsal starts with: ``wanted``, else the next one (by start) that has posts,
    else — the campaign is over — the first one that has posts. ``NotFound`` when there is none."""
    if wanted is not None:
        found = config.milestone(wanted)
        if found is None:
            raise NotFound(inline("rehearse.unknown_milestone", value=wanted, known=", ".join(m.id for m in config.milestones)))
        return found
    ids = set(with_posts)
    candidates = [m for m in config.milestones if m.id in ids]
    if not candidates:
        raise NotFound(inline("rehearse.no_posts"))
    return next((m for m in candidates if m.span.start >= now), candidates[0])


def rehearse(config: Config, milestone: Milestone, begins_at: datetime) -> Config:
    """``config`` with every campaign time moved so that ``milestone`` begins at ``begins_at``.

    Posts read with the returned config resolve their ``time`` against the milestones as written and
    then move by the same shift (``campaign.content``), so a post at "08:00" of a milestone's first day
    stays 8 hours after that milestone's start, whatever the time of day the rehearsal starts.
    """
    original = config.rehearsal.spans if config.rehearsal else {m.id: m.span for m in config.milestones}
    shift = begins_at - original[milestone.id].start
    milestones = tuple(dataclasses.replace(m, span=shifted_span(original[m.id], shift, config.tz)) for m in config.milestones)
    anchors = {name: (datetime.combine(day, datetime.min.time(), tzinfo=config.tz) + shift).date()
               for name, day in config.anchors.items()}
    return dataclasses.replace(config, milestones=milestones, anchors=anchors,
                               rehearsal=RehearsalShift(shift=shift, start=begins_at, spans=dict(original)))


def post_time(config: Config, milestone_id: str | None, resolve: ResolveTime) -> datetime:
    """A post's time under ``config``: resolved against its milestone as written, then moved (rehearsal)."""
    r = config.rehearsal
    milestone = config.milestone(milestone_id) if milestone_id else None
    if r is None:
        return resolve(milestone.span if milestone else None)
    span = r.spans.get(milestone.id) if milestone else None
    return resolve(span) + r.shift


def left_out(config: Config, when: datetime) -> bool:
    """True for a post the rehearsal leaves out: the shift puts it before the rehearsal's start."""
    return config.rehearsal is not None and when < config.rehearsal.start


def speeded(config: Config, speed: float) -> Config:
    """On a clock ``speed`` times faster, the catch-up window is at least 10 real seconds of campaign time,
    so a post is never reported missed because the machine was slow to start or a moment late."""
    floor = timedelta(seconds=10 * speed)
    return config if config.catch_up >= floor else dataclasses.replace(config, catch_up=floor)
