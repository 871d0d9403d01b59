from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from campaign.content import ContentScan, scan_content
from tests.conftest import CONFIG, Campaign, post_text

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def only_post(campaign: Campaign, **kw: str):
    campaign.write("a.md", post_text(**kw))
    scan = scan_content(campaign.config())
    assert not scan.problems, scan.problems
    [post] = scan.posts
    return post


def problems(campaign: Campaign, text: str, rel: str = "a.md") -> list[str]:
    path = campaign.write(rel, text)
    scan = scan_content(campaign.config())
    assert not scan.posts
    assert all(str(p).startswith(f"{path}:") for p in scan.problems)
    return [str(p) for p in scan.problems]


@pytest.mark.parametrize(
    ("milestone", "expr", "expected"),
    [
        ("khai-mac", "2021-01-25 21:15", datetime(2021, 1, 25, 21, 15, tzinfo=TZ)),
        ("cao-diem", "08:30", datetime(2021, 1, 20, 8, 30, tzinfo=TZ)),
        ("cao-diem", "20:00", datetime(2021, 1, 20, 20, 0, tzinfo=TZ)),  # not YAML's sexagesimal 1200
        ("cao-diem", "day 2 08:30", datetime(2021, 1, 21, 8, 30, tzinfo=TZ)),
        ("cao-diem", "day 6 18:00", datetime(2021, 1, 25, 18, 0, tzinfo=TZ)),
        ("khai-mac", "start -1d 20:00", datetime(2021, 1, 25, 20, 0, tzinfo=TZ)),
        ("khai-mac", "start +2h", datetime(2021, 1, 26, 2, 0, tzinfo=TZ)),
        ("khai-mac", "end +2h", datetime(2021, 1, 27, 2, 0, tzinfo=TZ)),
        ("cao-diem", "end 17:00", datetime(2021, 1, 25, 17, 0, tzinfo=TZ)),
        ("cao-diem", "end -1d 09:00", datetime(2021, 1, 24, 9, 0, tzinfo=TZ)),
    ],
)
def test_time_expressions(campaign: Campaign, milestone: str, expr: str, expected: datetime) -> None:
    post = only_post(campaign, milestone=milestone, time=expr)
    assert post.scheduled_at == expected
    assert post.scheduled_at.tzinfo is not None


def test_unquoted_time_is_read_as_written(campaign: Campaign) -> None:
    campaign.write("a.md", "---\ntitle: T\nmilestone: cao-diem\ntime: 20:00\n---\nBody\n")
    [post] = scan_content(campaign.config()).posts
    assert post.scheduled_at == datetime(2021, 1, 20, 20, 0, tzinfo=TZ)


@pytest.mark.parametrize("expr", ["tomorrow", "day 9 08:00", "25:00", "start -1h 20:00", "2021-02-30 08:00"])
def test_bad_time_lists_allowed_forms_with_line(campaign: Campaign, expr: str) -> None:
    [msg] = problems(campaign, post_text(time=expr))
    assert ":4:" in msg  # line of "time:" in the file
    if expr == "tomorrow":
        assert "day 2 08:30" in msg and "start -1d 20:00" in msg


def test_defaults_and_options(campaign: Campaign) -> None:
    post = only_post(campaign, pin="true", silent="yes", approvals="2", author="lan")
    assert post.key == "a" and post.channels == ("tg",)
    assert post.pin and post.silent and post.preview
    assert post.approvals == 2 and post.author == "lan"
    assert "<b>đậm</b>" in post.rendered.telegram_html and "đậm" in post.rendered.plain


def test_unknown_milestone(campaign: Campaign) -> None:
    [msg] = problems(campaign, post_text(milestone="be-mac"))
    assert ":3:" in msg and "unknown milestone 'be-mac'" in msg and "cao-diem" in msg


def test_unknown_channel(campaign: Campaign) -> None:
    [msg] = problems(campaign, post_text(channels="[tg, facebook]"))
    assert ":5:" in msg and "unknown channel 'facebook'" in msg


def test_unknown_front_matter_key(campaign: Campaign) -> None:
    [msg] = problems(campaign, post_text(colour="red"))
    assert ":5:" in msg and "unknown key 'colour'" in msg


def test_missing_media(campaign: Campaign) -> None:
    [msg] = problems(campaign, post_text(media="[anh/khong-co.png]"))
    assert ":5:" in msg and "'anh/khong-co.png' not found" in msg


def test_media_outside_content(campaign: Campaign) -> None:
    (campaign.root / "secret.png").write_bytes(b"x")
    [msg] = problems(campaign, post_text(media="[../secret.png]"))
    assert ":5:" in msg and "outside content/" in msg


