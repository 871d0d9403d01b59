"""Issue 9: one bad input never stops the campaign. Each case the hostile tester found is here: the bad
file or value gets its own ``path:line`` error (vi / en) and every good post beside it still syncs."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest
from sqlmodel import select

from campaign.clock import FakeClock
from campaign.config import load_config
from campaign.content import UNEXPECTED, scan_content
from campaign.errors import ConfigError
from campaign.publishing import hold_reason
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Post
from campaign.sync import sync
from tests.conftest import CONFIG, Campaign, post_text

# --- content: one bad file among good ones ------------------------------------------------------

BAD_FILES = {
    "huge-shift": (post_text(time="start +99999999999d"), 4, "longer than 366 days"),
    "year-1": (post_text(time="0001-01-01 00:00"), 4, "outside the years 2000–2100"),
    "year-9999": (post_text(time="9999-12-31 23:59"), 4, "outside the years 2000–2100"),
    "end-shift": (post_text(time="end +400d 08:00"), 4, "longer than 366 days"),
    "day-digits": (post_text(time="day " + "9" * 5000 + " 08:00"), 4, "invalid time"),
    "nul-body": (post_text(body="Nội dung\n\x00 ẩn"), 7, "control character U+0000"),
    "bell-title": (post_text(title="Chuông\x07"), 2, "control character U+0007"),
    "escaped-nul": ('---\ntitle: "a\\0b"\nmilestone: khai-mac\ntime: "08:30"\n---\nNội dung\n', 2, "'title' contains the control character U+0000"),
    "media-folder": (post_text(media="[thu-muc]"), 5, "not a regular file but a folder"),
    "media-missing": (post_text(media="[khong-co.png]"), 5, "not found"),
    "media-outside": (post_text(media="[../../etc/passwd]"), 5, "outside content/"),
    "approvals-3": (post_text(approvals='"4"'), 5, "needs 4 approvals but only 3 people may approve"),
    "approvals-digit": (post_text(approvals='"²"'), 5, "'approvals' must be a whole number"),
    "deep-yaml": ("---\ntitle: " + "[" * 3000 + "\n---\nx\n", 2, "front matter"),
}


def bad_campaign(campaign: Campaign) -> None:
    campaign.write("good.md", post_text(title="Bài tốt"))
    (campaign.content / "thu-muc").mkdir()
    for name, (text, _, _) in BAD_FILES.items():
        (campaign.content / f"{name}.md").write_text(text, encoding="utf-8")


def test_each_bad_file_is_its_own_located_problem(campaign: Campaign) -> None:
    bad_campaign(campaign)
    scan = scan_content(campaign.config())
    assert [p.key for p in scan.posts] == ["good"]
    by_file = {Path(p.path).stem: p for p in scan.problems}
    assert set(by_file) == set(BAD_FILES)
    for name, (_, line, message) in BAD_FILES.items():
        problem = by_file[name]
        assert problem.line == line, (name, str(problem))
        assert message in problem.message and " / " in problem.message, (name, str(problem))
        assert UNEXPECTED not in problem.message


def test_sync_keeps_every_good_post_and_stores_no_bad_byte(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    """Before: a NUL byte reached PostgreSQL and the whole sync failed; a huge shift raised OverflowError."""
    bad_campaign(campaign)
    report = sync(store, campaign.config(), clock)
    assert report.added == ["good"]
    assert {Path(p.path).stem for p in report.problems} == set(BAD_FILES)
    with store.session() as s:
        assert [p.key for p in s.exec(select(Post)).all()] == ["good"]


def test_file_broken_after_approval_is_held_and_reported(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    campaign.write("a.md", post_text(title="A"))
    campaign.write("b.md", post_text(title="B"))
    config = campaign.config()
    sync(store, config, clock)
    with store.session() as s:
        repo.add_approval(s, repo.post_by_key(s, "a"), "lan", "approve", clock.now())
        s.commit()
    campaign.write("a.md", post_text(title="A", body="Nội dung\x00"))  # NUL: PostgreSQL would refuse it
    campaign.write("b.md", post_text(title="B sửa"))
    report = sync(store, config, clock)
    assert [str(p) for p in report.problems] == [f"{campaign.content / 'a.md'}:6: ký tự điều khiển U+0000 không được phép "
                                                 "/ control character U+0000 is not allowed"]
    assert report.changed == ["b"]
    with store.session() as s:
        a = repo.post_by_key(s, "a")
        assert a.body == "Nội dung **đậm**." and "U+0000" in (a.source_error or "")
        reason = hold_reason(s, config, a)
        assert reason is not None and "broken" in reason[1]


def test_a_fifo_never_blocks_check_or_sync(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    """Before: ``media: [pipe]`` (or a FIFO named x.md) made ``loa check`` wait forever for a writer."""
    os.mkfifo(campaign.content / "pipe")
    os.mkfifo(campaign.content / "fifo.md")
    campaign.write("a.md", post_text(media="[pipe]"))
    campaign.write("good.md", post_text(title="Bài tốt"))
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(sync(store, campaign.config(), clock)), daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "sync blocked on a FIFO"
    [report] = results
    assert report.added == ["good"]  # type: ignore[attr-defined]
    messages = sorted(str(p) for p in report.problems)  # type: ignore[attr-defined]
    assert messages == [
        f"{campaign.content / 'a.md'}:5: media 'pipe' không phải tệp thường mà là FIFO / media 'pipe' is not a regular file but a FIFO",
        f"{campaign.content / 'fifo.md'}: không phải tệp thường mà là FIFO / not a regular file but a FIFO",
    ]


def test_sockets_are_refused_as_media(campaign: Campaign, tmp_path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(campaign.content / "s"))
        campaign.write("a.md", post_text(media="[s]"))
        [problem] = scan_content(campaign.config()).problems
        assert problem.line == 5 and "not a regular file but a socket" in problem.message
    finally:
        sock.close()


def test_symlinks_leaving_content_are_refused(campaign: Campaign, tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text(post_text(title="Bí mật"), encoding="utf-8")
    (campaign.content / "leak.md").symlink_to(outside)
    campaign.write("real.md", post_text(title="Thật"))
    (campaign.content / "alias.md").symlink_to(campaign.content / "real.md")  # inside content/: fine
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    (campaign.content / "photo.png").symlink_to(tmp_path / "photo.png")
    campaign.write("pic.md", post_text(media="[photo.png]"))
    scan = scan_content(campaign.config())
    assert sorted(p.key for p in scan.posts) == ["alias", "real"]
    assert sorted(str(p) for p in scan.problems) == [
        f"{campaign.content / 'leak.md'}: liên kết tượng trưng trỏ ra ngoài thư mục content/ / symlink points outside content/",
        f"{campaign.content / 'pic.md'}:5: tệp media 'photo.png' nằm ngoài thư mục content/ / media 'photo.png' is outside content/",
    ]


def test_a_utf8_bom_is_accepted(campaign: Campaign) -> None:
    """Before: the BOM hid the opening --- and the error was the wrong "missing front matter"."""
    (campaign.content / "bom.md").write_bytes("\ufeff".encode() + post_text(title="Có BOM").encode())
    [post] = scan_content(campaign.config()).posts
    assert post.title == "Có BOM"


def test_file_names_the_database_cannot_store_are_refused(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    fd = os.open(os.fsencode(campaign.content) + b"/bad-\xff.md", os.O_WRONLY | os.O_CREAT)
    os.write(fd, post_text().encode())
    os.close(fd)
    deep = campaign.content / "/".join(["thu-muc-rat-dai-" + "x" * 40] * 6)
    deep.mkdir(parents=True)
    (deep / "bai.md").write_text(post_text(), encoding="utf-8")
    campaign.write("good.md", post_text(title="Bài tốt"))
    report = sync(store, campaign.config(), clock)
    assert report.added == ["good"]
    messages = sorted(str(p) for p in report.problems)
    assert len(messages) == 2
    key_length = len((deep / "bai").relative_to(campaign.content).as_posix())
    assert any(m.endswith(f"path too long ({key_length} characters, limit 300)") for m in messages), messages
    assert f"{campaign.content}/bad-\\xff.md: tên tệp không phải UTF-8 / the file name is not UTF-8: 'bad-\\xff'" in messages


def test_media_size_limit_applies_to_every_kind(campaign: Campaign) -> None:
    import campaign.content as content

    campaign.write("a.md", post_text(channels="[zalo]", media="[big.png]"))
    with open(campaign.content / "big.png", "wb") as f:
        f.truncate(content.MEDIA_MAX_BYTES + 1)  # sparse: no real disk used
    [problem] = [p for p in scan_content(campaign.config()).problems if "big.png" in p.message]
    assert problem.line == 6 and f"limit {content.MEDIA_MAX_BYTES}" in problem.message


# --- config: every value checked ------------------------------------------------------------------

def config_problems(tmp_path: Path, text: str | bytes) -> list[str]:
    path = tmp_path / "config.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    out = [str(p) for p in info.value.problems]
    assert all(p.startswith(f"{path}:") and " / " in p for p in out), out
    return out


def with_line(old: str, new: str) -> tuple[str, int]:
    """CONFIG with ``old`` replaced by ``new``, and the line of ``new``'s last line."""
    assert old in CONFIG
    at = CONFIG.index(old)
    return CONFIG.replace(old, new, 1), CONFIG[:at].count("\n") + new.count("\n") + 1


