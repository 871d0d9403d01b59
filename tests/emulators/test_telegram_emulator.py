"""The Telegram emulator must fool the real python-telegram-bot client.

If these pass, tests of Loa's Telegram channel can trust that what the emulator
answers (429s, timeouts, kicked bots, updates) is what PTB will surface in
production — with no network access and no long sleeps.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from channels.telegram import retry_seconds

from .telegram import Limits, TelegramEmulator, wait_for

TOKEN = "123456:TEST"
# A 1x1 transparent PNG: big enough to be a real upload, small enough to be instant.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)


@pytest.fixture
def tg() -> Iterator[TelegramEmulator]:
    with TelegramEmulator(token=TOKEN) as emulator:
        yield emulator


def make_bot(tg: TelegramEmulator, token: str = TOKEN, **request_kwargs: float) -> Bot:
    request = HTTPXRequest(**request_kwargs) if request_kwargs else None
    return Bot(token, base_url=tg.base_url, base_file_url=tg.base_file_url, request=request)


@pytest.fixture
async def bot(tg: TelegramEmulator) -> AsyncIterator[Bot]:
    async with make_bot(tg) as b:
        yield b




@pytest.mark.asyncio
async def test_get_me(tg: TelegramEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name, me.is_bot) == (123456, "loa_test_bot", "Loa", True)
    assert bot.username == tg.bot_info["username"]


@pytest.mark.asyncio
async def test_channel_message_send_edit_delete(tg: TelegramEmulator, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Đăng ký", callback_data="signup")]])
    sent = await bot.send_message(
        "@chan", "<b>Khuyến mãi</b> hôm nay 🎉", parse_mode="HTML", reply_markup=keyboard
    )
    # Telegram answers with plain text + entities; channel posts are signed by the channel.
    assert sent.text == "Khuyến mãi hôm nay 🎉"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == len("Khuyến mãi")
    assert sent.chat.type == "channel" and sent.chat.username == "chan" and sent.chat.id < 0
    assert sent.sender_chat is not None and sent.sender_chat.id == sent.chat.id
    assert sent.reply_markup == keyboard

    stored = tg.last_message("@chan")
    assert stored is not None
    assert stored["message_id"] == sent.message_id
    assert stored["text"] == "<b>Khuyến mãi</b> hôm nay 🎉" and stored["parse_mode"] == "HTML"
    assert stored["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "signup"

    edited = await bot.edit_message_text(
        "<i>Hết hạn</i>", chat_id="@chan", message_id=sent.message_id, parse_mode="HTML"
    )
    assert edited.text == "Hết hạn" and edited.edit_date is not None
    stored = tg.last_message(sent.chat.id)  # numeric id and @username are the same chat
    assert stored is not None and stored["edited"] and stored["text"] == "<i>Hết hạn</i>"
    assert stored["reply_markup"] is None  # editing without reply_markup drops the keyboard

    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text(
            "<i>Hết hạn</i>", chat_id="@chan", message_id=sent.message_id, parse_mode="HTML"
        )

    assert await bot.pin_chat_message("@chan", sent.message_id, disable_notification=True)
    assert tg.messages("@chan")[0]["pinned"]

    assert await bot.delete_message("@chan", sent.message_id)
    assert tg.messages("@chan") == []
    assert [m["message_id"] for m in tg.deleted] == [sent.message_id]
    assert tg.sent_count("@chan") == 1
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message("@chan", sent.message_id)


@pytest.mark.asyncio
async def test_bad_html_is_refused_like_telegram(tg: TelegramEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match='(?i)unsupported start tag "br"'):
        await bot.send_message("@chan", "dòng 1<br>dòng 2", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)reserved and must be escaped"):
        await bot.send_message("@chan", "Giá 10.000đ", parse_mode="MarkdownV2")
    assert tg.messages("@chan") == []


@pytest.mark.asyncio
async def test_photo_upload_and_media_group(tg: TelegramEmulator, bot: Bot) -> None:
    photo = await bot.send_photo(-100777, PNG, caption="Ảnh <b>mới</b>", parse_mode="HTML", filename="a.png")
    assert photo.photo and photo.photo[-1].file_size == len(PNG)
    assert photo.caption == "Ảnh mới" and photo.chat.type == "supergroup"
    assert photo.from_user is not None and photo.from_user.id == 123456
    upload = tg.calls_to("sendPhoto")[0].files["photo"]
    assert (upload.filename, upload.size) == ("a.png", len(PNG))

    album = await bot.send_media_group(
        -100777,
        [InputMediaPhoto(PNG, caption="một", filename="1.png"), InputMediaPhoto(photo.photo[-1].file_id)],
    )
    assert [m.message_id for m in album] == [photo.message_id + 1, photo.message_id + 2]
    assert album[0].media_group_id is not None and album[0].media_group_id == album[1].media_group_id
    stored = tg.messages(-100777)
    assert [m["media"][0]["source"] for m in stored] == ["upload", "upload", "file_id"]
    assert stored[1]["caption"] == "một" and stored[1]["media"][0]["size"] == len(PNG)

    # What was uploaded can be downloaded again through base_file_url.
    file = await bot.get_file(photo.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == PNG


@pytest.mark.asyncio
async def test_wrong_token_is_invalid_token(tg: TelegramEmulator) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot(tg, token="999:WRONG"):
            pass
    assert tg.calls[-1].status == 401


@pytest.mark.asyncio
async def test_flood_control_answers_retry_after_and_drops_the_message(
    tg: TelegramEmulator, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # opt in to timedelta retry_after; no deprecation noise
    await bot.send_message(42, "một")  # private chats: 1 message per second
    with pytest.raises(RetryAfter) as err:
        await bot.send_message(42, "hai")
    assert retry_seconds(err.value) >= 1
    assert [m["text"] for m in tg.messages(42)] == ["một"]
    assert tg.calls[-1].status == 429 and tg.calls[-1].fault == "flood"


@pytest.mark.asyncio
async def test_well_paced_client_never_sees_429(tg: TelegramEmulator, bot: Bot) -> None:
    from aiolimiter import AsyncLimiter

    tg.limits = Limits(global_per_sec=20, group_per_min=6000)  # 20/s overall; groups not binding
    limiter = AsyncLimiter(20, 1)

    async def post(i: int) -> None:
        async with limiter:
            await bot.send_message(-1001, f"tin {i}")

    await asyncio.gather(*(post(i) for i in range(25)))  # burst of 20, then 20/s: ~0.25 s
    assert tg.sent_count(-1001) == 25
    assert not [c for c in tg.calls if c.status == 429]


@pytest.mark.asyncio
async def test_injected_500_is_not_processed_and_retry_succeeds(tg: TelegramEmulator, bot: Bot) -> None:
    tg.inject("500", chat_id="@chan")
    with pytest.raises(NetworkError):
        await bot.send_message("@chan", "xin chào")
    assert tg.messages("@chan") == []
    assert (tg.calls[-1].status, tg.calls[-1].fault) == (500, "500")

    await bot.send_message("@chan", "xin chào")
    assert [m["text"] for m in tg.messages("@chan")] == ["xin chào"]


@pytest.mark.asyncio
async def test_timeout_and_drop_faults(tg: TelegramEmulator) -> None:
    tg.hang_seconds = 30  # held until released below
    async with make_bot(tg, read_timeout=0.3) as bot:
        tg.inject("timeout")
        with pytest.raises(TimedOut):
            await bot.send_message("@chan", "chậm")
        assert tg.hanging == 1  # the client gave up by itself while the emulator still held the request
        tg.release_hung()
        await tg.wait_for(lambda: tg.hanging == 0)

        tg.inject("drop")
        with pytest.raises(NetworkError):
            await bot.send_message("@chan", "mất")

        await bot.send_message("@chan", "được")
    assert [m["text"] for m in tg.messages("@chan")] == ["được"]
    assert [c.fault for c in tg.calls_to("sendMessage")] == ["timeout", "drop", None]
    assert tg.calls_to("sendMessage")[0].status is None


@pytest.mark.asyncio
async def test_kicked_bot_is_forbidden(tg: TelegramEmulator, bot: Bot) -> None:
    tg.inject("kicked", method="sendMessage")
    with pytest.raises(Forbidden, match="bot was kicked from the channel chat"):
        await bot.send_message("@chan", "a")
    await bot.send_message("@chan", "b")  # one-shot fault

    tg.kick("@chan")
    with pytest.raises(Forbidden, match="kicked"):
        await bot.send_message("@chan", "c")
    assert [m["text"] for m in tg.messages("@chan")] == ["b"]


@pytest.mark.asyncio
async def test_random_faults_are_reproducible(tg: TelegramEmulator, bot: Bot) -> None:
    tg.limits = None
    tg.fault_rate(0.5, kinds=("500", "not_found"), seed=7)
    outcomes = []
    for i in range(12):
        try:
            await bot.send_message(-5, f"{i}")
            outcomes.append("ok")
        except (NetworkError, BadRequest) as exc:
            outcomes.append(type(exc).__name__)
    assert {"ok", "NetworkError", "BadRequest"} <= set(outcomes)
    assert tg.sent_count(-5) == outcomes.count("ok")


@pytest.mark.asyncio
async def test_user_command_arrives_via_get_updates(tg: TelegramEmulator, bot: Bot) -> None:
    tg.user_message(777, "/start@loa_test_bot ưu đãi", first_name="Lan", username="lan")

    updates = await bot.get_updates(timeout=1)
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None and message.text == "/start@loa_test_bot ưu đãi"
    assert message.chat.type == "private" and message.from_user is not None
    assert message.from_user.language_code == "vi"
    assert message.parse_entities(["bot_command"]) == {message.entities[0]: "/start@loa_test_bot"}
    command_handler = CommandHandler("start", lambda u, c: None)
    assert command_handler.check_update(updates[0])

    # Long polling: blocks until a message is queued, and offset confirms earlier ones.
    polls = tg.polls
    poll = asyncio.create_task(bot.get_updates(offset=updates[0].update_id + 1, timeout=3))
    await tg.wait_for(lambda: tg.polls > polls)  # the poll has arrived and is waiting
    assert not poll.done()
    tg.user_message(777, "cảm ơn")
    later = await asyncio.wait_for(poll, 2)
    assert [u.message.text for u in later if u.message] == ["cảm ơn"]
    assert tg.pending_updates == 1  # not confirmed yet


@pytest.mark.asyncio
async def test_button_press_produces_callback_query(tg: TelegramEmulator, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="yes:42")]])
    sent = await bot.send_message(777, "Tham gia?", reply_markup=keyboard)

    query_id = tg.press_button(777, sent.message_id, 777, "yes:42")
    (update,) = await bot.get_updates(timeout=1)
    assert isinstance(update, Update) and update.callback_query is not None
    query = update.callback_query
    assert (query.id, query.data, query.from_user.id) == (query_id, "yes:42", 777)
    assert query.message is not None and query.message.message_id == sent.message_id

    assert await query.answer("Đã ghi nhận", show_alert=True)
    assert [(a.id, a.text, a.show_alert) for a in tg.answers] == [(query_id, "Đã ghi nhận", True)]
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await query.answer()
    with pytest.raises(ValueError):
        tg.press_button(777, sent.message_id, 777, "no-such-button")


@pytest.mark.asyncio
async def test_commands_and_webhook(tg: TelegramEmulator, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Bắt đầu"), ("help", "Trợ giúp")], language_code="vi")
    assert [c.command for c in await bot.get_my_commands(language_code="vi")] == ["start", "help"]
    assert await bot.get_my_commands() == ()
    assert await bot.delete_my_commands(language_code="vi")
    assert tg.commands(language_code="vi") == []

    # Webhook delivery: updates are POSTed to the app instead of being polled.
    received: list[tuple[dict[str, object], str | None]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")[1:]
        headers = {k.lower(): v for k, _, v in (line.partition(": ") for line in lines) if v}
        body = await reader.readexactly(int(headers["content-length"]))
        received.append((json.loads(body), headers.get("x-telegram-bot-api-secret-token")))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/tg", secret_token="s3cret")
        tg.user_message(5, "/help")
        await wait_for(lambda: received)
        assert received[0][1] == "s3cret" and received[0][0]["message"]["text"] == "/help"
        with pytest.raises(Conflict):
            await bot.get_updates()
        assert (await bot.get_webhook_info()).pending_update_count == 0
        assert await bot.delete_webhook()


@pytest.mark.asyncio
async def test_ptb_application_round_trip() -> None:
    """The pattern for chat-bot tests: a real Application polling the emulator."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
        await update.message.reply_text("Chào bạn!", reply_markup=keyboard)

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("Đã nhận")
        await update.callback_query.edit_message_text("Xong")

    # Private chats allow 1 message/s; a reply followed by an edit would be a 429 here.
    with TelegramEmulator(token=TOKEN, limits=None) as tg:
        app = Application.builder().token(TOKEN).base_url(tg.base_url).base_file_url(tg.base_file_url).build()
        app.add_handler(CommandHandler("start", start))
        app.add_handler(CallbackQueryHandler(button))
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            try:
                tg.user_message(11, "/start")
                reply = await wait_for(lambda: tg.last_message(11))
                assert reply["text"] == "Chào bạn!"
                tg.press_button(11, reply["message_id"], 11, "ok")
                await wait_for(lambda: (tg.last_message(11) or {}).get("text") == "Xong")
                assert [a.text for a in tg.answers] == ["Đã nhận"]
            finally:
                await app.updater.stop()
                await app.stop()


