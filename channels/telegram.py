"""Telegram through python-telegram-bot's ``Bot``: text, photo, album, document, pin, edit, delete.

Rate limits are enforced here, before each call (aiolimiter leaky buckets): ~30 messages/s per
bot, 20/min per group or channel, 1/s per private chat. A 429 blocks only its chat for
``retry_after`` seconds; the delivery engine reschedules that one delivery.

Two refusals get their own errors because the caller can do better than fail: a group upgraded
to a supergroup (``ChatMigrated`` -> ``ChatMoved``: nothing was sent, follow the new id) and a
deletion Telegram refuses (older than 48 hours, or no right -> ``CannotDelete``: edit instead).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from contextlib import ExitStack, suppress
from datetime import timedelta
from pathlib import Path

# python-telegram-bot 22 warns that durations such as ``RetryAfter.retry_after`` become timedeltas in its
# next major; opt in now (it reads the variable when the value is read), so the code is ready and quiet.
os.environ["PTB_TIMEDELTA"] = "1"

from aiolimiter import AsyncLimiter
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from campaign.errors import CannotDelete, ChannelError, ChannelSetupError, ChatMoved
from campaign.kinds import IMAGE_SUFFIXES, ChannelKind
from campaign.texts import inline
from channels.base import Choice, OutMessage, Sent
from channels.faults import httpx_ambiguous
from channels.limits import ChatLimits

log = logging.getLogger(__name__)


def chat_id(target: str) -> int | str:
    """Numeric ids go as ints, ``@channelname`` as is."""
    try:
        return int(target)
    except ValueError:
        return target


def is_private(target: str) -> bool:
    cid = chat_id(target)
    return isinstance(cid, int) and cid > 0


class TelegramLimits(ChatLimits):
    """~30 messages/s per bot (no burst), 20/min per group or channel, ~1/s per private chat."""

    def __init__(self, per_second: float = 30, group_per_minute: float = 20, private_per_second: float = 1) -> None:
        super().__init__(AsyncLimiter(1, 1 / per_second))  # no burst: a burst of 30 on top of the rate earns 429s
        self.group_per_minute = group_per_minute
        self.private_per_second = private_per_second

    def chat_limiter(self, target: str) -> AsyncLimiter:
        return AsyncLimiter(self.private_per_second, 1) if is_private(target) else AsyncLimiter(self.group_per_minute, 60)


class TelegramChannel:
    kind = ChannelKind.TELEGRAM

    def __init__(self, token: str, *, api_base: str, file_base: str, limits: TelegramLimits | None = None,
                 read_timeout: float = 15.0, connect_timeout: float = 10.0, startup_retries: int = 5,
                 startup_backoff: float = 2.0, encode: Callable[[Choice], str] | None = None) -> None:
        """``encode``: the bot's callback codec, turning a message's choices into inline buttons
        (None: choices are not shown, e.g. a channel that only publishes)."""
        if not token:
            raise ChannelSetupError(inline("telegram.no_token"))
        request = HTTPXRequest(connection_pool_size=64, read_timeout=read_timeout, write_timeout=read_timeout,
                               connect_timeout=connect_timeout, media_write_timeout=read_timeout * 2)
        self.bot = Bot(token, base_url=api_base, base_file_url=file_base, request=request)
        self.limits = limits or TelegramLimits()
        self.startup_retries = startup_retries
        self.startup_backoff = startup_backoff
        self.encode = encode

    async def start(self) -> None:
        """Check the token (getMe). A wrong token is fatal; a network outage is retried."""
        for attempt in range(1, self.startup_retries + 1):
            try:
                await self.bot.initialize()
                log.info("Telegram bot @%s ready", self.bot.username)
                return
            except InvalidToken:
                raise ChannelSetupError(
                    inline("telegram.token_rejected")
                ) from None
            except (NetworkError, RetryAfter) as exc:
                if attempt == self.startup_retries:
                    raise ChannelSetupError(f"{inline('telegram.unreachable')}: {exc}") from None
                delay = retry_seconds(exc) if isinstance(exc, RetryAfter) else self.startup_backoff * 2 ** (attempt - 1)
                log.warning("Telegram unreachable at start-up (%s); retrying in %.0fs", exc, delay)
                await asyncio.sleep(delay)

    async def close(self) -> None:
        with suppress(TelegramError):
            await self.bot.shutdown()

    async def acquire(self, target: str) -> None:
        await self.limits.acquire(target)

    async def send(self, target: str, message: OutMessage) -> Sent:
        cid = chat_id(target)
        with _errors(self.limits, target):
            ids = await self._send(cid, message)
        if message.pin:  # the post is out: a failed pin must not make it look unsent (and be sent twice)
            try:
                await self.limits.acquire(target)
                await self.bot.pin_chat_message(cid, int(ids[0]), disable_notification=message.silent)
            except TelegramError as exc:
                log.warning("message %s in %s was sent but could not be pinned: %s", ids[0], target, exc)
        return Sent(ids)

    async def _send(self, cid: int | str, m: OutMessage) -> tuple[str, ...]:
        markup = self._keyboard(m)
        if not m.media:
            msg = await self.bot.send_message(
                cid, m.html, link_preview_options=LinkPreviewOptions(is_disabled=not m.preview),
                reply_markup=markup, disable_notification=m.silent, parse_mode=ParseMode.HTML,
            )
            return (str(msg.message_id),)
        with ExitStack() as files:
            ids: list[str] = []
            caption: str | None = m.html
            # Telegram albums cannot mix photos and documents: photos first, then the files.
            for group in ([p for p in m.media if _is_image(p)], [p for p in m.media if not _is_image(p)]):
                if not group:
                    continue
                handles = [files.enter_context(p.open("rb")) for p in group]
                if len(group) == 1 and _is_image(group[0]):
                    msg = await self.bot.send_photo(cid, handles[0], caption=caption, reply_markup=markup,
                                                    disable_notification=m.silent, parse_mode=ParseMode.HTML)
                    ids.append(str(msg.message_id))
                elif len(group) == 1:
                    msg = await self.bot.send_document(cid, handles[0], caption=caption, reply_markup=markup,
                                                       disable_notification=m.silent, parse_mode=ParseMode.HTML)
                    ids.append(str(msg.message_id))
                else:
                    items = [(InputMediaPhoto if _is_image(p) else InputMediaDocument)(
                        h, caption=caption if i == 0 else None, parse_mode=ParseMode.HTML, filename=p.name)
                        for i, (p, h) in enumerate(zip(group, handles, strict=True))]
                    msgs = await self.bot.send_media_group(cid, items, disable_notification=m.silent)
                    ids += [str(x.message_id) for x in msgs]
                caption = None
            return tuple(ids)

    async def edit(self, target: str, message_ids: tuple[str, ...], message: OutMessage) -> None:
        cid = chat_id(target)
        await self.limits.acquire(target)
        with _errors(self.limits, target):
            try:
                if message.media:
                    await self.bot.edit_message_caption(cid, int(message_ids[0]), caption=message.html,
                                                        parse_mode=ParseMode.HTML, reply_markup=self._keyboard(message))
                else:
                    await self.bot.edit_message_text(
                        message.html, cid, int(message_ids[0]), parse_mode=ParseMode.HTML,
                        link_preview_options=LinkPreviewOptions(is_disabled=not message.preview),
                        reply_markup=self._keyboard(message),
                    )
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():
                    raise

    async def delete(self, target: str, message_ids: tuple[str, ...]) -> None:
        cid = chat_id(target)
        for mid in message_ids:
            await self.limits.acquire(target)
            with _errors(self.limits, target):
                try:
                    await self.bot.delete_message(cid, int(mid))
                except BadRequest as exc:
                    if "can't be deleted" in str(exc).lower():  # older than 48 hours, or the bot lacks the right
                        raise CannotDelete(f"{type(exc).__name__}: {exc.message}") from None
                    if "not found" not in str(exc).lower():
                        raise

    def _keyboard(self, m: OutMessage) -> InlineKeyboardMarkup | None:
        """The message's choices as buttons (with the bot's codec), then any buttons encoded already."""
        encode = self.encode
        rows = [[InlineKeyboardButton(c.label, callback_data=encode(c)) for c in row] for row in m.choices] if encode else []
        rows += [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in m.buttons]
        return InlineKeyboardMarkup(rows) if rows else None


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked us to wait: a timedelta (``PTB_TIMEDELTA``, set above), seconds if someone unset it."""
    value: timedelta | float = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