@pytest.mark.parametrize(("old", "new", "message"), [
    ("required = 1", "required = 4", "'required' = 4 but only 3 people may approve"),
    ("required = 1", "required = 0", "must be at least 1"),
    ('deadline = "2h"', 'deadline = "99999999999d"', "longer than 366 days"),
    ('catch_up = "30m"', 'catch_up = "' + "9" * 5000 + 's"', "longer than 366 days"),
    ("khai_mac = 2021-01-26", "khai_mac = 9999-01-26", "outside the years 2000–2100"),
    ("khai_mac = 2021-01-26", "khai_mac = 1999-12-31", "outside the years 2000–2100"),
    ('start = "khai_mac -6d"', 'start = "khai_mac -9000d"', "longer than 366 days"),
    ('target = "@kenh"', 'target = "kenh tinh"', "a Telegram target is @channelname or a numeric id"),
    ('target = "@kenh"', 'target = "https://t.me/kenh"', "a Telegram target is @channelname or a numeric id"),
    ('target = "-100200"', "target = 99999999999999999999", "a Telegram target is @channelname or a numeric id"),
    ('target = "g1"', 'target = "nhóm 1"', "a Zalo target is an id"),
    ("telegram = 12", "telegram = 11", "telegram id 11 already belongs to [people.lan]"),
    ("telegram = 12", "telegram = -5", "'telegram' must be between 1 and"),
    ("telegram = 12", 'telegram = 12\nzalo = "có dấu cách"', "'zalo' must be a Zalo id"),
    ('name = "Lan"', 'name = "Lan\\u0000"', "contains the control character U+0000"),
    ('roles = ["approver"]', 'roles = [["approver"]]', "'roles' must be a list of strings"),
    ('chats = ["duyet"]', "chats = [{ a = 1 }]", "'chats' must be a list of strings"),
])
def test_bad_config_value_is_a_located_error(tmp_path: Path, old: str, new: str, message: str) -> None:
    text, line = with_line(old, new)
    problems = config_problems(tmp_path, text)
    assert any(f":{line}: " in p and message in p for p in problems), problems


