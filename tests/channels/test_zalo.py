"""Zalo OA and Zalo Bot channels against the local emulators, tokens on every configured database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from bot.zalo_cli import zalo_app
from campaign.clock import FakeClock
from campaign.config import ZaloSettings
from campaign.errors import ChannelError, ChannelSetupError
from campaign.payload import Action, Choice, Payload
from campaign.store import zalo_tokens
from campaign.store.db import Store
from channels.base import OutMessage
from channels.zalo.bot import BotLimits, ZaloBotChannel, ZaloBotClient
from channels.zalo.http import ZaloOAClient, media_url_from_base
from channels.zalo.oa import ZaloLimits, ZaloOA, ZaloOAChannel
from channels.zalo.tokens import ZaloTokens
from tests.conftest import CONFIG, Campaign
from tests.emulators.zalo import ZaloBotEmulator, ZaloOAEmulator

START = datetime(2021, 1, 20, 0, 0, tzinfo=UTC)
MEDIA = "https://media.example.org/loa"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 128
GIF = b"GIF89a" + (320).to_bytes(2, "little") + (240).to_bytes(2, "little") + b"\x00" * 64
BOT_TOKEN = "1459232241454765289:test-bot-token"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def oa(clock: FakeClock) -> Iterator[ZaloOAEmulator]:
    with ZaloOAEmulator(groups=("g1",), hang_seconds=0.5) as emulator:
        emulator.clock = lambda: clock.now().timestamp()  # the emulator's expiry follows the test clock
        yield emulator


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    (folder / "img").mkdir(parents=True)
    for name in ("a.png", "b.png"):
        (folder / "img" / name).write_bytes(PNG)
    (folder / "img" / "c.gif").write_bytes(GIF)
    return folder


def login(store: Store, oa: ZaloOAEmulator, clock: FakeClock) -> zalo_tokens.TokenPair:
    access, refresh, ttl = oa.issue_tokens()
    return zalo_tokens.save(store, access, refresh, clock.now() + timedelta(seconds=ttl), clock.now())


def make_oa(store: Store, oa: ZaloOAEmulator, clock: FakeClock, content: Path | None = None,
            stops: list[str] | None = None, **kw: float) -> ZaloOA:
    client = ZaloOAClient(oa.oa_api_base, oa.oauth_base, connect_timeout=0.5, read_timeout=0.3)
    tokens = ZaloTokens(store, client, oa.app_id, oa.secret_key, clock=clock,
                        on_stop=stops.append if stops is not None else None)
    return ZaloOA(client, tokens, limits=ZaloLimits(per_second=1000, per_target_per_minute=100_000),
                  media_url=media_url_from_base(MEDIA, content) if content else None, author="Ban Tuyên giáo",
                  verify_delay=0.01, **kw)


def group(zoa: ZaloOA) -> ZaloOAChannel:
    return ZaloOAChannel(zoa, "zalo_oa_group")


def text(plain: str = "Khai mạc Đại hội\n\nChào mừng Đại hội.", media: tuple[Path, ...] = ()) -> OutMessage:
    return OutMessage(html=plain, plain=plain, media=media)


# --- publishing ----------------------------------------------------------------------------------


async def test_post_reaches_a_group_with_text_and_image(store: Store, oa: ZaloOAEmulator, clock: FakeClock,
                                                        content: Path) -> None:
    pair = login(store, oa, clock)
    channel = group(make_oa(store, oa, clock, content))
    await channel.start()
    await channel.acquire("g1")
    sent = await channel.send("g1", text(media=(content / "img" / "a.png",)))
    await channel.close()
    [image, message] = oa.group_messages("g1")
    assert message["text"] == "Khai mạc Đại hội\n\nChào mừng Đại hội."
    assert image["image"] == oa.calls_to("/v2.0/oa/upload/image")[0].response["data"]["attachment_id"]
    assert sent.message_ids == (image["message_id"], message["message_id"])
    assert {c.access_token for c in oa.calls} == {pair.access_token}  # the header, on every call
    assert oa.token_calls() == []


async def test_a_gif_goes_up_as_a_gif_with_its_size(store: Store, oa: ZaloOAEmulator, clock: FakeClock,
                                                    content: Path) -> None:
    login(store, oa, clock)
    channel = group(make_oa(store, oa, clock, content))
    sent = await channel.send("g1", text(media=(content / "img" / "c.gif", content / "img" / "a.png")))
    assert [kind for kind, _ in oa.uploads()] == ["gif", "image"]
    assert [c.path for c in oa.calls if "upload" in c.path] == ["/v2.0/oa/upload/gif", "/v2.0/oa/upload/image"]
    gif, image, message = oa.group_messages("g1")
    assert (gif["width"], gif["height"]) == (320, 240) and gif["gif"] == oa.calls[0].response["data"]["attachment_id"]
    assert "image" in image and message["text"].startswith("Khai mạc")
    assert len(sent.message_ids) == 3
    (content / "img" / "broken.gif").write_bytes(b"not a gif at all")
    with pytest.raises(ChannelError, match="not a valid GIF") as err:
        await channel.send("g1", text("khác", media=(content / "img" / "broken.gif",)))
    assert not err.value.transient and len(oa.uploads()) == 2  # refused before anything was uploaded


async def test_post_reaches_the_followers_as_an_article(store: Store, oa: ZaloOAEmulator, clock: FakeClock,
                                                        content: Path) -> None:
    login(store, oa, clock)
    channel = ZaloOAChannel(make_oa(store, oa, clock, content), "zalo_oa_broadcast")
    post = text("Khai mạc Đại hội\n\nChào mừng Đại hội.\n\nĐoạn hai.", (content / "img" / "a.png", content / "img" / "b.png"))
    sent = await channel.send("followers", post)
    [article] = oa.articles()
    assert article["title"] == "Khai mạc Đại hội" and article["author"] == "Ban Tuyên giáo"
    assert article["cover"]["photo_url"] == f"{MEDIA}/img/a.png"
    assert article["body"] == [{"type": "text", "content": "Chào mừng Đại hội."},
                               {"type": "text", "content": "Đoạn hai."},
                               {"type": "image", "url": f"{MEDIA}/img/b.png"}]
    assert [c.error for c in oa.calls_to("/v2.0/article/verify")] == [-214, -214, 0]  # processed after 2 polls
    [broadcast] = oa.broadcasts
    assert broadcast["article_id"] == article["id"] and broadcast["target"] == {}
    assert sent.message_ids == (broadcast["message_id"], f"article:{article['id']}")


async def test_broadcast_audience_filters_and_missing_cover(store: Store, oa: ZaloOAEmulator, clock: FakeClock) -> None:
    login(store, oa, clock)
    zoa = make_oa(store, oa, clock)
    channel = ZaloOAChannel(zoa, "zalo_oa_broadcast")
    with pytest.raises(ChannelError) as err:
        await channel.send("followers", text())
    assert not err.value.transient and "media_base_url" in err.value.reason
    assert oa.calls == []  # refused before anything was created
    zoa.default_cover_url = "https://media.example.org/cover.jpg"
    await channel.send("followers:gender=1,cities=4", text())
    assert oa.broadcasts[0]["target"] == {"gender": 1, "cities": 4}


async def test_article_still_processing_is_transient_and_resumed(store: Store, oa: ZaloOAEmulator,
                                                                 clock: FakeClock) -> None:
    login(store, oa, clock)
    oa.article_processing_polls = 3
    channel = ZaloOAChannel(make_oa(store, oa, clock, verify_attempts=2), "zalo_oa_broadcast")
    channel.oa.default_cover_url = "https://media.example.org/cover.jpg"
    with pytest.raises(ChannelError) as err:
        await channel.send("followers", text())
    assert err.value.transient and oa.broadcasts == []
    await channel.send("followers", text())  # the engine's retry: polls the same article again
    assert len(oa.calls_to("/v2.0/article/create")) == 1 and len(oa.broadcasts) == 1


async def test_retry_after_a_failure_mid_post_sends_nothing_twice(store: Store, oa: ZaloOAEmulator, clock: FakeClock,
                                                                  content: Path) -> None:
    login(store, oa, clock)
    channel = group(make_oa(store, oa, clock, content))
    oa.inject("502", path="/v3.0/oa/group/message", after=1)  # the image goes out, the text fails
    post = text(media=(content / "img" / "a.png",))
    with pytest.raises(ChannelError) as err:
        await channel.send("g1", post)
    assert err.value.transient and len(oa.group_messages("g1")) == 1
    sent = await channel.send("g1", post)
    assert [("image" in m, "text" in m) for m in oa.group_messages("g1")] == [(True, False), (False, True)]
    assert len(sent.message_ids) == 2 and len(oa.calls_to("/v2.0/oa/upload/image")) == 1


# --- error bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "transient", "words"), [
    ("rate_limit", True, "rate limited"),
    ("quota", False, "quota"),
    ("not_follower", False, "does not follow"),
    ("not_in_package", False, "package"),
    ("bad_param", False, "invalid parameter"),
    (-9999, False, "-9999"),
    ("500", True, "HTTP 500"),
    ("drop", True, "answer was lost"),  # the group message may be out: ambiguous
    ("timeout", True, "did not answer"),
])
async def test_error_bodies_map_to_transient_or_permanent(store: Store, oa: ZaloOAEmulator, clock: FakeClock,
                                                          kind: str | int, transient: bool, words: str) -> None:
    login(store, oa, clock)
    channel = group(make_oa(store, oa, clock))
    oa.inject(kind, path="/v3.0/oa/group/message")
    with pytest.raises(ChannelError) as err:
        await channel.send("g1", text())
    assert err.value.transient is transient and words in err.value.reason
    if kind == "rate_limit":
        assert err.value.retry_after == 60
    assert len(oa.calls_to("/v3.0/oa/group/message")) == 1  # POSTs are not retried by the HTTP layer
    assert oa.token_calls() == []


async def test_error_body_with_an_http_4xx_is_read_not_called_unexpected(store: Store, oa: ZaloOAEmulator,
                                                                         clock: FakeClock) -> None:
    login(store, oa, clock)
    channel = group(make_oa(store, oa, clock))
    oa.inject("quota", path="/v3.0/oa/group/message", status=400)
    with pytest.raises(ChannelError) as err:
        await channel.send("g1", text())
    assert not err.value.transient and "quota" in err.value.reason and "unexpected" not in err.value.reason
    oa.inject("rate_limit", path="/v3.0/oa/group/message", status=403)
    with pytest.raises(ChannelError) as err:
        await channel.send("g1", text())
    assert err.value.transient and err.value.retry_after == 60


async def test_wrong_or_disabled_group_and_oversized_image(store: Store, oa: ZaloOAEmulator, clock: FakeClock,
                                                           content: Path) -> None:
    login(store, oa, clock)
    zoa = make_oa(store, oa, clock, content, image_max_bytes=5_000_000)  # Loa's own check set above Zalo's
    with pytest.raises(ChannelError) as err:
        await group(zoa).send("not-our-group", text())
    assert not err.value.transient and "-403" in err.value.reason and "check the group id" in err.value.reason
    oa.disable_group("g1")
    with pytest.raises(ChannelError) as err:
        await group(zoa).send("g1", text())
    assert not err.value.transient and "-237" in err.value.reason and "disabled" in err.value.reason
    big = content / "img" / "big.png"
    big.write_bytes(PNG + b"\x00" * 1_000_000)
    oa.add_group("g2")
    with pytest.raises(ChannelError) as err:
        await group(zoa).send("g2", text(media=(big,)))
    assert not err.value.transient and "-210" in err.value.reason and "too large" in err.value.reason
    assert oa.group_messages("g2") == []


async def test_edit_and_delete_are_refused_clearly(store: Store, oa: ZaloOAEmulator, clock: FakeClock) -> None:
    login(store, oa, clock)
    zoa = make_oa(store, oa, clock)
    zoa.default_cover_url = "https://media.example.org/cover.jpg"
    with pytest.raises(ChannelError, match="cannot edit") as err:
        await group(zoa).edit("g1", ("m1",), text())
    assert not err.value.transient
    with pytest.raises(ChannelError, match="cannot be recalled"):
        await group(zoa).delete("g1", ("m1",))
    broadcast = ZaloOAChannel(zoa, "zalo_oa_broadcast")
    sent = await broadcast.send("followers", text())
    with pytest.raises(ChannelError, match="article was removed, but a broadcast message cannot be recalled"):
        await broadcast.delete("followers", sent.message_ids)
    assert oa.articles()[0]["removed"] is True


# --- tokens --------------------------------------------------------------------------------------


async def test_token_expiry_mid_campaign_refreshes_ahead_and_persists(store: Store, oa: ZaloOAEmulator,
                                                                      clock: FakeClock) -> None:
    first = login(store, oa, clock)
    channel = group(make_oa(store, oa, clock))
    await channel.send("g1", text("một"))
    clock.advance(timedelta(hours=24, minutes=30))  # 30 min before expiry: inside the 1 h margin
    await channel.send("g1", text("hai"))
    [refresh] = oa.token_calls()
    assert refresh.params["grant_type"] == "refresh_token" and refresh.params["refresh_token"] == first.refresh_token
    assert refresh.headers["secret_key"] == oa.secret_key
    stored = zalo_tokens.load(store)
    assert stored is not None and stored.generation == first.generation + 1
    assert stored.expires_at == clock.now() + timedelta(seconds=oa.access_ttl)
    assert oa.calls_to("/v3.0/oa/group/message")[-1].access_token == stored.access_token
    assert not oa.token_valid(first.access_token)
    assert [m["text"] for m in oa.group_messages("g1")] == ["một", "hai"]


@pytest.mark.parametrize("rejection", ["removed (-220)", "invalid (-216)", "-220 as HTTP 401", "bare HTTP 401"])
async def test_rejected_token_refreshes_once_and_retries_once(store: Store, oa: ZaloOAEmulator,
                                                              clock: FakeClock, rejection: str) -> None:
    first = login(store, oa, clock)
    channel = group(make_oa(store, oa, clock))
    if rejection == "removed (-220)":
        oa.expire_access_tokens()  # Zalo says -220 although our clock thinks the token is fine
    elif rejection == "invalid (-216)":
        oa.inject("token_invalid", path="/v3.0/oa/group/message")
    elif rejection == "-220 as HTTP 401":
        oa.inject("token_expired", path="/v3.0/oa/group/message", status=401)
    else:
        oa.inject("http_401", path="/v3.0/oa/group/message")  # no Zalo body at all: taken as -216
    await channel.send("g1", text())  # no failure: the send recovers by itself
    calls = oa.calls_to("/v3.0/oa/group/message")
    assert [c.error for c in calls] == [{"invalid (-216)": -216, "bare HTTP 401": None}.get(rejection, -220), 0]
    assert calls[0].status == (401 if "401" in rejection else 200)
    assert calls[1].access_token == zalo_tokens.load(store).access_token != first.access_token
    assert len(oa.token_calls()) == 1 and zalo_tokens.load(store).generation == first.generation + 1
    assert [m["text"] for m in oa.group_messages("g1")] == ["Khai mạc Đại hội\n\nChào mừng Đại hội."]
    oa.inject("token_invalid", path="/v3.0/oa/group/message", count=2)
    with pytest.raises(ChannelError, match="freshly refreshed") as err:
        await channel.send("g1", text("again"))
    assert not err.value.transient and len(oa.token_calls()) == 2  # one refresh, no loop


async def test_concurrent_sends_share_one_refresh(store: Store, oa: ZaloOAEmulator, clock: FakeClock) -> None:
    login(store, oa, clock)
    oa.add_group("g2")
    channel = group(make_oa(store, oa, clock))
    clock.advance(timedelta(hours=26))
    await asyncio.gather(*(channel.send(g, text(f"tin {i}")) for i in range(4) for g in ("g1", "g2")))
    assert len(oa.token_calls()) == 1 and zalo_tokens.load(store).generation == 2
    assert len(oa.group_messages("g1")) == len(oa.group_messages("g2")) == 4


async def test_crash_right_after_a_refresh_does_not_lock_zalo_out(store: Store, oa: ZaloOAEmulator,
                                                                  clock: FakeClock) -> None:
    login(store, oa, clock)
    clock.advance(timedelta(hours=25))
    await group(make_oa(store, oa, clock)).send("g1", text("trước"))  # refreshes and saves, then "crashes"
    assert len(oa.token_calls()) == 1
    saved = zalo_tokens.load(store)
    restarted = group(make_oa(store, oa, clock))  # a new process, same store
    await restarted.start()
    await restarted.send("g1", text("sau"))
    assert len(oa.token_calls()) == 1  # no new refresh needed
    assert oa.calls_to("/v3.0/oa/group/message")[-1].access_token == saved.access_token


async def test_a_second_instance_adopts_the_pair_another_saved(store: Store, oa: ZaloOAEmulator,
                                                               clock: FakeClock) -> None:
    login(store, oa, clock)
    a, b = group(make_oa(store, oa, clock)), group(make_oa(store, oa, clock))
    await b.send("g1", text("b holds the first pair in memory"))
    clock.advance(timedelta(hours=25))
    await a.send("g1", text("a refreshes"))
    clock.set(START + timedelta(hours=1))  # b's view: its cached token still looks fresh, Zalo says -220
    await b.send("g1", text("b again"))
    assert len(oa.token_calls()) == 1  # b took a's pair from the store instead of spending the old token
    assert len(oa.group_messages("g1")) == 3


async def test_stale_backup_reuses_a_refresh_token_and_stops_without_looping(
        store: Store, oa: ZaloOAEmulator, clock: FakeClock) -> None:
    backup = login(store, oa, clock)
    clock.advance(timedelta(hours=25))
    await group(make_oa(store, oa, clock)).send("g1", text("refreshes to a new pair"))
    zalo_tokens.save(store, backup.access_token, backup.refresh_token, backup.expires_at, clock.now())  # restore
    stops: list[str] = []
    channel = group(make_oa(store, oa, clock, stops=stops))
    for _ in range(3):
        with pytest.raises(ChannelError) as err:
            await channel.send("g1", text("after the restore"))
        assert not err.value.transient
        assert "loa zalo login" in err.value.reason and "Zalo publishing is stopped" in err.value.reason
    assert len(oa.token_calls()) == 2  # one refresh, one refused reuse; then fail fast
    assert oa.token_calls()[-1].response["error"] == -14014
    assert len(stops) == 1
    login(store, oa, clock)  # the admin runs `loa zalo login`
    await channel.send("g1", text("resumed"))
    assert oa.group_messages("g1")[-1]["text"] == "resumed" and len(oa.token_calls()) == 2


async def test_two_deployments_with_copies_of_one_pair(store: Store, oa: ZaloOAEmulator, clock: FakeClock,
                                                       tmp_path: Path) -> None:
    pair = login(store, oa, clock)
    other = Store(f"sqlite:///{tmp_path / 'other.db'}")  # e.g. staging, seeded with the same pair
    zalo_tokens.save(other, pair.access_token, pair.refresh_token, pair.expires_at, clock.now())
    clock.advance(timedelta(hours=25))
    await group(make_oa(store, oa, clock)).send("g1", text("production refreshes first"))
    staging = group(make_oa(other, oa, clock))
    for _ in range(2):
        with pytest.raises(ChannelError, match="loa zalo login"):
            await staging.send("g1", text("staging"))
    assert len(oa.token_calls()) == 2 and oa.token_calls()[1].response["error"] == -14014
    other.close()


async def test_no_token_pair_yet(store: Store, oa: ZaloOAEmulator, clock: FakeClock) -> None:
    channel = group(make_oa(store, oa, clock))
    await channel.start()  # reported, not fatal: Telegram keeps publishing
    with pytest.raises(ChannelError, match="loa zalo login") as err:
        await channel.send("g1", text())
    assert not err.value.transient and oa.calls == []


async def test_environment_pair_seeds_an_empty_store_once(store: Store, oa: ZaloOAEmulator, clock: FakeClock) -> None:
    access, refresh, _ = oa.issue_tokens()
    zoa = make_oa(store, oa, clock)
    zoa._seed = (access, refresh)
    await zoa.start()
    await group(zoa).send("g1", text())
    assert len(oa.token_calls()) == 1 and zalo_tokens.load(store).generation == 2  # rotated into our own pair
    again = make_oa(store, oa, clock)
    again._seed = (access, refresh)  # the stale pair still in .env must not overwrite the store
    await again.start()
    assert zalo_tokens.load(store).generation == 2


def test_two_refreshers_cannot_both_win(store: Store, oa: ZaloOAEmulator, clock: FakeClock) -> None:
    first = login(store, oa, clock)
    clock.advance(timedelta(hours=25))
    managers = [make_oa(store, oa, clock).tokens for _ in range(2)]
    results: list[str] = []
    barrier = threading.Barrier(2)

    def refresh(tokens: ZaloTokens) -> None:
        barrier.wait()
        results.append(tokens._refresh_blocking(first.access_token))

    threads = [threading.Thread(target=refresh, args=(m,)) for m in managers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = zalo_tokens.load(store)
    assert len(oa.token_calls()) == 1 and stored.generation == first.generation + 1
    assert results == [stored.access_token] * 2


def test_compare_and_set(store: Store, clock: FakeClock) -> None:
    now = clock.now()
    assert zalo_tokens.save_if_generation(store, 0, "a", "r", now, now) is None  # no row yet
    first = zalo_tokens.save(store, "a1", "r1", now, now)
    assert zalo_tokens.seed_if_empty(store, "x", "y", now, now) is None
    second = zalo_tokens.save_if_generation(store, first.generation, "a2", "r2", now, now)
    assert second is not None and second.generation == 2
    assert zalo_tokens.save_if_generation(store, first.generation, "a3", "r3", now, now) is None
    assert zalo_tokens.load(store).access_token == "a2"
    assert "a2" not in repr(second) and "r2" not in repr(second)


# --- loa zalo login / status ---------------------------------------------------------------------


def zalo_config(tmp_path: Path, oa: ZaloOAEmulator) -> Campaign:
    return Campaign(tmp_path / "camp", CONFIG + f'\n[zalo]\noa_api_base = "{oa.oa_api_base}"\noauth_base = "{oa.oauth_base}"\n')


def cli(campaign: Campaign, store: Store, oa: ZaloOAEmulator, *args: str, stdin: str | None = None):
    env = {"LOA_DATABASE_URL": store.url, "ZALO_APP_ID": oa.app_id, "ZALO_APP_SECRET": oa.secret_key}
    return CliRunner().invoke(zalo_app, [*args, "--config", str(campaign.config_path)], env=env, input=stdin)


def test_cli_login_stores_the_pair_and_never_prints_it(store: Store, oa: ZaloOAEmulator, tmp_path: Path) -> None:
    campaign = zalo_config(tmp_path, oa)
    result = cli(campaign, store, oa, "login", "--code", oa.auth_code())
    assert result.exit_code == 0, result.output
    pair = zalo_tokens.load(store)
    assert pair is not None and pair.generation == 1 and oa.token_valid(pair.access_token)
    assert pair.access_token not in result.output and pair.refresh_token not in result.output
    assert "generation 1" in result.output and "Asia/Ho_Chi_Minh" in result.output
    status = cli(campaign, store, oa, "status")
    assert status.exit_code == 0 and "generation 1" in status.output and "valid for 25.0 h" in status.output
    assert pair.access_token not in status.output
    again = cli(campaign, store, oa, "login", "--refresh-token", "-", stdin=pair.refresh_token + "\n")
    assert again.exit_code == 0 and zalo_tokens.load(store).generation == 2
    reused = cli(campaign, store, oa, "login", "--refresh-token", pair.refresh_token)
    assert reused.exit_code == 1 and "Invalid refresh token" in reused.output
    assert zalo_tokens.load(store).generation == 2  # a refusal changes nothing
    no_callback = cli(campaign, store, oa, "login")  # the PKCE flow needs the app's callback URL
    assert no_callback.exit_code == 2 and "[zalo] redirect_uri" in no_callback.output
    assert cli(campaign, store, oa, "login", "--code", "c", "--refresh-token", "r").exit_code == 2


def test_cli_login_asks_with_pkce_and_checks_the_state(store: Store, oa: ZaloOAEmulator, tmp_path: Path) -> None:
    """The admin's side for real: read the printed page, 'open' it, paste back where Zalo redirected."""
    campaign = zalo_config(tmp_path, oa)
    env = {**os.environ, "LOA_DATABASE_URL": store.url, "ZALO_APP_ID": oa.app_id, "ZALO_APP_SECRET": oa.secret_key}

    def run(tamper: Callable[[str], str] = lambda location: location) -> tuple[int, str, str]:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "zalo", "login", "--config", str(campaign.config_path),
                                 "--redirect-uri", "https://loa.example/zalo/callback"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None and proc.stdin is not None
        lines = []
        while not (line := proc.stdout.readline()).startswith("http"):
            assert line, "the permission page was never printed"
            lines.append(line)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(line.strip()).query)
        assert set(query) == {"app_id", "redirect_uri", "code_challenge", "state"}
        assert query["redirect_uri"] == ["https://loa.example/zalo/callback"] and len(query["code_challenge"][0]) == 43
        page = requests.get(line.strip(), allow_redirects=False, timeout=5)  # the admin accepts on Zalo's page
        out, err = proc.communicate(tamper(page.headers["Location"]) + "\n", timeout=30)
        return proc.returncode, "".join(lines) + line + out, err

    code, out, err = run(lambda location: location.replace("state=", "state=x"))  # another attempt's address
    assert code == 1 and "'state' does not match" in err and zalo_tokens.load(store) is None
    code, out, err = run()
    assert code == 0, err
    pair = zalo_tokens.load(store)
    assert pair is not None and pair.generation == 1 and oa.token_valid(pair.access_token)
    assert pair.access_token not in out + err and pair.refresh_token not in out + err
    [exchange] = [c for c in oa.token_calls() if c.response and "access_token" in c.response]
    assert exchange.params["grant_type"] == "authorization_code" and 43 <= len(exchange.params["code_verifier"]) <= 128


