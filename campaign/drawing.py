"""The campaign drawn as SVG: milestone bands over time, posts as marks on channel lanes.

One function, ``timeline_svg``, turns domain data into SVG text with no web imports, so the
dashboard (``/``) and ``loa plan --svg`` draw the same picture. The SVG carries its colours
inline (it prints and works without CSS or JavaScript); a mark is a link when given one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from html import escape

from campaign.states import MarkState
from campaign.texts import pair
from campaign.texts import t as catalog

# state -> (colour, label vi, label en); the order is the legend's
STATES: dict[MarkState, tuple[str, str, str]] = {
    MarkState.WAITING: ("#e0a100", *pair("drawing.state.waiting")),
    MarkState.APPROVED: ("#2f7dd1", *pair("drawing.state.approved")),
    MarkState.HELD: ("#8e44ad", *pair("drawing.state.held")),
    MarkState.PUBLISHED: ("#2e9e44", *pair("drawing.state.published")),
    MarkState.MISSED: ("#7f8c8d", *pair("drawing.state.missed")),
    MarkState.FAILED: ("#d62c1a", *pair("drawing.state.failed")),
    MarkState.REJECTED: ("#5d4037", *pair("drawing.state.rejected")),
    MarkState.RETRACTED: ("#bdbdbd", *pair("drawing.state.retracted")),
}
# An empty slot of a series: not a post (no colour of STATES), drawn as a dashed ring ("trống / empty").
EMPTY = MarkState.EMPTY
EMPTY_COLOUR = "#8a8a8a"


def style(state: MarkState) -> tuple[str, str, str]:
    """(colour, label vi, label en) of a state, the empty series slot included."""
    return STATES[state] if state in STATES else (EMPTY_COLOUR, *pair("drawing.state.empty"))


PHASE_COLOURS = {"before": "#dbe9f7", "during": "#fde2c4", "after": "#dcefdc"}
ZOOMS = ("campaign", "month", "week", "day")
CLUSTER_PX = 5  # marks nearer than this on one lane (same state) are drawn as one, with their count
WIDTH, LABEL_W = 1200, 185  # the drawing's width and its lane labels' column (px)


@dataclass(frozen=True)
class Band:
    """A milestone: its label and extent (aware datetimes)."""

    id: str
    title: str
    phase: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Mark:
    """A post on one channel's lane."""

    post_id: int
    title: str
    lane: str  # the channel's label
    at: datetime
    state: MarkState
    href: str | None = None


@dataclass(frozen=True)
class Cluster:
    """What one circle on a lane stands for: ``count`` posts in one state within ``CLUSTER_PX``.

    The dashboard counts these in SQL (``board.clusters``) so a month of 10,000 posts is never
    read row by row; ``cluster`` makes them from ``Mark``s (``loa plan --svg``, tests).
    ``post_id``/``title`` name the post when ``count`` is 1 (otherwise one of them).
    """

    lane: str
    state: MarkState
    first: datetime
    last: datetime
    count: int
    post_id: int
    title: str
    href: str | None = None


@dataclass(frozen=True)
class Scale:
    """Where a time falls on the drawing; ``bucket`` in whole seconds so SQL computes the same one."""

    start: datetime
    end: datetime
    width: int = WIDTH

    @property
    def inner(self) -> int:
        return self.width - LABEL_W - 10

    @property
    def origin(self) -> int:
        return int(self.start.timestamp())

    @property
    def span(self) -> int:
        return max(int((self.end - self.start).total_seconds()), 1)

    def x(self, when: datetime) -> float:
        frac = (when - self.start).total_seconds() / ((self.end - self.start).total_seconds() or 1.0)
        return LABEL_W + self.inner * min(max(frac, 0.0), 1.0)

    def bucket(self, when: datetime) -> int:
        """Which ``CLUSTER_PX``-wide slot of the lane ``when`` falls in (``when`` inside the window)."""
        return (int(when.timestamp()) - self.origin) * self.inner // (self.span * CLUSTER_PX)


def cluster(marks: Sequence[Mark], lanes: Sequence[str], scale: Scale,
            more: Callable[[datetime], str | None] | None = None) -> list[Cluster]:
    """Marks on a shown lane inside the window, grouped by (lane, bucket, state), earliest first.

    A group of several links to ``more(first)`` when given (a zoomed-in view), else to its first post.
    """
    groups: dict[tuple[str, int, MarkState], list[Mark]] = {}
    for m in sorted(marks, key=lambda m: (m.at, m.post_id)):
        if m.lane in lanes and scale.start <= m.at < scale.end:
            groups.setdefault((m.lane, scale.bucket(m.at), m.state), []).append(m)
    out = []
    for (lane, _bucket, state), group in groups.items():
        m = group[0]
        href = more(m.at) if more is not None and len(group) > 1 else m.href
        out.append(Cluster(lane, state, m.at, group[-1].at, len(group), m.post_id, m.title, href))
    return out


