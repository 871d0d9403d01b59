"""The Telegram chat side: thin handlers around ``bot.dispatch``.

Each handler reads the update (who, what), calls one dispatch function and sends the reply.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from urllib.parse import urlparse

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot import callbacks, dispatch
from bot.dispatch import Reply, Services, Who
from campaign.ask import COMMANDS, parse_command, parse_question
from campaign.errors import LoaError
from campaign.review import Actor
from channels.telegram import chat_id

log = logging.getLogger(__name__)
TEXT_LIMIT = 4000
EDIT_IN_PLACE = ("page", "pause", "resume", "cancel", "retract", "correct")


def build_application(sv: Services, token: str, *, api_base: str, file_base: str) -> Application:
    app = Application.builder().token(token).base_url(api_base).base_file_url(file_base).build()
    app.bot_data["loa"] = sv
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.COMMAND, on_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_error_handler(on_error)
    return app


def _services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.bot_data["loa"]


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
            await send(message, Reply("Không hiểu lệnh này. Gõ /help. / Unknown command. Try /help."))
        return
    sv = _services(context)
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
    ask = parse_question(message.text)
    if ask is not None:
        await send(message, await dispatch.answer(sv, asker, ask))
    elif message.chat.type == "private":
        await send(message, await dispatch.answer(sv, asker, parse_command("help")))  # type: ignore[arg-type]


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
    try:
        cb = callbacks.decode(query.data or "")
    except LoaError as exc:
        await query.answer(str(exc), show_alert=True)
        return
    pressed = await dispatch.press(sv, who(sv, query.from_user), cb)
    await query.answer(pressed.toast[:200] or None, show_alert=not pressed.ok)
    if pressed.reply is None or not isinstance(query.message, Message):
        return
    if cb.action in EDIT_IN_PLACE:
        await query.message.edit_text(pressed.reply.html[:TEXT_LIMIT], parse_mode=ParseMode.HTML,
                                      reply_markup=keyboard(pressed.reply))
    else:
        await send(query.message, pressed.reply, quote=False)


async def send(message: Message, reply: Reply, *, quote: bool = True) -> None:
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
    log.error("chat handler failed: %s", context.error, exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        with contextlib.suppress(TelegramError):
            await update.effective_message.reply_text("Có lỗi, đã ghi nhận. / Something went wrong; it has been logged.")


async def start(app: Application, webhook: Webhook | None = None, *, poll_timeout: int = 10) -> None:
    """Start taking updates (long polling, or a webhook whose secret header PTB checks)."""
    await app.initialize()
    await set_commands(app)
    await app.start()
    assert app.updater is not None
    if webhook is None:
        await app.updater.start_polling(poll_interval=0, timeout=poll_timeout)
    else:
        await app.updater.start_webhook(listen=webhook.listen, port=webhook.port, url_path=webhook.path,
                                        webhook_url=webhook.url, secret_token=webhook.secret)


async def stop(app: Application) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


@dataclass(frozen=True)
class Webhook:
    """``loa run --webhook URL``: Telegram posts updates to URL; the secret header is checked."""

    url: str
    secret: str
    listen: str = "127.0.0.1"
    port: int = 8443

    @property
    def path(self) -> str:
        return urlparse(self.url).path.lstrip("/") or "telegram"


async def set_commands(app: Application) -> None:
    """The command menu in both languages; approvers' chats also see the staff commands."""
    sv: Services = app.bot_data["loa"]

    def menu(lang: int, staff: bool) -> list[BotCommand]:
        return [BotCommand(cmd, (vi, en)[lang][:256]) for cmd, (_a, role, vi, en) in COMMANDS.items()
                if cmd != "start" and (role is None or staff)]

    await app.bot.set_my_commands(menu(0, False), scope=BotCommandScopeDefault())
    await app.bot.set_my_commands(menu(1, False), scope=BotCommandScopeDefault(), language_code="en")
    for key in sv.config.approval.chats + sv.config.alert_chats:
        channel = sv.config.channels[key]
        if channel.kind != "telegram":
            continue
        scope = BotCommandScopeChat(chat_id(channel.target))
        try:
            await app.bot.set_my_commands(menu(0, True), scope=scope)
            await app.bot.set_my_commands(menu(1, True), scope=scope, language_code="en")
        except TelegramError as exc:  # the bot may not be in that chat yet; the default menu still works
            log.warning("could not set commands for %s: %s", key, exc)
