"""Zalo Official Account channels: posts to OA group chats (GMF) and broadcasts to followers (articles).

``ZaloOA`` is one account (its client, token pair and rate limits); ``ZaloOAChannel`` is one channel
kind on it. The HTTP client is in ``channels.zalo.http``, the token pair in ``channels.zalo.tokens``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiolimiter import AsyncLimiter

from campaign.clock import Clock
from campaign.config import ZaloSettings
from campaign.errors import ChannelError, ChannelSetupError
from campaign.kinds import OA_KINDS, ChannelKind
from campaign.store import zalo_tokens
from campaign.store.db import Store
from campaign.texts import inline, t
from channels.base import OutMessage, Sent
from channels.limits import ChatLimits
from channels.zalo.http import (
    ARTICLE_CREATE,
    ARTICLE_REMOVE,
    ARTICLE_VERIFY,
    BROADCAST,
    GROUP_MESSAGE,
    IMAGE_SUFFIXES,
    PROCESSING,
    TOKEN_ERRORS,
    UPLOAD_GIF,
    UPLOAD_IMAGE,
    MediaUrl,
    ZaloApiError,
    ZaloOAClient,
    body_field,
    error_code,
    raise_for_error,
)
from channels.zalo.tokens import (
    NO_TOKENS,
    ZaloTokens,
    with_login_hint,
)

log = logging.getLogger(__name__)


# --- rate limits -------------------------------------------------------------------------------


class ZaloLimits(ChatLimits):
    """Conservative leaky buckets (Zalo publishes no numbers), plus per-target blocks after -32."""

    def __init__(self, per_second: float = 1.0, per_target_per_minute: float = 10.0) -> None:
        super().__init__(AsyncLimiter(per_second, 1), per_chat=(per_target_per_minute, 60))


# --- the OA ------------------------------------------------------------------------------------


@dataclass
class _Progress:
    """What a send already did, so a retry after a transient failure resumes instead of repeating."""

    attachments: dict[str, str] = field(default_factory=dict)
    sent: list[str] = field(default_factory=list)
    article_token: str | None = None
    article_id: str | None = None


class ZaloOA:
    """One Official Account: the client, the tokens and the limits its channels share."""

    def __init__(self, client: ZaloOAClient, tokens: ZaloTokens, *, limits: ZaloLimits | None = None,
                 media_url: MediaUrl | None = None, default_cover_url: str | None = None, author: str = "",
                 image_max_bytes: int = 1_000_000, verify_attempts: int = 10, verify_delay: float = 3.0,
                 seed: tuple[str, str] | None = None) -> None:
        self.client, self.tokens = client, tokens
        self.limits = limits or ZaloLimits()
        self.media_url, self.default_cover_url, self.author = media_url, default_cover_url, author
        self.image_max_bytes = image_max_bytes
        self.verify_attempts, self.verify_delay = verify_attempts, verify_delay
        self._seed = seed
        self._progress: OrderedDict[str, _Progress] = OrderedDict()
        self._started = False
        self._closed = False

    @classmethod
    def from_settings(cls, settings: ZaloSettings, store: Store, env: Mapping[str, str], *,
                      clock: Clock | None = None, media_url: MediaUrl | None = None,
                      refresh_margin: timedelta = timedelta(hours=1),
                      on_stop: Callable[[str], None] | None = None, **kw: Any) -> ZaloOA:
        """Build from ``[zalo]`` and the environment; ``kw`` go to ``ZaloOA`` (limits, author, …)."""
        app_id, secret = env.get(settings.app_id_env, ""), env.get(settings.secret_key_env, "")
        missing = [n for n, v in ((settings.app_id_env, app_id), (settings.secret_key_env, secret)) if not v]
        if missing:
            raise ChannelSetupError(
                inline("zalo.oa.missing_env", names=", ".join(missing)))
        client = ZaloOAClient(settings.oa_api_base, settings.oauth_base)
        tokens = ZaloTokens(store, client, app_id, secret, clock=clock, margin=refresh_margin, on_stop=on_stop)
        access, refresh = env.get(settings.oa_token_env, ""), env.get(settings.refresh_token_env, "")
        return cls(client, tokens, media_url=media_url, image_max_bytes=settings.image_max_bytes,
                   seed=(access, refresh) if refresh else None, **kw)

    async def start(self) -> None:
        """Seed the store from the environment on first use; a missing pair is reported, not fatal."""
        if self._started:
            return
        self._started = True
        now = self.tokens.clock.now()
        if self._seed is not None:
            access, refresh = self._seed
            # Expiry unknown: mark it due, so the first send refreshes (and stores) a pair of our own.
            if await asyncio.to_thread(zalo_tokens.seed_if_empty, self.tokens.store, access or "-", refresh, now, now):
                log.info("Zalo OA token pair taken from the environment into the store")
        pair = await asyncio.to_thread(zalo_tokens.load, self.tokens.store)
        if pair is None:
            log.error("%s", NO_TOKENS)
        else:
            log.info("Zalo OA ready (token generation %d, valid until %s)", pair.generation,
                     pair.expires_at.isoformat(timespec="minutes"))

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.client.close()

    # -- calls ----------------------------------------------------------------------------------

    async def call(self, path: str, what: str, *, json: Any = None, upload: Path | None = None) -> dict[str, Any]:
        """One OA call with the current token; on a token error refresh once and try once more."""
        token = await self.tokens.access_token()
        body = await asyncio.to_thread(self.client.call, path, token, json=json, upload=upload)
        if error_code(body) in TOKEN_ERRORS:
            log.info("Zalo OA access token rejected (%d); refreshing", error_code(body))
            token = await self.tokens.refresh(token)
            body = await asyncio.to_thread(self.client.call, path, token, json=json, upload=upload)
            if error_code(body) in TOKEN_ERRORS:
                raise ChannelError(
                    with_login_hint("zalo.fresh_token_rejected", code=error_code(body)), transient=False)
        raise_for_error(body, what)
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    def _check_media(self, media: tuple[Path, ...]) -> None:
        for p in media:
            if p.suffix.lower() not in IMAGE_SUFFIXES:
                raise ChannelError(inline("zalo.oa.images_only", name=p.name), transient=False)
            size = p.stat().st_size
            if size > self.image_max_bytes:
                raise ChannelError(inline("zalo.oa.image_too_large", name=p.name, size=size,
                                                  limit=self.image_max_bytes),
                                   transient=False)
            if _is_gif(p):
                gif_size(p)  # a broken GIF fails before anything is uploaded

    def _progress_for(self, kind: str, target: str, m: OutMessage) -> tuple[str, _Progress]:
        digest = hashlib.sha256("\x00".join([kind, target, m.plain, *map(str, m.media)]).encode()).hexdigest()
        state = self._progress.get(digest)
        if state is None:
            state = self._progress[digest] = _Progress()
            while len(self._progress) > 256:
                self._progress.popitem(last=False)
        return digest, state

    async def send_group(self, group_id: str, m: OutMessage) -> Sent:
        """Upload the images (nothing visible yet), then post each image and the text."""
        self._check_media(m.media)
        key, state = self._progress_for("group", group_id, m)
        try:
            for p in m.media:
                if str(p) not in state.attachments:
                    data = await self.call(UPLOAD_GIF if _is_gif(p) else UPLOAD_IMAGE, inline("zalo.what.upload"), upload=p)
                    state.attachments[str(p)] = body_field(data, "attachment_id", "upload")
            messages: list[dict[str, Any]] = [_image_message(state.attachments[str(p)], p) for p in m.media]
            if m.plain.strip():
                messages.append({"text": m.plain})
            for i, message in enumerate(messages):
                if i < len(state.sent):
                    continue  # already out before a transient failure
                if i:
                    await self.limits.acquire(group_id)
                data = await self.call(GROUP_MESSAGE, "tin nhóm / group message",
                                       json={"recipient": {"group_id": group_id}, "message": message})
                state.sent.append(str(data.get("message_id") or ""))  # it is out: never fail it now
        except ChannelError as exc:
            self._after_failure(key, group_id, exc)
            raise
        self._progress.pop(key, None)
        return Sent(tuple(state.sent))

    async def send_broadcast(self, target: str, m: OutMessage) -> Sent:
        """Create an article from the post, wait until Zalo has processed it, broadcast it."""
        self._check_media(m.media)
        key, state = self._progress_for("broadcast", target, m)
        try:
            audience = _audience(target)
            if state.article_token is None:
                data = await self.call(ARTICLE_CREATE, inline("zalo.what.article_create"), json=self._article(m))
                state.article_token = body_field(data, "token", "article create")
            if state.article_id is None:
                state.article_id = await self._verify(state.article_token)
            data = await self.call(BROADCAST, "broadcast", json={
                "recipient": {"target": audience},
                "message": {"attachment": {"type": "template", "payload": {
                    "template_type": "media", "elements": [{"media_type": "article", "attachment_id": state.article_id}]}}},
            })
        except ChannelError as exc:
            self._after_failure(key, target, exc)
            raise
        self._progress.pop(key, None)
        return Sent((str(data.get("message_id") or ""), f"article:{state.article_id}"))

    def _after_failure(self, key: str, target: str, exc: ChannelError) -> None:
        if not exc.transient:
            self._progress.pop(key, None)
        elif exc.retry_after:
            self.limits.block(target, exc.retry_after)

    async def _verify(self, token: str) -> str:
        for attempt in range(self.verify_attempts):
            if attempt:
                await asyncio.sleep(self.verify_delay)
            try:
                data = await self.call(ARTICLE_VERIFY, inline("zalo.what.article_verify"), json={"token": token})
            except ZaloApiError as exc:
                if exc.code == PROCESSING:
                    continue
                raise
            article_id = data.get("id") or data.get("article_id")
            if article_id:
                return str(article_id)
        raise ChannelError(inline("zalo.oa.still_processing", n=self.verify_attempts),
                           transient=True, retry_after=self.verify_delay * 5)

    def _article(self, m: OutMessage) -> dict[str, Any]:
        urls = [self.media_url(p) if self.media_url else None for p in m.media]
        cover = (urls[0] if urls else None) or self.default_cover_url
        if not cover:
            raise ChannelError(
                inline("zalo.oa.no_cover"), transient=False)
        lines = [ln.strip() for ln in m.plain.strip().splitlines()]
        title = _clip(lines[0] if lines else "", 150) or t("zalo.oa.default_title", "vi")
        paragraphs = [p.strip() for p in "\n".join(lines[1:]).split("\n\n") if p.strip()] or [title]
        body: list[dict[str, str]] = [{"type": "text", "content": p} for p in paragraphs]
        body += [{"type": "image", "url": u} for u in urls[1:] if u]
        return {
            "type": "normal", "title": title, "author": _clip(self.author, 50),
            "description": _clip(paragraphs[0].replace("\n", " "), 300),
            "cover": {"cover_type": "photo", "photo_url": cover, "status": "show"},
            "body": body, "status": "show", "comment": "show",
        }

    async def remove_article(self, article_id: str) -> None:
        await self.call(ARTICLE_REMOVE, inline("zalo.what.article_remove"), json={"id": article_id})


def _image_message(attachment_id: str, path: Path) -> dict[str, Any]:
    """A media template; a GIF says so and carries its size, as the official PHP SDK sends it."""
    element: dict[str, Any] = {"media_type": "image", "attachment_id": attachment_id}
    if _is_gif(path):
        width, height = gif_size(path)
        element.update(media_type="gif", width=width, height=height)
    return {"attachment": {"type": "template", "payload": {"template_type": "media", "elements": [element]}}}


def _is_gif(path: Path) -> bool:
    return path.suffix.lower() == ".gif"


def gif_size(path: Path) -> tuple[int, int]:
    """Width and height from the GIF header (``GIF87a``/``GIF89a``, then two little-endian uint16)."""
    with path.open("rb") as fh:
        head = fh.read(10)
    if len(head) < 10 or head[:6] not in (b"GIF87a", b"GIF89a"):
        raise ChannelError(inline("zalo.oa.bad_gif", name=path.name),
                           transient=False)
    return int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")


def _audience(target: str) -> dict[str, Any]:
    """``followers`` = everyone; ``followers:gender=1,cities=4`` passes Zalo's audience filters."""
    name, _, filters = target.partition(":")
    if name.strip() != "followers":
        raise ChannelError(inline("zalo.oa.bad_audience", target=target), transient=False)
    out: dict[str, Any] = {}
    for item in filter(None, (f.strip() for f in filters.split(","))):
        k, _, v = item.partition("=")
        out[k.strip()] = int(v) if v.strip().lstrip("-").isdigit() else v.strip()
    return out


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class ZaloOAChannel:
    """One channel kind on a shared ``ZaloOA``: ``zalo_oa_group`` (target: group id) or
    ``zalo_oa_broadcast`` (target: ``followers``)."""

    def __init__(self, oa: ZaloOA, kind: str) -> None:
        if kind not in OA_KINDS:
            raise ValueError(f"not a Zalo OA channel kind: {kind}")
        self.oa, self.kind = oa, ChannelKind(kind)

    async def start(self) -> None:
        await self.oa.start()

    async def close(self) -> None:
        await self.oa.close()

    async def acquire(self, target: str) -> None:
        await self.oa.limits.acquire(target)

    async def send(self, target: str, message: OutMessage) -> Sent:
        if self.kind is ChannelKind.ZALO_OA_GROUP:
            return await self.oa.send_group(target, message)
        return await self.oa.send_broadcast(target, message)

    async def edit(self, target: str, message_ids: tuple[str, ...], message: OutMessage) -> None:
        raise ChannelError(inline("zalo.oa.no_edit"), transient=False)

    async def delete(self, target: str, message_ids: tuple[str, ...]) -> None:
        if self.kind is ChannelKind.ZALO_OA_GROUP:
            raise ChannelError(inline("zalo.oa.no_group_recall"), transient=False)
        articles = [mid.split(":", 1)[1] for mid in message_ids if mid.startswith("article:")]
        for article_id in articles:
            await self.oa.remove_article(article_id)
        key = "zalo.oa.no_broadcast_recall_after_removal" if articles else "zalo.oa.no_broadcast_recall"
        raise ChannelError(inline(key),
                           transient=False)
