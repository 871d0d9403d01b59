"""`loa plan --svg/--png/--html`: the plan drawn as the dashboard's timeline, to a file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from campaign import picture
from campaign.plan import PlanRow
from campaign.states import PostState
from tests.pictures import SVG, mark_states, milestones, png_size, svg_height

ROOT = Path(__file__).resolve().parents[1]


def plan(tmp_path: Path, *args: str) -> None:
    result = CliRunner().invoke(app, ["plan", "--config", str(ROOT / "config.toml"), *args],
                                env={"LOA_DATABASE_URL": f"sqlite:///{tmp_path / 'loa.db'}", "COLUMNS": "200"})
    assert result.exit_code == 0, result.output


def test_plan_svg_draws_the_sample(tmp_path: Path) -> None:
    out = tmp_path / "plan.svg"
    plan(tmp_path, "--svg", str(out))
    text = out.read_text(encoding="utf-8")
    assert len(milestones(text)) == 13
    root = ET.fromstring(text)
    marks = [g for g in root.iter(f"{SVG}g") if g.get("class") == "mark"]
    assert marks and sum(int(g.get("data-count") or 0) for g in marks) >= 41  # every post, on each of its lanes
    assert set(mark_states(text)) == {"waiting"}  # nothing synced or approved yet


def test_from_to_choose_the_window(tmp_path: Path) -> None:
    whole, window = tmp_path / "all.svg", tmp_path / "window.svg"
    plan(tmp_path, "--svg", str(whole))
    plan(tmp_path, "--from", "26/01/2021", "--to", "27/01/2021", "--svg", str(window))
    root = ET.fromstring(window.read_text(encoding="utf-8"))
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text[:2].isdigit()]
    assert ticks[:2] == ["26/01", "27/01"] and "25/01" not in ticks and "28/01" not in ticks
    assert 0 < sum(mark_states(window.read_text(encoding="utf-8")).values()) < sum(
        mark_states(whole.read_text(encoding="utf-8")).values())
    assert 0 < len(milestones(window.read_text(encoding="utf-8"))) < 13  # those that overlap the two days


def test_plan_png_has_the_known_width_and_the_drawing_s_proportions(tmp_path: Path) -> None:
    drawn, out = tmp_path / "plan.svg", tmp_path / "plan.png"
    plan(tmp_path, "--svg", str(drawn), "--png", str(out))
    width, height = png_size(out.read_bytes())
    assert width == picture.PNG_WIDTH == 1600
    expected = (svg_height(drawn.read_text(encoding="utf-8")) + picture.HEADING_H) * width / picture.PRINT_WIDTH
    assert abs(height - expected) <= 1


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.refs += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "srcset", "data")]


def test_plan_html_is_one_self_contained_file(tmp_path: Path) -> None:
    out = tmp_path / "plan.html"
    plan(tmp_path, "--html", str(out))
    text = out.read_text(encoding="utf-8")
    parser = _Refs()
    parser.feed(text)
    assert not [r for r in parser.refs if r.startswith(("http:", "https:", "//"))]  # opens with no network
    assert "link" not in parser.tags and "script" not in parser.tags and "img" not in parser.tags
    assert "svg" in parser.tags and "style" in parser.tags
    assert "@page{size:A4 landscape" in text and 'name="viewport"' in text  # printed, and on a phone
    assert "Khai mạc trọng thể Đại hội đại biểu toàn quốc lần thứ XIII của Đảng" in text  # the list below the drawing


def _row(status: str = PostState.SCHEDULED, approvals: int = 0, rejected: bool = False) -> PlanRow:
    return PlanRow("k", "t", None, datetime(2021, 1, 26, tzinfo=UTC), ("tg",), "", status, "k.md",
                   approvals=approvals, needed=1, rejected=rejected)


@pytest.mark.parametrize(("row", "state"), [
    (_row(), "waiting"), (_row(approvals=1), "approved"), (_row(rejected=True, approvals=1), "rejected"),
    (_row(PostState.PUBLISHED, 1), "published"), (_row(PostState.HELD), "held"), (_row(PostState.MISSED), "missed"),
    (_row(PostState.RETRACTED, 1), "retracted"), (_row(PostState.WITHDRAWN), "retracted"),
])
def test_a_plan_row_s_colour(row: PlanRow, state: str) -> None:
    assert picture.plan_state(row) == state
