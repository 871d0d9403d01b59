"""Inbound chat webhooks (Telegram and the Zalo Bot): one small tornado server each, same rules.

A request is judged before its body is read: a wrong secret header is 403 and a declared body
over ``MAX_BODY`` is 413, and the connection is closed instead of reading (tornado itself never
buffers more than ``MAX_BODY``). A body that is not a JSON object is 400. Only then is the update
handed on. No traceback reaches the log for anything a caller can send.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler, stream_request_body

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20  # 1 MB: a chat update is a few kB; Telegram's largest are far below this

Deliver = Callable[[dict[str, Any]], Awaitable[bool]]  # False: the update could not be read (400)


@dataclass(frozen=True)
class Webhook:
    """``loa run --webhook URL``: the platform posts updates to URL; the secret header is checked."""

    url: str
    secret: str
    listen: str = "127.0.0.1"
    port: int = 8443

    @property
    def path(self) -> str:
        return urlparse(self.url).path.lstrip("/") or "telegram"


@stream_request_body
class UpdateHandler(RequestHandler):
    """POST of one update; see the module docstring for the order of the checks."""

    def initialize(self, secret: str, header: str, deliver: Deliver, name: str, max_body: int = MAX_BODY) -> None:
        self.secret, self.header, self.deliver, self.name, self.max_body = secret, header, deliver, name, max_body
        self.chunks: list[bytes] = []
        self.size = 0

    def prepare(self) -> None:
        if self.request.method != "POST":
            self._refuse(405)
            return
        given = self.request.headers.get(self.header, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("%s webhook: request with a wrong secret refused (403)", self.name)
            self._refuse(403)
            return
        length = self.request.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > self.max_body:
            log.warning("%s webhook: body of %s bytes refused (413, limit %d)", self.name, length[:20], self.max_body)
            self._refuse(413)

    def _refuse(self, status: int) -> None:
        self.set_status(status)
        self.finish()  # before the body: tornado closes the connection rather than read it

    def data_received(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size <= self.max_body:
            self.chunks.append(chunk)

    async def post(self) -> None:
        if self.size > self.max_body:  # a chunked body with no length given
            self.set_status(413)
            return
        try:
            update = json.loads(b"".join(self.chunks))
        except ValueError:  # (UnicodeDecodeError is a ValueError)
            update = None
        if not isinstance(update, dict) or not await self.deliver(update):
            log.warning("%s webhook: an unreadable update refused (400)", self.name)
            self.set_status(400)
            return
        self.write({"ok": True})


def server(path: str, secret: str, header: str, deliver: Deliver, *, name: str) -> HTTPServer:
    """A tornado server for one webhook path; ``listen(port, address)`` it, ``stop()`` it at the end."""
    app = Application([("/" + path.lstrip("/"), UpdateHandler,
                         {"secret": secret, "header": header, "deliver": deliver, "name": name})])
    return HTTPServer(app, max_body_size=MAX_BODY)