@pytest.mark.parametrize(("table", "key", "value", "message"), [
    ("delivery", "max_attempts", "0", "'max_attempts' must be between 1 and 100, not 0"),
    ("delivery", "max_attempts", "-3", "'max_attempts' must be between 1 and 100, not -3"),
    ("delivery", "sweep_every", '"0s"', "'sweep_every' must be at least 1s, not 0s"),
    ("delivery", "backoff_max", '"1s"\nbackoff = "1m"', "'backoff_max' must be at least 'backoff'"),
    ("zalo", "broadcast_quota_per_day", "0", "'broadcast_quota_per_day' must be between 1 and"),
    ("zalo", "image_max_bytes", "-1", "'image_max_bytes' must be between 1 and"),
    ("zalo", "media_base_url", '"cdn.example.vn/content"', "expected an http:// or https:// URL"),
    ("zalo", "refresh_margin", '"0s"', "'refresh_margin' must be at least 1m"),
    ("telegram", "api_base", '"ftp://127.0.0.1/bot"', "expected an http:// or https:// URL"),
    ("telegram", "api_base", '"http://127.0.0.1:99999/bot"', "expected an http:// or https:// URL"),
    ("telegram", "file_base", '"https://h/file?x=1"', "expected an http:// or https:// URL"),
    ("telegram", "token_env", '"123456:ABC-secret"', "is the NAME of an environment variable"),
    ("approval", "ask_ahead", '"0s"', "'ask_ahead' must be at least 1m"),
])
def test_bad_setting_is_a_located_error(tmp_path: Path, table: str, key: str, value: str, message: str) -> None:
    text = CONFIG + f"\n[{table}]\n{key} = {value}\n" if f"[{table}]" not in CONFIG else CONFIG.replace(
        f"[{table}]\n", f"[{table}]\n{key} = {value}\n", 1)
    line = text[: text.index(f"{key} = {value}")].count("\n") + 1
    problems = config_problems(tmp_path, text)
    assert any(f":{line}: " in p and message in p for p in problems), problems
    assert "secret" not in "".join(problems) or key != "token_env"


def test_a_post_cannot_need_more_approvals_than_approvers(campaign: Campaign) -> None:
    campaign.write("a.md", post_text(approvals='"3"'))
    campaign.write("b.md", post_text(approvals='"4"'))
    scan = scan_content(campaign.config())
    assert [p.key for p in scan.posts] == ["a"]
    [problem] = scan.problems
    assert problem.line == 5 and "held forever" in problem.message


def test_config_not_utf8_or_nested_too_deeply_is_an_error(tmp_path: Path) -> None:
    latin1 = CONFIG.replace('"Lan"', '"Lân"').encode("utf-8").replace("Lân".encode(), "Lân".encode("latin-1"))
    [problem] = config_problems(tmp_path, latin1)
    line = CONFIG.splitlines().index('name = "Lan"') + 1
    assert problem.endswith(f":{line}: tệp không phải UTF-8 / the file is not UTF-8")
    [problem] = config_problems(tmp_path, CONFIG + "\n[delivery]\nmax_attempts = " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deeply" in problem


def test_config_with_bom_loads(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes("\ufeff".encode() + CONFIG.encode())
    assert load_config(path, env={}).name == "Chiến dịch thử / test campaign"


def test_the_sample_config_is_valid() -> None:
    root = Path(__file__).resolve().parents[2]
    config = load_config(root / "config.toml", env={})
    assert config.approver_count >= config.approval.required