def test_cli_status_without_a_pair(store: Store, oa: ZaloOAEmulator, tmp_path: Path) -> None:
    result = cli(zalo_config(tmp_path, oa), store, oa, "status")
    assert result.exit_code == 1 and "loa zalo login" in result.output


# --- Zalo Bot ------------------------------------------------------------------------------------


@pytest.fixture
def zbot() -> Iterator[ZaloBotEmulator]:
    with ZaloBotEmulator(BOT_TOKEN, hang_seconds=0.5, max_poll_seconds=1.0) as emulator:
        yield emulator


def bot_channel(zbot: ZaloBotEmulator, token: str = BOT_TOKEN, content: Path | None = None) -> ZaloBotChannel:
    return ZaloBotChannel(token, api_base=zbot.base_url, media_url=media_url_from_base(MEDIA, content) if content else None,
                          limits=BotLimits(1000, 1000), read_timeout=0.3, connect_timeout=0.3,
                          startup_retries=2, startup_backoff=0.01)


async def test_bot_sends_text_and_photo(zbot: ZaloBotEmulator, content: Path) -> None:
    channel = bot_channel(zbot, content=content)
    await channel.start()
    assert channel.me["id"] == "1459232241454765289"
    sent = await channel.send("u1", text("Duyệt bài #3"))
    photo = await channel.send("u1", text("Bài có ảnh", (content / "img" / "a.png",)))
    await channel.close()
    [m1, m2] = zbot.messages("u1")
    assert m1["text"] == "Duyệt bài #3" and sent.message_ids == (m1["message_id"],)
    assert m2["photo"] == f"{MEDIA}/img/a.png" and m2["caption"] == "Bài có ảnh"
    assert photo.message_ids == (m2["message_id"],)


