"""campaign.timeexpr on its own: durations, offsets, milestone points and post times, and their bounds."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from campaign.errors import TimeExpressionError
from campaign.timeexpr import (
    MAX_DURATION,
    Offset,
    Span,
    make_span,
    parse_clock,
    parse_duration,
    parse_offset,
    parse_point,
    resolve_post_time,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
ANCHORS = {"khai_mac": date(2021, 1, 26)}


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=HCM)


def span(first: date = date(2021, 1, 26), last: date = date(2021, 1, 28)) -> Span:
    return make_span((first, None), (last, None), HCM)


@pytest.mark.parametrize(("text", "expected"), [
    ("30m", timedelta(minutes=30)), ("2h", timedelta(hours=2)), ("1d12h", timedelta(days=1, hours=12)),
    ("90s", timedelta(seconds=90)), (" 1d 2h ", timedelta(days=1, hours=2)), ("0m", timedelta(0)),
    ("366d", MAX_DURATION),
])
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "2", "h", "2x", "-2h", "1.5h", "2 hours"])
def test_not_a_duration_names_the_text_and_examples(text: str) -> None:
    with pytest.raises(TimeExpressionError) as err:
        parse_duration(text)
    assert f"'{text}'" in str(err.value) and "1d12h" in str(err.value)


@pytest.mark.parametrize("text", ["367d", "8785h", "9" * 13 + "s", "9" * 1000 + "d"])
def test_durations_past_a_year_are_refused_without_big_arithmetic(text: str) -> None:
    with pytest.raises(TimeExpressionError, match="366"):
        parse_duration(text)


@pytest.mark.parametrize(("text", "expected"), [("08:30", time(8, 30)), ("8:05", time(8, 5)), ("23:59", time(23, 59)),
                                                ("00:00", time(0, 0))])
def test_clock(text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text", ["24:00", "12:60", "8", "8:5", "08:30:00", "noon"])
def test_not_a_clock(text: str) -> None:
    with pytest.raises(TimeExpressionError, match="HH:MM"):
        parse_clock(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("-1d 20:00", Offset(timedelta(days=-1), time(20, 0))), ("+2h", Offset(timedelta(hours=2))),
    ("-1h", Offset(timedelta(hours=-1))), ("17:00", Offset(timedelta(0), time(17, 0))),
    ("+ 1d", Offset(timedelta(days=1))),
])
def test_offsets(text: str, expected: Offset) -> None:
    assert parse_offset(text) == expected


@pytest.mark.parametrize("text", ["", "  ", "2h", "+", "-1d20:00x", "tomorrow"])
def test_bad_offsets_name_what_and_examples(text: str) -> None:
    with pytest.raises(TimeExpressionError, match=r"invalid reminder .*-1d 20:00"):
        parse_offset(text, what="reminder")


def test_an_offset_with_a_clock_must_be_whole_days() -> None:
    with pytest.raises(TimeExpressionError, match="whole days"):
        parse_offset("-2h 20:00")


def test_an_offset_applies_across_a_day_or_onto_a_clock() -> None:
    base = datetime(2021, 1, 26, 8, 0, tzinfo=HCM)
    assert parse_offset("-1d 20:00").apply(base.date(), base, HCM) == datetime(2021, 1, 25, 20, 0, tzinfo=HCM)
    assert parse_offset("-90m").apply(base.date(), base, HCM) == datetime(2021, 1, 26, 6, 30, tzinfo=HCM)


def test_points_dates_datetimes_and_anchors() -> None:
    assert parse_point(date(2021, 1, 26), ANCHORS, HCM) == (date(2021, 1, 26), None)
    assert parse_point(datetime(2021, 1, 26, 8, 0), ANCHORS, HCM) == (  # noqa: DTZ001 - TOML local date-times are naive
        date(2021, 1, 26), datetime(2021, 1, 26, 8, 0, tzinfo=HCM))
    assert parse_point("2021-01-26 08:00", ANCHORS, HCM)[1] == datetime(2021, 1, 26, 8, 0, tzinfo=HCM)
    assert parse_point("2021-01-26", ANCHORS, HCM) == (date(2021, 1, 26), None)
    assert parse_point("khai_mac", ANCHORS, HCM) == (date(2021, 1, 26), None)
    assert parse_point("khai_mac -6d", ANCHORS, HCM) == (date(2021, 1, 20), None)
    assert parse_point("khai_mac +1d 08:00", ANCHORS, HCM) == (
        date(2021, 1, 27), datetime(2021, 1, 27, 8, 0, tzinfo=HCM))


@pytest.mark.parametrize(("value", "message"), [
    ("be_mac", "unknown anchor 'be_mac' (known: khai_mac)"),
    ("khai_mac +2h", "anchor shifts are whole days"),
    ("2021-02-30", "invalid date '2021-02-30'"),
    ("1999-12-31", "outside the years 2000–2100"),
    ("2101-01-01", "outside the years"),
    ("khai_mac -8000d", "longer than 366 days"),
    (datetime(2021, 1, 26, 8, 0, tzinfo=HCM), "without an offset"),
    (20210126, "allowed"),
    ("26/01/2021", "allowed"),
])
def test_bad_points_say_why(value: object, message: str) -> None:
    with pytest.raises(TimeExpressionError) as err:
        parse_point(value, ANCHORS, HCM)
    assert message in str(err.value)


def test_a_span_covers_whole_days_end_exclusive() -> None:
    s = span()
    assert s.start == datetime(2021, 1, 26, 0, 0, tzinfo=HCM) and s.end == datetime(2021, 1, 29, 0, 0, tzinfo=HCM)
    assert s.contains(s.start) and not s.contains(s.end) and s.contains(s.end - timedelta(seconds=1))


def test_a_span_must_end_after_it_starts() -> None:
    at = datetime(2021, 1, 26, 8, 0, tzinfo=HCM)
    with pytest.raises(TimeExpressionError, match="after 'start'"):
        make_span((at.date(), at), (at.date(), at), HCM)


@pytest.mark.parametrize(("text", "expected"), [
    ("2021-01-26 08:00", at(2021, 1, 26, 8, 0)),
    ("08:30", at(2021, 1, 26, 8, 30)),
    ("day 2 08:30", at(2021, 1, 27, 8, 30)),
    ("DAY 3 07:00", at(2021, 1, 28, 7, 0)),
    ("start", at(2021, 1, 26, 0, 0)),
    ("start -1d 20:00", at(2021, 1, 25, 20, 0)),
    ("start +2h", at(2021, 1, 26, 2, 0)),
    ("end +2h", at(2021, 1, 29, 2, 0)),
    ("end 17:00", at(2021, 1, 28, 17, 0)),  # the last day at 17:00
])
def test_post_times_within_a_milestone(text: str, expected: datetime) -> None:
    assert resolve_post_time(text, span(), HCM) == expected


def test_post_time_as_a_toml_datetime_keeps_or_gets_a_zone() -> None:
    naive = datetime(2021, 1, 26, 8, 0)  # noqa: DTZ001 - TOML local date-times are naive
    assert resolve_post_time(naive, None, HCM) == naive.replace(tzinfo=HCM)
    aware = datetime(2021, 1, 26, 1, 0, tzinfo=ZoneInfo("UTC"))
    assert resolve_post_time(aware, None, HCM) == aware


@pytest.mark.parametrize(("text", "the_span", "message"), [
    ("08:30", None, "needs a milestone"),
    ("day 4 08:00", "span", "the milestone has 3 day(s)"),
    ("day 0 08:00", "span", "the milestone has 3 day(s)"),
    ("tomorrow 08:00", "span", "allowed: "),
    ("start +2x", "span", "invalid time"),
    ("1999-12-31 23:00", None, "outside the years"),
    ("start -367d", "span", "longer than 366 days"),
])
def test_bad_post_times_say_why(text: str, the_span: str | None, message: str) -> None:
    with pytest.raises(TimeExpressionError) as err:
        resolve_post_time(text, span() if the_span else None, HCM)
    assert message in str(err.value)


def test_a_shift_cannot_leave_the_supported_years() -> None:
    early = span(date(2000, 1, 1), date(2000, 1, 2))
    with pytest.raises(TimeExpressionError, match="outside the years"):
        resolve_post_time("start -1d 08:00", early, HCM)
