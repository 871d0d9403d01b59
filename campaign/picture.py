"""The plan as a picture to hand round: SVG, a self-contained HTML page, and PNG for chats and print.

Every picture is the dashboard's drawing (``campaign.drawing.timeline_svg`` with ``board``'s bands
and lanes), so ``loa plan --svg/--png/--html``, the chat's ``/lich`` and the web timeline cannot
drift apart. The PNG is rasterised with CairoSVG, imported only when a PNG is asked for, so
``loa run`` works on a machine without libcairo until someone types ``/lich``.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import escape

from campaign import board, drawing
from campaign.config import Config
from campaign.plan import PlanRow
from campaign.states import MarkState, PostState
from campaign.store.db import Store
from campaign.texts import t

PNG_WIDTH = 1600  # pixels: sharp on a phone when zoomed, and on A4 landscape at about 140 dpi
PRINT_WIDTH = 1200  # drawing units of a printed page: the 12-unit text comes out near 8 pt on A4 landscape
CHAT_WIDTH = 900  # a chat picture is looked at on a phone: fewer units across, so larger text once scaled
CHAT_DAYS = 14
HEADING_H = 30


def plan_state(row: PlanRow) -> MarkState:
    """A ``loa plan`` row's colour from its stored status and approvals."""
    if row.empty:  # a series slot still to be written
        return MarkState.EMPTY
    if row.status in (PostState.PUBLISHED, PostState.MISSED, PostState.HELD):
        return MarkState(row.status)
    if row.status in (PostState.RETRACTED, PostState.WITHDRAWN):
        return MarkState.RETRACTED
    return MarkState.REJECTED if row.rejected else MarkState.APPROVED if row.approved else MarkState.WAITING


def plan_marks(config: Config, rows: Sequence[PlanRow]) -> list[drawing.Mark]:
    """The plan's posts as marks, once per channel, numbered as the chat numbers them (0 until synced)."""
    return [drawing.Mark(r.number or 0, r.title, board.lane(config, ch), r.at, plan_state(r))
            for r in rows for ch in r.channels]


def plan_window(config: Config, rows: Sequence[PlanRow], start: datetime | None,
                end: datetime | None) -> tuple[datetime, datetime]:
    """The span to draw: ``start``/``end`` when given (``--from``/``--to``), else the campaign and its posts, padded."""
    first, last = board.campaign_span(config)
    if rows:
        first, last = min(first, *(r.at for r in rows)), max(last, *(r.at for r in rows))
    lo, hi = drawing.window("campaign", first.date(), config.tz, (start or first, end or last))
    return start or lo, end or hi


def timeline(config: Config, marks: Sequence[drawing.Mark], start: datetime, end: datetime, now: datetime | None,
             lang: str, *, width: int = PRINT_WIDTH, heading: str = "") -> str:
    """The dashboard's drawing of ``marks`` between ``start`` and ``end``; with ``heading``, a title line above it."""
    svg = drawing.timeline_svg(board.bands(config), board.lanes(config, marks), marks, start, end, now, config.tz,
                               lang=lang, width=width, title=config.name)
    if not heading:
        return svg
    height = int(svg.split('height="', 1)[1].split('"', 1)[0]) + HEADING_H
    inner = svg.replace("<svg ", f'<svg y="{HEADING_H}" ', 1)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-family="system-ui, sans-serif">'
            f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
            f'<text x="6" y="{HEADING_H - 10}" font-size="15" font-weight="bold" fill="#222">{escape(heading)}</text>'
            f"{inner}</svg>")


def span_text(config: Config, start: datetime, end: datetime) -> str:
    """"01/12/2026 – 14/12/2026": the days a picture shows (``end`` exclusive)."""
    last = (end - timedelta(microseconds=1)).astimezone(config.tz)
    return f"{start.astimezone(config.tz):%d/%m/%Y} – {last:%d/%m/%Y}"


