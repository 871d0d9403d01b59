"""A portal's webhook receiver for tests: checks the signature, drops repeated Idempotency-Keys, keeps
the documents by id (POST creates, PUT replaces, DELETE removes) and records every request.

Faults: ``inject(kind, count=1)`` — "lost_response", "reset", "garbage" (the request IS applied, then
the answer is lost), "500", "503" (with ``Retry-After: 0``), "429", "400" (not applied).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.emulators.common import LOST_ANSWER, Served, lose_answer


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    status: int | None = None
    duplicate: bool = False
    fault: str | None = None
    document: dict[str, Any] = field(default_factory=dict)


class WebhookReceiver(Served):
    name = "webhook-receiver"

    def __init__(self, secret: str, path: str = "/loa") -> None:
        self._init_lifecycle()
        self.secret = secret.encode()
        self.path = path
        self.requests: list[Request] = []
        self.documents: dict[str, dict[str, Any]] = {}  # id -> the latest document (what the portal shows)
        self.removed: set[str] = set()
        self.seen_keys: set[str] = set()
        self._faults: list[list[Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def inject(self, kind: str, count: int = 1) -> None:
        with self._lock:
            self._faults.append([kind, count])

    def applied(self) -> list[Request]:
        """Requests that changed something (signed, not a repeat, answered or processed)."""
        with self._lock:
            return [r for r in self.requests if r.signature_ok and not r.duplicate and r.fault not in ("500", "503",
                                                                                                    "429", "400")]

    def _make_server(self) -> ThreadingHTTPServer:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                receiver._handle(self)

            do_PUT = do_POST
            do_DELETE = do_POST

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        return server

    def _fault(self) -> str | None:
        with self._lock:
            if not self._faults:
                return None
            kind, count = self._faults[0]
            if count <= 1:
                self._faults.pop(0)
            else:
                self._faults[0][1] = count - 1
            return str(kind)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        given = h.headers.get("X-Loa-Signature") or ""
        req = Request(h.command, h.path, dict(h.headers.items()), body, hmac.compare_digest(expected, given))
        with self._lock:
            self.requests.append(req)
        if h.path != self.path:
            return self._answer(h, req, 404, {"error": "not found"})
        if not req.signature_ok:
            return self._answer(h, req, 401, {"error": "bad signature"})
        fault = req.fault = self._fault()
        if fault in ("500", "503", "429", "400"):
            return self._answer(h, req, int(fault), {"error": "injected"}, retry_after=fault in ("503", "429"))
        key = h.headers.get("Idempotency-Key") or ""
        with self._lock:
            req.document = json.loads(body)
            if key and key in self.seen_keys:
                req.duplicate = True
            else:
                self.seen_keys.add(key)
                doc_id = str(req.document.get("id"))
                if h.command == "DELETE":
                    self.documents.pop(doc_id, None)
                    self.removed.add(doc_id)
                else:
                    self.documents[doc_id] = req.document
        if fault in LOST_ANSWER:
            req.status = 200
            lose_answer(h, fault)
            return None
        return self._answer(h, req, 200, {"ok": True, "duplicate": req.duplicate})

    def _answer(self, h: BaseHTTPRequestHandler, req: Request, status: int, body: Any, *, retry_after: bool = False) -> None:
        req.status = status
        payload = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(payload)))
        if retry_after:
            h.send_header("Retry-After", "0")
        h.end_headers()
        h.wfile.write(payload)
