"""What both emulators share: start, stop and address of a server on 127.0.0.1 run from daemon
threads, and the decoding of request bodies (JSON, form, multipart) into parameters and files."""

from __future__ import annotations

import email.parser
import email.policy
import json
import socket
import struct
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# The request is accepted and recorded (the message is out), then its answer is lost: the connection
# closes with no answer, is reset, or carries an answer that cannot be parsed. Unlike "drop" and
# "timeout" (nothing recorded), these are the faults where a blind retry posts twice.
LOST_ANSWER = frozenset({"lost_response", "reset", "garbage"})


def lose_answer(handler: BaseHTTPRequestHandler, kind: str) -> None:
    """Answer a processed request the ``LOST_ANSWER`` way ``kind`` names."""
    handler.close_connection = True
    if kind == "garbage":  # e.g. a proxy's error page with status 200
        payload = b"<html><body>upstream answer lost</body></html>"
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
    elif kind == "reset":  # RST instead of FIN when the server closes it
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # "lost_response": nothing is written; the connection is closed


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part as received; content kept so tests can inspect uploads."""

    name: str
    filename: str | None
    size: int
    content_type: str | None
    content: bytes = field(repr=False, default=b"")


def parse_request(content_type: str, body: bytes, query: str) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Decode a JSON, url-encoded or multipart body (plus the query string) into strings and files."""
    params: dict[str, Any] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    files: dict[str, UploadedFile] = {}
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime == "application/json" and body.strip():
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("JSON body must be an object")
        params.update(decoded)
    elif mime == "application/x-www-form-urlencoded":
        params.update(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif mime == "multipart/form-data":
        header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
        if not message.is_multipart():
            raise ValueError("malformed multipart body")
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename is None and part.get_content_type() == "text/plain":
                params[name] = content.decode("utf-8")
            else:
                files[name] = UploadedFile(name, filename, len(content), part.get_content_type(), content)
    return params, files


class Served:
    """Lifecycle shared by the emulators: single use, free port, hung requests released on stop.

    A subclass sets ``name``, builds its HTTP server in ``_make_server`` and may add threads of its
    own (``_background``); its ``__init__`` calls ``_init_lifecycle`` before anything else.
    """

    name = "emulator"

    def _init_lifecycle(self) -> None:
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    def _make_server(self) -> ThreadingHTTPServer:
        raise NotImplementedError

    def _background(self) -> list[threading.Thread]:
        return []

    def start(self) -> Any:
        """Bind a free port on 127.0.0.1 and serve from daemon threads (single use)."""
        if self._server is not None:
            raise RuntimeError("emulator already started")
        self._server = self._make_server()
        self._threads = [threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                          name=self.name, daemon=True), *self._background()]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Shut down; hung requests and long polls are released immediately."""
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=2.0)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("emulator not started")
        return int(self._server.server_address[1])
