"""Zalo Bot Platform: a Telegram-like bot (``/bot<token>/<method>``) for approvers and admins.

Plain text only (≤ 2000 characters); photos go by public URL, since ``sendPhoto`` takes an image
link rather than an upload. Errors map as the Bot platform publishes them: 400 bad request, 401
unauthorized (a wrong token: a setup error at start-up) and 404 not found are permanent; 403 — the
platform's *internal server error*, not "forbidden" — 408, 429, 5xx and network failures are
transient. The bot token is part of every URL, so no URL and no ``requests`` exception text is ever
logged or put in a reason.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import requests
from aiolimiter import AsyncLimiter

from campaign.commands import typed_hint
from campaign.errors import ChannelError, ChannelSetupError
from campaign.kinds import SPECS, ZALO_IMAGE_SUFFIXES, ChannelKind
from campaign.texts import inline
from channels.base import OutMessage, Sent
from channels.faults import requests_ambiguous, retry_connects, timed_out
from channels.limits import ChatLimits
from channels.zalo.http import MediaUrl

log = logging.getLogger(__name__)

BOT_TEXT_LIMIT: int = SPECS[ChannelKind.ZALO_BOT].text_limit or 0
POLL_TIMEOUT = 408  # getUpdates found nothing before its timeout
UNAUTHORIZED = 401  # a wrong bot token
TRANSIENT_CODES = frozenset({403, POLL_TIMEOUT, 429})  # 403 is the Bot platform's internal server error


class ZaloBotError(ChannelError):
    """A refused Bot API call; ``error_code`` as Zalo gave it (401: wrong token)."""

    def __init__(self, reason: str, error_code: int | None, *, transient: bool, retry_after: float | None = None,
                 ambiguous: bool = False) -> None:
        super().__init__(reason, transient=transient, retry_after=retry_after, ambiguous=ambiguous)
        self.error_code = error_code


class ZaloBotClient:
    """Blocking Bot API calls (run them off the event loop); results or ``ZaloBotError``."""

    def __init__(self, token: str, *, api_base: str, connect_timeout: float = 5.0, read_timeout: float = 15.0,
                 connect_retries: int = 2, session: requests.Session | None = None) -> None:
        self._url = f"{api_base.rstrip('/')}/bot{token}/"
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self.session = retry_connects(session, connect_retries)

    def __repr__(self) -> str:
        return "ZaloBotClient(<token hidden>)"

    def call(self, method: str, params: dict[str, Any] | None = None, *, read_timeout: float | None = None) -> Any:
        try:
            r = self.session.post(self._url + method, json=params or {},
                                  timeout=(self.connect_timeout, read_timeout or self.read_timeout))
        except requests.RequestException as exc:  # its text holds the URL, hence the token: not shown
            ambiguous = method.startswith("send") and requests_ambiguous(exc)  # a send may be out already
            if timed_out(exc):
                raise ZaloBotError(inline("zalobot.timeout") + f" ({method})", None,
                                   transient=True, ambiguous=ambiguous) from None
            if ambiguous:
                raise ZaloBotError(inline("zalobot.answer_lost") + f" ({method}: {type(exc).__name__})",
                                   None, transient=True, ambiguous=True) from None
            raise ZaloBotError(inline("zalobot.unreachable") + f" ({method}: {type(exc).__name__})",
                               None, transient=True) from None
        try:
            body = r.json()
        except ValueError:
            body = None
        if body is None and r.status_code < 400 and method.startswith("send"):  # accepted, answer unreadable
            raise ZaloBotError(f"Zalo Bot {method}: {inline('zalo.unreadable')}", None,
                               transient=True, ambiguous=True)
        if isinstance(body, dict) and body.get("ok") is True and r.status_code < 400:
            return body.get("result")
        code = int(body.get("error_code") or r.status_code) if isinstance(body, dict) else r.status_code
        description = str(body.get("description") or "") if isinstance(body, dict) else f"HTTP {r.status_code}"
        if code == 200:  # ok:false with no code: treat as a refusal
            code = 400
        reason = f"Zalo Bot {method}: {code} {description}".strip()
        if code == 429:
            params_ = body.get("parameters") if isinstance(body, dict) else None
            retry_after = params_.get("retry_after") if isinstance(params_, dict) else None
            raise ZaloBotError(reason, code, transient=True,
                               retry_after=float(retry_after) if retry_after is not None else None)
        raise ZaloBotError(reason, code, transient=code >= 500 or code in TRANSIENT_CODES)

    @staticmethod
    def _object(result: Any) -> dict[str, Any]:
        """A method's result as the object the Bot API documents (anything else: empty)."""
        return result if isinstance(result, dict) else {}

    def get_me(self) -> dict[str, Any]:
        return self._object(self.call("getMe"))

    def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        return self._object(self.call("sendMessage", {"chat_id": chat_id, "text": text}))

    def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        return self._object(self.call("sendPhoto", params))

    def get_updates(self, timeout: int = 30) -> list[dict[str, Any]]:
        """Long-poll for the next update: ``[update]`` or ``[]``. Zalo hands each update out once
        (there is no offset to confirm it), so process it before asking again. ``timeout`` goes out as
        a whole number of seconds, as the docs show it."""
        seconds = max(0, int(timeout))
        try:
            result = self.call("getUpdates", {"timeout": seconds}, read_timeout=seconds + 10)
        except ZaloBotError as exc:
            if exc.error_code == POLL_TIMEOUT:
                return []
            raise
        if isinstance(result, list):  # tolerate a batch, should Zalo ever send one
            return [u for u in result if isinstance(u, dict)]
        return [result] if isinstance(result, dict) and result else []

    def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        if not 8 <= len(secret_token) <= 256:
            raise ValueError("the webhook secret must be 8-256 characters")
        return self._object(self.call("setWebhook", {"url": url, "secret_token": secret_token}))

    def delete_webhook(self) -> dict[str, Any]:
        return self._object(self.call("deleteWebhook"))

    def get_webhook_info(self) -> dict[str, Any]:
        return self._object(self.call("getWebhookInfo"))

    def close(self) -> None:
        self.session.close()