@pytest.mark.asyncio
async def test_upgraded_group_refuses_its_old_id_with_the_new_one(tg: TelegramEmulator, bot: Bot) -> None:
    before = await bot.send_message(-4001, "trước khi nâng cấp")
    new_id = tg.upgrade(-4001)
    with pytest.raises(ChatMigrated) as refused:
        await bot.send_message(-4001, "sau khi nâng cấp")
    assert refused.value.new_chat_id == new_id and new_id < -1_000_000_000_000
    with pytest.raises(ChatMigrated):  # the old chat is closed to the bot: its old messages stay out of reach
        await bot.delete_message(-4001, before.message_id)
    after = await bot.send_message(new_id, "sau khi nâng cấp")
    assert after.chat.type == "supergroup"
    assert [m["plain"] for m in tg.messages(-4001)] == ["trước khi nâng cấp"]
    assert [m["plain"] for m in tg.messages(new_id)] == ["sau khi nâng cấp"]
    updates = await bot.get_updates(timeout=0)
    pairs = [(u.message.chat.id, u.message.migrate_to_chat_id, u.message.migrate_from_chat_id) for u in updates]
    assert pairs == [(-4001, new_id, None), (new_id, None, -4001)]


@pytest.mark.asyncio
async def test_delete_is_refused_after_48_hours_but_editing_still_works(tg: TelegramEmulator, bot: Bot) -> None:
    young, old = await bot.send_message(-4002, "mới"), await bot.send_message(-4002, "cũ")
    tg.advance(47 * 3600)
    assert await bot.delete_message(-4002, young.message_id)
    tg.advance(2 * 3600)
    with pytest.raises(BadRequest, match="can't be deleted"):
        await bot.delete_message(-4002, old.message_id)
    await bot.edit_message_text("đã thu hồi", -4002, old.message_id)
    assert [m["plain"] for m in tg.messages(-4002)] == ["đã thu hồi"]


@pytest.mark.asyncio
async def test_clock_is_injectable_and_rights_can_be_withdrawn() -> None:
    now = [1_600_000_000.0]
    with TelegramEmulator(token=TOKEN, clock=lambda: now[0]) as tg:
        async with make_bot(tg) as bot:
            sent = await bot.send_message(-4003, "x")
            assert sent.date.timestamp() == 1_600_000_000
            tg.restrict(-4003, delete=False, edit=False)
            with pytest.raises(BadRequest, match="can't be deleted"):
                await bot.delete_message(-4003, sent.message_id)
            with pytest.raises(BadRequest, match="can't be edited"):
                await bot.edit_message_text("y", -4003, sent.message_id)
            now[0] += 49 * 3600
            tg.restrict(-4003, delete=True)
            with pytest.raises(BadRequest, match="can't be deleted"):
                await bot.delete_message(-4003, sent.message_id)