async def test_bot_shows_a_messages_choices_as_commands_to_type(zbot: ZaloBotEmulator) -> None:
    """No buttons on the Zalo Bot: the reader is told what to type, with the same targets the buttons carry."""
    request = Payload(plain="📝 Bài #12 chờ duyệt").with_choices(
        ((Choice(Action.APPROVE, 12, "abc"), Choice(Action.REJECT, 12, "abc")), (Choice(Action.DIFF, 12, "abc"),)))
    await bot_channel(zbot).send("u1", OutMessage.from_payload(request, Path(".")))
    [message] = zbot.messages("u1")
    assert message["text"] == "📝 Bài #12 chờ duyệt\nTrả lời / Reply: /duyet 12 · /tuchoi 12 lý do/reason · /bai 12"


async def test_bot_without_media_urls_says_what_it_left_out(zbot: ZaloBotEmulator, content: Path) -> None:
    await bot_channel(zbot).send("u1", text("Bài có ảnh", (content / "img" / "a.png",)))
    assert zbot.messages("u1")[0]["text"].endswith("1 attachment(s) not shown on Zalo Bot)")


async def test_bot_wrong_token_at_start_up(zbot: ZaloBotEmulator) -> None:
    with pytest.raises(ChannelSetupError, match="rejected the bot token"):
        await bot_channel(zbot, token="1:wrong").start()
    with pytest.raises(ChannelSetupError):
        ZaloBotChannel("", api_base=zbot.base_url)