def test_media_inside_content_is_hashed(campaign: Campaign) -> None:
    (campaign.content / "anh").mkdir()
    (campaign.content / "anh" / "a.png").write_bytes(b"one")
    first = only_post(campaign, media="[anh/a.png]")
    (campaign.content / "anh" / "a.png").write_bytes(b"two")
    second = scan_content(campaign.config()).posts[0]
    assert first.media[0].path == "anh/a.png"
    assert first.content_hash != second.content_hash


def test_too_long_for_telegram(campaign: Campaign) -> None:
    [msg] = problems(campaign, post_text(body="chữ " * 1100))
    assert ":6:" in msg and "4096" in msg


def test_caption_limit_with_media(campaign: Campaign) -> None:
    (campaign.content / "a.png").write_bytes(b"img")
    [msg] = problems(campaign, post_text(body="x" * 1100, media="[a.png]"))
    assert "1024" in msg


def test_too_long_for_zalo(campaign: Campaign) -> None:
    [msg] = problems(campaign, post_text(body="y" * 2100, channels="[zalo]"))
    assert "2000" in msg


@pytest.mark.parametrize(
    ("front", "line", "says"),
    [
        ('title: "ok"\nmilestone: [unclosed\ntime: "08:00"', 3, "while parsing a flow sequence"),  # where the [ opened
        ('title: "unterminated\nmilestone: cao-diem', 2, "while scanning a quoted scalar"),
        ('title: "ok"\nmilestone: cao-diem\ntime: "08:00" x', 4, "did not find expected key"),
        ("title: a: b\nmilestone: cao-diem", 2, "mapping values are not allowed"),
        ("title: ok\n  bad: indent\ntime: x", 3, "mapping values are not allowed"),
    ],
)
def test_broken_yaml_names_the_line(campaign: Campaign, front: str, line: int, says: str) -> None:
    [msg] = problems(campaign, f"---\n{front}\n---\nBody\n")
    assert msg.startswith(f"{campaign.content / 'a.md'}:{line}: front matter YAML không hợp lệ / invalid front matter YAML: ")
    assert says in msg


def test_missing_front_matter(campaign: Campaign) -> None:
    msgs = problems(campaign, "Just text\n")
    assert msgs == [f"{campaign.content / 'a.md'}:1: thiếu front matter (--- … ---) ở đầu tệp / missing front matter (--- … ---) at the top"]


def test_one_broken_file_does_not_hide_the_others(campaign: Campaign) -> None:
    campaign.write("good.md", post_text())
    campaign.write("bad.md", post_text(milestone="nope"))
    scan = scan_content(campaign.config())
    assert [p.key for p in scan.posts] == ["good"]
    assert len(scan.problems) == 1 and "bad.md" in str(scan.problems[0])


def test_hash_covers_body_and_front_matter(campaign: Campaign) -> None:
    a = only_post(campaign)
    campaign.write("a.md", post_text(time="09:00"))
    b = scan_content(campaign.config()).posts[0]
    campaign.write("a.md", post_text(body="Khác"))
    c = scan_content(campaign.config()).posts[0]
    assert len({a.content_hash, b.content_hash, c.content_hash}) == 3


# --- Zalo checks at check/sync time -------------------------------------------------------------

ZALO_CHANNELS = """
[channels.bc]
kind = "zalo_oa_broadcast"
target = "followers"
label = "Zalo OA broadcast"

[channels.bot]
kind = "zalo_bot"
target = "u1"
label = "Zalo Bot"
"""


@pytest.fixture
def zcampaign(tmp_path: Path) -> Campaign:
    return Campaign(tmp_path / "zcamp", CONFIG + ZALO_CHANNELS)


def zalo_scan(campaign: Campaign, **zalo: object) -> ContentScan:
    """Scan with [zalo] settings overridden (works whether or not ZaloSettings has the URL fields yet)."""
    cfg = campaign.config()
    settings = SimpleNamespace(**{**dataclasses.asdict(cfg.zalo), **zalo})
    return scan_content(dataclasses.replace(cfg, zalo=settings))


def zalo_problems(campaign: Campaign, text: str, **zalo: object) -> list[str]:
    path = campaign.write("a.md", text)
    scan = zalo_scan(campaign, **zalo)
    assert not scan.posts
    assert all(str(p).startswith(f"{path}:") for p in scan.problems)
    return [str(p) for p in scan.problems]


def media_file(campaign: Campaign, name: str, size: int) -> None:
    with open(campaign.content / name, "wb") as f:
        f.truncate(size)  # sparse: st_size is what is checked


@pytest.mark.parametrize("channels", ["[zalo]", "[bc]"])
def test_zalo_oa_rejects_webp(zcampaign: Campaign, channels: str) -> None:
    media_file(zcampaign, "anh.webp", 100)
    [msg] = zalo_problems(zcampaign, post_text(channels=channels, media="[anh.webp]"), media_base_url="https://cdn.vn/c")
    assert ":6:" in msg  # the line of "media:"
    assert "'anh.webp'" in msg and ".jpg/.jpeg/.png/.gif" in msg
    vi, en = msg.split(" / ", 1)
    assert "Zalo OA chỉ nhận ảnh" in vi and "Zalo OA takes only" in en


