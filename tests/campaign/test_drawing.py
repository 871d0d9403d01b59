"""The timeline drawing (pure): windows per zoom, bands that do not cover each other, marks, escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from campaign import drawing
from campaign.drawing import Band, Mark, timeline_svg, window

HN = ZoneInfo("Asia/Ho_Chi_Minh")
SVG = "{http://www.w3.org/2000/svg}"
D = datetime(2021, 1, 26, tzinfo=HN)


def test_windows_per_zoom() -> None:
    whole = (D, D + timedelta(days=10))
    assert window("day", date(2021, 1, 27), HN, whole) == (datetime(2021, 1, 27, tzinfo=HN), datetime(2021, 1, 28, tzinfo=HN))
    assert window("week", date(2021, 1, 27), HN, whole)[0] == datetime(2021, 1, 25, tzinfo=HN)  # a Monday
    assert window("month", date(2021, 1, 27), HN, whole) == (datetime(2021, 1, 1, tzinfo=HN), datetime(2021, 2, 1, tzinfo=HN))
    start, end = window("campaign", date(2021, 1, 27), HN, whole)
    assert start < whole[0] and end > whole[1]


def test_overlapping_bands_get_rows_and_marks_their_colour_and_link() -> None:
    bands = [Band("a", "Cao điểm", "before", D - timedelta(days=6), D), Band("b", "Lan tỏa", "before", D - timedelta(days=3), D),
             Band("c", "Khai mạc", "during", D, D + timedelta(days=1))]
    marks = [Mark(7, "Bài <b>&", "Kênh", D + timedelta(hours=8), "approved", "/posts/7"),
             Mark(8, "Ngoài khung", "Kênh", D + timedelta(days=30), "waiting", "/posts/8"),
             Mark(9, "Không có kênh", "Khác", D + timedelta(hours=9), "waiting")]
    svg = timeline_svg(bands, ["Kênh"], marks, D - timedelta(days=7), D + timedelta(days=2),
                       D + timedelta(hours=1), HN, title="Chiến dịch <thử>")
    root = ET.fromstring(svg)  # well-formed XML: titles are escaped
    ys = {g.get("data-milestone"): g.find(f"{SVG}rect").get("y") for g in root.iter(f"{SVG}g") if g.get("data-milestone")}
    assert ys["a"] != ys["b"] and ys["c"] == ys["a"]  # b overlaps a; c starts where a ends
    links = [a for a in root.iter(f"{SVG}a")]
    assert [a.get("data-post") for a in links] == ["7"]  # outside the window, or on no lane: not drawn
    circle = links[0].find(f"{SVG}circle")
    assert circle is not None and circle.get("fill") == drawing.STATES["approved"][0]
    assert links[0].get("href") == "/posts/7" and "Bài <b>&" in (circle.find(f"{SVG}title").text or "")
    assert len([line for line in root.iter(f"{SVG}line") if line.get("class") == "today"]) == 1


def test_no_today_line_outside_the_window_and_english_legend() -> None:
    svg = timeline_svg([], ["Kênh"], [], D, D + timedelta(days=1), datetime(2030, 1, 1, tzinfo=UTC), HN, lang="en")
    assert 'class="today"' not in svg and "waiting for approval" in svg and "chờ duyệt" not in svg