class BotLimits(ChatLimits):
    """Zalo publishes no bot rate limits: stay near Telegram's (≈1/s per chat, 20/s overall)."""

    def __init__(self, per_second: float = 20.0, per_chat_per_second: float = 1.0) -> None:
        super().__init__(AsyncLimiter(per_second, 1), per_chat=(per_chat_per_second, 1))


class ZaloBotChannel:
    kind = ChannelKind.ZALO_BOT

    def __init__(self, token: str, *, api_base: str, media_url: MediaUrl | None = None,
                 limits: BotLimits | None = None, read_timeout: float = 15.0, connect_timeout: float = 5.0,
                 startup_retries: int = 5, startup_backoff: float = 2.0) -> None:
        if not token:
            raise ChannelSetupError(inline("zalobot.no_token"))
        self.client = ZaloBotClient(token, api_base=api_base, read_timeout=read_timeout,
                                    connect_timeout=connect_timeout)
        self.media_url = media_url
        self.limits = limits or BotLimits()
        self.startup_retries, self.startup_backoff = startup_retries, startup_backoff
        self.me: dict[str, Any] = {}

    async def start(self) -> None:
        """Check the token (getMe). A wrong token is fatal; an outage is retried a few times."""
        for attempt in range(1, self.startup_retries + 1):
            try:
                self.me = await asyncio.to_thread(self.client.get_me)
                log.info("Zalo Bot %s ready", self.me.get("account_name") or self.me.get("id"))
                return
            except ZaloBotError as exc:
                if exc.error_code == UNAUTHORIZED:
                    raise ChannelSetupError(
                        inline("zalobot.token_rejected", code=exc.error_code)) from None
                if not exc.transient:
                    raise ChannelSetupError(f"{inline('zalobot.refused_getme')}: {exc.reason} "
                                            f"({inline('zalobot.check_api_base')})") from None
                if attempt == self.startup_retries:
                    raise ChannelSetupError(f"{inline('zalobot.unreachable')}: {exc.reason}") from None
                delay = self.startup_backoff * 2 ** (attempt - 1)
                log.warning("Zalo Bot unreachable at start-up (%s); retrying in %.1fs", exc.reason, delay)
                await asyncio.sleep(delay)

    async def close(self) -> None:
        self.client.close()

    async def acquire(self, target: str) -> None:
        await self.limits.acquire(target)

    async def send(self, target: str, message: OutMessage) -> Sent:
        text = message.plain.strip()
        if message.choices:  # no buttons here: the reader types the answer
            text = f"{text}\n{typed_hint(message.choices)}".strip()
        images = [p for p in message.media if p.suffix.lower() in ZALO_IMAGE_SUFFIXES]
        urls = [u for u in (self.media_url(p) if self.media_url else None for p in images) if u]
        left_out = len(message.media) - len(urls)
        if left_out:
            text = (f"{text}\n\n" if text else "") + f"({inline('zalobot.left_out', n=left_out)})"
        if len(text) > BOT_TEXT_LIMIT:
            raise ChannelError(inline("zalobot.too_long", length=len(text), limit=BOT_TEXT_LIMIT),
                               transient=False)
        ids: list[str] = []
        try:
            for i, url in enumerate(urls):
                if i:
                    await self.limits.acquire(target)
                caption = text if i == 0 and text else None
                result = await asyncio.to_thread(self.client.send_photo, target, url, caption)
                ids.append(str(result.get("message_id", "")))
            if text and not urls:
                result = await asyncio.to_thread(self.client.send_message, target, text)
                ids.append(str(result.get("message_id", "")))
        except ZaloBotError as exc:
            if exc.retry_after:
                self.limits.block(target, exc.retry_after)
            raise
        return Sent(tuple(ids))

    async def edit(self, target: str, message_ids: tuple[str, ...], message: OutMessage) -> None:
        raise ChannelError(inline("zalobot.no_edit"), transient=False)

    async def delete(self, target: str, message_ids: tuple[str, ...]) -> None:
        raise ChannelError(inline("zalobot.no_delete"),
                           transient=False)