class _errors:
    """Translate python-telegram-bot errors into ``ChannelError`` (transient or permanent)."""

    def __init__(self, limits: TelegramLimits, target: str) -> None:
        self.limits, self.target = limits, target

    def __enter__(self) -> None:
        return None

    def __exit__(self, et: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is None or not isinstance(exc, TelegramError):
            return
        if isinstance(exc, RetryAfter):
            seconds = retry_seconds(exc)
            self.limits.block(self.target, seconds)
            raise ChannelError(f"429 Too Many Requests: retry after {seconds:.0f}s", transient=True, retry_after=seconds) from None
        if isinstance(exc, ChatMigrated):  # refused, nothing sent: the caller may follow the group to its new id
            raise ChatMoved(self.target, str(exc.new_chat_id)) from None
        if isinstance(exc, (Forbidden, BadRequest, InvalidToken)):
            raise ChannelError(f"{type(exc).__name__}: {exc.message}", transient=False) from None
        if type(exc) is TelegramError and isinstance(exc.__cause__, ValueError):  # a 2xx answer that is not JSON
            raise ChannelError(f"{inline('telegram.unreadable')}: {exc.message}", transient=True,
                               ambiguous=True) from None
        if isinstance(exc, (TimedOut, NetworkError)):
            raise ChannelError(f"{type(exc).__name__}: {exc.message}", transient=True, ambiguous=httpx_ambiguous(exc)) from None
        raise ChannelError(f"{type(exc).__name__}: {exc.message}", transient=False) from None

