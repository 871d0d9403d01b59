"""The facebook_page channel against the local Graph API emulator: posts, photos, edit, delete, errors, faults."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from campaign.errors import ChannelError
from channels.base import OutMessage
from channels.facebook import FacebookLimits, FacebookPageChannel, GraphClient, Usage, first_link
from tests.conftest import CONFIG, Campaign
from tests.emulators.facebook import FacebookEmulator

PAGE = "1234567890"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 128


@pytest.fixture
def fb() -> Iterator[FacebookEmulator]:
    with FacebookEmulator(pages={PAGE: "Ban Tuyên giáo Tỉnh ủy"}, hang_seconds=0.5) as emulator:
        yield emulator


@pytest.fixture
def media(tmp_path: Path) -> tuple[Path, ...]:
    paths = tuple(tmp_path / f"{n}.png" for n in "abc")
    for p in paths:
        p.write_bytes(PNG)
    return paths


def channel(fb: FacebookEmulator, token: str | None = None, problems: list[str] | None = None) -> FacebookPageChannel:
    client = GraphClient(fb.api_base, "v21.0", connect_timeout=0.5, read_timeout=0.3, connect_retries=0)
    return FacebookPageChannel(client, token or fb.page_token(PAGE), token_env="FB_TOKEN",
                               limits=FacebookLimits(per_second=1000, per_page_per_minute=100_000),
                               on_problem=problems.append if problems is not None else None)


def message(media: tuple[Path, ...] = ()) -> OutMessage:
    html = '<b>Khai mạc Đại hội</b>\n\nXem <a href="https://dangcongsan.vn/dai-hoi?a=1&amp;b=2">trực tiếp</a>.'
    plain = "Khai mạc Đại hội\n\nXem trực tiếp (https://dangcongsan.vn/dai-hoi?a=1&b=2)."
    return OutMessage(html, plain, media=media)


async def test_text_post_keeps_links_and_is_edited_then_deleted(fb: FacebookEmulator) -> None:
    ch = channel(fb)
    sent = await ch.send(PAGE, message())
    (post,) = fb.visible_posts(PAGE)
    assert sent.message_ids == (post["id"],)
    assert post["message"].startswith("Khai mạc Đại hội") and "(https://dangcongsan.vn/dai-hoi?a=1&b=2)" in post["message"]
    assert post["link"] == "https://dangcongsan.vn/dai-hoi?a=1&b=2"
    await ch.edit(PAGE, sent.message_ids, OutMessage("", "Đính chính: khai mạc lúc 8 giờ."))
    assert fb.visible_posts(PAGE)[0]["message"] == "Đính chính: khai mạc lúc 8 giờ."
    await ch.delete(PAGE, sent.message_ids)
    assert fb.visible_posts(PAGE) == []
    token_calls = [c for c in fb.calls if "access_token" in c.params or "access_token" in c.path]
    assert token_calls == []  # the token travels in the Authorization header, never in a URL or a form
    await ch.close()


async def test_one_photo_is_a_photo_post_with_the_text_as_caption(fb: FacebookEmulator, media: tuple[Path, ...]) -> None:
    ch = channel(fb)
    sent = await ch.send(PAGE, message(media[:1]))
    (post,) = fb.visible_posts(PAGE)
    assert sent.message_ids == (post["id"],) and len(post["photos"]) == 1
    assert post["message"].startswith("Khai mạc") and post["link"] is None
    await ch.close()


async def test_several_photos_are_uploaded_unpublished_then_attached(fb: FacebookEmulator, media: tuple[Path, ...]) -> None:
    ch = channel(fb)
    sent = await ch.send(PAGE, message(media))
    (post,) = fb.visible_posts(PAGE)
    assert sent.message_ids == (post["id"],) and len(post["photos"]) == 3
    assert all(not fb.photos[p]["published"] for p in post["photos"])
    await ch.close()


async def test_retry_after_a_failed_feed_call_reuses_the_uploaded_photos(fb: FacebookEmulator, media: tuple[Path, ...]) -> None:
    ch = channel(fb)
    fb.inject("500", path="/feed")
    with pytest.raises(ChannelError) as failed:
        await ch.send(PAGE, message(media))
    assert failed.value.transient and not failed.value.ambiguous
    await ch.send(PAGE, message(media))
    assert len(fb.calls_to("/photos")) == 3 and len(fb.visible_posts(PAGE)) == 1
    await ch.close()


@pytest.mark.parametrize("kind", ["lost_response", "reset", "garbage", "timeout"])
async def test_a_lost_answer_to_a_post_is_ambiguous(fb: FacebookEmulator, kind: str) -> None:
    ch = channel(fb)
    fb.inject(kind, path="/feed")
    with pytest.raises(ChannelError) as lost:
        await ch.send(PAGE, message())
    assert lost.value.ambiguous
    await ch.close()


async def test_a_lost_answer_to_an_unpublished_upload_is_safe_to_retry(fb: FacebookEmulator, media: tuple[Path, ...]) -> None:
    ch = channel(fb)
    fb.inject("lost_response", path="/photos")
    with pytest.raises(ChannelError) as lost:
        await ch.send(PAGE, message(media))
    assert lost.value.transient and not lost.value.ambiguous
    await ch.send(PAGE, message(media))
    assert len(fb.visible_posts(PAGE)) == 1
    await ch.close()


async def test_a_dropped_connection_before_processing_is_retried(fb: FacebookEmulator) -> None:
    ch = channel(fb)
    fb.inject("drop", path="/feed")
    with pytest.raises(ChannelError) as dropped:
        await ch.send(PAGE, message())
    assert dropped.value.transient
    assert fb.visible_posts(PAGE) == []
    await ch.close()


@pytest.mark.parametrize(("code", "transient", "problem"), [
    (190, False, "token"), (10, False, "permission"), (200, False, "permission"), (4, True, None), (17, True, None),
    (32, True, None), (613, True, None), (506, False, None), (100, False, None),
])
async def test_graph_error_codes_map_to_transient_or_permanent(fb: FacebookEmulator, code: int, transient: bool,
                                                                problem: str | None) -> None:
    problems: list[str] = []
    ch = channel(fb, problems=problems)
    fb.inject(code, path="/feed")
    with pytest.raises(ChannelError) as failed:
        await ch.send(PAGE, message())
    assert failed.value.transient is transient and not failed.value.ambiguous
    assert (failed.value.retry_after is not None) is (code in (4, 17, 32, 613))
    assert len(problems) == (1 if problem else 0)
    if problem == "token":
        assert "FB_TOKEN" in problems[0] and "loa facebook check" in problems[0]
    await ch.close()


async def test_is_transient_is_retried(fb: FacebookEmulator) -> None:
    ch = channel(fb)
    fb.inject(1357, path="/feed", transient=True)
    with pytest.raises(ChannelError) as failed:
        await ch.send(PAGE, message())
    assert failed.value.transient
    await ch.close()


async def test_a_bad_token_alerts_once_until_it_works_again(fb: FacebookEmulator) -> None:
    problems: list[str] = []
    ch = channel(fb, token="not-a-token", problems=problems)
    for _ in range(2):
        with pytest.raises(ChannelError):
            await ch.send(PAGE, message())
    assert len(problems) == 1
    assert "not-a-token" not in problems[0]
    await ch.close()


async def test_a_token_without_posting_permission(fb: FacebookEmulator) -> None:
    problems: list[str] = []
    ch = channel(fb, token=fb.page_token(PAGE, permissions=("pages_read_engagement",)), problems=problems)
    with pytest.raises(ChannelError) as refused:
        await ch.send(PAGE, message())
    assert not refused.value.transient and "pages_manage_posts" in refused.value.reason
    assert problems and fb.visible_posts(PAGE) == []
    name, missing = await ch.check(PAGE)
    assert name == "Ban Tuyên giáo Tỉnh ủy" and missing == ["pages_manage_posts"]
    await ch.close()


async def test_usage_headers_slow_sending_before_the_limit(fb: FacebookEmulator) -> None:
    ch = channel(fb)
    await ch.send(PAGE, message())
    assert ch.limits.spacing == 0
    fb.usage = {"call_count": 90, "total_cputime": 10, "total_time": 10}
    await ch.send(PAGE, message())
    assert 0 < ch.limits.spacing < 60 and ch.limits.delay() > 0
    fb.usage = {"call_count": 10, "total_cputime": 10, "total_time": 10}
    fb.buc_usage = {PAGE: [{"type": "pages", "call_count": 100, "total_cputime": 5, "total_time": 5,
                            "estimated_time_to_regain_access": 7}]}
    ch.limits.note(Usage(0, 0))
    assert ch.limits.delay() == 0
    await ch.check(PAGE)  # any answer carries the headers
    assert ch.limits.delay() > 6 * 60
    await ch.close()


def test_usage_header_parsing() -> None:
    assert Usage.from_headers({}) == Usage(0, 0)
    assert Usage.from_headers({"X-App-Usage": '{"call_count": 12, "total_time": 80, "total_cputime": 3}'}).percent == 80
    buc = '{"99": [{"type": "pages", "call_count": 5, "estimated_time_to_regain_access": 3}]}'
    assert Usage.from_headers({"X-Business-Use-Case-Usage": buc}) == Usage(5, 3)
    assert Usage.from_headers({"X-App-Usage": "not json"}) == Usage(0, 0)


def test_first_link_is_the_preview_card() -> None:
    assert first_link('<a href="tg://x">t</a> <a href="https://a.vn/?x=1&amp;y=2">a</a>') == "https://a.vn/?x=1&y=2"
    assert first_link("no links") is None


async def test_unsupported_media_fails_before_any_call(fb: FacebookEmulator, tmp_path: Path) -> None:
    doc = tmp_path / "plan.pdf"
    doc.write_bytes(b"%PDF")
    ch = channel(fb)
    with pytest.raises(ChannelError) as refused:
        await ch.send(PAGE, message((doc,)))
    assert not refused.value.transient and "plan.pdf" in refused.value.reason and fb.calls == []
    await ch.close()


def cli_campaign(tmp_path: Path, fb: FacebookEmulator) -> Campaign:
    return Campaign(tmp_path / "camp", CONFIG + f'''
[channels.fanpage]
kind = "facebook_page"
target = "{PAGE}"
label = "Fanpage"
token_env = "FB_TOKEN"

[facebook]
api_base = "{fb.api_base}"
''')


def test_cli_check_names_the_page_and_never_prints_the_token(fb: FacebookEmulator, tmp_path: Path) -> None:
    camp = cli_campaign(tmp_path, fb)
    token = fb.page_token(PAGE)
    result = CliRunner().invoke(app, ["facebook", "check", "--config", str(camp.config_path)], env={"FB_TOKEN": token})
    assert result.exit_code == 0, result.output
    assert "✓ Fanpage [fanpage]: Trang «Ban Tuyên giáo Tỉnh ủy» (1234567890), token hợp lệ" in result.output
    assert "Page “Ban Tuyên giáo Tỉnh ủy” (1234567890), token valid" in result.output and token not in result.output
    assert fb.calls_to(f"/{PAGE}", "GET")[0].params == {"fields": "name"}


def test_cli_check_says_what_permission_is_missing(fb: FacebookEmulator, tmp_path: Path) -> None:
    camp = cli_campaign(tmp_path, fb)
    token = fb.page_token(PAGE, permissions=("pages_show_list",))
    result = CliRunner().invoke(app, ["facebook", "check", "--config", str(camp.config_path)], env={"FB_TOKEN": token})
    assert result.exit_code == 1
    assert "missing permission(s): pages_manage_posts, pages_read_engagement" in result.output


def test_cli_check_bad_or_missing_token(fb: FacebookEmulator, tmp_path: Path) -> None:
    camp = cli_campaign(tmp_path, fb)
    result = CliRunner().invoke(app, ["facebook", "check", "--config", str(camp.config_path)], env={"FB_TOKEN": "nope"})
    assert result.exit_code == 1 and "Facebook rejected the Page access token (190" in result.output
    result = CliRunner().invoke(app, ["facebook", "check", "--config", str(camp.config_path)], env={"FB_TOKEN": ""})
    assert result.exit_code == 1 and "environment variable FB_TOKEN" in result.output