def window(zoom: str, at: date, tz: tzinfo, whole: tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    """The span a zoom level shows around the day ``at`` (local); "campaign" shows ``whole``."""
    if zoom == "day":
        start = datetime.combine(at, time(0), tz)
        return start, start + timedelta(days=1)
    if zoom == "week":
        monday = at - timedelta(days=at.weekday())
        start = datetime.combine(monday, time(0), tz)
        return start, start + timedelta(days=7)
    if zoom == "month":
        first = at.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return datetime.combine(first, time(0), tz), datetime.combine(nxt, time(0), tz)
    start, end = whole
    pad = max((end - start) / 40, timedelta(hours=1))
    return start - pad, end + pad


def _ticks(start: datetime, end: datetime, tz: tzinfo) -> list[tuple[datetime, str]]:
    """Axis ticks at a step that leaves room for the labels: hours, days, weeks or months."""
    span = end - start
    out: list[tuple[datetime, str]] = []
    if span <= timedelta(days=1, hours=1):
        t = start.astimezone(tz).replace(minute=0, second=0, microsecond=0)
        while t < end:  # a tick at ``end`` would put its label past the right edge
            if t >= start and t.hour % 2 == 0:
                out.append((t, f"{t:%H}:00"))
            t += timedelta(hours=1)
        return out
    step = 1 if span <= timedelta(days=16) else 7 if span <= timedelta(days=100) else 0
    day = start.astimezone(tz).date()
    while True:
        t = datetime.combine(day, time(0), tz)
        if t >= end:
            break
        if t >= start:
            if step == 1 or step == 7 and day.weekday() == 0:
                out.append((t, f"{day:%d/%m}"))
            elif step == 0 and day.day == 1:
                out.append((t, f"{day:%m/%Y}"))
        day += timedelta(days=1)
    return out


def _rows(bands: Sequence[Band]) -> list[int]:
    """A row for each band so that overlapping bands do not cover each other (first fit)."""
    ends: list[datetime] = []
    rows: list[int] = []
    for b in bands:
        for i, e in enumerate(ends):
            if e <= b.start:
                ends[i] = b.end
                rows.append(i)
                break
        else:
            ends.append(b.end)
            rows.append(len(ends) - 1)
    return rows


def timeline_svg(bands: Sequence[Band], lanes: Sequence[str], marks: Sequence[Mark], start: datetime, end: datetime,
                 now: datetime | None, tz: tzinfo, *, lang: str = "vi", width: int = WIDTH,
                 title: str = "", clusters: Sequence[Cluster] | None = None) -> str:
    """The timeline between ``start`` and ``end`` as a standalone SVG document (text).

    ``clusters`` (already grouped, e.g. counted in SQL on the same ``Scale``) replace ``marks``.
    """
    band_h, lane_h, axis_h, legend_h = 22, 30, 24, 28
    scale = Scale(start, end, width)
    if clusters is None:
        clusters = cluster(marks, lanes, scale)
    shown = sorted((b for b in bands if b.end > start and b.start < end), key=lambda b: (b.start, b.end))
    rows = _rows(shown)
    n_rows = max(rows, default=-1) + 1
    top = axis_h
    lanes_top = top + n_rows * band_h + 10
    height = lanes_top + max(len(lanes), 1) * lane_h + legend_h + 10
    x = scale.x

    e = escape
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" class="timeline" '
           f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
           f'font-family="system-ui, sans-serif" font-size="12">',
           f"<title>{e(title)}</title>" if title else "",
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>']
    for t, text in _ticks(start, end, tz):
        out.append(f'<line x1="{x(t):.1f}" y1="{axis_h - 4}" x2="{x(t):.1f}" y2="{height - legend_h}" stroke="#e5e5e5"/>'
                   f'<text x="{x(t) + 2:.1f}" y="{axis_h - 8}" fill="#555">{e(text)}</text>')
    for b, row in zip(shown, rows, strict=True):
        x0, x1 = x(b.start), x(b.end)
        y = top + row * band_h
        fill = PHASE_COLOURS.get(b.phase, "#eeeeee")
        out.append(f'<g class="band" data-milestone="{e(b.id)}"><title>{e(b.title)}</title>'
                   f'<rect x="{x0:.1f}" y="{y + 1}" width="{max(x1 - x0, 2):.1f}" height="{band_h - 3}" rx="3" '
                   f'fill="{fill}" stroke="#9aa7b4" stroke-width="0.6"/>'
                   f'<svg x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 2):.1f}" height="{band_h}">'
                   f'<text x="4" y="{band_h - 7}" fill="#223">{e(b.title)}</text></svg></g>')
    out.append(f'<text x="6" y="{top + 14}" fill="#333" font-weight="bold">{catalog("drawing.milestones", lang)}</text>')
    for i, lane in enumerate(lanes):
        y = lanes_top + i * lane_h
        out.append(f'<rect x="0" y="{y}" width="{width}" height="{lane_h}" fill="{"#fafafa" if i % 2 else "#f2f4f7"}"/>'
                   f'<text x="6" y="{y + lane_h / 2 + 4:.1f}" fill="#222"><title>{e(lane)}</title>'
                   f'{e(lane if len(lane) <= 24 else lane[:23] + "…")}</text>')
    lane_of = {lane: i for i, lane in enumerate(lanes)}
    out.extend(_circle(c, x(c.first), lanes_top + lane_of[c.lane] * lane_h + lane_h / 2, tz, lang)
               for c in sorted((c for c in clusters if c.lane in lane_of), key=lambda c: (lane_of[c.lane], c.first, c.post_id)))
    if now is not None and start <= now < end:
        out.append(f'<line class="today" x1="{x(now):.1f}" y1="{axis_h - 4}" x2="{x(now):.1f}" y2="{height - legend_h}" '
                   f'stroke="#d62c1a" stroke-width="1.5" stroke-dasharray="4 3"/>'
                   f'<text x="{x(now) + 3:.1f}" y="{height - legend_h - 4}" fill="#d62c1a">'
                   f'{catalog("drawing.now", lang)}</text>')
    lx, ly = 6.0, height - legend_h + 16
    for colour, vi, en in STATES.values():
        text = en if lang == "en" else vi
        out.append(f'<circle cx="{lx + 5:.1f}" cy="{ly - 4}" r="5" fill="{colour}"/>'
                   f'<text x="{lx + 14:.1f}" y="{ly}" fill="#333">{e(text)}</text>')
        lx += 24 + 7 * len(text)
    if any(c.state == EMPTY for c in clusters):
        text = catalog("drawing.state.empty", lang)
        out.append(f'<circle cx="{lx + 5:.1f}" cy="{ly - 4}" r="4.5" fill="#ffffff" stroke="{EMPTY_COLOUR}" '
                   f'stroke-width="1.5" stroke-dasharray="2 2"/><text x="{lx + 14:.1f}" y="{ly}" fill="#333">{e(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def _circle(c: Cluster, cx: float, cy: float, tz: tzinfo, lang: str) -> str:
    """One post's mark, or several posts' mark with their count (a link to them when it has one)."""
    e = escape
    if c.state == EMPTY:
        return _empty_mark(c, cx, cy, tz, lang)
    colour, vi, en = STATES[c.state]
    label = en if lang == "en" else vi
    if c.count == 1:
        tip = f"{f'#{c.post_id} ' if c.post_id else ''}{e(c.title)} — {c.first.astimezone(tz):%H:%M %d/%m/%Y} — {e(label)}"
        dot = f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{colour}" stroke="#ffffff" stroke-width="1.5"><title>{tip}</title></circle>'
    else:
        tip = (f"{catalog('drawing.posts', lang, count=c.count)} — {c.first.astimezone(tz):%H:%M %d/%m} … "
               f"{c.last.astimezone(tz):%H:%M %d/%m/%Y} — {e(label)}")
        dot = (f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="8" fill="{colour}" stroke="#ffffff" stroke-width="1.5">'
               f'<title>{tip}</title></circle><text x="{cx:.1f}" y="{cy + 3.5:.1f}" text-anchor="middle" '
               f'font-size="9" fill="#fff" pointer-events="none">{c.count if c.count < 100 else "99+"}</text>')
    attrs = f'class="mark" data-post="{c.post_id}" data-state="{e(c.state)}" data-count="{c.count}"'
    return f'<a href="{e(c.href)}" {attrs}>{dot}</a>' if c.href else f"<g {attrs}>{dot}</g>"


def _empty_mark(c: Cluster, cx: float, cy: float, tz: tzinfo, lang: str) -> str:
    """Empty series slots: a dashed ring, with their count when several fall together; never a link."""
    label = catalog("drawing.state.empty", lang)
    when = f"{c.first.astimezone(tz):%H:%M %d/%m/%Y}" + (f" … {c.last.astimezone(tz):%H:%M %d/%m/%Y}" if c.count > 1 else "")
    count = (f'<text x="{cx:.1f}" y="{cy + 3.5:.1f}" text-anchor="middle" font-size="9" fill="{EMPTY_COLOUR}" '
             f'pointer-events="none">{c.count}</text>') if c.count > 1 else ""
    return (f'<g class="mark empty" data-post="0" data-state="{EMPTY}" data-count="{c.count}">'
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{8 if c.count > 1 else 6}" fill="#ffffff" stroke="{EMPTY_COLOUR}" '
            f'stroke-width="1.5" stroke-dasharray="3 2"><title>{escape(c.title)} — {when} — {escape(label)}</title>'
            f'</circle>{count}</g>')
