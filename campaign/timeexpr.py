"""Time expressions on the campaign timeline.

The grammar is small and written by hand (a regular expression per form) because no library
speaks "day 2 08:30" or "start -1d 20:00"; every rejection lists the allowed forms.
All local times are in the campaign's zone; results are aware datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from campaign.errors import TimeExpressionError
from campaign.texts import inline

POST_TIME_FORMS = tuple(f"{example} ({inline(key)})" for example, key in (
    ('"2021-01-26 08:00"', "time.form.absolute"),
    ('"08:30"', "time.form.first_day"),
    ('"day 2 08:30"', "time.form.day_n"),
    ('"start -1d 20:00", "start +2h"', "time.form.start"),
    ('"end +2h", "end 17:00"', "time.form.end"),
))
DATE_FORMS = (
    "2021-01-26 (TOML date)",
    '"2021-01-26" or "2021-01-26 08:00"',
    '"<anchor>", "<anchor> -6d", "<anchor> +1d 08:00"',
)

# The timeline stays within these years and no duration or shift exceeds MAX_DURATION: any value
# beyond them is a typo, and refusing it here keeps date arithmetic far from datetime's own limits.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
MAX_DURATION = timedelta(days=366)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"(\d+)([dhms])")
_DURATION_FULL = re.compile(r"(?:\d+[dhms])+")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_duration(text: str) -> timedelta:
    """ "30m", "2h", "1d12h", "90s" -> timedelta (no sign)."""
    s = text.strip().replace(" ", "")
    if not _DURATION_FULL.fullmatch(s):
        raise TimeExpressionError(
            inline("time.not_duration", text=text)
        )
    # digits are counted before int() so that a thousand-digit number is refused, not converted
    seconds = sum(int(n) * _UNIT_SECONDS[u] if len(n) <= 12 else 10**13 for n, u in _DURATION.findall(s))
    if seconds > MAX_DURATION.total_seconds():
        raise TimeExpressionError(
            inline("time.too_long", text=text, days=MAX_DURATION.days)
        )
    return timedelta(seconds=seconds)


def check_day(day: date, what: object) -> date:
    """Refuse a day outside EARLIEST..LATEST (a typo such as 0001 or 9999), naming the limits."""
    if not EARLIEST <= day <= LATEST:
        raise TimeExpressionError(
            inline("time.out_of_years", what=what, first=EARLIEST.year, last=LATEST.year)
        )
    return day


def check_instant(when: datetime, what: object) -> datetime:
    check_day(when.date(), what)
    return when


def parse_clock(text: str) -> time:
    m = _CLOCK.fullmatch(text.strip())
    if not m:
        raise TimeExpressionError(f"'{text}' {inline('time.not_clock')}")
    return time(int(m.group(1)), int(m.group(2)))


@dataclass(frozen=True)
class Offset:
    """A signed shift, optionally landing on a clock time (then the shift is whole days)."""

    delta: timedelta
    clock: time | None = None

    def apply(self, base_day: date, base_instant: datetime, tz: tzinfo) -> datetime:
        if self.clock is None:
            return (base_instant.astimezone(tz) + self.delta).astimezone(tz)
        day = base_day + timedelta(days=self.delta.days)
        return datetime.combine(day, self.clock, tzinfo=tz)


_OFFSET = re.compile(r"(?:(?P<sign>[+-])\s*(?P<dur>(?:\d+[dhms])+))?\s*(?P<clock>\d{1,2}:\d{2})?")


def parse_offset(text: str, *, what: str = "offset") -> Offset:
    """ "-1d 20:00", "+2h", "-1h", "17:00" -> Offset."""
    s = text.strip()
    m = _OFFSET.fullmatch(s)
    if not s or not m:
        raise TimeExpressionError(
            inline("time.bad_offset", what=what, text=text)
        )
    delta = parse_duration(m.group("dur")) if m.group("dur") else timedelta()
    if m.group("sign") == "-":
        delta = -delta
    clock = parse_clock(m.group("clock")) if m.group("clock") else None
    if clock is not None and delta % timedelta(days=1):
        raise TimeExpressionError(
            f"'{text}': {inline('time.clock_whole_days')}"
        )
    return Offset(delta, clock)


@dataclass(frozen=True)
class Span:
    """A milestone's extent: first/last local day and the start/end instants (end exclusive)."""

    first_day: date
    last_day: date
    start: datetime
    end: datetime

    def contains(self, when: datetime) -> bool:
        return self.start <= when < self.end