async def test_bot_403_is_an_outage_not_a_wrong_token(zbot: ZaloBotEmulator) -> None:
    channel = bot_channel(zbot)
    zbot.inject("403", path="getMe")  # the Bot platform's "internal server error"
    await channel.start()  # retried, then ready: `loa run` is not stopped
    assert [c.status for c in zbot.calls_to("getMe")] == [403, 200] and channel.me["id"]
    zbot.inject("403", path="sendMessage")
    with pytest.raises(ChannelError) as err:
        await channel.send("u1", text())
    assert err.value.transient and "403" in err.value.reason  # the engine retries it with back-off
    await channel.send("u1", text())
    assert len(zbot.messages("u1")) == 1
    zbot.inject("403", path="getMe", count=5)
    with pytest.raises(ChannelSetupError, match="cannot reach Zalo Bot") as setup:
        await bot_channel(zbot).start()
    assert "rejected the bot token" not in str(setup.value)


@pytest.mark.parametrize(("code", "transient"), [("400", False), ("401", False), ("403", True), ("404", False),
                                                 ("408", True), ("429", True), ("500", True)])
async def test_bot_codes_map_as_published(zbot: ZaloBotEmulator, code: str, transient: bool) -> None:
    zbot.inject(code, path="sendMessage")
    with pytest.raises(ChannelError) as err:
        await bot_channel(zbot).send("u1", text())
    assert err.value.transient is transient and code in err.value.reason


