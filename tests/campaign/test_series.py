"""Series ("chuyên mục", issue 15 part 3): the recurring time grammar, slots over milestones and zones,
items becoming posts with the series title before theirs, the warnings of ``loa check`` (a short
series, a daily milestone's gaps), empty slots in the plan, and what sync does when items move."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from campaign import answers
from campaign.clock import FakeClock
from campaign.config import load_config
from campaign.content import scan_content
from campaign.deliveries import post_payload
from campaign.errors import ConfigError, TimeExpressionError
from campaign.plan import build_plan, daily_gap_warnings, empty_slot_rows, series_warnings
from campaign.series import all_slots, slots
from campaign.store import repo
from campaign.store.db import Store
from campaign.sync import sync
from campaign.timeexpr import Span, make_span, parse_recurrence
from tests.conftest import CONFIG, Campaign, post_text

SERIES = """
[[series]]
id = "chao-mung"
title = "Chào mừng Đại hội XIII của Đảng"
milestone = "cao-diem"
when = "every day 07:00"
channels = ["tg", "zalo"]
"""
SERIES_CONFIG = CONFIG + SERIES
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def item(title: str, body: str = "Nội dung chuyên mục.", **extra: str) -> str:
    lines = [f'title: "{title}"'] + [f"{k}: {v}" for k, v in extra.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


def series_campaign(tmp_path: Path, items: int, config: str = SERIES_CONFIG) -> Campaign:
    camp = Campaign(tmp_path / "camp", config)
    for i in range(1, items + 1):
        camp.write(f"series/chao-mung/{i:02d}-bai.md", item(f"Bài {i}"))
    return camp


# --- the grammar ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "days", "clock"), [
    ("every day 07:00", {0, 1, 2, 3, 4, 5, 6}, time(7, 0)),
    ("Every  Day 7:00", {0, 1, 2, 3, 4, 5, 6}, time(7, 0)),
    ("daily 19:30", {0, 1, 2, 3, 4, 5, 6}, time(19, 30)),
    ("hằng ngày 06:15", {0, 1, 2, 3, 4, 5, 6}, time(6, 15)),
    ("mon,wed,fri 19:30", {0, 2, 4}, time(19, 30)),
    ("mon, wed , fri 19:30", {0, 2, 4}, time(19, 30)),
    ("mon-fri 07:00", {0, 1, 2, 3, 4}, time(7, 0)),
    ("sat-mon 08:00", {5, 6, 0}, time(8, 0)),
    ("t2,t4,t6 19:30", {0, 2, 4}, time(19, 30)),
    ("cn 09:00", {6}, time(9, 0)),
    ("sunday at 09:00", {6}, time(9, 0)),
])
def test_good_recurring_times(text: str, days: set[int], clock: time) -> None:
    r = parse_recurrence(text)
    assert (set(r.weekdays), r.clock) == (days, clock)


@pytest.mark.parametrize(("text", "says"), [
    ("every day", "invalid recurring time 'every day'"),
    ("07:00", "invalid recurring time '07:00'"),
    ("every day 24:00", "'24:00' không phải giờ HH:MM / is not a HH:MM time"),
    ("mon,,fri 07:00", "invalid recurring time"),
    ("funday 07:00", "unknown day 'funday'"),
    ("mon-tue-wed 07:00", "invalid recurring time"),
    ("", "invalid recurring time"),
])
def test_bad_recurring_times_say_what_is_wrong_and_what_is_allowed(text: str, says: str) -> None:
    with pytest.raises(TimeExpressionError) as exc:
        parse_recurrence(text)
    assert says in str(exc.value)
    if "invalid recurring time" in says:
        assert '"every day 07:00"' in str(exc.value) and '"mon,wed,fri 19:30"' in str(exc.value)


# --- slots ----------------------------------------------------------------------------------------

def span(first: date, last: date, tz: ZoneInfo, start: time | None = None, end: time | None = None) -> Span:
    return make_span((first, datetime.combine(first, start, tz) if start else None),
                     (last, datetime.combine(last, end, tz) if end else None), tz)


def test_slots_cover_the_milestone_window_in_its_zone() -> None:
    s = span(date(2021, 1, 20), date(2021, 1, 25), HCM)
    got = parse_recurrence("every day 07:00").slots(s, HCM)
    assert [a.isoformat() for a in got] == [f"2021-01-{d}T07:00:00+07:00" for d in range(20, 26)]
    assert got[0].astimezone(UTC) == datetime(2021, 1, 20, 0, 0, tzinfo=UTC)
    # Wednesday 20/01/2021 .. Monday 25/01: mon, wed, fri fall on 20, 22, 25
    assert [a.day for a in parse_recurrence("mon,wed,fri 19:30").slots(s, HCM)] == [20, 22, 25]


def test_a_milestone_that_starts_late_or_ends_early_drops_the_slots_outside_it() -> None:
    s = span(date(2021, 1, 20), date(2021, 1, 22), HCM, start=time(8, 0), end=time(6, 0))
    assert [a.day for a in parse_recurrence("every day 07:00").slots(s, HCM)] == [21]


def test_slots_keep_local_time_across_a_change_of_offset() -> None:
    paris = ZoneInfo("Europe/Paris")  # summer time began on 28/03/2021
    got = parse_recurrence("every day 07:00").slots(span(date(2021, 3, 27), date(2021, 3, 29), paris), paris)
    assert [a.strftime("%H:%M") for a in got] == ["07:00"] * 3
    assert [a.utcoffset() for a in got] == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=2)]


def test_slots_over_two_milestones_count_a_shared_time_once(tmp_path: Path) -> None:
    config = CONFIG + SERIES.replace('milestone = "cao-diem"', 'milestone = ["cao-diem", "khai-mac"]')
    cfg = series_campaign(tmp_path, 0, config).config()
    found = slots(cfg, cfg.series[0])
    assert [(s.at.day, s.milestone) for s in found] == [(d, "cao-diem") for d in range(20, 26)] + [(26, "khai-mac")]
    assert all(s.empty for s in found)


# --- config ---------------------------------------------------------------------------------------

def test_series_config_loads_with_defaults(tmp_path: Path) -> None:
    cfg = series_campaign(tmp_path, 0, CONFIG + SERIES.replace('channels = ["tg", "zalo"]\n', "")).config()
    [s] = cfg.series
    assert (s.id, s.title, s.milestones, s.channels, s.folder) == (
        "chao-mung", "Chào mừng Đại hội XIII của Đảng", ("cao-diem",), ("tg",), "series/chao-mung")
    assert s.when.text == "every day 07:00"


def test_bad_series_entries_are_named_with_their_line(tmp_path: Path) -> None:
    bad = CONFIG + """