def html_page(config: Config, svg: str, marks: Sequence[drawing.Mark], start: datetime, end: datetime,
              lang: str) -> str:
    """One file that opens anywhere without a network: the drawing inline, the posts as a list below it
    (a phone reads the list; the drawing scrolls sideways rather than shrinking its text away),
    and print rules for one A4 landscape page."""
    e = escape
    posts: dict[tuple[int, str, datetime], list[drawing.Mark]] = {}
    for m in sorted(marks, key=lambda m: (m.at, m.post_id, m.title)):
        posts.setdefault((m.post_id, m.title, m.at), []).append(m)
    rows = []
    for (number, title, at), group in posts.items():
        colour, vi, en = drawing.style(group[0].state)
        lanes = ", ".join(m.lane for m in group)
        rows.append(f'<tr><td>{at.astimezone(config.tz):%d/%m/%Y %H:%M}</td><td>{f"#{number}" if number else ""}</td>'
                    f"<td>{e(title)}</td><td>{e(lanes)}</td>"
                    f'<td><span class="dot" style="background:{colour}"></span>{e(en if lang == "en" else vi)}</td></tr>')
    head = "".join(f"<th>{e(t(f'picture.col.{c}', lang))}</th>" for c in ("at", "number", "title", "channels", "state"))
    return (f'<!doctype html>\n<html lang="{e(lang)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{e(config.name)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{e(config.name)}</h1><p>{e(t('picture.window', lang, span=span_text(config, start, end)))}</p>"
            f'<div class="drawing">{svg}</div>'
            f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f"{'' if rows else '<p>' + e(t('picture.no_posts', lang)) + '</p>'}</body></html>\n")


_CSS = (
    "@page{size:A4 landscape;margin:10mm}"
    "body{font-family:system-ui,'DejaVu Sans',sans-serif;margin:12px;color:#222}"
    "h1{font-size:1.3em;margin:0 0 4px}p{margin:0 0 8px;color:#555}"
    ".drawing{overflow-x:auto}.drawing>svg{display:block;width:100%;min-width:900px;height:auto}"
    "table{border-collapse:collapse;margin-top:12px;width:100%;font-size:.9em}"
    "th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}"
    ".dot{display:inline-block;width:.7em;height:.7em;border-radius:50%;margin-right:4px}"
    "@media print{.drawing{overflow:visible}.drawing>svg{min-width:0}table{page-break-before:always}}"
)


@functools.lru_cache(maxsize=8)
def png(svg: str, width: int = PNG_WIDTH) -> bytes:
    """The SVG as a PNG ``width`` pixels wide (height in proportion). CPU work: call it off the event loop.

    Cached on the drawing's text: a chat full of people typing /lich gets one rasterisation per
    distinct picture (public or staff, language, a few minutes' move of the "now" line), not one each.
    """
    import cairosvg  # lazily: only a PNG needs libcairo

    data: bytes = cairosvg.svg2png(bytestring=svg.encode("utf-8"), output_width=width)
    return data


@dataclass(frozen=True)
class Upcoming:
    """The chat's picture of the next days: the drawing, its window and how many posts it shows in each state."""

    svg: str
    start: datetime
    end: datetime
    counts: dict[MarkState, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def caption(self, config: Config, lang: str) -> str:
        """"Lịch 14 ngày 01/12/2026 – 14/12/2026: 5 bài — 3 đã duyệt, 2 đã đăng", then where the text listing is."""
        parts = [f"{n} {t(f'drawing.state.{s}', lang)}" for s in drawing.STATES if (n := self.counts.get(s))]
        return t("picture.caption", lang, days=CHAT_DAYS, span=span_text(config, self.start, self.end), total=self.total,
                 detail=", ".join(parts) or t("picture.no_posts", lang))


def upcoming(store: Store, config: Config, now: datetime, lang: str, *, public: bool, days: int = CHAT_DAYS) -> Upcoming:
    """The next ``days`` days from today (local): the public sees approved and published posts only."""
    today: date = now.astimezone(config.tz).date()
    start = datetime.combine(today, time(0), tzinfo=config.tz)
    end = start + timedelta(days=days)
    marks = board.marks(store, config, start, end, public=public)
    states = {m.post_id: m.state for m in marks if m.post_id}  # an empty series slot is no post
    heading = f"{config.name} — {span_text(config, start, end)}"
    svg = timeline(config, marks, start, end, now, lang, width=CHAT_WIDTH, heading=heading)
    return Upcoming(svg, start, end, dict(Counter(states.values())))
