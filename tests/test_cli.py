"""The ``loa`` commands as an admin runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import Campaign, post_text

runner = CliRunner()


def run(campaign: Campaign, *args: str):
    return runner.invoke(app, [*args, "--config", str(campaign.config_path)],
                         env={"LOA_DATABASE_URL": f"sqlite:///{campaign.root / 'loa.db'}"})


def test_check_ok_prints_summary(campaign: Campaign) -> None:
    campaign.write("a.md", post_text())
    result = run(campaign, "check")
    assert result.exit_code == 0, result.output
    assert "OK 1 bài / posts, 2 mốc / milestones" in result.output


def test_check_errors_exit_1_with_path_and_line(campaign: Campaign) -> None:
    path = campaign.write("a.md", post_text(milestone="nope"))
    result = run(campaign, "check")
    assert result.exit_code == 1
    assert f"{path}:3: " in result.output and "unknown milestone 'nope'" in result.output


def test_check_bad_config_exit_1(campaign: Campaign) -> None:
    campaign.config_path.write_text(campaign.config_path.read_text() + "\n[oops]\n")
    result = run(campaign, "check")
    assert result.exit_code == 1 and "unknown table [oops]" in result.output


def test_plan_json_filters_and_warnings(campaign: Campaign) -> None:
    campaign.write("a.md", post_text(title="A", time="08:30"))
    campaign.write("b.md", post_text(title="B", time="2021-01-26 08:30"))
    campaign.write("c.md", post_text(title="C", milestone="cao-diem", time="09:00", channels="[nhom]"))
    campaign.write("d.md", post_text(title="D", time="2021-03-01 09:00"))
    result = run(campaign, "plan", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["title"]: r for r in json.loads(result.output)["posts"]}
    assert rows["A"]["at"] == "2021-01-26T08:30:00+07:00"
    assert any("same channel tg in the same minute as a (2 posts)" in w for w in rows["B"]["warnings"])
    assert any("outside every milestone" in w for w in rows["D"]["warnings"])
    assert (rows["A"]["state"], rows["A"]["approvals"], rows["A"]["needed"], rows["A"]["status"]) == ("pending", 0, 1, "new")
    only = json.loads(run(campaign, "plan", "--json", "--channel", "nhom").output)["posts"]
    assert [r["title"] for r in only] == ["C"]
    window = json.loads(run(campaign, "plan", "--json", "--from", "26/01/2021", "--to", "2021-01-26").output)["posts"]
    assert sorted(r["title"] for r in window) == ["A", "B"]


def test_plan_table_groups_by_milestone(campaign: Campaign) -> None:
    campaign.write("a.md", post_text(title="Khai mạc"))
    result = run(campaign, "plan")
    assert result.exit_code == 0
    assert "Khai mạc (26/01–26/01/2021)" in result.output


def test_sync_reports_changes(campaign: Campaign) -> None:
    campaign.write("a.md", post_text())
    first = run(campaign, "sync")
    assert first.exit_code == 0 and "thêm / added: a" in first.output
    again = run(campaign, "sync")
    assert "0 thay đổi / changes, 1 không đổi / unchanged" in again.output
    campaign.write("b.md", post_text(milestone="nope"))
    broken = run(campaign, "sync")
    assert broken.exit_code == 1 and "b.md:3:" in broken.output


def test_plan_warns_over_the_zalo_broadcast_quota(campaign: Campaign) -> None:
    text = campaign.config_path.read_text().replace(
        "[defaults]", '[channels.oa]\nkind = "zalo_oa_broadcast"\ntarget = "followers"\nlabel = "OA"\n\n[defaults]')
    campaign.config_path.write_text(text + '\n[zalo]\nbroadcast_quota_per_day = 1\ndefault_cover_url = "https://x.vn/c.png"\n')
    campaign.write("a.md", post_text(title="A", time="08:30", channels="[oa]"))
    campaign.write("b.md", post_text(title="B", time="15:00", channels="[oa]"))
    rows = {r["title"]: r for r in json.loads(run(campaign, "plan", "--json").output)["posts"]}
    assert not any("quota" in w for w in rows["A"]["warnings"])
    assert any("over the Zalo OA broadcast quota" in w and "limit 1" in w for w in rows["B"]["warnings"])
    assert "over the Zalo OA broadcast quota" in run(campaign, "check").output


def test_audit_export(campaign: Campaign) -> None:
    campaign.write("a.md", post_text())
    run(campaign, "sync")
    campaign.write("a.md", post_text(body="Sửa."))
    run(campaign, "sync")
    result = run(campaign, "audit", "--post", "a", "--csv")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "at,actor,action,post_id,ref,detail"
    assert [line.split(",")[2] for line in lines[1:]] == ["added", "changed"]
    assert run(campaign, "audit", "--since", "01/01/2100", "--csv").output.strip() == "at,actor,action,post_id,ref,detail"
    missing = run(campaign, "audit", "--post", "nope")
    assert missing.exit_code == 1 and "no post 'nope'" in missing.output


ROOT = Path(__file__).resolve().parents[1]


def test_simulate_the_sample_is_deterministic(tmp_path: Path) -> None:
    args = ["simulate", "--config", str(ROOT / "config.toml"), "--from", "26/01/2021", "--to", "26/01/2021", "--approved"]
    env = {"LOA_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}", "COLUMNS": "300"}
    first = runner.invoke(app, args, env=env)
    assert first.exit_code == 0, first.output
    assert "26/01/2021 10:30 → Kênh Telegram Thông tin Đại hội - tỉnh Lạng Sơn [tg_tinh]: Khai mạc trọng thể" in first.output
    assert "26/01/2021 20:00 → Nhóm duyệt tin (Telegram) [tg_duyet]: 📣" in first.output  # reminders go to staff
    assert "Tổng kết / summary: 2 bài đã đăng / published, 0 bị giữ / held, 0 lỡ giờ / missed" in first.output
    assert runner.invoke(app, args, env=env).output == first.output


def test_simulate_without_approvals_shows_what_is_held(tmp_path: Path) -> None:
    args = ["simulate", "--config", str(ROOT / "config.toml"), "--from", "26/01/2021", "--to", "26/01/2021"]
    result = runner.invoke(app, args, env={"LOA_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}", "COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "bị giữ lại: chưa đủ duyệt (0/1)" in result.output
    assert "0 bài đã đăng / published" in result.output and "2 lỡ giờ / missed" in result.output


def test_check_and_sync_print_warnings(campaign: Campaign) -> None:
    text = campaign.config_path.read_text().replace(
        "[defaults]", '[channels.zb]\nkind = "zalo_bot"\ntarget = "c1"\nlabel = "Zalo Bot"\n\n[defaults]')
    campaign.config_path.write_text(text)
    (campaign.content / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    campaign.write("a.md", post_text(channels="[zb]", media="[a.png]"))
    checked = run(campaign, "check")
    assert checked.exit_code == 0 and "media_base_url" in checked.output and "warning" in checked.output
    synced = run(campaign, "sync")
    assert synced.exit_code == 0 and "media_base_url" in synced.output


def test_check_groups_same_minute_warnings(campaign: Campaign) -> None:
    """Issue 9: 500 posts in one minute on one channel printed 250,000 lines (a warning per pair)."""
    for i in range(500):
        campaign.write(f"p{i:03d}.md", post_text(title=f"Bài {i}"))
    result = run(campaign, "check")
    assert result.exit_code == 0, result.output[-2000:]
    lines = result.output.strip().splitlines()
    assert len(lines) <= 3, lines  # the warning, and the summary (which the terminal width may wrap)
    assert lines[0] == (f"{campaign.content / 'p000.md'}: cảnh báo / warning: 500 bài cùng kênh tg cùng phút 08:30 26/01/2021: "
                        "p000, p001, p002, … / 500 posts on channel tg in the same minute 08:30 26/01/2021: p000, p001, p002, …")
    assert lines[1].startswith("OK 500 bài / posts")


def test_check_caps_the_warnings_it_prints(campaign: Campaign) -> None:
    for i in range(250):
        campaign.write(f"p{i:03d}.md", post_text(title=f"Bài {i}", time=f"2021-03-{1 + i // 24:02d} {i % 24:02d}:00"))
    result = run(campaign, "check")
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert len(lines) <= 203 and all("outside every milestone" in line for line in lines[:200])
    assert lines[200] == "… và 50 cảnh báo khác / and 50 more warnings (loa plan --json lists them all)"


def test_sync_with_bad_files_reports_them_and_syncs_the_rest(campaign: Campaign) -> None:
    """Issue 9: one bad file made `loa sync` exit with a traceback and sync nothing."""
    import os

    campaign.write("tot.md", post_text(title="Tốt"))
    campaign.write("xa.md", post_text(time="start +99999999999d"))
    campaign.write("nul.md", post_text(body="a\x00b"))
    campaign.write("thu-muc.md", post_text(media="[anh]"))
    (campaign.content / "anh").mkdir()
    os.mkfifo(campaign.content / "ong.md")
    result = run(campaign, "sync")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert "thêm / added: tot" in result.output
    for name, line in (("xa.md", 4), ("nul.md", 6), ("thu-muc.md", 5)):
        assert f"{campaign.content / name}:{line}: " in result.output
    assert f"{campaign.content / 'ong.md'}: không phải tệp thường mà là FIFO / not a regular file but a FIFO" in result.output
    assert "1 thay đổi / changes, 0 không đổi / unchanged, 4 lỗi / errors" in result.output