[[series]]
id = "a"
title = "A"
milestone = ["cao-diem", "khong-co"]
when = "every day 07:00"
channels = ["tg", "nope"]

[[series]]
id = "b"
title = "B"
milestone = "cao-diem"
when = "someday 07:00"

[[series]]
id = "c"
title = "C"
milestone = "cao-diem"

[[series]]
id = "d"
title = "D"
milestone = "cao-diem"
when = "daily 07:00"
folder = "../ngoai"

[[series]]
id = "a"
title = "A again"
milestone = "cao-diem"
when = "daily 08:00"
"""
    path = tmp_path / "config.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path, env={})
    lines = bad.split("\n")
    found = {p.line: p.message for p in exc.value.problems}

    def line_of(text: str, after: int = 0) -> int:
        return next(i for i, s in enumerate(lines, start=1) if i > after and s.startswith(text))

    assert "unknown milestone 'khong-co'" in found[line_of("milestone = [")]
    assert "unknown channel 'nope'" in found[line_of('channels = ["tg", "nope"]')]
    assert "unknown day 'someday'" in found[line_of('when = "someday')]
    assert "series 'c' has no 'when'" in found[line_of('id = "c"') - 1]
    assert "'folder' must be a folder under content/" in found[line_of("folder =")]
    assert "duplicate series id 'a'" in found[line_of('id = "a"', after=line_of('id = "d"'))]


def test_daily_must_be_true_or_false(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    text = CONFIG.replace('end = "khai_mac -1d"\n', 'end = "khai_mac -1d"\ndaily = "yes"\n', 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path, env={})
    [problem] = exc.value.problems
    assert problem.message == "'daily' phải là true / false / 'daily' must be true / false"
    assert problem.line == text.split("\n").index('daily = "yes"') + 1


# --- items -> posts -------------------------------------------------------------------------------

def test_items_become_posts_in_their_slots_with_the_series_title_first(tmp_path: Path) -> None:
    camp = series_campaign(tmp_path, 2)
    scan = scan_content(camp.config())
    assert not scan.problems
    first, second = sorted(scan.posts, key=lambda p: p.scheduled_at)
    assert (first.key, second.key) == ("series/chao-mung/01-bai", "series/chao-mung/02-bai")
    assert first.scheduled_at == datetime(2021, 1, 20, 0, 0, tzinfo=UTC)  # 07:00 in Hanoi
    assert second.scheduled_at - first.scheduled_at == timedelta(days=1)
    assert (first.milestone, first.channels, first.series) == ("cao-diem", ("tg", "zalo"), "chao-mung")
    assert first.rendered.telegram_html.startswith("<i>Chào mừng Đại hội XIII của Đảng</i> | <b>Bài 1</b>\n\n")
    assert first.rendered.plain.startswith("Chào mừng Đại hội XIII của Đảng | Bài 1\n\nNội dung chuyên mục.")


def test_an_item_may_choose_its_channels_but_not_its_time_or_milestone(tmp_path: Path) -> None:
    camp = series_campaign(tmp_path, 0)
    camp.write("series/chao-mung/01.md", item("A", channels="[nhom]"))
    camp.write("series/chao-mung/02.md", item("B", time='"08:00"', milestone="khai-mac"))
    scan = scan_content(camp.config())
    [post] = scan.posts
    assert post.channels == ("nhom",)
    messages = sorted((p.line, p.message) for p in scan.problems)
    assert [line for line, _ in messages] == [3, 4]
    assert "takes its 'time' from its slot" in messages[0][1] and "takes its 'milestone' from its slot" in messages[1][1]


def test_an_item_beyond_the_last_slot_is_refused_by_name(tmp_path: Path) -> None:
    camp = series_campaign(tmp_path, 7)  # 6 slots: 20..25/01
    scan = scan_content(camp.config())
    assert len(scan.posts) == 6
    [problem] = scan.problems
    assert problem.path.name == "07-bai.md"
    assert "series 'chao-mung' has 6 slot(s): item 7 has none left" in problem.message


def test_a_hidden_folder_keeps_spare_items_out(tmp_path: Path) -> None:
    camp = series_campaign(tmp_path, 1)
    camp.write("series/chao-mung/.du-phong/99-sau-nay.md", item("Để dành"))
    scan = scan_content(camp.config())
    assert not scan.problems and [p.key for p in scan.posts] == ["series/chao-mung/01-bai"]


def test_the_payload_shows_the_series_title_before_the_item(store: Store, tmp_path: Path) -> None:
    camp = series_campaign(tmp_path, 1)
    sync(store, camp.config(), FakeClock(datetime(2021, 1, 10, tzinfo=UTC)))
    with store.session() as s:
        payload = post_payload(repo.post_by_key(s, "series/chao-mung/01-bai"))
    assert payload.plain.startswith("Chào mừng Đại hội XIII của Đảng | Bài 1\n")
    assert payload.meta["title"] == "Chào mừng Đại hội XIII của Đảng | Bài 1"


def test_chat_listings_show_the_series_title_before_the_item(store: Store, tmp_path: Path) -> None:
    """/lich 20/01 lists a series item as readers will see it on the channels, not by its bare file title."""
    camp = series_campaign(tmp_path, 1)
    cfg = camp.config()
    sync(store, cfg, FakeClock(datetime(2021, 1, 10, tzinfo=UTC)))
    staff = next(p for p in cfg.people.values() if p.is_approver)  # the public sees approved posts only
    [line] = answers.day(store, cfg, date(2021, 1, 20), "vi", staff).lines
    assert line.startswith("• 07:00 Chào mừng Đại hội XIII của Đảng | Bài 1 — ")


# --- warnings and the plan ------------------------------------------------------------------------

def test_fewer_items_than_slots_warns_naming_the_series_and_the_first_empty_slot(tmp_path: Path) -> None:
    cfg = series_campaign(tmp_path, 4).config()
    [w] = series_warnings(cfg)
    assert w.severity == "warning" and w.line == SERIES_CONFIG.split("\n").index("[[series]]") + 1
    assert "series 'chao-mung' has 4 item(s) for 6 slot(s); first empty slot: 07:00 24/01/2021" in w.message


def test_a_full_series_does_not_warn(tmp_path: Path) -> None:
    assert series_warnings(series_campaign(tmp_path, 6).config()) == []


def test_a_series_without_any_slot_warns(tmp_path: Path) -> None:
    config = CONFIG + SERIES.replace("every day 07:00", "sun 07:00").replace('"cao-diem"', '"khai-mac"')
    [w] = series_warnings(series_campaign(tmp_path, 0, config).config())  # 26/01/2021 is a Tuesday
    assert "series 'chao-mung' has no slot within its milestones ('sun 07:00')" in w.message


def test_a_daily_milestone_warns_on_each_day_without_a_public_post(tmp_path: Path) -> None:
    config = SERIES_CONFIG.replace('end = "khai_mac -1d"\n', 'end = "khai_mac -1d"\ndaily = true\n', 1)
    camp = series_campaign(tmp_path, 2, config)  # the series fills 20 and 21/01
    camp.write("a.md", post_text(milestone="cao-diem", time="day 4 10:00"))  # 23/01 on tg
    camp.write("b.md", post_text(milestone="cao-diem", time="day 5 10:00", channels="[console]"))  # not public
    config_text = config + '\n[channels.console]\nkind = "console"\ntarget = "stdout"\n'
    camp.config_path.write_text(config_text, encoding="utf-8")
    cfg = camp.config()
    scan = scan_content(cfg)
    assert not scan.problems
    gaps = daily_gap_warnings(cfg, scan.posts)
    assert [w.message.split(": ")[-1] for w in gaps] == [
        "no post on a public channel on 22/01/2021", "no post on a public channel on 24/01/2021",
        "no post on a public channel on 25/01/2021"]
    assert all(w.line == config.split("\n").index('id = "cao-diem"') and w.severity == "warning" for w in gaps)


def test_no_daily_milestone_no_gap_warnings(tmp_path: Path) -> None:
    cfg = series_campaign(tmp_path, 0).config()
    assert daily_gap_warnings(cfg, []) == []


def test_the_plan_shows_filled_and_empty_slots(tmp_path: Path) -> None:
    cfg = series_campaign(tmp_path, 2).config()
    rows = build_plan(cfg, scan_content(cfg).posts, {}, datetime(2021, 1, 1, tzinfo=UTC))
    assert [r.title for r in rows] == ["Chào mừng Đại hội XIII của Đảng | Bài 1", "Chào mừng Đại hội XIII của Đảng | Bài 2"]
    assert {r.series for r in rows} == {"chao-mung"} and not any(r.empty for r in rows)
    empty = empty_slot_rows(cfg)
    assert [r.at.day for r in empty] == [22, 23, 24, 25]
    assert empty[0].title == "Chào mừng Đại hội XIII của Đảng | trống / empty"
    assert (empty[0].state, empty[0].status, empty[0].as_json()["empty"]) == ("empty", "empty", True)
    assert [s.key is None for s in all_slots(cfg)] == [False, False, True, True, True, True]


# --- sync: identity per file ----------------------------------------------------------------------

def test_a_file_inserted_before_others_moves_them_and_voids_their_approvals(store: Store, tmp_path: Path) -> None:
    camp = Campaign(tmp_path / "camp", SERIES_CONFIG)
    camp.write("series/chao-mung/02-b.md", item("B"))
    camp.write("series/chao-mung/03-c.md", item("C"))
    clock = FakeClock(datetime(2021, 1, 10, tzinfo=UTC))
    cfg = camp.config()
    assert sorted(sync(store, cfg, clock).added) == ["series/chao-mung/02-b", "series/chao-mung/03-c"]
    with store.session() as s:
        b = repo.post_by_key(s, "series/chao-mung/02-b")
        repo.add_approval(s, b, "lan", "approve", clock.now())
        s.commit()
    assert sync(store, cfg, clock).changes == 0  # nothing moved: nothing to do
    camp.write("series/chao-mung/01-a.md", item("A"))
    report = sync(store, cfg, clock)
    assert report.added == ["series/chao-mung/01-a"]
    assert sorted(report.changed) == ["series/chao-mung/02-b", "series/chao-mung/03-c"]  # their time is part of what is approved
    with store.session() as s:
        a, b = repo.post_by_key(s, "series/chao-mung/01-a"), repo.post_by_key(s, "series/chao-mung/02-b")
        assert a.scheduled_at.replace(tzinfo=UTC) == datetime(2021, 1, 20, 0, 0, tzinfo=UTC)
        assert b.scheduled_at.replace(tzinfo=UTC) == datetime(2021, 1, 21, 0, 0, tzinfo=UTC)
        assert repo.live_approvals(s, b.id) == []


def test_renaming_an_item_withdraws_the_old_post_and_adds_a_new_one(store: Store, tmp_path: Path) -> None:
    camp = series_campaign(tmp_path, 1)
    clock = FakeClock(datetime(2021, 1, 10, tzinfo=UTC))
    cfg = camp.config()
    sync(store, cfg, clock)
    (camp.content / "series/chao-mung/01-bai.md").rename(camp.content / "series/chao-mung/01-bai-moi.md")
    report = sync(store, cfg, clock)
    assert (report.added, report.withdrawn) == (["series/chao-mung/01-bai-moi"], ["series/chao-mung/01-bai"])


def test_moving_the_anchor_reschedules_items_and_keeps_their_approvals(store: Store, tmp_path: Path) -> None:
    camp = series_campaign(tmp_path, 1)
    clock = FakeClock(datetime(2021, 1, 1, tzinfo=UTC))
    sync(store, camp.config(), clock)
    with store.session() as s:
        repo.add_approval(s, repo.post_by_key(s, "series/chao-mung/01-bai"), "lan", "approve", clock.now())
        s.commit()
    camp.config_path.write_text(SERIES_CONFIG.replace("khai_mac = 2021-01-26", "khai_mac = 2021-01-27"), encoding="utf-8")
    report = sync(store, camp.config(), clock)
    assert (report.rescheduled, report.changed) == (["series/chao-mung/01-bai"], [])
    with store.session() as s:
        post = repo.post_by_key(s, "series/chao-mung/01-bai")
        assert post.scheduled_at.replace(tzinfo=UTC) == datetime(2021, 1, 21, 0, 0, tzinfo=UTC)
        assert len(repo.live_approvals(s, post.id)) == 1
