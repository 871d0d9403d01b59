"""``loa check``, ``loa plan`` and ``loa simulate`` with a series (issue 15 part 3), and the sample's series."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from tests.campaign.test_series import SERIES_CONFIG, series_campaign
from tests.test_cli import ROOT, run

runner = CliRunner()


def test_check_warns_on_a_short_series_and_on_daily_gaps(tmp_path: Path) -> None:
    config = SERIES_CONFIG.replace('end = "khai_mac -1d"\n', 'end = "khai_mac -1d"\ndaily = true\n', 1)
    camp = series_campaign(tmp_path, 5, config)
    result = run(camp, "check")
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "series 'chao-mung' has 5 item(s) for 6 slot(s); first empty slot: 07:00 25/01/2021" in out
    assert "milestone 'cao-diem' (daily): no post on a public channel on 25/01/2021" in out
    assert "on 24/01/2021" not in out  # the series' fifth item is that day's post
    assert "OK 5 bài / posts" in out


def test_plan_lists_empty_slots_apart_from_posts(tmp_path: Path) -> None:
    camp = series_campaign(tmp_path, 1)
    result = run(camp, "plan")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "Chào mừng Đại hội XIII" in line]
    assert lines[0].startswith("20/01/2021 07:00  —  Chào mừng Đại hội XIII của Đảng | Bài 1")
    assert len(lines) == 6 and all(line.startswith(f"{d}/01/2021 07:00  ○  ") and "trống / empty" in line
                                   for d, line in zip(range(21, 26), lines[1:], strict=True))
    assert "1 bài (Asia/Ho_Chi_Minh) / 1 posts" in result.output  # empty slots are not posts
    rows = json.loads(run(camp, "plan", "--json").output)["posts"]
    assert [(r["state"], r["series"]) for r in rows] == [("pending", "chao-mung")] + [("empty", "chao-mung")] * 5


def test_plan_svg_draws_empty_slots_as_dashed_rings(tmp_path: Path) -> None:
    camp = series_campaign(tmp_path, 1)
    out = tmp_path / "plan.svg"
    assert run(camp, "plan", "--svg", str(out)).exit_code == 0
    svg = out.read_text()
    assert svg.count('data-state="empty"') >= 1 and 'stroke-dasharray="3 2"' in svg
    assert "khung trống" in svg  # the legend names it


def test_the_sample_series_goes_out_at_seven_once_approved(tmp_path: Path) -> None:
    args = ["simulate", "--config", str(ROOT / "config.toml"), "--from", "20/01/2021", "--to", "20/01/2021", "--approved"]
    env = {"LOA_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}", "COLUMNS": "300"}
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert ("20/01/2021 07:00 → Kênh Telegram Thông tin Đại hội - tỉnh Lạng Sơn [tg_tinh]: "
            "Chào mừng Đại hội XIII của Đảng | Khát vọng phát triển") in result.output


def test_the_sample_checks_clean_but_for_its_intended_warnings(tmp_path: Path) -> None:
    env = {"LOA_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}", "COLUMNS": "400"}
    result = runner.invoke(app, ["check", "--config", str(ROOT / "config.toml")], env=env)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "cảnh báo / warning:" in line]
    assert len(warnings) == 3, result.output
    assert "series 'chao-mung-dai-hoi-xiii' has 4 item(s) for 14 slot(s); first empty slot: 07:00 24/01/2021" in warnings[0]
    assert [w.rsplit(" ", 1)[-1] for w in warnings[1:]] == ["29/01/2021", "31/01/2021"]  # the peak period's gaps
    assert "OK 45 bài / posts" in result.output