def parse_point(value: object, anchors: dict[str, date], tz: tzinfo) -> tuple[date, datetime | None]:
    """A milestone start/end: a date (whole day) or a local date-time, possibly anchor-relative."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise TimeExpressionError(inline("time.no_offset"))
        return check_day(value.date(), value), value.replace(tzinfo=tz)
    if isinstance(value, date):
        return check_day(value, value), None
    if not isinstance(value, str):
        raise TimeExpressionError(_date_forms_message(repr(value)))
    s = value.strip()
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}))?", s)
    if m:
        day = _parse_date(m.group(1), s)
        return (day, datetime.combine(day, parse_clock(m.group(2)), tzinfo=tz)) if m.group(2) else (day, None)
    m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*(.*)", s)
    if not m:
        raise TimeExpressionError(_date_forms_message(s))
    name, rest = m.group(1), m.group(2)
    if name not in anchors:
        known = ", ".join(sorted(anchors)) or "(none)"
        raise TimeExpressionError(inline("time.unknown_anchor", name=name, known=known))
    base = anchors[name]
    if not rest:
        return base, None
    off = parse_offset(rest, what="date")
    if off.delta % timedelta(days=1):
        raise TimeExpressionError(f"'{s}': {inline('time.anchor_days')}")
    day = check_day(base + timedelta(days=off.delta.days), s)
    return (day, datetime.combine(day, off.clock, tzinfo=tz)) if off.clock else (day, None)


def make_span(start: tuple[date, datetime | None], end: tuple[date, datetime | None], tz: tzinfo) -> Span:
    first_day, start_at = start
    last_day, end_at = end
    start_at = start_at or datetime.combine(first_day, time(0), tzinfo=tz)
    end_at = end_at or datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)
    if end_at <= start_at:
        raise TimeExpressionError(inline("time.end_before_start"))
    return Span(first_day, last_day, start_at, end_at)


def resolve_post_time(text: object, span: Span | None, tz: tzinfo) -> datetime:
    """A post's ``time`` -> aware local datetime within EARLIEST..LATEST. ``span`` is its milestone (None if it has none)."""
    return check_instant(_resolve_post_time(text, span, tz), text)


def _resolve_post_time(text: object, span: Span | None, tz: tzinfo) -> datetime:
    if isinstance(text, datetime):
        return text.replace(tzinfo=tz) if text.tzinfo is None else text
    s = str(text).strip()
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})", s)
    if m:
        return datetime.combine(_parse_date(m.group(1), s), parse_clock(m.group(2)), tzinfo=tz)
    if span is None:
        raise TimeExpressionError(
            inline("time.needs_milestone", s=s)
        )
    if _CLOCK.fullmatch(s):
        return datetime.combine(span.first_day, parse_clock(s), tzinfo=tz)
    m = re.fullmatch(r"day\s+(\d{1,6})\s+(\d{1,2}:\d{2})", s, flags=re.IGNORECASE)
    if m:
        n = int(m.group(1))
        days = (span.last_day - span.first_day).days + 1
        if not 1 <= n <= days:
            raise TimeExpressionError(f"'{s}': {inline('time.milestone_days', days=days)}")
        return datetime.combine(span.first_day + timedelta(days=n - 1), parse_clock(m.group(2)), tzinfo=tz)
    m = re.fullmatch(r"(start|end)\b\s*(.*)", s, flags=re.IGNORECASE)
    if m:
        rest = m.group(2)
        off = parse_offset(rest, what="time") if rest else Offset(timedelta())
        if m.group(1).lower() == "start":
            return off.apply(span.first_day, span.start, tz)
        return off.apply(span.last_day, span.end, tz)
    raise TimeExpressionError(
        f"{inline('time.bad_time', s=s)}. {inline('time.allowed')}: " + "; ".join(POST_TIME_FORMS)
    )


