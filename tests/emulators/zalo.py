"""Local Zalo servers for tests: the Official Account Open API (+ OAuth) and the Zalo Bot API.

Why this exists: Loa's Zalo code must survive what Zalo really does — single-use refresh
tokens, access tokens that expire after ~25 h, errors returned as HTTP 200 bodies, articles that
take a while to be processed, quotas — and none of that can be exercised against openapi.zalo.me
in CI.  Both emulators are thread-based HTTP servers on 127.0.0.1 (a free port), used as
context managers::

    with ZaloOAEmulator() as oa:
        access, refresh, expires_in = oa.issue_tokens()
        requests.post(oa.oa_api_base + "/v3.0/oa/group/message", headers={"access_token": access},
                      json={"recipient": {"group_id": "g1"}, "message": {"text": "Xin chào"}})
        assert oa.group_messages("g1")[0]["text"] == "Xin chào"

    with ZaloBotEmulator("12345:secret") as bot:
        requests.post(f"{bot.base_url}/bot12345:secret/sendMessage", json={"chat_id": "u1", "text": "Hi"})

API shapes emulated, and the choices made where public material is unclear
---------------------------------------------------------------------------
Official Account (one server; ``oa_api_base`` and ``oauth_base`` both point at it):

* Every OA call carries the access token in an ``access_token`` HTTP header (not a query
  parameter, not ``Authorization: Bearer``).  Answers are HTTP 200 with
  ``{"error": 0, "message": "Success", "data": {...}}`` or ``{"error": <negative>, "message": "..."}``.
* Error codes used (Zalo's published OA error table and the official SDKs' exception lists):
  -216 "Access token is invalid" for a token Zalo never issued, -220 "Access token has expired or
  been removed" for one that expired or was replaced by a refresh (also the old token after the
  pair was refreshed elsewhere), -32 rate limit (per minute), -214 article still being processed
  (answered by ``article/verify``), -201 invalid parameter, -210 a parameter over its limit (an
  oversized upload), -211 quota exhausted, -213 user has not followed the OA, -224 feature not in
  the OA's package, -403 the OA is not in the group (a wrong group id), -237 the group is disabled.
  Loa's client treats any *other* negative code as permanent, so a wrong guess here costs a clear
  error message, not a loop.  Error bodies normally come with HTTP 200; ``inject(..., status=401)``
  sends one with another HTTP status (token errors have been reported arriving as HTTP 401).
* ``POST /v4/oa/access_token`` (OAuth v4): form fields ``app_id``, ``grant_type``
  (``authorization_code`` with ``code``, optional ``code_verifier``; or ``refresh_token`` with
  ``refresh_token``), header ``secret_key``.  Success: ``{"access_token", "refresh_token",
  "expires_in": "90000"}`` — ``expires_in`` is seconds *as a string*.  Failure: HTTP 200 with
  ``{"error": <negative>, "error_name": ..., "error_description": ...}``.  Refresh tokens are
  single-use: using one invalidates it *and* the access token issued with it.  Reusing one is
  -14014 "Invalid refresh token" (some integrations report -14020 for "used or expired"; the
  client does not depend on the number).  The app/secret/code/verifier error numbers are guesses.
* ``GET /v4/oa/permission?app_id&redirect_uri&code_challenge&state`` is the consent page; the
  emulator plays the OA admin who accepts: it answers 302 to ``redirect_uri?code=…&state=…&oa_id=…``.
  A code issued with a ``code_challenge`` is exchanged only with the ``code_verifier`` whose
  base64url(sha256) it is (PKCE S256, as the official SDKs' ``PKCEUtil``).
* ``POST /v2.0/oa/upload/image`` (multipart field ``file``; jpg/png, ≤ 1 MB) and
  ``POST /v2.0/oa/upload/gif`` (gif, ≤ 5 MB) → ``data.attachment_id``; a GIF sent to the image
  endpoint is -201, an oversized file -210.
* ``POST /v3.0/oa/group/message`` (GMF): ``{"recipient": {"group_id"}, "message": {"text"}}`` or
  an image ``{"message": {"attachment": {"type": "template", "payload": {"template_type": "media",
  "elements": [{"media_type": "image", "attachment_id"}]}}}}`` → ``data.message_id``.  Text ≤ 2000.
  A GIF element is ``{"media_type": "gif", "attachment_id", "width", "height"}`` (the PHP SDK's
  shape) with an id from ``upload/gif``.  Groups must be known to the emulator (``add_group``); an
  unknown group is -403, a group made unusable with ``disable_group`` is -237.
* ``POST /v3.0/oa/message/{cs,transaction,promotion}`` to ``recipient.user_id``: the user must
  follow the OA (``add_follower``), else -213.
* Articles: ``POST /v2.0/article/create`` (``type: normal``, ``title`` ≤ 150, ``author`` ≤ 50,
  ``description`` ≤ 300, ``cover: {cover_type: photo, photo_url, status}`` — a cover is required
  and is a URL, ``body: [{type: text, content} | {type: image, url}]``) → ``data.token``;
  ``POST /v2.0/article/verify {"token"}`` → -214 while processing (``article_processing_polls``
  times), then ``data.id``.  ``POST /v2.0/article/remove {"id"}``.
* Broadcast: ``POST /v2.0/oa/message`` with ``recipient.target`` (an object of audience filters;
  ``{}`` = every follower — an assumption) and a ``media`` template whose element is
  ``{"media_type": "article", "attachment_id": <article id>}`` → ``data.message_id``.
  ``broadcast_quota`` (None = unlimited) counts broadcasts; over it is -211.

Zalo Bot Platform (``base_url``; URLs ``/bot<token>/<method>``):

* Answers ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": n, "description": ...}``;
  the emulator also uses ``error_code`` as the HTTP status (unconfirmed; clients must read the
  body whatever the status).  The published codes: 400 bad request, 401 unauthorized (a wrong
  token), 403 *internal server error* (transient, not "forbidden"), 404 not found (an unknown
  method), 408 request timeout (``getUpdates`` with nothing to hand out), 429 too many requests.
* ``getMe`` → ``{id, account_name, account_type, can_join_groups}``.
* ``sendMessage {chat_id, text}`` with text 1–2000 characters; ``sendPhoto {chat_id, photo,
  caption?}`` where ``photo`` is an image *URL* (the documented form; nothing is fetched) →
  ``{message_id, date}``.
* ``getUpdates {timeout}`` (a whole number of seconds, as the docs show it: a JSON float such as
  ``25.0`` is refused with 400 here) long-polls and returns ONE update object (``{"event_name":
  "message.text.received", "message": {...}}``) — no ``offset``/``update_id`` is documented; an
  update is handed out once.  With nothing to hand out before ``timeout`` the answer is
  ``{"ok": false, "error_code": 408, "description": "Request timeout"}``.  An ``offset``
  parameter, if a client sends one, is ignored.  While a webhook is set ``getUpdates`` does not
  work (the docs say so; the answer's code and wording here, 400, are invented).
* ``setWebhook {url, secret_token}`` (secret 8–256 characters; http URLs accepted here for tests,
  the real platform wants public https), ``deleteWebhook``, ``getWebhookInfo``.  With a webhook
  set, each update is POSTed to it as ``{"ok": true, "result": <update>}`` with header
  ``X-Bot-Api-Secret-Token``.
* Rate limits are not published; injected 429s look like Telegram's (``parameters.retry_after``).

Faults: ``inject(kind, path=None, count=1, after=0, status=200)`` on either emulator — transport kinds
"500", "502", "503", "drop" (connection closed, no answer), "timeout" (no answer for ``hang_seconds``), and
the lost-answer kinds "lost_response", "reset", "garbage" (the request IS processed and recorded, then the
answer is lost: closed, reset, or a 200 that is not JSON); OA body kinds "rate_limit", "token_invalid", "token_expired", "quota", "not_follower", "not_in_package",
"bad_param", "too_large", "processing", or any int error code (answered with HTTP ``status``), "http_401" (a
bare HTTP 401 whose body is JSON ``null``); Bot kinds
"400", "401", "403", "404", "408", "429" (the published codes).  Every request is recorded as a ``Call``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, TypeVar

from tests.emulators.common import LOST_ANSWER, Served, UploadedFile, lose_answer, parse_request
from tests.emulators.waiting import wait_for, wait_until

__all__ = [
    "OA_FAULTS",
    "Call",
    "UploadedFile",
    "WebhookDelivery",
    "ZaloBotEmulator",
    "ZaloOAEmulator",
    "wait_for",
    "wait_until",
]

JSON = dict[str, Any]
T = TypeVar("T")

# --- OA error codes (see the module docstring for which are confirmed) ---------------------------
OK = 0
ERR_RATE_LIMIT = -32
ERR_PARAM = -201
ERR_TOO_LARGE = -210
ERR_QUOTA = -211
ERR_NOT_FOLLOWER = -213
ERR_PROCESSING = -214
ERR_TOKEN = -216
ERR_TOKEN_EXPIRED = -220
ERR_NOT_IN_PACKAGE = -224
ERR_GROUP_DISABLED = -237
ERR_NOT_IN_GROUP = -403
OAUTH_INVALID_APP = -14001
OAUTH_INVALID_SECRET = -14002
OAUTH_INVALID_CODE = -14003
OAUTH_INVALID_REFRESH = -14014
OAUTH_INVALID_VERIFIER = -14019

OA_FAULTS: dict[str, tuple[int, str]] = {
    "rate_limit": (ERR_RATE_LIMIT, "Exceeded the limit of requests per minute"),
    "token_invalid": (ERR_TOKEN, "Access token is invalid"),
    "token_expired": (ERR_TOKEN_EXPIRED, "Access token has expired or been removed"),
    "quota": (ERR_QUOTA, "Out of quota"),
    "not_follower": (ERR_NOT_FOLLOWER, "User has not followed the Official Account"),
    "not_in_package": (ERR_NOT_IN_PACKAGE, "This feature is not available in the Official Account's package"),
    "bad_param": (ERR_PARAM, "Parameters are invalid"),
    "too_large": (ERR_TOO_LARGE, "Parameter exceeds the allowed limit"),
    "processing": (ERR_PROCESSING, "The article is being processed"),
}
TRANSPORT_FAULTS = frozenset({"500", "502", "503", "drop", "timeout", *LOST_ANSWER})
ZALO_TEXT_LIMIT = 2000
IMAGE_MAX_BYTES = 1_000_000
GIF_MAX_BYTES = 5_000_000
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
BOT_FAULTS = frozenset({"400", "401", "403", "404", "408", "429"})
BOT_FAULT_TEXT = {400: "Bad Request", 401: "Unauthorized", 403: "Internal server error", 404: "Not Found",
                  408: "Request timeout", 429: "Too Many Requests: retry after 1"}
PERMISSION_PATH = "/v4/oa/permission"


# --- records -------------------------------------------------------------------------------------


@dataclass
class Call:
    """One HTTP request, including ones answered with errors or faults."""

    method: str  # HTTP method
    path: str  # OA: the URL path; Bot: the API method name (getMe, sendMessage, …)
    headers: dict[str, str]
    params: dict[str, Any]  # query string + JSON or form body
    at: float
    files: dict[str, UploadedFile] = field(default_factory=dict)
    status: int | None = None  # None: no HTTP answer (drop / timeout faults)
    response: Any = None
    fault: str | None = None

    @property
    def access_token(self) -> str | None:
        return self.headers.get("access_token")

    @property
    def error(self) -> int | None:
        """OA: the ``error`` field of the answer (0 on success); Bot: ``error_code`` or 0."""
        if not isinstance(self.response, dict):
            return None
        if "ok" in self.response:
            return 0 if self.response["ok"] else int(self.response.get("error_code") or 0)
        return int(self.response.get("error", 0))


@dataclass(frozen=True)
class WebhookDelivery:
    url: str
    update: JSON
    status: int | None
    error: str | None
    secret: str | None
    at: float


@dataclass
class _Fault:
    kind: str | int
    path: str | None
    count: int
    after: int = 0
    status: int = 200  # the HTTP status of an OA error-body fault


@dataclass
class _Outcome:
    action: Literal["respond", "drop", "hang", "lost"]
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    lost: str = ""  # for "lost": which LOST_ANSWER fault (the request was processed)


class _Reply(Exception):
    """Raised inside handlers to answer at once (an error body, or HTTP status for the Bot)."""

    def __init__(self, body: JSON, status: int = 200) -> None:
        super().__init__(str(body))
        self.body, self.status = body, status


# --- HTTP server ---------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, emulator: _HttpEmulator) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.emulator = emulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "nginx"
    timeout = 60
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silent: Call records are the log."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        emulator = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if emulator._stopping.is_set():
            self.close_connection = True
            return
        path, _, query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()}
        outcome = emulator._process(method, urllib.parse.unquote(path), headers, body, query)
        if outcome.action == "lost":
            lose_answer(self, outcome.lost)
            return
        if outcome.action != "respond":
            if outcome.action == "hang":
                emulator._stopping.wait(emulator.hang_seconds)
            self.close_connection = True
            return
        payload = json.dumps(outcome.body, ensure_ascii=False).encode()
        try:
            self.send_response(outcome.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in outcome.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True


class _HttpEmulator(Served):
    """Lifecycle, call records and fault injection shared by both emulators."""

    name = "zalo-emulator"

    def __init__(self, hang_seconds: float) -> None:
        self.hang_seconds = hang_seconds
        self.calls: list[Call] = []
        self._init_lifecycle()
        self._faults: list[_Fault] = []

    def _make_server(self) -> _Server:
        return _Server(self)

    @property
    def _root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(self, kind: str | int, path: str | None = None, count: int = 1, after: int = 0,
               status: int = 200) -> None:
        """Make ``count`` matching requests fail with ``kind``, after letting ``after`` of them through;
        an OA error body comes with HTTP ``status``."""
        self._check_kind(kind)
        with self._lock:
            self._faults.append(_Fault(kind, path, count, after, status))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _check_kind(self, kind: str | int) -> None:
        if not isinstance(kind, int) and kind not in TRANSPORT_FAULTS:
            raise ValueError(f"unknown fault kind {kind!r}")

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for f in self._faults:
                if f.path is None or f.path == path or path.endswith(f.path):
                    if f.after > 0:
                        f.after -= 1
                        continue
                    f.count -= 1
                    if f.count <= 0:
                        self._faults.remove(f)
                    return f
        return None

    def calls_to(self, path: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path == path or c.path.endswith(path)]

    def _process(self, method: str, path: str, headers: dict[str, str], body: bytes, query: str) -> _Outcome:
        raise NotImplementedError


def _transport(kind: str | int) -> _Outcome | None:
    if kind == "drop":
        return _Outcome("drop")
    if kind == "timeout":
        return _Outcome("hang")
    if kind in ("500", "502", "503"):
        status = int(kind)
        return _Outcome("respond", status, {"error": -1, "message": f"HTTP {status}"})
    return None


def _new_id(n: int = 10) -> str:
    return secrets.token_hex(n)


# --- Official Account ----------------------------------------------------------------------------


@dataclass
class _Article:
    token: str
    title: str
    body: JSON
    polls_left: int
    id: str | None = None
    removed: bool = False


class ZaloOAEmulator(_HttpEmulator):
    """OA Open API + OAuth v4 token endpoint on one local server."""

    name = "zalo-oa-emulator"

    def __init__(self, app_id: str = "1234567890", secret_key: str = "test-secret-key", *,
                 access_ttl: int = 90_000, groups: tuple[str, ...] = ("g1",), followers: tuple[str, ...] = (),
                 article_processing_polls: int = 2, broadcast_quota: int | None = None,
                 hang_seconds: float = 1.0) -> None:
        super().__init__(hang_seconds)
        self.app_id, self.secret_key, self.access_ttl = app_id, secret_key, access_ttl
        self.article_processing_polls = article_processing_polls
        self.broadcast_quota = broadcast_quota
        self.clock: Callable[[], float] = time.time
        self._offset = 0.0
        self._access: dict[str, float] = {}  # access token -> expiry (emulator time)
        self._dead: set[str] = set()  # access tokens once issued, now expired or replaced: -220
        self._refresh: dict[str, str] = {}  # live refresh token -> the access token issued with it
        self._spent_refresh: set[str] = set()
        self._codes: dict[str, str | None] = {}  # authorization code -> its PKCE code_challenge
        self._attachments: dict[str, tuple[str, UploadedFile]] = {}  # id -> ("image" | "gif", file)
        self._articles: dict[str, _Article] = {}  # by token
        self.groups: dict[str, list[JSON]] = {g: [] for g in groups}
        self.disabled_groups: set[str] = set()
        self.followers: set[str] = set(followers)
        self.user_messages: list[JSON] = []
        self.broadcasts: list[JSON] = []
        self._ids = itertools.count(1)

    # -- time and tokens ------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock (token expiry) forward without waiting."""
        with self._lock:
            self._offset += seconds

    def issue_tokens(self) -> tuple[str, str, int]:
        """A fresh pair as if an admin had just authorised the app: (access, refresh, expires_in)."""
        with self._lock:
            return self._issue()

    def auth_code(self, code_challenge: str | None = None) -> str:
        """A one-time authorization code, as Zalo's permission page would hand to the callback."""
        code = "code-" + _new_id(8)
        with self._lock:
            self._codes[code] = code_challenge
        return code

    def expire_access_tokens(self) -> None:
        """Every live access token is removed (-220 from now on, as after a revoke); refresh tokens stay."""
        with self._lock:
            self._dead.update(self._access)
            self._access.clear()

    def _issue(self) -> tuple[str, str, int]:
        access, refresh = "AT-" + _new_id(16), "RT-" + _new_id(16)
        self._access[access] = self.now() + self.access_ttl
        self._refresh[refresh] = access
        return access, refresh, self.access_ttl

    def token_valid(self, token: str | None) -> bool:
        with self._lock:
            return token is not None and self._access.get(token, 0.0) > self.now()

    # -- inspection -------------------------------------------------------------------------------

    @property
    def oa_api_base(self) -> str:
        return self._root

    @property
    def oauth_base(self) -> str:
        return self._root

    def add_group(self, group_id: str) -> None:
        with self._lock:
            self.groups.setdefault(group_id, [])

    def disable_group(self, group_id: str) -> None:
        """The group still exists but is disabled: messages to it are -237."""
        with self._lock:
            self.disabled_groups.add(group_id)

    def add_follower(self, user_id: str) -> None:
        with self._lock:
            self.followers.add(user_id)

    def group_messages(self, group_id: str) -> list[JSON]:
        with self._lock:
            return list(self.groups.get(group_id, []))

    def articles(self) -> list[JSON]:
        with self._lock:
            return [dict(a.body, id=a.id, token=a.token, removed=a.removed) for a in self._articles.values()]

    def token_calls(self) -> list[Call]:
        return self.calls_to("/v4/oa/access_token")

    def _check_kind(self, kind: str | int) -> None:
        if not isinstance(kind, int) and kind not in TRANSPORT_FAULTS and kind not in OA_FAULTS and kind != "http_401":
            raise ValueError(f"unknown fault kind {kind!r}")

    # -- dispatch ---------------------------------------------------------------------------------

    def _process(self, method: str, path: str, headers: dict[str, str], body: bytes, query: str) -> _Outcome:
        try:
            params, files = parse_request(headers.get("content-type", ""), body, query)
        except ValueError as exc:
            params, files = {"_unparsed": str(exc)}, {}
        call = Call(method, path, headers, params, time.monotonic(), files)
        with self._lock:
            self.calls.append(call)
        fault = self._take_fault(path)
        kind = fault.kind if fault is not None else None
        if kind is not None:
            call.fault = str(kind)
        if fault is not None and kind not in LOST_ANSWER:
            outcome = _transport(kind) or (_Outcome("respond", 401, None) if kind == "http_401" else None)
            if outcome is None:
                code, message = OA_FAULTS[kind] if isinstance(kind, str) else (kind, "Injected error")
                outcome = _Outcome("respond", fault.status, {"error": code, "message": message})
        elif method == "GET" and path == PERMISSION_PATH:
            outcome = self._permission(params)
        else:
            try:
                if "_unparsed" in params:
                    raise _Reply(_err(ERR_PARAM, "Request body cannot be parsed"))
                handler = self._routes().get(path)
                if handler is None:
                    raise _Reply({"error": 404, "message": "Not found"}, 404)
                with self._lock:
                    outcome = _Outcome("respond", 200, handler(params, files, headers))
            except _Reply as reply:
                outcome = _Outcome("respond", reply.status, reply.body)
        if outcome.action == "respond":
            call.status, call.response = outcome.status, outcome.body
        return _Outcome("lost", lost=str(kind)) if kind in LOST_ANSWER else outcome

    def _routes(self) -> dict[str, Callable[[JSON, dict[str, UploadedFile], dict[str, str]], JSON]]:
        return {
            "/v4/oa/access_token": self._oauth_token,
            "/v2.0/oa/upload/image": self._upload_image,
            "/v2.0/oa/upload/gif": self._upload_gif,
            "/v3.0/oa/group/message": self._group_message,
            "/v3.0/oa/message/cs": self._user_message,
            "/v3.0/oa/message/transaction": self._user_message,
            "/v3.0/oa/message/promotion": self._user_message,
            "/v2.0/article/create": self._article_create,
            "/v2.0/article/verify": self._article_verify,
            "/v2.0/article/remove": self._article_remove,
            "/v2.0/oa/message": self._broadcast,
        }

    def _authorised(self, headers: dict[str, str]) -> None:
        """-220 for a token that expired or was replaced (Zalo's table), -216 for one never issued."""
        token = headers.get("access_token")
        if token is not None and token in self._access and self._access[token] > self.now():
            return
        if token is not None and (token in self._dead or token in self._access):
            raise _Reply(_err(ERR_TOKEN_EXPIRED, "Access token has expired or been removed"))
        raise _Reply(_err(ERR_TOKEN, "Access token is invalid"))

    def _permission(self, p: JSON) -> _Outcome:
        """The consent page, with the OA admin accepting at once: a redirect to the app's callback."""
        redirect_uri = str(p.get("redirect_uri") or "")
        if str(p.get("app_id", "")) != self.app_id or not redirect_uri.startswith(("http://", "https://")):
            return _Outcome("respond", 400, _oauth_err(OAUTH_INVALID_APP, "Invalid request", "app_id or redirect_uri is invalid"))
        code = self.auth_code(str(p["code_challenge"]) if p.get("code_challenge") else None)
        query = {"code": code, "oa_id": "oa-" + self.app_id, "code_challenge": p.get("code_challenge") or ""}
        if p.get("state"):
            query["state"] = str(p["state"])
        location = redirect_uri + ("&" if "?" in redirect_uri else "?") + urllib.parse.urlencode(query)
        return _Outcome("respond", 302, {}, headers={"Location": location})

    # -- OAuth ------------------------------------------------------------------------------------

    def _oauth_token(self, p: JSON, files: dict[str, UploadedFile], headers: dict[str, str]) -> JSON:
        if str(p.get("app_id", "")) != self.app_id:
            raise _Reply(_oauth_err(OAUTH_INVALID_APP, "Invalid app_id", "app_id is invalid"))
        if headers.get("secret_key") != self.secret_key:
            raise _Reply(_oauth_err(OAUTH_INVALID_SECRET, "Invalid secret_key", "secret_key is invalid"))
        grant = p.get("grant_type")
        if grant == "authorization_code":
            code = str(p.get("code", ""))
            if code not in self._codes:
                raise _Reply(_oauth_err(OAUTH_INVALID_CODE, "Invalid authorization code",
                                        "The authorization code is invalid or has been used"))
            challenge = self._codes.pop(code)
            if challenge is not None and _s256(str(p.get("code_verifier", ""))) != challenge:
                raise _Reply(_oauth_err(OAUTH_INVALID_VERIFIER, "Invalid code verifier",
                                        "code_verifier does not match the code_challenge"))
        elif grant == "refresh_token":
            refresh = str(p.get("refresh_token", ""))
            if refresh not in self._refresh:
                raise _Reply(_oauth_err(OAUTH_INVALID_REFRESH, "Invalid refresh token",
                                        "The refresh token is invalid, expired or has already been used"))
            old_access = self._refresh.pop(refresh)
            self._spent_refresh.add(refresh)
            self._access.pop(old_access, None)
            self._dead.add(old_access)
        else:
            raise _Reply(_oauth_err(-14000, "Invalid grant_type", "grant_type must be authorization_code or refresh_token"))
        access, refresh_token, ttl = self._issue()
        return {"access_token": access, "refresh_token": refresh_token, "expires_in": str(ttl)}

    # -- messages ---------------------------------------------------------------------------------

    def _upload_image(self, p: JSON, files: dict[str, UploadedFile], headers: dict[str, str]) -> JSON:
        return self._upload("image", files, headers, IMAGE_TYPES, IMAGE_MAX_BYTES)

    def _upload_gif(self, p: JSON, files: dict[str, UploadedFile], headers: dict[str, str]) -> JSON:
        return self._upload("gif", files, headers, frozenset({"image/gif"}), GIF_MAX_BYTES)

    def _upload(self, kind: str, files: dict[str, UploadedFile], headers: dict[str, str],
                types: frozenset[str], max_bytes: int) -> JSON:
        self._authorised(headers)
        f = files.get("file")
        if f is None or f.size == 0:
            raise _Reply(_err(ERR_PARAM, "file is required"))
        if f.content_type not in types:
            raise _Reply(_err(ERR_PARAM, "Image must be jpg or png" if kind == "image" else "File must be a gif"))
        if f.size > max_bytes:
            raise _Reply(_err(ERR_TOO_LARGE, f"File size exceeds {max_bytes // 1_000_000}MB"))
        attachment_id = _new_id(12)
        self._attachments[attachment_id] = (kind, f)
        return _ok({"attachment_id": attachment_id})

    def uploads(self) -> list[tuple[str, UploadedFile]]:
        """Every accepted upload, in order: ("image" | "gif", the file)."""
        with self._lock:
            return list(self._attachments.values())

    def _message_content(self, message: Any) -> JSON:
        if not isinstance(message, dict):
            raise _Reply(_err(ERR_PARAM, "message is required"))
        out: JSON = {}
        if "text" in message:
            text = str(message["text"])
            if not text or len(text) > ZALO_TEXT_LIMIT:
                raise _Reply(_err(ERR_PARAM, f"text must be 1-{ZALO_TEXT_LIMIT} characters"))
            out["text"] = text
        attachment = message.get("attachment")
        if attachment is not None:
            payload = attachment.get("payload", {}) if isinstance(attachment, dict) else {}
            elements = payload.get("elements") or []
            if attachment.get("type") != "template" or payload.get("template_type") != "media" or len(elements) != 1:
                raise _Reply(_err(ERR_PARAM, "attachment is invalid"))
            el = elements[0]
            uploaded = self._attachments.get(str(el.get("attachment_id", "")))
            if el.get("media_type") == "image" and uploaded is not None and uploaded[0] == "image":
                out["image"] = el["attachment_id"]
            elif el.get("media_type") == "gif" and uploaded is not None and uploaded[0] == "gif":
                width, height = el.get("width"), el.get("height")
                if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
                    raise _Reply(_err(ERR_PARAM, "a gif needs its width and height"))
                out.update(gif=el["attachment_id"], width=width, height=height)
            elif el.get("media_type") == "image" and str(el.get("url", "")).startswith(("http://", "https://")):
                out["image_url"] = el["url"]
            else:
                raise _Reply(_err(ERR_PARAM, "attachment_id is invalid"))
        if not out:
            raise _Reply(_err(ERR_PARAM, "message has no content"))
        return out

    def _group_message(self, p: JSON, files: dict[str, UploadedFile], headers: dict[str, str]) -> JSON:
        self._authorised(headers)
        group_id = str((p.get("recipient") or {}).get("group_id", ""))
        if group_id not in self.groups:
            raise _Reply(_err(ERR_NOT_IN_GROUP, "The OA is not a member of this group"))
        if group_id in self.disabled_groups:
            raise _Reply(_err(ERR_GROUP_DISABLED, "The group has been disabled"))
        content = self._message_content(p.get("message"))
        message_id = _new_id(10)
        self.groups[group_id].append(dict(content, message_id=message_id, at=self.now()))
        return _ok({"message_id": message_id})

    def _user_message(self, p: JSON, files: dict[str, UploadedFile], headers: dict[str, str]) -> JSON:
        self._authorised(headers)
        user_id = str((p.get("recipient") or {}).get("user_id", ""))
        if user_id not in self.followers:
            raise _Reply(_err(ERR_NOT_FOLLOWER, "User has not followed the Official Account"))
        content = self._message_content(p.get("message"))
        message_id = _new_id(10)
        self.user_messages.append(dict(content, user_id=user_id, message_id=message_id))
        return _ok({"message_id": message_id, "user_id": user_id})

    # -- articles and broadcast -------------------------------------------------------------------

    def _article_create(self, p: JSON, files: dict[str, UploadedFile], headers: dict[str, str]) -> JSON:
        self._authorised(headers)
        if p.get("type", "normal") != "normal":
            raise _Reply(_err(ERR_PARAM, "type is invalid"))
        title, author, description = str(p.get("title", "")), str(p.get("author", "")), str(p.get("description", ""))
        cover = p.get("cover") or {}
        body = p.get("body")
        if not title or len(title) > 150:
            raise _Reply(_err(ERR_PARAM, "title must be 1-150 characters"))
        if len(author) > 50 or len(description) > 300:
            raise _Reply(_err(ERR_PARAM, "author must be at most 50 and description at most 300 characters"))
        if cover.get("cover_type") != "photo" or not str(cover.get("photo_url", "")).startswith(("http://", "https://")):
            raise _Reply(_err(ERR_PARAM, "cover is required: {cover_type: photo, photo_url: <url>}"))
        if not isinstance(body, list) or not body:
            raise _Reply(_err(ERR_PARAM, "body must be a non-empty list"))
        for item in body:
            ok = (item.get("type") == "text" and item.get("content")) or (
                item.get("type") == "image" and str(item.get("url", "")).startswith(("http://", "https://")))
            if not ok:
                raise _Reply(_err(ERR_PARAM, "body item is invalid"))
        token = "AR-" + _new_id(10)
        self._articles[token] = _Article(token, title, dict(p), self.article_processing_polls)
        return _ok({"token": token})

    def _article_verify(self, p: JSON, files: dict[str, UploadedFile], headers: dict[str, str]) -> JSON:
        self._authorised(headers)
        article = self._articles.get(str(p.get("token", "")))
        if article is None:
            raise _Reply(_err(ERR_PARAM, "token is invalid"))
        if article.polls_left > 0:
            article.polls_left -= 1
            raise _Reply(_err(ERR_PROCESSING, "The article is being processed"))
        if article.id is None:
            article.id = _new_id(10)
        return _ok({"id": article.id})

    def _article_remove(self, p: JSON, files: dict[str, UploadedFile], headers: dict[str, str]) -> JSON:
        self._authorised(headers)
        for article in self._articles.values():
            if article.id is not None and article.id == str(p.get("id", "")) and not article.removed:
                article.removed = True
                return _ok({})
        raise _Reply(_err(ERR_PARAM, "id is invalid"))

    def _broadcast(self, p: JSON, files: dict[str, UploadedFile], headers: dict[str, str]) -> JSON:
        self._authorised(headers)
        recipient = p.get("recipient") or {}
        if "target" not in recipient or not isinstance(recipient["target"], dict):
            raise _Reply(_err(ERR_PARAM, "recipient.target is required for a broadcast"))
        attachment = (p.get("message") or {}).get("attachment") or {}
        elements = (attachment.get("payload") or {}).get("elements") or []
        if len(elements) != 1 or elements[0].get("media_type") != "article":
            raise _Reply(_err(ERR_PARAM, "a broadcast carries exactly one article"))
        article_id = str(elements[0].get("attachment_id", ""))
        if not any(a.id == article_id and not a.removed for a in self._articles.values()):
            raise _Reply(_err(ERR_PARAM, "article id is invalid or not processed yet"))
        if self.broadcast_quota is not None and len(self.broadcasts) >= self.broadcast_quota:
            raise _Reply(_err(ERR_QUOTA, "Broadcast quota has been exhausted"))
        message_id = _new_id(10)
        self.broadcasts.append({"article_id": article_id, "target": recipient["target"], "message_id": message_id})
        return _ok({"message_id": message_id})


