"""The Zalo Bot chat side: the same commands and answers as Telegram, typed as text.

Zalo Bot messages have no inline buttons, so approvals are ``duyet ID`` / ``tuchoi ID lý do``
and confirmations are words (``tamdung xacnhan``). Everything goes through ``bot.dispatch``.
Updates arrive by long polling (``getUpdates``) or by webhook (secret header checked).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from tornado.httpserver import HTTPServer

from bot import dispatch, webhook
from bot.dispatch import Reply, Services, Who
from campaign import compose
from campaign.ask import Ask, parse_command, parse_question
from campaign.errors import ChannelError
from campaign.render import ZALO_TEXT_LIMIT
from campaign.review import Actor
from campaign.texts import t
from channels.zalo.bot import ZaloBotClient

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Bot-Api-Secret-Token"


def who(sv: Services, user_id: str) -> Who:
    person = sv.config.person_by_zalo(user_id)
    lang = (person.language if person and person.language else None) or sv.config.language
    return Who(Actor(person.key if person else f"zalo:{user_id}", person), lang)


async def handle_update(sv: Services, client: ZaloBotClient, update: dict[str, Any]) -> Reply | None:
    """One incoming update -> at most one answer (sent in as many 2000-character pieces as needed)."""
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    text, sender, chat = message.get("text"), message.get("from"), message.get("chat")
    if not (isinstance(text, str) and isinstance(sender, dict) and isinstance(chat, dict)
            and isinstance(sender.get("id"), str | int) and isinstance(chat.get("id"), str | int)
            and sender["id"] != "" and chat["id"] != ""):
        return None
    asker = who(sv, str(sender["id"]))
    private = str(chat.get("chat_type", "PRIVATE")).upper() == "PRIVATE"
    reply = await _reply(sv, asker, text, private)
    if reply is None:
        return None
    text = reply.text if reply.document is None else f"{reply.text}\n{t('report.telegram_only', asker.lang)}"
    for piece in split(text):
        try:
            await asyncio.to_thread(client.send_message, str(chat["id"]), piece)
        except ChannelError as exc:
            log.warning("could not answer on Zalo chat %s: %s", chat["id"], exc.reason)
            break
    return reply


async def _reply(sv: Services, asker: Who, text: str, private: bool) -> Reply | None:
    """A draft being written takes every private message but "huy"/"cancel" and "/…" commands; else a command."""
    command = parse_command(text)
    if private and dispatch.drafting(sv, asker) and not _leaves_draft(text, command):
        return await dispatch.draft_said(sv, asker, compose.Said(text), buttons=False)
    if command is not None and command.command == "new" and not private:
        return Reply(t("draft.private", asker.lang))  # a draft is written in a private chat, as on Telegram
    ask = command or parse_question(text)
    if ask is None:
        if not private:
            return None  # group chatter that is not for the bot
        ask = parse_command("help")
    assert ask is not None
    return await dispatch.answer(sv, asker, ask, buttons=False)


def _leaves_draft(text: str, command: Ask | None) -> bool:
    """ "huy" alone cancels, and "/…" is a command; "Mới khai trương…" is a title, not ``/moi``."""
    return command is not None and ((command.command == "cancel" and not command.args) or text.lstrip().startswith("/"))


def split(text: str, limit: int = ZALO_TEXT_LIMIT) -> list[str]:
    pieces, current = [], ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            pieces.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            pieces.append(current)
            current = ""
        current += line
    return [p.rstrip("\n") for p in [*pieces, current] if p.strip()]


async def poll(sv: Services, client: ZaloBotClient, stop: asyncio.Event, *, timeout: int = 25) -> None:
    """Long polling until ``stop``: one update at a time, since Zalo hands each out only once.

    ``getUpdates`` hears nothing while a webhook is set (after a switch from webhook to polling, say),
    so the webhook is deleted first, as python-telegram-bot does for Telegram.
    """
    await _delete_webhook(client, stop)
    backoff = 1.0
    while not stop.is_set():
        try:
            updates = await asyncio.to_thread(client.get_updates, timeout)
            backoff = 1.0
        except ChannelError as exc:
            log.warning("Zalo getUpdates failed: %s; retrying in %.0fs", exc.reason, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 60.0)
            continue
        for update in updates:
            await handle_safely(sv, client, update)


async def _delete_webhook(client: ZaloBotClient, stop: asyncio.Event) -> None:
    """Delete any webhook before polling; an outage is retried, a refusal is logged and polling goes on."""
    backoff = 1.0
    while not stop.is_set():
        try:
            await asyncio.to_thread(client.delete_webhook)
        except ChannelError as exc:
            if not exc.transient:
                log.warning("Zalo Bot deleteWebhook refused (%s); polling anyway", exc.reason)
                return
            log.warning("Zalo Bot deleteWebhook failed: %s; retrying in %.0fs", exc.reason, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 60.0)
            continue
        log.info("Zalo Bot: webhook deleted (if one was set) so that long polling (getUpdates) receives updates")
        return



async def handle_safely(sv: Services, client: ZaloBotClient, update: dict[str, Any]) -> None:
    """``handle_update``, but one bad update must not stop the bot: logged, never raised."""
    try:
        await handle_update(sv, client, update)
    except Exception:
        log.exception("Zalo update failed")


def webhook_server(sv: Services, client: ZaloBotClient, secret: str, path: str = "/zalo") -> HTTPServer:
    """A tornado server for Zalo's webhook (checks as in ``bot.webhook``); ``listen`` it, ``stop()`` it at the end."""
    tasks: set[asyncio.Task[None]] = set()

    async def deliver(body: dict[str, Any]) -> bool:
        update = body.get("result", body)
        if not isinstance(update, dict):
            return False
        task = asyncio.get_running_loop().create_task(handle_safely(sv, client, update))  # answer Zalo at once
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return True

    return webhook.server(path, secret, SECRET_HEADER, deliver, name="Zalo Bot")
