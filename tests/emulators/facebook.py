"""A local Graph API server for tests: Pages, their posts and photos, errors, usage headers, faults.

    with FacebookEmulator(pages={"1234567890": "Trang tỉnh"}) as fb:
        token = fb.page_token("1234567890")
        requests.post(f"{fb.api_base}/v21.0/1234567890/feed", headers={"Authorization": f"Bearer {token}"},
                      data={"message": "Xin chào"})
        assert fb.visible_posts("1234567890")[0]["message"] == "Xin chào"

Shapes emulated (Graph API v21.0, as documented for Pages):

* The token comes as ``Authorization: Bearer …`` or an ``access_token`` parameter. An unknown token
  is ``{"error": {"code": 190, "type": "OAuthException"}}`` with HTTP 400; a token without the
  ``pages_manage_posts`` permission (``page_token(page, permissions=…)``) gets code 200 "(#200) …
  requires pages_manage_posts" (HTTP 403) when it posts.
* ``GET /{v}/{page}?fields=name`` → ``{"id", "name"}``; ``GET /{v}/me/permissions`` → ``{"data":
  [{"permission", "status": "granted"}]}``.
* ``POST /{v}/{page}/feed`` (form: ``message``, ``link``, ``attached_media[i]`` = JSON ``{"media_fbid"}``)
  → ``{"id": "{page}_{n}"}``. Attached photos must be unpublished photos of that Page (else 100).
* ``POST /{v}/{page}/photos`` (multipart ``source``, ``caption``, ``published``) → ``{"id"}``, and
  ``post_id`` when published.
* ``POST /{v}/{post-id}`` (``message``) → ``{"success": true}``; ``DELETE /{v}/{post-id}`` → the same;
  an unknown or deleted post is code 100 (HTTP 400).
* Every answer carries ``X-App-Usage`` (``usage`` dict, default 0 %) and, when ``buc_usage`` is set,
  ``X-Business-Use-Case-Usage``.

Faults: ``inject(kind, path=None, count=1)`` — "500", "drop" (closed before processing), "timeout" (no
answer for ``hang_seconds``, not processed), the lost-answer kinds "lost_response", "reset", "garbage"
(processed and recorded, then the answer is lost), or an error ``code`` (int, e.g. 4, 17, 32, 613, 190,
10, 200, 506) answered with HTTP 400 (``transient=True`` adds ``is_transient``).
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.emulators.common import LOST_ANSWER, Served, UploadedFile, lose_answer, parse_request

ALL_PERMISSIONS = ("pages_manage_posts", "pages_read_engagement", "pages_show_list")


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    status: int | None = None
    response: Any = None
    fault: str | None = None


@dataclass
class _Fault:
    kind: str | int
    path: str | None
    count: int
    transient: bool = False


class FacebookEmulator(Served):
    name = "facebook-emulator"

    def __init__(self, pages: dict[str, str] | None = None, *, version: str = "v21.0", hang_seconds: float = 1.0) -> None:
        self._init_lifecycle()
        self.pages = dict(pages or {"1234567890": "Trang thử"})
        self.version = version
        self.hang_seconds = hang_seconds
        self.tokens: dict[str, tuple[str, frozenset[str]]] = {}  # token -> (page, permissions)
        self.posts: dict[str, dict[str, Any]] = {}  # post id -> record
        self.photos: dict[str, dict[str, Any]] = {}  # photo id -> record
        self.calls: list[Call] = []
        self.faults: list[_Fault] = []
        self.usage: dict[str, int] = {"call_count": 0, "total_cputime": 0, "total_time": 0}
        self.buc_usage: dict[str, Any] | None = None
        self._ids = itertools.count(1001)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page_token(self, page: str, permissions: tuple[str, ...] = ALL_PERMISSIONS) -> str:
        token = "EAAB" + secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = (page, frozenset(permissions))
        return token

    def inject(self, kind: str | int, path: str | None = None, count: int = 1, *, transient: bool = False) -> None:
        """The next ``count`` requests (whose path contains ``path``) fail the ``kind`` way."""
        with self._lock:
            self.faults.append(_Fault(kind, path, count, transient))

    def visible_posts(self, page: str) -> list[dict[str, Any]]:
        """What a visitor of the Page sees, oldest first."""
        with self._lock:
            return [p for p in self.posts.values() if p["page"] == page and not p["deleted"]]

    def calls_to(self, fragment: str, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if fragment in c.path and (method is None or c.method == method)]

    # --- the server ----------------------------------------------------------------------------

    def _make_server(self) -> ThreadingHTTPServer:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                emulator._handle(self, "GET")

            def do_POST(self) -> None:
                emulator._handle(self, "POST")

            def do_DELETE(self) -> None:
                emulator._handle(self, "DELETE")

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        return server

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for f in self.faults:
                if f.path is None or f.path in path:
                    f.count -= 1
                    if f.count <= 0:
                        self.faults.remove(f)
                    return f
        return None

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        split = urllib.parse.urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        params, files = parse_request(h.headers.get("Content-Type", ""), raw, split.query)
        call = Call(method, split.path, dict(h.headers.items()), params, files)
        with self._lock:
            self.calls.append(call)
        fault = self._take_fault(split.path)
        if fault is not None:
            call.fault = str(fault.kind)
            if fault.kind == "drop":
                h.close_connection = True
                return
            if fault.kind == "timeout":
                with self._cond:
                    self._cond.wait_for(self._stopping.is_set, timeout=self.hang_seconds)
                h.close_connection = True
                return
            if fault.kind == "500":
                self._answer(h, call, 500, {"error": {"message": "An unexpected error has occurred.", "code": 2,
                                                      "is_transient": True}})
                return
            if isinstance(fault.kind, int):
                error: dict[str, Any] = {"message": f"(#{fault.kind}) injected", "type": "OAuthException",
                                         "code": fault.kind, "fbtrace_id": "emu"}
                if fault.transient:
                    error["is_transient"] = True
                self._answer(h, call, 400, {"error": error})
                return
        status, body = self._route(method, split.path, params, files, h.headers)
        if fault is not None and fault.kind in LOST_ANSWER:
            call.status, call.response = status, body
            lose_answer(h, str(fault.kind))
            return
        self._answer(h, call, status, body)

    def _answer(self, h: BaseHTTPRequestHandler, call: Call, status: int, body: Any) -> None:
        call.status, call.response = status, body
        payload = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(payload)))
        h.send_header("X-App-Usage", json.dumps(self.usage))
        if self.buc_usage is not None:
            h.send_header("X-Business-Use-Case-Usage", json.dumps(self.buc_usage))
        h.end_headers()
        h.wfile.write(payload)

    def _route(self, method: str, path: str, params: dict[str, Any], files: dict[str, UploadedFile],
               headers: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if not parts or parts[0] != self.version:
            return 400, _error(2500, "Unknown path components")
        parts = parts[1:]
        auth = str(headers.get("Authorization") or "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else str(params.get("access_token") or "")
        with self._lock:
            owner = self.tokens.get(token)
        if owner is None:
            return 400, _error(190, "Invalid OAuth access token - Cannot parse access token")
        page, permissions = owner
        with self._lock:
            if parts == ["me", "permissions"] and method == "GET":
                return 200, {"data": [{"permission": p, "status": "granted"} for p in sorted(permissions)]}
            if len(parts) == 1 and method == "GET" and parts[0] in self.pages:
                return 200, {"id": parts[0], "name": self.pages[parts[0]]}
            writing = method in ("POST", "DELETE")
            if writing and "pages_manage_posts" not in permissions:
                return 403, _error(200, "(#200) This endpoint requires the pages_manage_posts permission")
            if len(parts) == 2 and parts[0] in self.pages and method == "POST":
                if parts[0] != page:
                    return 403, _error(200, "(#200) The token does not belong to this Page")
                if parts[1] == "feed":
                    return self._feed(page, params)
                if parts[1] == "photos":
                    return self._photo(page, params, files)
            if len(parts) == 1 and parts[0] in self.posts and writing:
                post = self.posts[parts[0]]
                if post["deleted"] or post["page"] != page:
                    return 400, _error(100, "Object does not exist or cannot be loaded")
                if method == "DELETE":
                    post["deleted"] = True
                else:
                    post["message"] = str(params.get("message", post["message"]))
                    post["edits"] += 1
                return 200, {"success": True}
            if len(parts) == 1 and writing:
                return 400, _error(100, f"Unsupported {method} request. Object with ID '{parts[0]}' does not exist")
        return 400, _error(100, "Unknown request")

    def _feed(self, page: str, params: dict[str, Any]) -> tuple[int, Any]:
        attached: list[str] = []
        for key in sorted(k for k in params if k.startswith("attached_media[")):
            try:
                fbid = str(json.loads(params[key])["media_fbid"])
            except (ValueError, KeyError, TypeError):
                return 400, _error(100, f"Invalid parameter {key}")
            photo = self.photos.get(fbid)
            if photo is None or photo["page"] != page or photo["published"]:
                return 400, _error(100, f"(#100) media_fbid {fbid} is not an unpublished photo of this Page")
            attached.append(fbid)
        message = str(params.get("message") or "")
        if not message and not params.get("link") and not attached:
            return 400, _error(100, "(#100) Missing message or attachment")
        post_id = f"{page}_{next(self._ids)}"
        self.posts[post_id] = {"id": post_id, "page": page, "message": message, "link": params.get("link"),
                               "photos": attached, "deleted": False, "edits": 0, "at": time.time()}
        return 200, {"id": post_id}

    def _photo(self, page: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> tuple[int, Any]:
        source = files.get("source")
        if source is None or not source.size:
            return 400, _error(324, "(#324) Requires upload file")
        photo_id = str(next(self._ids))
        published = str(params.get("published", "true")).lower() != "false"
        self.photos[photo_id] = {"id": photo_id, "page": page, "published": published, "size": source.size,
                                 "filename": source.filename}
        if not published:
            return 200, {"id": photo_id}
        post_id = f"{page}_{photo_id}"
        self.posts[post_id] = {"id": post_id, "page": page, "message": str(params.get("caption") or ""), "link": None,
                               "photos": [photo_id], "deleted": False, "edits": 0, "at": time.time()}
        return 200, {"id": photo_id, "post_id": post_id}


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "emu"}}