def _parse_date(text: str, whole: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise TimeExpressionError(inline("time.bad_date", s=whole)) from None
    return check_day(day, whole)


def _date_forms_message(s: str) -> str:
    return f"{inline('time.bad_date_form', s=s)}. {inline('time.allowed')}: " + "; ".join(DATE_FORMS)


# --- recurring slots ("every day 07:00", "mon,wed,fri 19:30"): the grammar of a [[series]]' ``when`` -----------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Vietnamese day names as staff write them ("t2".."t7", "cn"), each the same weekday as its English name
_WEEKDAY_ALIASES = {"t2": 0, "t3": 1, "t4": 2, "t5": 3, "t6": 4, "t7": 5, "cn": 6}
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EVERY_DAY = re.compile(r"(?:every\s+day|daily|hằng\s+ngày|hàng\s+ngày)", re.IGNORECASE)
RECURRENCE_FORMS = ('"every day 07:00"', '"hằng ngày 07:00"', '"mon,wed,fri 19:30"', '"mon-fri 07:00"', '"t2,t4,t6 19:30"')


@dataclass(frozen=True)
class Recurrence:
    """The local days of the week (0 = Monday) and the clock time a recurring slot falls on."""

    weekdays: frozenset[int]
    clock: time
    text: str

    def slots(self, span: Span, tz: tzinfo) -> list[datetime]:
        """Every slot within ``span`` (start inclusive, end exclusive), as aware local datetimes, in order.

        The clock is read in the campaign's zone on each local day, so a slot stays at 07:00 local
        across a change of offset (the zone's rules decide the instant)."""
        out: list[datetime] = []
        day = span.first_day
        while day <= span.last_day:
            if day.weekday() in self.weekdays:
                at = datetime.combine(day, self.clock, tzinfo=tz)
                if span.contains(at):
                    out.append(at)
            day += timedelta(days=1)
        return out


def parse_recurrence(text: str) -> Recurrence:
    """ "every day 07:00", "daily 07:00", "hằng ngày 07:00", "mon,wed,fri 19:30", "mon-fri 07:00" -> Recurrence."""
    s = " ".join(text.split())
    m = re.fullmatch(r"(?P<days>.+?)\s+(?:at\s+|lúc\s+)?(?P<clock>\d{1,2}:\d{2})", s, flags=re.IGNORECASE)
    if not m:
        raise TimeExpressionError(_recurrence_message(text))
    clock = parse_clock(m.group("clock"))
    days = m.group("days").strip()
    if _EVERY_DAY.fullmatch(days):
        return Recurrence(frozenset(range(7)), clock, s)
    return Recurrence(_weekdays(days, text), clock, s)


def _weekdays(days: str, whole: str) -> frozenset[int]:
    """ "mon,wed,fri" or "mon-fri" or "t2, t4" -> weekday numbers; an unknown name is named in the error."""
    out: set[int] = set()
    for part in (p.strip() for p in days.split(",")):
        ends = [_weekday(e.strip(), whole) for e in part.split("-")] if part else []
        if len(ends) == 1:
            out.add(ends[0])
        elif len(ends) == 2:
            first, last = ends
            out.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)])
        else:
            raise TimeExpressionError(_recurrence_message(whole))
    return frozenset(out)


def _weekday(name: str, whole: str) -> int:
    key = name.lower()
    if key in WEEKDAYS:
        return WEEKDAYS.index(key)
    if key in _WEEKDAY_ALIASES:
        return _WEEKDAY_ALIASES[key]
    if key in _FULL_NAMES:
        return _FULL_NAMES.index(key)
    raise TimeExpressionError(inline("time.bad_weekday", name=name, text=whole, days=", ".join(WEEKDAYS)))


def _recurrence_message(text: str) -> str:
    return f"{inline('time.bad_recurrence', s=text)}. {inline('time.allowed')}: " + "; ".join(RECURRENCE_FORMS)
