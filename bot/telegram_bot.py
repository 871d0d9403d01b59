"""The Telegram chat side: thin handlers around ``bot.dispatch``.

Each handler reads the update (who, what), calls one dispatch function and sends the reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageOrigin,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
    User,
)
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot import callbacks, dispatch
from bot.dispatch import Reply, Services, Who
from bot.webhook import Webhook
from bot.webhook import server as webhook_server
from campaign import compose
from campaign.ask import parse_command, parse_question
from campaign.commands import COMMANDS, Role
from campaign.drafts import Entity, Source, markdown_from_entities
from campaign.errors import ChannelSetupError
from campaign.review import Actor
from campaign.texts import inline
from channels.telegram import chat_id, retry_seconds

log = logging.getLogger(__name__)
TEXT_LIMIT = 4000
CAPTION_LIMIT = 1000  # Telegram takes 1024 characters of caption
EDIT_IN_PLACE = ("page", "pause", "resume", "cancel", "retract", "correct", "draft")
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SERVER = "loa_webhook_server"
INCIDENTS = "loa_incidents"  # bot_data key of the Runner's bot.incidents.Incidents, when there is one
__all__ = ["TelegramApp", "Webhook", "build_application", "start", "stop"]
TelegramApp: TypeAlias = "Application[Any, Any, Any, Any, Any, Any]"  # PTB's defaults; we read bot_data["loa"] only


def build_application(sv: Services, token: str, *, api_base: str, file_base: str) -> TelegramApp:
    app = Application.builder().token(token).base_url(api_base).base_file_url(file_base).build()
    app.bot_data["loa"] = sv
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.COMMAND, on_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(filters.PHOTO & filters.ChatType.PRIVATE, on_photo))
    app.add_error_handler(on_error)
    return app


def _services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    sv: Services = context.bot_data["loa"]
    return sv


def who(sv: Services, user: User) -> Who:
    person = sv.config.person_by_telegram(user.id)
    lang = (person.language if person and person.language else None) or \
        ("en" if (user.language_code or "").startswith("en") else "vi" if user.language_code else sv.config.language)
    return Who(Actor(person.key if person else f"telegram:{user.id}", person), lang)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    ask = parse_command(message.text, bot_username=context.bot.username)
    if ask is None:
        if message.chat.type == "private":
            await send(message, Reply(inline("chat.unknown_command_here")))
        return
    sv = _services(context)
    if message.chat.type != "private" and (refusal := dispatch.private_only(ask)) is not None:
        await send(message, refusal)  # a sign-in or calendar link is personal: never in a group
        return
    await send(message, await dispatch.answer(sv, who(sv, user), ask))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    sv = _services(context)
    asker = who(sv, user)
    replied = message.reply_to_message
    if replied is not None and replied.from_user and replied.from_user.id == context.bot.id:
        marker = callbacks.parse_reason_marker(replied.text or "")
        if marker is not None:
            await send(message, await dispatch.reason_given(sv, asker, marker[0], marker[1], message.text))
            return
    if message.chat.type == "private" and (message.forward_origin is not None or dispatch.drafting(sv, asker)):
        await send(message, await _draft(sv, asker, message, said(message)))
        return
    ask = parse_question(message.text)
    if ask is not None:
        await send(message, await dispatch.answer(sv, asker, ask))
    elif message.chat.type == "private":
        await send(message, await dispatch.answer(sv, asker, parse_command("help")))  # type: ignore[arg-type]


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo in a private chat: one for the draft being written, or a forwarded post with its picture."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.photo:
        return
    sv = _services(context)
    asker = who(sv, user)
    if message.forward_origin is None and not dispatch.drafting(sv, asker):
        return
    file = await message.photo[-1].get_file()  # the largest size Telegram made of it
    photo = (".jpg", bytes(await file.download_as_bytearray()))
    await send(message, await _draft(sv, asker, message, said(message, photo)))


async def _draft(sv: Services, asker: Who, message: Message, what: compose.Said) -> Reply:
    if message.forward_origin is not None:
        return await dispatch.draft_forwarded(sv, asker, what)
    return await dispatch.draft_said(sv, asker, what)


def said(message: Message, photo: tuple[str, bytes] | None = None) -> compose.Said:
    """A message as a draft step reads it: its text, that text as Markdown (from its entities), the photo, the source."""
    text = message.text or message.caption or ""
    entities = message.entities if message.text else message.caption_entities
    markdown = markdown_from_entities(text, [Entity(str(e.type), e.offset, e.length, e.url) for e in entities])
    return compose.Said(text, markdown, photo, source(message.forward_origin))


def source(origin: MessageOrigin | None) -> Source | None:
    """Where a forwarded message came from: a channel (linked to the original when it is public), a chat or a person."""
    if isinstance(origin, MessageOriginChannel):
        chat = origin.chat
        url = f"https://t.me/{chat.username}/{origin.message_id}" if chat.username else None
        return Source(chat.title or chat.username or str(chat.id), url)
    if isinstance(origin, MessageOriginChat):
        return Source(origin.sender_chat.title or str(origin.sender_chat.id))
    if isinstance(origin, MessageOriginUser):
        return Source(origin.sender_user.full_name)
    if isinstance(origin, MessageOriginHiddenUser):
        return Source(origin.sender_user_name)
    return None


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: its service messages carry the new id (in the old chat) or the old one (in the new)."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await _services(context).engine.chat_moved("telegram", str(old), str(new), source="update")


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    sv = _services(context)
    cb, pressed = await dispatch.press_data(sv, who(sv, query.from_user), query.data or "")
    await query.answer(pressed.toast[:200] or None, show_alert=not pressed.ok)
    if cb is None or pressed.reply is None or not isinstance(query.message, Message):
        return
    if cb.action in EDIT_IN_PLACE:
        await query.message.edit_text(pressed.reply.html[:TEXT_LIMIT], parse_mode=ParseMode.HTML,
                                      reply_markup=keyboard(pressed.reply))
    else:
        await send(query.message, pressed.reply, quote=False)


async def send(message: Message, reply: Reply, *, quote: bool = True) -> None:
    if reply.photo is not None:  # a picture (the /lich timeline) with the text as its caption
        name, content = reply.photo
        await message.reply_photo(InputFile(content, filename=name), caption=reply.html[:CAPTION_LIMIT],
                                  parse_mode=ParseMode.HTML, do_quote=quote)
        return
    if reply.document is not None:  # a file (the /baocao report) with the text as its caption
        name, content = reply.document
        await message.reply_document(InputFile(content, filename=name), caption=reply.html[:CAPTION_LIMIT],
                                     parse_mode=ParseMode.HTML, do_quote=quote)
        return
    chunks = split(reply.html)
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        markup = (ForceReply(selective=True) if reply.ask_reason else keyboard(reply)) if last else None
        await message.reply_text(chunk, parse_mode=ParseMode.HTML, reply_markup=markup,
                                 do_quote=quote and i == 0)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data) for text, data in row]
                                 for row in reply.buttons])


def split(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Long answers go out as several messages, cut at line ends."""
    chunks, current = [], ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            chunks.append(current + line[: limit - len(current)])
            line, current = line[limit - len(current):], ""
        if len(current) + len(line) > limit:
            chunks.append(current)
            current = ""
        current += line
    return [c.rstrip("\n") for c in [*chunks, current] if c.strip()] or [""]


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anything a handler did not expect: logged once per kind (and the admins told), a polite reply."""
    incidents = context.bot_data.get(INCIDENTS)
    if incidents is not None and context.error is not None:
        incidents.report("Telegram chat", context.error)
    else:
        log.error("chat handler failed: %s", context.error, exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        with contextlib.suppress(TelegramError):
            await update.effective_message.reply_text(inline("chat.error"))


async def start(app: TelegramApp, webhook: Webhook | None = None, *, poll_timeout: int = 10,
                startup_retries: int = 5, startup_backoff: float = 2.0) -> None:
    """Start taking updates (long polling, or our webhook server: secret, size and JSON checked).

    Start-up calls are retried on network errors like the channel's ``getMe``; only a token
    Telegram refuses (or an outage outlasting the retries of ``getMe``) stops start-up. The
    command menu and the webhook registration are never fatal: a warning, and the bot runs on.
    """
    retry = _Retry(startup_retries, startup_backoff)
    try:
        await retry.call("getMe", app.initialize)
    except InvalidToken:
        raise ChannelSetupError(inline("chat.token_refused")) from None
    except TelegramError as exc:
        raise ChannelSetupError(f"{inline('chat.unreachable')}: {exc}") from None
    await set_commands(app, retry)
    await app.start()
    assert app.updater is not None
    if webhook is None:
        await app.updater.start_polling(poll_interval=0, timeout=poll_timeout)
        return
    srv = webhook_server(webhook.path, webhook.secret, TELEGRAM_SECRET_HEADER, _enqueue(app), name="Telegram")
    problem: str | None = None
    try:  # bound here, not by tornado's listen(), which leaves the socket open when the bind fails
        family = socket.AF_INET6 if ":" in webhook.listen else socket.AF_INET
        sock = socket.create_server((webhook.listen, webhook.port), family=family)
    except OSError as exc:  # the port is taken (or not this machine's): stop cleanly, say which
        problem = str(exc.strerror or exc)
    if problem is not None:
        await app.stop()
        await app.shutdown()
        raise ChannelSetupError(inline("chat.cannot_listen", address=f"{webhook.listen}:{webhook.port}", error=problem))
    sock.setblocking(False)
    srv.add_socket(sock)
    app.bot_data[_SERVER] = srv
    if not await retry.quietly("setWebhook", lambda: app.bot.set_webhook(webhook.url, secret_token=webhook.secret)):
        log.error("Telegram webhook not registered: no chat updates until it is (restart, or check %s)", webhook.url)


def _enqueue(app: TelegramApp) -> Callable[[dict[str, Any]], Awaitable[bool]]:
    async def deliver(data: dict[str, Any]) -> bool:
        try:
            update = Update.de_json(data, app.bot)
        except Exception:  # noqa: BLE001 - untrusted JSON into PTB's parser: any failure means "not an update"
            return False
        await app.update_queue.put(update)
        return True

    return deliver


class _Retry:
    """Network errors and 429s at start-up: try again with doubling waits (``retry_after`` for a 429)."""

    def __init__(self, retries: int, backoff: float) -> None:
        self.retries, self.backoff = retries, backoff

    async def call(self, what: str, fn: Callable[[], Awaitable[object]]) -> object:
        for attempt in range(1, self.retries + 1):
            try:
                return await fn()
            except (NetworkError, RetryAfter) as exc:
                if attempt == self.retries:
                    raise
                delay = retry_seconds(exc) if isinstance(exc, RetryAfter) else self.backoff * 2 ** (attempt - 1)
                log.warning("Telegram %s failed at start-up (%s); retrying in %.1fs", what, exc, delay)
                await asyncio.sleep(delay)
        return None

    async def quietly(self, what: str, fn: Callable[[], Awaitable[object]]) -> bool:
        """``call``, but a failure is a warning, never fatal; returns whether it worked."""
        try:
            await self.call(what, fn)
            return True
        except TelegramError as exc:
            log.warning("Telegram %s failed at start-up: %s; going on without it", what, exc)
            return False


async def stop(app: TelegramApp) -> None:
    srv = app.bot_data.pop(_SERVER, None)
    if srv is not None:
        srv.stop()
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


async def set_commands(app: TelegramApp, retry: _Retry | None = None) -> None:
    """The command menu in both languages; approvers' chats also see the staff commands, editors' private chats theirs.

    Never fatal: a chat the bot is not in yet, or Telegram failing, leaves that menu as it was.
    """
    sv: Services = app.bot_data["loa"]
    retry = retry or _Retry(1, 0)

    def menu(lang: str, staff: bool) -> list[BotCommand]:
        """The registry's listed commands, those for approvers and admins only in ``staff`` chats."""
        return [BotCommand(c.name, c.help(lang)[:256]) for c in COMMANDS.values()
                if c.listed and (c.role is Role.PUBLIC or staff)]

    await retry.quietly("setMyCommands", lambda: app.bot.set_my_commands(menu("vi", False), scope=BotCommandScopeDefault()))
    await retry.quietly("setMyCommands", lambda: app.bot.set_my_commands(menu("en", False), scope=BotCommandScopeDefault(),
                                                                         language_code="en"))
    for key in sv.config.approval.chats + sv.config.alert_chats:
        channel = sv.config.channels[key]
        if channel.kind != "telegram":
            continue
        scope = BotCommandScopeChat(chat_id(channel.target))
        vi = functools.partial(app.bot.set_my_commands, menu("vi", True), scope=scope)
        if await retry.quietly(f"setMyCommands ({key})", vi):
            en = functools.partial(app.bot.set_my_commands, menu("en", True), scope=scope, language_code="en")
            await retry.quietly(f"setMyCommands ({key})", en)
    for person in sv.config.people.values():  # an editor's private chat: their own commands, /moi among them
        if person.telegram is None or not person.is_editor:
            continue
        own = [c for c in COMMANDS.values() if c.listed and c.role.allows(person)]
        scope = BotCommandScopeChat(person.telegram)
        for lang in ("vi", "en"):
            commands = [BotCommand(c.name, c.help(lang)[:256]) for c in own]
            call = functools.partial(app.bot.set_my_commands, commands, scope=scope, language_code=lang if lang == "en" else None)
            if not await retry.quietly(f"setMyCommands ({person.key})", call):
                break
