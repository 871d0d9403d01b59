"""campaign.plan on its own: time order, approval state, and the warnings ``loa plan`` / ``loa check`` show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from campaign.content import scan_content
from campaign.plan import SLOT_EXAMPLES, PlanRow, StoredState, build_plan, plan_warnings
from tests.conftest import CONFIG, Campaign, post_text

DUE = datetime(2021, 1, 26, 1, 30, tzinfo=UTC)  # 08:30 local on khai_mac
EARLY = DUE - timedelta(days=2)  # long before any approval deadline


def rows_for(tmp_path: Path, files: dict[str, str], *, config: str = CONFIG, now: datetime = EARLY,
             stored: dict[str, StoredState] | None = None) -> list[PlanRow]:
    camp = Campaign(tmp_path / "camp", config)
    for name, text in files.items():
        camp.write(name, text)
    cfg = camp.config()
    scan = scan_content(cfg)
    assert not scan.problems, scan.problems
    return build_plan(cfg, scan.posts, stored or {}, now)


def test_rows_in_time_order_then_key_with_local_times(tmp_path: Path) -> None:
    rows = rows_for(tmp_path, {"b.md": post_text(time="08:30"), "a.md": post_text(time="08:30"),
                               "c.md": post_text(time="07:00")})
    assert [r.key for r in rows] == ["c", "a", "b"]
    assert rows[1].at.isoformat() == "2021-01-26T08:30:00+07:00"
    assert rows[1].as_json()["at"] == "2021-01-26T08:30:00+07:00" and rows[1].as_json()["channels"] == ["tg"]


def test_a_new_post_is_pending_and_a_stored_one_shows_its_state(tmp_path: Path) -> None:
    stored = {"a": StoredState("đã duyệt / approved 1/1", "scheduled", approved=True)}
    a, b = rows_for(tmp_path, {"a.md": post_text(), "b.md": post_text(time="09:00")}, stored=stored)
    assert (a.approval, a.status) == ("đã duyệt / approved 1/1", "scheduled")
    assert (b.approval, b.status) == ("chờ duyệt / pending 0/1", "new")
    assert a.warnings == b.warnings == []


def test_a_post_outside_every_milestone_is_flagged(tmp_path: Path) -> None:
    [row] = rows_for(tmp_path, {"a.md": "---\ntitle: x\ntime: \"2021-03-01 08:00\"\n---\nx\n"})
    assert row.warnings == ["ngoài mọi mốc / outside every milestone"]


def test_the_approval_deadline_warns_only_unapproved_unpublished_posts(tmp_path: Path) -> None:
    files = {"a.md": post_text(), "b.md": post_text(time="08:31"), "c.md": post_text(time="08:32")}
    stored = {"b": StoredState("đã duyệt / approved 1/1", "scheduled", approved=True),
              "c": StoredState("chờ duyệt / pending 0/1", "published", approved=False)}
    deadline = DUE - timedelta(hours=2)
    before = rows_for(tmp_path / "1", files, now=deadline - timedelta(seconds=1), stored=stored)
    at = rows_for(tmp_path / "2", files, now=deadline, stored=stored)
    assert all(not r.warnings for r in before)
    assert [r.key for r in at if "approval deadline passed" in " ".join(r.warnings)] == ["a"]


def test_same_minute_on_one_channel_is_noted_on_the_later_posts_and_summarised_once(tmp_path: Path) -> None:
    files = {f"p{i}.md": post_text(time="08:30") for i in range(5)}
    files["other.md"] = post_text(time="08:30", channels="[nhom]")  # another channel: no clash
    files["later.md"] = post_text(time="08:31")  # another minute: no clash
    rows = rows_for(tmp_path, files)
    noted = {r.key for r in rows if r.slot_notes}
    assert noted == {"p1", "p2", "p3", "p4"}
    assert all(r.warnings == r.slot_notes for r in rows)
    [summary] = plan_warnings(rows)
    assert summary.severity == "warning" and summary.path.endswith("p0.md")
    assert summary.message.startswith("5 bài cùng kênh tg cùng phút 08:30 26/01/2021: p0, p1, p2, …")
    assert summary.message.count(", ") == 2 * SLOT_EXAMPLES  # the first few files (in both languages), however many


def test_plan_warnings_keep_each_rows_own_warnings(tmp_path: Path) -> None:
    rows = rows_for(tmp_path, {"a.md": "---\ntitle: x\ntime: \"2021-03-01 08:00\"\n---\nx\n"})
    [w] = plan_warnings(rows)
    assert (w.line, w.message) == (None, "ngoài mọi mốc / outside every milestone") and w.path.endswith("a.md")


def test_zalo_broadcasts_over_the_daily_and_monthly_quota_are_named(tmp_path: Path) -> None:
    config = CONFIG.replace("[defaults]", '[channels.oa]\nkind = "zalo_oa_broadcast"\ntarget = "followers"\n'
                                          'label = "OA"\n\n[defaults]')
    config += ('\n[zalo]\nbroadcast_quota_per_day = 2\nbroadcast_quota_per_month = 3\n'
               'default_cover_url = "https://media.example.vn/cover.png"\n')
    files = {f"d{i}.md": post_text(time=f"0{i}:00", channels="[oa]") for i in range(1, 4)}
    files["tg.md"] = post_text(time="05:00")  # not a broadcast: not counted
    files["next.md"] = post_text(milestone="cao-diem", time="day 1 08:00", channels="[oa]")  # 20/01: another day
    rows = {r.key: r for r in rows_for(tmp_path, files, config=config, now=datetime(2021, 1, 1, tzinfo=UTC))}
    assert rows["next"].warnings == [] and rows["d1"].warnings == [] and rows["d2"].warnings == []
    assert rows["tg"].warnings == []
    [day, month] = rows["d3"].warnings
    assert "broadcast #3 in day 26/01/2021 (limit 2)" in day and "broadcast #4 in month 01/2021 (limit 3)" in month
