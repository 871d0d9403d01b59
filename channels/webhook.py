"""Webhooks for web portals (a CMS with a small receiver) or anything else: a signed JSON document.

Publish is ``POST`` to the channel's URL, correct ``PUT``, retract ``DELETE``, each with the
document as the body (see docs/webhook.md for the contract), ``X-Loa-Signature: sha256=<hex>``
(HMAC-SHA256 of the body with the channel's secret) and ``Idempotency-Key: loa-<delivery id>-<hash
of the document>``. The key is the same whenever the same delivery sends the same document, so
the receiver drops repeats and a send whose answer was lost is simply sent again
(its kind is marked ``deduplicates`` in ``campaign.kinds``: the delivery code resends instead of asking the admins).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests

from campaign.errors import ChannelError
from campaign.kinds import ChannelKind
from campaign.render import render_markdown
from campaign.texts import pair
from channels.base import OutMessage, Sent
from channels.faults import requests_ambiguous, retry_connects, timed_out

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Loa-Signature"
SCHEMA = "loa.webhook/1"
EDIT_TRIES = 3  # a correction or retraction carries the same key on every try, so trying again is safe
MediaUrl = Callable[[Path], str | None]


def _reason(key: str, **kw: Any) -> str:
    return " / ".join(pair(key, **kw))


def sign(secret: bytes, body: bytes) -> str:
    """The ``X-Loa-Signature`` value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str | None) -> bool:
    """What a receiver does (and the tests' receiver does): compare in constant time."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


def idempotency_key(delivery: str, body: bytes) -> str:
    return f"loa-{delivery}-{hashlib.sha256(body).hexdigest()[:32]}"


def paragraphs_html(fragment: str) -> str:
    """The renderer's inline HTML (blocks separated by blank lines) as paragraphs for a web page."""
    out = []
    for block in fragment.split("\n\n"):
        if not block.strip():
            continue
        if block.startswith(("<pre", "<blockquote")):
            out.append(block)
        else:
            out.append("<p>" + block.replace("\n", "<br>\n") + "</p>")
    return "\n".join(out)


class WebhookChannel:
    """One receiver (one URL, one secret)."""

    kind = ChannelKind.WEBHOOK

    def __init__(self, secret: str, *, channel: str = "", content_dir: Path | None = None,
                 media_url: MediaUrl | None = None, timeout: float = 20.0, connect_timeout: float = 5.0,
                 session: requests.Session | None = None) -> None:
        self._secret = secret.encode()
        self.channel, self.content_dir, self.media_url = channel, content_dir, media_url
        self.timeout = (connect_timeout, timeout)
        self.session = retry_connects(session, 2, pool=4)

    def __repr__(self) -> str:
        return f"WebhookChannel({self.channel})"  # never the secret

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self.session.close()

    async def acquire(self, target: str) -> None:
        return None  # a receiver that needs slowing down answers 429 / 503 with Retry-After

    # -- the document ---------------------------------------------------------------------------

    def document(self, event: str, delivery: str, message: OutMessage | None) -> dict[str, Any]:
        """The JSON a receiver gets (docs/webhook.md); the same input always gives the same document."""
        meta: Mapping[str, Any] = message.meta if message is not None else {}
        doc: dict[str, Any] = {"schema": SCHEMA, "event": event, "id": str(meta.get("id") or f"delivery-{delivery}"),
                               "delivery": delivery, "channel": self.channel}
        if message is None:
            return doc
        if "markdown" in meta:
            markdown = str(meta["markdown"])
            rendered = render_markdown(markdown)
            title, html, text = str(meta.get("title") or ""), rendered.telegram_html, rendered.plain
        else:  # a reminder or an alert: its text is all there is
            first, _, rest = message.plain.partition("\n")
            title, markdown, html, text = first, message.plain, message.html, rest.strip() or first
        doc.update(
            title=title,
            body={"markdown": markdown, "html": paragraphs_html(html), "text": text},
            media=[self._media(p) for p in message.media],
            milestone=meta.get("milestone"),
            time=meta.get("time"),
            version=meta.get("version") or hashlib.sha256(message.plain.encode()).hexdigest()[:16],
        )
        return doc

    def _media(self, path: Path) -> dict[str, Any]:
        rel = path.name
        if self.content_dir is not None:
            with contextlib.suppress(ValueError):  # a file outside content/: its name only
                rel = path.resolve().relative_to(self.content_dir.resolve()).as_posix()
        return {"path": rel, "url": self.media_url(path) if self.media_url else None}

    # -- the calls --------------------------------------------------------------------------------

    def _request(self, method: str, url: str, event: str, delivery: str, doc: dict[str, Any]) -> None:
        body = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", SIGNATURE_HEADER: sign(self._secret, body),
                   "Idempotency-Key": idempotency_key(delivery, body), "X-Loa-Event": event,
                   "X-Loa-Delivery": delivery, "User-Agent": "Loa-webhook/1"}
        try:
            r = self.session.request(method, url, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            lost = timed_out(exc) or requests_ambiguous(exc)
            raise ChannelError(_reason("wh.lost" if lost else "wh.unreachable", error=type(exc).__name__),
                               transient=True, ambiguous=lost) from None
        if r.status_code < 300 or (method == "DELETE" and r.status_code in (404, 410)):
            return  # a DELETE of something the receiver no longer has is done
        detail = " ".join(r.text.split())[:200] or r.reason
        retry_after = _retry_after(r.headers.get("Retry-After"))
        transient = r.status_code >= 500 or r.status_code in (408, 425, 429)
        raise ChannelError(_reason("wh.http", status=r.status_code, detail=detail), transient=transient,
                           retry_after=retry_after if transient else None)

    async def send(self, target: str, message: OutMessage) -> Sent:
        delivery = str(message.delivery_id) if message.delivery_id is not None else _content_id(message)
        doc = self.document("publish", delivery, message)
        await asyncio.to_thread(self._request, "POST", target, "publish", delivery, doc)
        return Sent((delivery, doc["id"]))

    async def edit(self, target: str, message_ids: tuple[str, ...], message: OutMessage) -> None:
        delivery = message_ids[0] if message_ids else _content_id(message)
        doc = self.document("correct", delivery, message)
        await self._repeat("PUT", target, "correct", delivery, doc)

    async def delete(self, target: str, message_ids: tuple[str, ...]) -> None:
        delivery = message_ids[0] if message_ids else "0"
        doc = self.document("retract", delivery, None)
        if len(message_ids) > 1:
            doc["id"] = message_ids[1]
        await self._repeat("DELETE", target, "retract", delivery, doc)

    async def _repeat(self, method: str, url: str, event: str, delivery: str, doc: dict[str, Any]) -> None:
        """Corrections and retractions are admin actions answered at once: retry them here (same key)."""
        for attempt in range(EDIT_TRIES):
            try:
                await asyncio.to_thread(self._request, method, url, event, delivery, doc)
                return
            except ChannelError as exc:
                if not exc.transient or attempt == EDIT_TRIES - 1:
                    raise
                await asyncio.sleep(min(exc.retry_after or 0.2 * 2 ** attempt, 2.0))


def _content_id(message: OutMessage) -> str:
    return hashlib.sha256(message.plain.encode()).hexdigest()[:12]


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