def _ok(data: JSON) -> JSON:
    return {"error": OK, "message": "Success", "data": data}


def _err(code: int, message: str) -> JSON:
    return {"error": code, "message": message}


def _oauth_err(code: int, name: str, description: str) -> JSON:
    return {"error": code, "error_name": name, "error_description": description}


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


# --- Zalo Bot ------------------------------------------------------------------------------------


class ZaloBotEmulator(_HttpEmulator):
    """The Zalo Bot Platform API (``/bot<token>/<method>``) with a user side and a webhook sender."""

    name = "zalo-bot-emulator"

    def __init__(self, token: str = "1459232241454765289:test-bot-token", *, hang_seconds: float = 1.0,
                 max_poll_seconds: float = 5.0) -> None:
        super().__init__(hang_seconds)
        self.token = token
        self.bot_id = token.split(":", 1)[0]
        self.max_poll_seconds = max_poll_seconds
        self.sent: list[JSON] = []  # every accepted sendMessage / sendPhoto, in order
        self.webhook: JSON | None = None
        self.webhook_deliveries: list[WebhookDelivery] = []
        self._updates: deque[JSON] = deque()  # for getUpdates
        self._hook_queue: deque[JSON] = deque()  # for the webhook sender
        self.polls = 0  # getUpdates calls so far: a poll after an update was handed out means it was dealt with
        self._handed_at: dict[str, int] = {}  # message_id -> the poll that handed it out

    @property
    def base_url(self) -> str:
        return self._root

    def _check_kind(self, kind: str | int) -> None:
        if not isinstance(kind, int) and kind not in TRANSPORT_FAULTS and kind not in BOT_FAULTS:
            raise ValueError(f"unknown fault kind {kind!r}")

    # -- user side --------------------------------------------------------------------------------

    def user_text(self, user_id: str, text: str, chat_id: str | None = None, display_name: str | None = None) -> JSON:
        """A user writes to the bot (privately, or in group ``chat_id``): queue the update."""
        update = {
            "event_name": "message.text.received",
            "message": {
                "from": {"id": user_id, "display_name": display_name or f"User {user_id}", "is_bot": False},
                "chat": {"id": chat_id or user_id, "chat_type": "GROUP" if chat_id and chat_id != user_id else "PRIVATE"},
                "text": text,
                "message_id": _new_id(10),
                "date": int(time.time() * 1000),
            },
        }
        with self._cond:
            (self._hook_queue if self.webhook else self._updates).append(update)
            self._cond.notify_all()
        return update

    def polled_after(self, update: JSON) -> bool:
        """Whether the bot asked for updates again after it was handed ``update``.

        A poller that handles its updates before it polls again (as ``bot.zalo_chat.poll`` does) has
        finished with ``update`` then: tests wait on this instead of waiting for silence.
        """
        with self._lock:
            at = self._handed_at.get(str(update["message"]["message_id"]))
            return at is not None and self.polls > at

    def messages(self, chat_id: str) -> list[JSON]:
        with self._lock:
            return [m for m in self.sent if m["chat_id"] == str(chat_id)]

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates) + len(self._hook_queue)

    # -- dispatch ---------------------------------------------------------------------------------

    def _process(self, method: str, path: str, headers: dict[str, str], body: bytes, query: str) -> _Outcome:
        prefix, _, api_method = path.lstrip("/").partition("/")
        try:
            params, files = parse_request(headers.get("content-type", ""), body, query)
        except ValueError:
            params, files = {}, {}
        call = Call(method, api_method, headers, params, time.monotonic(), files)
        with self._lock:
            self.calls.append(call)
        kind: str | int | None = None
        if not prefix.startswith("bot") or prefix[3:] != self.token:
            outcome = _Outcome("respond", 401, _bot_err(401, "Unauthorized"))
        else:
            fault = self._take_fault(api_method)
            kind = fault.kind if fault is not None else None
            if kind is not None:
                call.fault = str(kind)
            if kind is not None and kind not in LOST_ANSWER:
                outcome = _transport(kind) or _Outcome("respond", int(kind), _bot_err(int(kind), BOT_FAULT_TEXT[int(kind)]))
                if kind == "429":
                    outcome.body["parameters"] = {"retry_after": 1}
                if outcome.status in (500, 502, 503):
                    outcome.body = _bot_err(outcome.status, "Internal Server Error")
            else:
                outcome = self._call(api_method, params)
        if outcome.action == "respond":
            call.status, call.response = outcome.status, outcome.body
        return _Outcome("lost", lost=str(kind)) if kind in LOST_ANSWER else outcome

    def _call(self, api_method: str, p: JSON) -> _Outcome:
        handler = {
            "getMe": self._get_me, "sendMessage": self._send_message, "sendPhoto": self._send_photo,
            "getUpdates": self._get_updates, "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook, "getWebhookInfo": self._webhook_info,
        }.get(api_method)
        if handler is None:
            return _Outcome("respond", 404, _bot_err(404, "Not Found: method not found"))
        try:
            return _Outcome("respond", 200, {"ok": True, "result": handler(p)})
        except _Reply as reply:
            return _Outcome("respond", reply.status, reply.body)

    def _get_me(self, p: JSON) -> JSON:
        return {"id": self.bot_id, "account_name": "bot.Loa", "account_type": "BASIC", "can_join_groups": False}

    def _record(self, kind: str, chat_id: Any, **content: Any) -> JSON:
        if not chat_id:
            raise _Reply(_bot_err(400, "Bad Request: chat_id is required"), 400)
        message_id, date = _new_id(10), int(time.time() * 1000)
        with self._lock:
            self.sent.append({"kind": kind, "chat_id": str(chat_id), "message_id": message_id, "date": date, **content})
        return {"message_id": message_id, "date": date}

    def _send_message(self, p: JSON) -> JSON:
        text = p.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= ZALO_TEXT_LIMIT:
            raise _Reply(_bot_err(400, f"Bad Request: text must be 1-{ZALO_TEXT_LIMIT} characters"), 400)
        return self._record("text", p.get("chat_id"), text=text)

    def _send_photo(self, p: JSON) -> JSON:
        photo, caption = p.get("photo"), p.get("caption")
        if not isinstance(photo, str) or not photo.startswith(("http://", "https://")):
            raise _Reply(_bot_err(400, "Bad Request: photo must be an image URL"), 400)
        if caption is not None and not 1 <= len(str(caption)) <= ZALO_TEXT_LIMIT:
            raise _Reply(_bot_err(400, f"Bad Request: caption must be 1-{ZALO_TEXT_LIMIT} characters"), 400)
        return self._record("photo", p.get("chat_id"), photo=photo, caption=caption)

    def _get_updates(self, p: JSON) -> JSON:
        if self.webhook:
            raise _Reply(_bot_err(400, "Bad Request: getUpdates is unavailable while a webhook is set"), 400)
        raw = p.get("timeout", 30)
        if isinstance(raw, bool) or not (isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit())):
            raise _Reply(_bot_err(400, "Bad Request: timeout must be a whole number of seconds"), 400)
        timeout = min(float(raw), self.max_poll_seconds)
        deadline = time.monotonic() + timeout
        with self._cond:
            self.polls += 1
            poll = self.polls
            while not self._updates and not self._stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            if self._updates:
                update = self._updates.popleft()
                self._handed_at[str((update.get("message") or {}).get("message_id"))] = poll
                return update
        raise _Reply(_bot_err(408, "Request timeout"), 408)

    def _set_webhook(self, p: JSON) -> JSON:
        url, secret = str(p.get("url") or ""), p.get("secret_token")
        if not url.startswith(("http://", "https://")):
            raise _Reply(_bot_err(400, "Bad Request: url is invalid"), 400)
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise _Reply(_bot_err(400, "Bad Request: secret_token must be 8-256 characters"), 400)
        with self._cond:
            self.webhook = {"url": url, "secret_token": secret, "updated_at": int(time.time() * 1000)}
            self._hook_queue.extend(self._updates)
            self._updates.clear()
            self._cond.notify_all()
        return {"url": url, "updated_at": self.webhook["updated_at"]}

    def _delete_webhook(self, p: JSON) -> JSON:
        with self._cond:
            self.webhook = None
            self._updates.extendleft(reversed(self._hook_queue))
            self._hook_queue.clear()
        return {"url": "", "updated_at": int(time.time() * 1000)}

    def _webhook_info(self, p: JSON) -> JSON:
        hook = self.webhook
        return {"url": hook["url"] if hook else "", "updated_at": hook["updated_at"] if hook else 0}

    # -- webhook sender ---------------------------------------------------------------------------

    def _background(self) -> list[threading.Thread]:
        return [threading.Thread(target=self._webhook_loop, name="zalo-bot-webhook", daemon=True)]

    def _webhook_loop(self) -> None:
        while not self._stopping.is_set():
            with self._cond:
                while not (self.webhook and self._hook_queue) and not self._stopping.is_set():
                    self._cond.wait(0.2)
                if self._stopping.is_set():
                    return
                hook, update = dict(self.webhook or {}), self._hook_queue.popleft()
            status, error = self._post_update(hook["url"], hook["secret_token"], update)
            with self._lock:
                self.webhook_deliveries.append(
                    WebhookDelivery(hook["url"], update, status, error, hook["secret_token"], time.monotonic()))
            if status is None or status >= 500:  # not accepted: keep it for another try
                with self._cond:
                    self._hook_queue.appendleft(update)
                self._stopping.wait(0.2)

    @staticmethod
    def _post_update(url: str, secret: str, update: JSON) -> tuple[int | None, str | None]:
        data = json.dumps({"ok": True, "result": update}, ensure_ascii=False).encode()
        req = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/json", "X-Bot-Api-Secret-Token": secret})
        try:
            with urllib.request.urlopen(req, timeout=2) as resp:  # noqa: S310 - local test server
                return resp.status, None
        except urllib.error.HTTPError as exc:
            return exc.code, str(exc)
        except OSError as exc:
            return None, str(exc)


def _bot_err(code: int, description: str) -> JSON:
    return {"ok": False, "error_code": code, "description": description}


