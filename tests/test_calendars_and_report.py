"""Issue 14: calendars (ICS parsed back), the report against the plan (XLSX opened back), the tidied CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from icalendar import Calendar
from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.cli import app
from campaign.clock import FakeClock
from campaign.deliveries import mark_failed_attempt, mark_sent
from campaign.publishing import publish_due
from campaign.store import repo
from campaign.store.db import Store
from campaign.sync import sync
from tests.conftest import Campaign, post_text

runner = CliRunner()


def db_url(campaign: Campaign) -> str:
    return f"sqlite:///{campaign.root / 'loa.db'}"


def run(campaign: Campaign, *args: str):
    return runner.invoke(app, [*args, "--config", str(campaign.config_path)], env={"LOA_DATABASE_URL": db_url(campaign),
                                                                                  "COLUMNS": "300"})


def synced(campaign: Campaign, clock: FakeClock) -> Store:
    store = Store(db_url(campaign))
    sync(store, campaign.config(), clock)
    return store


def approve(store: Store, key: str, person: str, at: datetime) -> None:
    with store.session() as s:
        post = repo.post_by_key(s, key)
        assert post is not None
        repo.add_approval(s, post, person, "approve", at)
        s.commit()


# --- calendars --------------------------------------------------------------------------------


def _events(path: Path) -> dict[str, object]:
    cal = Calendar.from_ical(path.read_bytes())
    return {str(ev["UID"]): ev for ev in cal.walk("VEVENT")}


def test_public_calendar_has_milestones_and_approved_posts_with_stable_uids(campaign: Campaign, tmp_path: Path) -> None:
    campaign.write("a.md", post_text(title="Đã duyệt", time="08:30"))
    campaign.write("b.md", post_text(title="Chưa duyệt", time="09:00"))
    clock = FakeClock(datetime(2021, 1, 20, tzinfo=UTC))
    approve(synced(campaign, clock), "a", "lan", clock.now())
    first, again = tmp_path / "1.ics", tmp_path / "2.ics"
    assert run(campaign, "plan", "--ics", str(first)).exit_code == 0
    campaign.write("a.md", post_text(title="Đã duyệt", time="08:30", body="Sửa câu chữ, vẫn bài ấy."))
    assert run(campaign, "plan", "--ics", str(again)).exit_code == 0
    events = _events(first)
    summaries = sorted(str(ev["SUMMARY"]) for ev in events.values())
    assert summaries == ["Cao điểm", "Khai mạc", "Đã duyệt"]  # the unapproved post is not public
    assert set(events) == set(_events(again))  # same UIDs: calendar apps update, not duplicate
    post = next(ev for ev in events.values() if str(ev["SUMMARY"]) == "Đã duyệt")
    start = post["DTSTART"].dt
    assert start == datetime(2021, 1, 26, 1, 30, tzinfo=UTC) and str(start.tzinfo) == "Asia/Ho_Chi_Minh"
    assert "Kênh tỉnh" in str(post["DESCRIPTION"])
    milestone = next(ev for ev in events.values() if str(ev["SUMMARY"]) == "Khai mạc")
    assert milestone["DTSTART"].dt == date(2021, 1, 26) and milestone["DTEND"].dt == date(2021, 1, 27)
    assert b"BEGIN:VTIMEZONE" in first.read_bytes()


def test_person_calendar_lists_what_they_must_approve_with_alarms(campaign: Campaign, tmp_path: Path) -> None:
    campaign.write("a.md", post_text(title="Lan đã duyệt", time="08:30", approvals="2"))
    campaign.write("b.md", post_text(title="Cần duyệt", time="09:00"))
    clock = FakeClock(datetime(2021, 1, 20, tzinfo=UTC))
    store = synced(campaign, clock)
    approve(store, "a", "lan", clock.now())
    lan, minh = tmp_path / "lan.ics", tmp_path / "minh.ics"
    result = run(campaign, "plan", "--ics", str(lan), "--person", "lan")
    assert result.exit_code == 0, result.output
    assert run(campaign, "plan", "--ics", str(minh), "--person", "minh").exit_code == 0
    [ev] = _events(lan).values()
    with store.session() as s:
        b = repo.post_by_key(s, "b")
        assert b is not None
    assert str(ev["SUMMARY"]) == f"Hạn duyệt bài #{b.id}: Cần duyệt"
    assert ev["DTSTART"].dt == datetime(2021, 1, 26, 0, 0, tzinfo=UTC)  # 09:00 local minus the 2 h deadline
    [alarm] = ev.walk("VALARM")
    assert alarm["TRIGGER"].dt == -timedelta(hours=1) and str(alarm["ACTION"]) == "DISPLAY"
    assert sorted(str(e["SUMMARY"]).split(": ", 1)[1] for e in _events(minh).values()) == ["Cần duyệt", "Lan đã duyệt"]
    unknown = run(campaign, "plan", "--ics", str(lan), "--person", "nobody")
    assert unknown.exit_code == 2 and "no person 'nobody'" in unknown.output


# --- the report -------------------------------------------------------------------------------


def _played(campaign: Campaign) -> Store:
    """Four posts on 26/01/2021: one on time, one 10 min late, one missed, one held for want of approval."""
    for key, at in (("a", "08:30"), ("b", "09:00"), ("c", "10:00"), ("d", "11:00")):
        campaign.write(f"{key}.md", post_text(title=f"Bài {key}", time=at, channels="[tg, nhom]", author="lan"))
    cfg = campaign.config()
    clock = FakeClock(datetime(2021, 1, 25, 0, 0, tzinfo=UTC))
    store = synced(campaign, clock)
    for key in "abc":
        clock.advance(timedelta(hours=1))
        approve(store, key, "lan", clock.now())
    for key, when in (("a", datetime(2021, 1, 26, 1, 30, tzinfo=UTC)), ("b", datetime(2021, 1, 26, 2, 10, tzinfo=UTC)),
                      ("c", datetime(2021, 1, 26, 4, 0, tzinfo=UTC)), ("d", datetime(2021, 1, 26, 4, 0, 30, tzinfo=UTC))):
        clock.set(when)
        publish_due(store, cfg, clock, key)
    with store.session() as s:  # post a: a 429 on nhom, then nhom fails for good; tg goes out
        rows = {d.channel: d.id for d in repo.deliveries_for(s, "post:a")}
        for ch in rows:
            assert repo.claim_delivery(s, rows[ch])
    at = datetime(2021, 1, 26, 1, 30, 5, tzinfo=UTC)
    mark_failed_attempt(store, cfg, rows["nhom"], "Too Many Requests", transient=True, retry_after=7, now=at)
    with store.session() as s:
        assert repo.claim_delivery(s, rows["nhom"])
    mark_failed_attempt(store, cfg, rows["nhom"], "Forbidden: bot was kicked", transient=False, retry_after=None,
                        now=at + timedelta(seconds=7))
    mark_sent(store, rows["tg"], ("1",), at)
    return store


def test_report_xlsx_opened_back(campaign: Campaign, tmp_path: Path) -> None:
    _played(campaign)
    out = tmp_path / "r.xlsx"
    result = run(campaign, "report", "--from", "20/01/2021", "--to", "31/01/2021", "-o", str(out))
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["Tổng hợp", "Theo mốc", "Theo kênh", "Theo người viết", "Chi tiết bài", "Sự cố"]
    ws = wb["Tổng hợp"]
    assert ws["A2"].value == "BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH TUYÊN TRUYỀN"
    assert ws["A3"].value == "Từ ngày 20/01/2021 đến ngày 31/01/2021"
    header = [c.value for c in ws[6]]
    assert header[:9] == ["STT", "Nội dung", "Kế hoạch", "Đã duyệt", "Đăng đúng giờ", "Đăng muộn", "Muộn nhất (phút)",
                          "Lỡ giờ", "Gửi lỗi"]
    rows = {r[1]: r for r in ws.iter_rows(min_row=7, values_only=True)}
    assert rows["Tổng cộng"][2:9] == (4, 3, 1, 1, 10, 1, 1)
    assert rows["Trong"][0] == "II" and rows["Khai mạc"][:4] == (1, "Khai mạc", 4, 3)
    assert rows["Trước"][2] == 0
    assert ws.freeze_panes == "A7" and ws.column_dimensions["B"].width >= 30
    posts = wb["Chi tiết bài"]
    assert posts.freeze_panes == "A2"
    detail = {r[1]: r for r in posts.iter_rows(min_row=2, values_only=True)}
    assert detail["b"][3] == "26/01/2021" and detail["b"][4] == "09:00" and detail["b"][8] == "muộn" and detail["b"][10] == 10
    assert detail["c"][8] == "lỡ giờ" and detail["d"][8] == "bị giữ" and detail["a"][8] == "đúng giờ"
    assert detail["a"][13] == 1.0  # approved an hour after it was added (the test campaign sends no requests)
    assert rows["Tổng cộng"][11:13] == (2.0, 3.0)  # turnaround median and worst, hours
    channels = {r[1]: r for r in wb["Theo kênh"].iter_rows(min_row=2, values_only=True)}
    assert channels["tg"][0] == "Kênh tỉnh" and channels["nhom"][2] == 4
    assert channels["nhom"][8] == 1 and channels["tg"][8] == 0  # the failure counts against its channel only
    assert wb["Theo người viết"]["A2"].value == "Lan"
    incidents = [(r[0], r[1], r[2], r[4]) for r in wb["Sự cố"].iter_rows(min_row=2, values_only=True)]
    assert incidents == [("26/01/2021 08:30", "bị giới hạn tốc độ (429)", "a", "Nhóm"),
                         ("26/01/2021 08:30", "gửi lỗi", "a", "Nhóm"),
                         ("26/01/2021 11:00", "lỡ giờ", "c", None), ("26/01/2021 11:00", "bị giữ lại", "d", None)]
    assert "retry_after 7" in str(list(wb["Sự cố"].iter_rows(min_row=2, max_row=2, values_only=True)))


def test_report_in_english_csv_and_html(campaign: Campaign, tmp_path: Path) -> None:
    _played(campaign)
    en = tmp_path / "en.xlsx"
    assert run(campaign, "report", "--lang", "en", "-o", str(en)).exit_code == 0
    assert load_workbook(en).sheetnames == ["Summary", "By milestone", "By channel", "By author", "Posts", "Incidents"]
    text = run(campaign, "report", "--format", "csv", "-o", "-").output
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Số bài", "Mã bài", "Tiêu đề"] and [r[1] for r in rows[1:]] == ["a", "b", "c", "d"]
    page = tmp_path / "r.html"
    assert run(campaign, "report", "--format", "html", "-o", str(page)).exit_code == 0
    html = page.read_text()
    assert "<h2>Sự cố</h2>" in html and "http" not in html.split("<body>")[1]
    bad = run(campaign, "report", "--from", "27/01/2021", "--to", "26/01/2021")
    assert bad.exit_code == 2 and "is after --to" in bad.output
    assert run(campaign, "report", "--format", "pdf").exit_code == 2


# --- the tidied command line -------------------------------------------------------------------


def test_version_and_top_level_config(campaign: Campaign) -> None:
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("loa ")
    assert "--config" in runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    campaign.write("a.md", post_text())
    result = runner.invoke(app, ["--config", str(campaign.config_path), "check"], env={"LOA_DATABASE_URL": db_url(campaign)})
    assert result.exit_code == 0 and "OK 1 bài / posts" in result.output


def test_plan_in_time_order_with_year_labels_numbers(campaign: Campaign) -> None:
    """Issue 14: 24/01 15:00 was listed after 25/01 17:00 (grouped by milestone, not time)."""
    text = campaign.config_path.read_text().replace('id = "khai-mac"', 'id = "khai-mac"').replace(
        '[channels.tg]', '[[milestones]]\nid = "phong-van"\ntitle = "Phỏng vấn"\nphase = "before"\nstart = "khai_mac -4d"\n'
        'end = "khai_mac -1d"\n\n[channels.tg]')
    campaign.config_path.write_text(text)
    campaign.write("p1.md", post_text(title="Phỏng vấn 1", milestone="phong-van", time="2021-01-24 10:00"))
    campaign.write("c1.md", post_text(title="Cao điểm 1", milestone="cao-diem", time="2021-01-24 15:00"))
    campaign.write("p2.md", post_text(title="Phỏng vấn 2", milestone="phong-van", time="2021-01-25 17:00"))
    before = run(campaign, "plan", "--from", "24/01/2021", "--to", "27/01/2021")
    assert before.exit_code == 0, before.output
    lines = [x for x in before.output.splitlines() if x[:2].isdigit()]
    assert [x[:16] for x in lines] == ["24/01/2021 10:00", "24/01/2021 15:00", "25/01/2021 17:00"]
    assert "→ Kênh tỉnh" in lines[0] and "  —  " in lines[0]  # not synced yet: no number
    run(campaign, "sync")
    numbers = {r["key"]: r["number"] for r in json.loads(run(campaign, "plan", "--json").output)["posts"]}
    assert f"bài #{numbers['c1']}  Cao điểm 1" in run(campaign, "plan").output
    long = run(campaign, "plan", "--long").output
    assert "24/01/2021 15:00" in long and "Kênh tỉnh" in long
    assert run(campaign, "plan", "--milestone", "phong-van", "--json").exit_code == 0
    assert [r["key"] for r in json.loads(run(campaign, "plan", "--json", "--milestone", "phong-van").output)["posts"]] == ["p1", "p2"]


def test_unknown_values_and_reversed_ranges_exit_2(campaign: Campaign) -> None:
    campaign.write("a.md", post_text())
    for args, words in ((("--channel", "nope"), "no channel 'nope'; known: tg, nhom"),
                        (("--milestone", "nope"), "no milestone 'nope'"),
                        (("--from", "27/01/2021", "--to", "26/01/2021"), "--from 27/01/2021 is after --to 26/01/2021"),
                        (("--from", "hôm qua"), "use YYYY-MM-DD or DD/MM/YYYY")):
        result = run(campaign, "plan", *args)
        assert result.exit_code == 2 and words in result.output, (args, result.output)
    assert run(campaign, "simulate", "--from", "27/01/2021", "--to", "26/01/2021").exit_code == 2


def test_check_and_plan_agree_about_a_passed_approval_deadline(campaign: Campaign) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=1)).astimezone(campaign.config().tz)
    campaign.write("a.md", post_text(title="Sắp đăng", time=f"{soon:%Y-%m-%d %H:%M}"))
    campaign.write("b.md", post_text(title="Đã qua", time="08:30"))  # 2021: held or missed, not a deadline to meet
    checked = run(campaign, "check")
    planned = json.loads(run(campaign, "plan", "--json").output)["posts"]
    assert "approval deadline passed" in checked.output and checked.output.count("approval deadline passed") == 1
    rows = {r["key"]: r for r in planned}
    assert any("approval deadline passed" in w for w in rows["a"]["warnings"])
    assert not any("deadline" in w for w in rows["b"]["warnings"])


def test_audit_table_headers_in_both_languages(campaign: Campaign) -> None:
    campaign.write("a.md", post_text())
    run(campaign, "sync")
    output = run(campaign, "audit").output
    assert "thời điểm / at" in output and "người làm / actor" in output and "việc / action" in output
