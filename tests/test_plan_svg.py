"""`loa plan --svg`: the plan drawn as the dashboard's timeline, to a file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"


def test_plan_svg_draws_the_sample(tmp_path: Path) -> None:
    out = tmp_path / "plan.svg"
    result = CliRunner().invoke(app, ["plan", "--config", str(ROOT / "config.toml"), "--svg", str(out)],
                                env={"LOA_DATABASE_URL": f"sqlite:///{tmp_path / 'loa.db'}", "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    milestones = {g.get("data-milestone") for g in root.iter(f"{SVG}g") if g.get("data-milestone")}
    assert len(milestones) == 13
    marks = [g for g in root.iter(f"{SVG}g") if g.get("class") == "mark"]
    assert marks and sum(int(g.get("data-count") or 0) for g in marks) >= 41  # every post, on each of its lanes