async def test_bot_errors_map_like_telegram(zbot: ZaloBotEmulator) -> None:
    channel = bot_channel(zbot)
    zbot.inject("429", path="sendMessage")
    with pytest.raises(ChannelError) as err:
        await channel.send("u1", text())
    assert err.value.transient and err.value.retry_after == 1
    zbot.inject("502", path="sendMessage")
    with pytest.raises(ChannelError) as err:
        await channel.send("u1", text())
    assert err.value.transient
    with pytest.raises(ChannelError) as err:
        await channel.send("u1", text("x" * 2001))
    assert not err.value.transient and "2000" in err.value.reason
    with pytest.raises(ChannelError) as err:
        await channel.send("", text())
    assert not err.value.transient and BOT_TOKEN not in err.value.reason
    with pytest.raises(ChannelError, match="cannot edit"):
        await channel.edit("u1", ("m",), text())


def test_bot_client_updates_and_webhook(zbot: ZaloBotEmulator) -> None:
    client = ZaloBotClient(BOT_TOKEN, api_base=zbot.base_url)
    assert client.get_updates(timeout=0) == []
    zbot.user_text("u7", "/today")
    [update] = client.get_updates()  # the default long poll
    assert [c.params["timeout"] for c in zbot.calls_to("getUpdates")] == [0, 30]  # whole numbers, not 30.0
    assert all(type(c.params["timeout"]) is int for c in zbot.calls_to("getUpdates"))
    assert update["event_name"] == "message.text.received" and update["message"]["chat"]["id"] == "u7"
    assert client.set_webhook("http://127.0.0.1:9/zalo", "s3cret-token")["url"] == "http://127.0.0.1:9/zalo"
    assert client.get_webhook_info()["url"] == "http://127.0.0.1:9/zalo"
    with pytest.raises(ValueError):
        client.set_webhook("http://127.0.0.1:9/zalo", "short")
    client.delete_webhook()
    assert BOT_TOKEN not in repr(client)
    client.close()


def test_from_settings_needs_the_app_credentials(store: Store, oa: ZaloOAEmulator) -> None:
    settings = ZaloSettings(oa_api_base=oa.oa_api_base, oauth_base=oa.oauth_base)
    with pytest.raises(ChannelSetupError, match="ZALO_APP_ID, ZALO_APP_SECRET"):
        ZaloOA.from_settings(settings, store, {})
    zoa = ZaloOA.from_settings(settings, store, {"ZALO_APP_ID": oa.app_id, "ZALO_APP_SECRET": oa.secret_key,
                                                 "ZALO_OA_REFRESH_TOKEN": "RT-x"})
    assert zoa._seed == ("", "RT-x") and zoa.tokens.margin == timedelta(hours=1)
    assert oa.secret_key not in repr(zoa.tokens)