@pytest.mark.parametrize("name", ["a.jpg", "b.JPEG", "c.png", "d.gif"])
def test_zalo_oa_accepts_jpg_png_gif(zcampaign: Campaign, name: str) -> None:
    media_file(zcampaign, name, 100)
    zcampaign.write("a.md", post_text(channels="[zalo]", media=f"[{name}]"))
    scan = zalo_scan(zcampaign)
    assert not scan.problems and len(scan.posts) == 1


def test_zalo_oa_image_size_limit_from_config(zcampaign: Campaign) -> None:
    media_file(zcampaign, "lon.png", 2001)
    media_file(zcampaign, "vua.png", 2000)
    [msg] = zalo_problems(zcampaign, post_text(channels="[tg, zalo]", media="[lon.png, vua.png]"), image_max_bytes=2000)
    assert ":6:" in msg and "'lon.png'" in msg and "2001" in msg and "2000" in msg and "image_max_bytes" in msg
    assert "quá lớn cho Zalo OA" in msg and "too large for Zalo OA" in msg


def test_webp_fine_for_telegram_only(zcampaign: Campaign) -> None:
    media_file(zcampaign, "anh.webp", 5_000_000)  # over Zalo's 1 MB default, under Telegram's 10 MiB
    zcampaign.write("a.md", post_text(media="[anh.webp]"))
    scan = zalo_scan(zcampaign)
    assert not scan.problems and len(scan.posts) == 1


def test_telegram_size_limits_only_with_a_telegram_channel(zcampaign: Campaign) -> None:
    media_file(zcampaign, "tai-lieu.pdf", 60 * 1024 * 1024)  # over Telegram's 50 MiB document limit
    zcampaign.write("a.md", post_text(channels="[bot]", media="[tai-lieu.pdf]"))
    scan = zalo_scan(zcampaign, media_base_url="https://cdn.vn/c")
    assert not scan.problems and len(scan.posts) == 1
    [msg] = zalo_problems(zcampaign, post_text(channels="[tg, bot]", media="[tai-lieu.pdf]"),
                          media_base_url="https://cdn.vn/c")
    assert ":6:" in msg and "'tai-lieu.pdf' too large" in msg and str(50 * 1024 * 1024) in msg


def test_zalo_broadcast_with_images_needs_media_base_url(zcampaign: Campaign) -> None:
    media_file(zcampaign, "bia.jpg", 100)
    text = post_text(channels="[bc]", media="[bia.jpg]")
    [msg] = zalo_problems(zcampaign, text, default_cover_url="https://cdn.vn/bia.jpg")
    assert ":6:" in msg and "[zalo] media_base_url" in msg
    vi, en = msg.split(" / ", 1)
    assert "chưa đặt [zalo] media_base_url" in vi and "media_base_url is not set" in en
    zcampaign.write("a.md", text)
    scan = zalo_scan(zcampaign, media_base_url="https://cdn.vn/c")
    assert not scan.problems and len(scan.posts) == 1


def test_zalo_broadcast_without_images_needs_default_cover_url(zcampaign: Campaign) -> None:
    text = post_text(channels="[tg, bc]")
    [msg] = zalo_problems(zcampaign, text, media_base_url="https://cdn.vn/c")
    assert ":5:" in msg  # the line of "channels:"
    assert "[zalo] default_cover_url" in msg and "cover" in msg
    zcampaign.write("a.md", text)
    scan = zalo_scan(zcampaign, default_cover_url="https://cdn.vn/bia.jpg")
    assert not scan.problems and len(scan.posts) == 1


def test_zalo_bot_images_without_media_base_url_is_a_warning(zcampaign: Campaign) -> None:
    media_file(zcampaign, "anh.png", 100)
    path = zcampaign.write("a.md", post_text(channels="[tg, bot]", media="[anh.png]"))
    scan = zalo_scan(zcampaign)
    assert not scan.problems
    [post] = scan.posts
    [warning] = post.warnings
    assert warning.severity == "warning"
    assert str(warning).startswith(f"{path}:6: ")
    assert "[zalo] media_base_url" in str(warning) and "anh.png" in str(warning)
    assert scan.warnings == [warning]
    assert not zalo_scan(zcampaign, media_base_url="https://cdn.vn/c").posts[0].warnings


def test_zalo_bot_text_only_has_no_warning(zcampaign: Campaign) -> None:
    zcampaign.write("a.md", post_text(channels="[bot]"))
    [post] = zalo_scan(zcampaign).posts
    assert post.warnings == ()
