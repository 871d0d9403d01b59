"""Drafts: the file writer, chat formatting as Markdown, the time a draft takes, who may use which channel."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from campaign.answers import help_text
from campaign.compose import parse_when, usable_channels
from campaign.content import load_post
from campaign.drafts import Entity, Source, markdown_from_entities, write_draft
from campaign.errors import TimeExpressionError
from tests.campaign.test_config import errors_of, line_of
from tests.conftest import CONFIG, Campaign

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AT = datetime(2021, 1, 26, 8, 30, tzinfo=TZ)
EDITORS = CONFIG.replace("[approval]", '[people.thu]\nname = "Thu"\nroles = ["editor"]\ntelegram = 14\nchannels = ["zalo"]\n\n'
                                       '[people.ha]\nname = "Hà"\nroles = ["editor"]\ntelegram = 15\n\n[approval]')


def u16(text: str, part: str) -> tuple[int, int]:
    """Telegram's offset and length of ``part`` in ``text`` (UTF-16 code units)."""
    start = text.index(part)
    return len(text[:start].encode("utf-16-le")) // 2, len(part.encode("utf-16-le")) // 2


def entity(kind: str, text: str, part: str, url: str | None = None) -> Entity:
    return Entity(kind, *u16(text, part), url)


def test_formatting_becomes_markdown() -> None:
    text = "🎉 Chào mừng Đại hội XIII! Xem tại đây.\n1. một\n2. hai"
    md = markdown_from_entities(text, [entity("bold", text, "Chào mừng "), entity("italic", text, "Đại hội"),
                                       entity("text_link", text, "tại đây", "https://dangcongsan.vn/x")])
    # the emoji takes two UTF-16 units; the space inside the bold span moves outside it; lists stay lists
    assert md == "🎉 **Chào mừng** _Đại hội_ XIII! Xem [tại đây](https://dangcongsan.vn/x).\n1. một\n2. hai"


def test_nested_spans_and_plain_text_that_looks_like_markdown() -> None:
    text = "Giá 2*3*4 giảm [50%] - ngay hôm nay"
    md = markdown_from_entities(text, [entity("bold", text, "ngay hôm nay"), entity("italic", text, "hôm nay")])
    assert md == r"Giá 2\*3\*4 giảm \[50%\] - **ngay _hôm nay_**"
    code = "dùng `lệnh` và x_y"
    assert markdown_from_entities(code, [entity("code", code, "x_y")]) == r"dùng \`lệnh\` và `x_y`"


def test_write_draft_never_overwrites_and_loads_cleanly(campaign: Campaign) -> None:
    config = campaign.config()
    inbox = config.content_dir / "inbox"
    kw = {"at": AT, "tz": TZ, "channels": ["tg", "zalo"], "author": "lan", "milestone": "khai-mac"}
    first = write_draft(inbox, title='Khai mạc "Đại hội" XIII', body="Một **hai**", **kw)  # type: ignore[arg-type]
    second = write_draft(inbox, title='Khai mạc "Đại hội" XIII', body="Khác", media=[(".png", b"\x89PNG")],
                         source=Source("Báo Lạng Sơn", "https://baolangson.vn/1"), **kw)  # type: ignore[arg-type]
    assert [first.name, second.name] == ["20210126-0830-khai-mac-dai-hoi-xiii.md", "20210126-0830-khai-mac-dai-hoi-xiii-2.md"]
    assert "Một **hai**" in first.read_text(encoding="utf-8")  # the first is untouched
    assert (inbox / "20210126-0830-khai-mac-dai-hoi-xiii-2-1.png").read_bytes() == b"\x89PNG"
    assert sorted(p.name for p in inbox.iterdir() if p.name.startswith(".")) == []  # no temporary file left
    for path in (first, second):
        post, problems = load_post(path, path.read_bytes(), config)
        assert problems == [] and post is not None
        assert post.title == 'Khai mạc "Đại hội" XIII' and post.author == "lan" and post.channels == ("tg", "zalo")
    assert 'source: "Báo Lạng Sơn <https://baolangson.vn/1>"' in second.read_text(encoding="utf-8")


def test_drafts_written_at_once_get_distinct_files(tmp_path: Path) -> None:
    paths: list[Path] = []
    lock = threading.Lock()

    def one(n: int) -> None:
        path = write_draft(tmp_path, title="Cùng tên", at=AT, tz=TZ, channels=["tg"], body=f"bài {n}", author="lan")
        with lock:
            paths.append(path)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(set(paths)) == 8
    assert sorted(p.read_text(encoding="utf-8").rsplit("\n", 2)[-2] for p in paths) == [f"bài {n}" for n in range(8)]


def test_the_time_of_a_draft(campaign: Campaign) -> None:
    config = campaign.config()
    now = datetime(2021, 1, 25, 1, 0, 30, tzinfo=UTC)  # 08:00 local, in "cao-diem"
    assert parse_when("ngay", config, now) == datetime(2021, 1, 25, 1, 1, tzinfo=UTC)
    assert parse_when("Now", config, now) == datetime(2021, 1, 25, 1, 1, tzinfo=UTC)
    assert parse_when("09:15", config, now) == datetime(2021, 1, 25, 9, 15, tzinfo=TZ)
    assert parse_when("07:00", config, now) == datetime(2021, 1, 26, 7, 0, tzinfo=TZ)  # passed today: tomorrow
    assert parse_when("2021-01-27 10:00", config, now) == datetime(2021, 1, 27, 10, 0, tzinfo=TZ)
    assert parse_when("end -2h", config, now) == datetime(2021, 1, 25, 22, 0, tzinfo=TZ)  # the running milestone's end
    with pytest.raises(TimeExpressionError, match="invalid time .chiều mai.. Cho phép / allowed"):
        parse_when("chiều mai", config, now)


def test_editor_role_and_the_channels_an_editor_may_use(campaign: Campaign) -> None:
    campaign.config_path.write_text(EDITORS, encoding="utf-8")
    config = campaign.config()
    thu, ha, lan, boss = (config.people[k] for k in ("thu", "ha", "lan", "admin"))
    assert thu.is_editor and not thu.is_approver and boss.is_editor and not lan.is_editor
    assert usable_channels(config, thu) == ("zalo",)
    # everything but the approvers' and admins' chats, for an editor without a list and for admins
    assert usable_channels(config, ha) == usable_channels(config, boss) == ("tg", "nhom", "zalo")
    assert "/moi /new" in "\n".join(help_text(config, "vi", thu).lines)
    assert "/moi" not in "\n".join(help_text(config, "vi", lan).lines)


def test_bad_editor_settings_name_the_line(campaign: Campaign) -> None:
    text = EDITORS.replace('channels = ["zalo"]', 'channels = ["zalo", "khong_co"]').replace('roles = ["editor"]\ntelegram = 15',
                                                                                           'roles = ["editer"]\ntelegram = 15')
    errors = errors_of(campaign, text)
    assert any(f"config.toml:{line_of(text, 'khong_co')}" in e and "khong_co" in e for e in errors)
    assert any(f"config.toml:{line_of(text, 'editer')}" in e and "admin, approver, editor" in e for e in errors)
