"""TelegramChannel with the real python-telegram-bot ``Bot`` against the local Bot API emulator.

Targets are channels/groups unless a test is about private-chat pacing, so the emulator's
20-per-minute group bucket never gets in the way of a test that sends a handful of messages.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import traceback
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import certifi
import pytest
from aiolimiter import AsyncLimiter

from campaign.errors import CannotDelete, ChannelError, ChannelSetupError, ChatMoved
from channels.base import Button, OutMessage, Sent
from channels.telegram import TelegramChannel, TelegramLimits
from tests.emulators.telegram import TelegramEmulator

TOKEN = "123456:TEST-TOKEN"
CHAN = "@loa_news"  # a public channel
GROUP = "-1001234567890"  # a supergroup
OTHER = "-1009876543210"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTML = '<b>Xin chào</b> đại hội, xem <a href="https://example.org/dh">chi tiết</a>'


def make_channel(tg: TelegramEmulator, token: str = TOKEN, **kw: float) -> TelegramChannel:
    opts: dict[str, float] = {"read_timeout": 0.3, "connect_timeout": 0.3, "startup_backoff": 0.05,
                              "startup_retries": 3}
    opts.update(kw)
    return TelegramChannel(token, api_base=tg.base_url, file_base=tg.base_file_url,
                           read_timeout=opts["read_timeout"], connect_timeout=opts["connect_timeout"],
                           startup_retries=int(opts["startup_retries"]), startup_backoff=opts["startup_backoff"])


@pytest.fixture(scope="module", autouse=True)
def _one_ssl_context() -> Iterator[None]:
    """Every ``TelegramChannel`` builds two httpx clients, each loading the CA bundle (~40 ms of CPU).

    The emulator speaks plain HTTP, so hand out one shared default context (the stdlib's public
    ``ssl.create_default_context``, whoever calls it) to keep this module fast. Should a library stop
    calling it, the module only gets slower; no test depends on it.
    """
    original = ssl.create_default_context
    shared = original()

    def create(purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH, **kw: object) -> ssl.SSLContext:
        if purpose == ssl.Purpose.SERVER_AUTH and set(kw) <= {"cafile"} and kw.get("cafile") in (None, certifi.where()):
            return shared
        return original(purpose, **kw)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ssl, "create_default_context", create)
        yield


@pytest.fixture
def tg() -> Iterator[TelegramEmulator]:
    with TelegramEmulator(TOKEN, hang_seconds=0.6) as emulator:
        yield emulator


@pytest.fixture
async def ch(tg: TelegramEmulator) -> AsyncIterator[TelegramChannel]:
    channel = make_channel(tg)
    await channel.start()
    try:
        yield channel
    finally:
        await channel.close()


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "poster.png"
    path.write_bytes(PNG)
    return path


def images(tmp_path: Path, n: int) -> tuple[Path, ...]:
    paths = []
    for i in range(n):
        p = tmp_path / f"anh-{i}.png"
        p.write_bytes(PNG + bytes([i]))
        paths.append(p)
    return tuple(paths)


def msg(html: str = HTML, **kw: object) -> OutMessage:
    return OutMessage(html=html, plain="plain text", **kw)  # type: ignore[arg-type]


async def send(ch: TelegramChannel, target: str, message: OutMessage) -> Sent:
    """What the delivery engine does: wait for the turn, then send."""
    await ch.acquire(target)
    return await ch.send(target, message)


# ---------------------------------------------------------------------------------------- sending


async def test_text_is_sent_as_html_and_emulator_stores_it(ch: TelegramChannel, tg: TelegramEmulator) -> None:
    sent = await send(ch, CHAN, msg())

    stored = tg.last_message(CHAN)
    assert stored is not None
    assert sent == Sent((str(stored["message_id"]),))
    assert stored["text"] == HTML
    assert stored["parse_mode"] == "HTML"
    assert stored["plain"].startswith("Xin chào đại hội")
    assert {e["type"] for e in stored["entities"]} == {"bold", "text_link"}
    call = tg.calls_to("sendMessage")[-1]
    assert call.params["parse_mode"] == "HTML"
    assert stored["disable_notification"] is False
    assert stored["pinned"] is False


async def test_preview_false_disables_link_preview(ch: TelegramChannel, tg: TelegramEmulator) -> None:
    await send(ch, CHAN, msg(preview=False))
    assert tg.last_message(CHAN)["link_preview_options"] == {"is_disabled": True}
    assert tg.calls_to("sendMessage")[-1].params["link_preview_options"]["is_disabled"] is True

    await send(ch, CHAN, msg("<i>có xem trước</i>", preview=True))
    options = tg.last_message(CHAN)["link_preview_options"]
    assert not (options or {}).get("is_disabled")


async def test_silent_sends_disable_notification(ch: TelegramChannel, tg: TelegramEmulator) -> None:
    await send(ch, CHAN, msg(silent=True))
    assert tg.calls_to("sendMessage")[-1].params["disable_notification"] is True
    assert tg.last_message(CHAN)["disable_notification"] is True


async def test_buttons_become_an_inline_keyboard(ch: TelegramChannel, tg: TelegramEmulator) -> None:
    buttons = ((Button("Duyệt", "ap:1"), Button("Từ chối", "rj:1")),)
    await send(ch, GROUP, msg(buttons=buttons))
    keyboard = tg.last_message(GROUP)["reply_markup"]["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in keyboard] == [["ap:1", "rj:1"]]


async def test_one_image_is_sent_as_photo_with_caption(ch: TelegramChannel, tg: TelegramEmulator,
                                                       png: Path) -> None:
    sent = await send(ch, CHAN, msg(media=(png,), silent=True))

    assert len(tg.calls_to("sendPhoto")) == 1
    assert not tg.calls_to("sendMessage") and not tg.calls_to("sendDocument")
    stored = tg.last_message(CHAN)
    assert sent.message_ids == (str(stored["message_id"]),)
    assert stored["caption"] == HTML
    assert stored["parse_mode"] == "HTML"
    assert stored["disable_notification"] is True
    (item,) = stored["media"]
    assert item["type"] == "photo"
    assert item["size"] == len(PNG)


async def test_non_image_file_is_sent_as_document(ch: TelegramChannel, tg: TelegramEmulator,
                                                  tmp_path: Path) -> None:
    pdf = tmp_path / "ke-hoach.pdf"
    pdf.write_bytes(b"%PDF-1.4 tiny")
    await send(ch, CHAN, msg(media=(pdf,)))

    assert len(tg.calls_to("sendDocument")) == 1
    assert not tg.calls_to("sendPhoto")
    stored = tg.last_message(CHAN)
    (item,) = stored["media"]
    assert item["type"] == "document"
    assert item["filename"] == "ke-hoach.pdf"
    assert stored["caption"] == HTML


async def test_three_images_are_one_album_with_caption_on_the_first(ch: TelegramChannel, tg: TelegramEmulator,
                                                                    tmp_path: Path) -> None:
    sent = await send(ch, CHAN, msg(media=images(tmp_path, 3)))

    (call,) = tg.calls_to("sendMediaGroup")
    assert call.ok
    media = call.params["media"]
    assert [m["type"] for m in media] == ["photo"] * 3
    assert media[0]["caption"] == HTML
    assert all("caption" not in m for m in media[1:])
    assert len(call.files) == 3

    stored = tg.messages(CHAN)
    assert len(stored) == 3
    assert sent.message_ids == tuple(str(m["message_id"]) for m in stored)
    assert len(set(sent.message_ids)) == 3
    assert len({m["media_group_id"] for m in stored}) == 1
    assert stored[0]["caption"] == HTML
    assert stored[1]["caption"] is None and stored[2]["caption"] is None


async def test_album_mixing_images_and_a_document_is_delivered(ch: TelegramChannel, tg: TelegramEmulator,
                                                               tmp_path: Path) -> None:
    pdf = tmp_path / "ke-hoach.pdf"
    pdf.write_bytes(b"%PDF-1.4 tiny")
    sent = await send(ch, CHAN, msg(media=(*images(tmp_path, 2), pdf)))
    assert len(sent.message_ids) == 3
    assert len(tg.messages(CHAN)) == 3


# ---------------------------------------------------------------------------------------- pinning


@pytest.mark.parametrize("silent", [False, True])
async def test_pin_pins_the_message_and_respects_silent(ch: TelegramChannel, tg: TelegramEmulator,
                                                        silent: bool) -> None:
    sent = await send(ch, CHAN, msg(pin=True, silent=silent))

    (pin,) = tg.calls_to("pinChatMessage")
    assert pin.ok
    assert pin.params["message_id"] == int(sent.message_ids[0])
    assert bool(pin.params.get("disable_notification", False)) is silent
    assert tg.last_message(CHAN)["pinned"] is True


async def test_pin_of_an_album_pins_its_first_message(ch: TelegramChannel, tg: TelegramEmulator,
                                                      tmp_path: Path) -> None:
    sent = await send(ch, CHAN, msg(media=images(tmp_path, 3), pin=True, silent=True))

    stored = tg.messages(CHAN)
    assert [m["pinned"] for m in stored] == [True, False, False]
    assert str(stored[0]["message_id"]) == sent.message_ids[0]
    (pin,) = tg.calls_to("pinChatMessage")
    assert pin.params["disable_notification"] is True


async def test_no_pin_without_pin_flag(ch: TelegramChannel, tg: TelegramEmulator) -> None:
    await send(ch, CHAN, msg())
    assert not tg.calls_to("pinChatMessage")


async def test_failed_pin_after_a_posted_message_still_reports_it_sent(ch: TelegramChannel,
                                                                      tg: TelegramEmulator) -> None:
    tg.inject("500", method="pinChatMessage")
    sent = await send(ch, CHAN, msg(pin=True))  # currently raises ChannelError(transient=True)
    (posted,) = tg.messages(CHAN)
    assert sent.message_ids == (str(posted["message_id"]),)


# ---------------------------------------------------------------------------------------- editing


async def test_edit_text_message_changes_text(ch: TelegramChannel, tg: TelegramEmulator) -> None:
    sent = await send(ch, CHAN, msg())
    await ch.edit(CHAN, sent.message_ids, msg("<b>Đã sửa</b> nội dung", preview=False))

    (stored,) = tg.messages(CHAN)
    assert stored["text"] == "<b>Đã sửa</b> nội dung"
    assert stored["plain"] == "Đã sửa nội dung"
    assert stored["edited"] is True
    (call,) = tg.calls_to("editMessageText")
    assert call.ok and call.params["parse_mode"] == "HTML"
    assert call.params["message_id"] == int(sent.message_ids[0])


async def test_edit_media_message_edits_the_caption(ch: TelegramChannel, tg: TelegramEmulator,
                                                    png: Path) -> None:
    sent = await send(ch, CHAN, msg(media=(png,)))
    await ch.edit(CHAN, sent.message_ids, msg("<i>Chú thích mới</i>", media=(png,)))

    assert not tg.calls_to("editMessageText")
    (call,) = tg.calls_to("editMessageCaption")
    assert call.ok and call.params["parse_mode"] == "HTML"
    (stored,) = tg.messages(CHAN)
    assert stored["caption"] == "<i>Chú thích mới</i>"
    assert stored["edited"] is True


async def test_edit_of_an_album_edits_the_first_caption(ch: TelegramChannel, tg: TelegramEmulator,
                                                        tmp_path: Path) -> None:
    media = images(tmp_path, 3)
    sent = await send(ch, CHAN, msg(media=media))
    await ch.edit(CHAN, sent.message_ids, msg("<b>Album</b> sửa", media=media))

    stored = tg.messages(CHAN)
    assert stored[0]["caption"] == "<b>Album</b> sửa" and stored[0]["edited"] is True
    assert not stored[1]["edited"] and not stored[2]["edited"]


async def test_edit_not_modified_is_not_an_error(ch: TelegramChannel, tg: TelegramEmulator, png: Path) -> None:
    text = await send(ch, CHAN, msg())
    await ch.edit(CHAN, text.message_ids, msg())  # same content: Telegram says "not modified"
    photo = await send(ch, CHAN, msg(media=(png,)))
    await ch.edit(CHAN, photo.message_ids, msg(media=(png,)))

    for method in ("editMessageText", "editMessageCaption"):
        (call,) = tg.calls_to(method)
        assert call.status == 400 and "not modified" in (call.description or "")
    assert not any(m["edited"] for m in tg.messages(CHAN))


async def test_edit_of_a_missing_message_is_a_permanent_error(ch: TelegramChannel, tg: TelegramEmulator) -> None:
    await send(ch, CHAN, msg())
    with pytest.raises(ChannelError) as err:
        await ch.edit(CHAN, ("999",), msg("<b>khác</b>"))
    assert err.value.transient is False
    assert "not found" in err.value.reason.lower()


# ---------------------------------------------------------------------------------------- deleting


async def test_delete_removes_every_message_of_an_album(ch: TelegramChannel, tg: TelegramEmulator,
                                                        tmp_path: Path) -> None:
    sent = await send(ch, CHAN, msg(media=images(tmp_path, 3)))
    keep = await send(ch, CHAN, msg("<b>giữ lại</b>"))

    await ch.delete(CHAN, sent.message_ids)

    assert [str(m["message_id"]) for m in tg.messages(CHAN)] == list(keep.message_ids)
    assert sorted(str(m["message_id"]) for m in tg.deleted) == sorted(sent.message_ids)
    assert [c.params["message_id"] for c in tg.calls_to("deleteMessage")] == [int(i) for i in sent.message_ids]


async def test_deleting_an_already_deleted_message_is_not_an_error(ch: TelegramChannel,
                                                                   tg: TelegramEmulator) -> None:
    sent = await send(ch, CHAN, msg())
    await ch.delete(CHAN, sent.message_ids)
    await ch.delete(CHAN, sent.message_ids)  # again: "message to delete not found"

    first, second = tg.calls_to("deleteMessage")
    assert first.ok and second.status == 400
    assert tg.messages(CHAN) == []
    assert len(tg.deleted) == 1


async def test_delete_retried_after_a_partial_failure_finishes_the_album(ch: TelegramChannel, tg: TelegramEmulator,
                                                                         tmp_path: Path) -> None:
    sent = await send(ch, CHAN, msg(media=images(tmp_path, 3)))
    await ch.delete(CHAN, sent.message_ids[:1])  # an earlier attempt got this far, then failed
    tg.inject("500", method="deleteMessage")
    with pytest.raises(ChannelError) as err:
        await ch.delete(CHAN, sent.message_ids)
    assert err.value.transient is True
    await ch.delete(CHAN, sent.message_ids)  # the retry skips the gone one and finishes
    assert tg.messages(CHAN) == []
    assert len(tg.deleted) == 3


# ---------------------------------------------------------------------------------------- error mapping


async def test_kicked_is_a_permanent_error_with_the_reason(ch: TelegramChannel, tg: TelegramEmulator) -> None:
    tg.kick(CHAN)
    with pytest.raises(ChannelError) as err:
        await send(ch, CHAN, msg())
    assert err.value.transient is False
    assert err.value.retry_after is None
    assert "kicked" in err.value.reason
    assert "Forbidden" in err.value.reason
    assert tg.messages(CHAN) == []


async def test_chat_not_found_is_a_permanent_error(ch: TelegramChannel, tg: TelegramEmulator) -> None:
    tg.inject("not_found", chat_id=CHAN)
    with pytest.raises(ChannelError) as err:
        await send(ch, CHAN, msg())
    assert err.value.transient is False
    assert "chat not found" in err.value.reason.lower()


@pytest.mark.parametrize("fault", ["500", "502", "drop", "timeout"])
async def test_server_errors_drops_and_timeouts_are_transient(ch: TelegramChannel, tg: TelegramEmulator,
                                                              fault: str) -> None:
    tg.inject(fault, chat_id=CHAN)
    with pytest.raises(ChannelError) as err:
        await send(ch, CHAN, msg())
    assert err.value.transient is True
    assert err.value.reason
    assert tg.messages(CHAN) == []  # a faulted request is never processed
    assert tg.calls_to("sendMessage")[-1].fault == fault

    await send(ch, CHAN, msg())  # and the channel still works afterwards
    assert len(tg.messages(CHAN)) == 1


async def test_media_send_timeout_is_transient(ch: TelegramChannel, tg: TelegramEmulator, png: Path) -> None:
    tg.inject("timeout", method="sendPhoto")
    with pytest.raises(ChannelError) as err:
        await send(ch, CHAN, msg(media=(png,)))
    assert err.value.transient is True


async def test_429_blocks_only_that_chat_for_retry_after(ch: TelegramChannel, tg: TelegramEmulator) -> None:
    tg.inject("429", chat_id=GROUP, retry_after=7)
    with pytest.raises(ChannelError) as err:
        await send(ch, GROUP, msg())
    assert err.value.transient is True
    assert err.value.retry_after == pytest.approx(7)
    assert "429" in err.value.reason

    assert 6.5 < ch.limits.blocked_for(GROUP) <= 7.0
    assert ch.limits.blocked_for(OTHER) == 0.0
    with pytest.raises(TimeoutError):  # the blocked chat waits for its turn ...
        await asyncio.wait_for(ch.acquire(GROUP), 0.3)
    await asyncio.wait_for(ch.acquire(OTHER), 0.5)  # ... another chat goes ahead at once
    await ch.send(OTHER, msg())
    assert len(tg.messages(OTHER)) == 1
    assert tg.messages(GROUP) == []


async def test_errors_on_edit_and_delete_are_mapped_too(ch: TelegramChannel, tg: TelegramEmulator) -> None:
    sent = await send(ch, CHAN, msg())
    tg.inject("502", method="editMessageText")
    with pytest.raises(ChannelError) as err:
        await ch.edit(CHAN, sent.message_ids, msg("<b>mới</b>"))
    assert err.value.transient is True
    tg.kick(CHAN)
    with pytest.raises(ChannelError) as err:
        await ch.delete(CHAN, sent.message_ids)
    assert err.value.transient is False


# ---------------------------------------------------------------------------------------- start-up


async def test_start_checks_the_token(tg: TelegramEmulator) -> None:
    channel = make_channel(tg)
    try:
        await channel.start()
        assert channel.bot.username == "loa_test_bot"
    finally:
        await channel.close()
    assert len(tg.calls_to("getMe")) == 1


def test_empty_token_is_a_setup_error(tg: TelegramEmulator) -> None:
    with pytest.raises(ChannelSetupError):
        make_channel(tg, token="")


async def test_wrong_token_is_a_setup_error_that_hides_the_token(tg: TelegramEmulator) -> None:
    wrong = "654321:WRONG-SECRET-TOKEN"
    channel = make_channel(tg, token=wrong)
    try:
        with pytest.raises(ChannelSetupError) as err:
            await channel.start()
    finally:
        await channel.close()

    message = str(err.value)
    assert "token_env" in message
    assert wrong not in message and "WRONG-SECRET" not in message
    assert "WRONG-SECRET" not in "".join(traceback.format_exception(err.value))
    (call,) = tg.calls_to("getMe")  # a wrong token is fatal: no retries
    assert call.status == 401


async def test_start_retries_network_failures_then_succeeds(tg: TelegramEmulator) -> None:
    tg.inject("drop", method="getMe", count=2)
    channel = make_channel(tg, startup_retries=3)
    try:
        await channel.start()
        assert channel.bot.username == "loa_test_bot"
        await send(channel, CHAN, msg())
    finally:
        await channel.close()
    calls = tg.calls_to("getMe")
    assert [c.fault for c in calls] == ["drop", "drop", None]
    assert calls[2].ok
    # backoff 0.05 s then 0.1 s between attempts
    assert calls[1].at - calls[0].at >= 0.04
    assert calls[2].at - calls[1].at >= 0.09
    assert len(tg.messages(CHAN)) == 1


async def test_start_gives_up_after_startup_retries(tg: TelegramEmulator) -> None:
    tg.inject("drop", method="getMe", count=10)
    channel = make_channel(tg, startup_retries=3)
    try:
        with pytest.raises(ChannelSetupError) as err:
            await channel.start()
    finally:
        await channel.close()
    assert len(tg.calls_to("getMe")) == 3
    assert "cannot reach Telegram" in str(err.value)
    assert TOKEN not in str(err.value)


async def test_start_gives_up_when_nothing_listens(tg: TelegramEmulator) -> None:
    with socket.socket() as s:  # a port that was free a moment ago and has no listener now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    channel = TelegramChannel(TOKEN, api_base=f"http://127.0.0.1:{port}/bot",
                              file_base=f"http://127.0.0.1:{port}/file/bot", read_timeout=0.3,
                              connect_timeout=0.3, startup_retries=2, startup_backoff=0.05)
    try:
        with pytest.raises(ChannelSetupError) as err:
            await channel.start()
    finally:
        await channel.close()
    assert "cannot reach Telegram" in str(err.value)
    assert TOKEN not in str(err.value)


async def test_start_flood_control_on_getme_is_retried_or_a_setup_error(tg: TelegramEmulator) -> None:
    tg.inject("429", method="getMe", retry_after=1)
    channel = make_channel(tg)
    try:
        await channel.start()  # retrying after retry_after is fine ...
    except ChannelSetupError:  # ... and so is a setup error
        pass
    finally:
        await channel.close()


# ---------------------------------------------------------------------------------------- limits


async def test_private_chat_is_paced_about_one_per_second(tg: TelegramEmulator) -> None:
    channel = make_channel(tg)  # default TelegramLimits
    user = "555001"
    try:
        await channel.start()
        await asyncio.gather(*(send(channel, user, msg(f"<b>tin {i}</b>")) for i in range(2)))
    finally:
        await channel.close()
    calls = tg.calls_to("sendMessage")
    assert len(calls) == 2 and all(c.ok for c in calls)  # paced: the emulator never answered 429
    assert calls[1].at - calls[0].at >= 0.7
    assert len(tg.messages(user)) == 2


async def test_group_gets_a_burst_of_twenty_then_waits(tg: TelegramEmulator) -> None:
    channel = make_channel(tg)  # default TelegramLimits
    try:
        await channel.start()
        # 20 at once (only the ~30/s overall pacing between them): paced at 20/min they would need a minute
        await asyncio.wait_for(asyncio.gather(*(send(channel, GROUP, msg(f"<b>tin {i}</b>")) for i in range(20))), 20)
        calls = tg.calls_to("sendMessage")
        assert len(calls) == 20 and all(c.ok for c in calls)
        with pytest.raises(TimeoutError):  # the 21st waits for the group's bucket
            await asyncio.wait_for(channel.acquire(GROUP), 0.5)
        await asyncio.wait_for(channel.acquire("-1005550000000"), 0.5)  # another group is not affected
    finally:
        await channel.close()
    assert len(tg.messages(GROUP)) == 20


async def test_limits_pick_private_or_group_buckets() -> None:
    """How many sends each kind of chat lets through at once before it makes the next one wait."""
    limits = TelegramLimits()

    async def burst(limiter: AsyncLimiter) -> int:
        sent = 0
        while limiter.has_capacity() and sent < 100:
            await limiter.acquire()
            sent += 1
        return sent

    assert await burst(limits.chat_limiter("555001")) == 1  # a private chat: one, then 1/s
    assert await burst(limits.chat_limiter(GROUP)) == 20  # a group: twenty, then 20/min
    assert await burst(limits.chat_limiter("@loa_news")) == 20  # a channel: like a group
    assert await burst(limits.overall) == 1  # the bot overall: 30/s without a burst


async def test_an_upgraded_group_is_a_move_not_a_failure(ch: TelegramChannel, tg: TelegramEmulator) -> None:
    new_id = tg.upgrade(-100777, notify=False)
    with pytest.raises(ChatMoved) as moved:
        await send(ch, "-100777", msg())
    assert (moved.value.old, moved.value.new) == ("-100777", str(new_id))
    assert "upgraded to supergroup" in moved.value.reason and tg.messages(-100777) == []


async def test_a_refused_delete_is_told_apart_from_other_failures(ch: TelegramChannel, tg: TelegramEmulator) -> None:
    sent = await send(ch, "-100778", msg())
    tg.advance(48 * 3600 + 1)
    with pytest.raises(CannotDelete, match="can't be deleted"):
        await ch.delete("-100778", sent.message_ids)
    await ch.delete("-100778", ("999",))  # already gone: nothing to do
    tg.kick(-100778)
    with pytest.raises(ChannelError) as kicked:
        await ch.delete("-100778", sent.message_ids)
    assert not isinstance(kicked.value, CannotDelete)
