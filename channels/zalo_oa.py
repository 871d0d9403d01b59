"""Zalo Official Account: posts to OA group chats (GMF) and broadcasts to followers (articles).

Zalo answers almost everything with HTTP 200 and a body ``{"error": <0 or negative>, "message"}``,
so errors are read from the body and sorted into transient (rate limit, article still being
processed, 5xx, network) and permanent (not a follower, quota, bad parameter, feature not in
the OA's package). Calls are blocking ``requests`` calls run off the event loop; urllib3 retries
only failed *connections* (the request never left), never a POST whose answer was lost.

The OA access token lives ~25 h and its refresh token is single-use, so ``ZaloTokens`` refreshes
ahead of expiry, once at a time (an asyncio lock, then the store re-read under a row lock), saves
the new pair before using it, and treats a refused refresh as the end of the road: publishing to
Zalo stops with a reason telling the admin to run ``loa zalo login`` — no retry loop that would
burn attempts against a dead token. Sending resumes by itself once a new pair is in the store.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from aiolimiter import AsyncLimiter
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from campaign.clock import Clock, SystemClock
from campaign.config import ZaloSettings
from campaign.errors import ChannelError, ChannelSetupError
from campaign.kinds import OA_KINDS, ZALO_IMAGE_SUFFIXES, ChannelKind
from campaign.store import zalo_tokens
from campaign.store.db import Store
from campaign.store.zalo_tokens import TokenPair
from channels.base import OutMessage, Sent
from channels.faults import requests_ambiguous
from channels.limits import ChatLimits

log = logging.getLogger(__name__)

TOKEN_PATH = "/v4/oa/access_token"
UPLOAD_IMAGE = "/v2.0/oa/upload/image"
UPLOAD_GIF = "/v2.0/oa/upload/gif"  # GIFs have their own endpoint and media_type (official SDKs)
PERMISSION_PATH = "/v4/oa/permission"
GROUP_MESSAGE = "/v3.0/oa/group/message"
ARTICLE_CREATE = "/v2.0/article/create"
ARTICLE_VERIFY = "/v2.0/article/verify"
ARTICLE_REMOVE = "/v2.0/article/remove"
BROADCAST = "/v2.0/oa/message"
VISIBLE = (GROUP_MESSAGE, BROADCAST)  # calls whose success users see; a lost answer there is ambiguous

RATE_LIMIT = -32
PROCESSING = -214
# -216 invalid, -220 expired or removed (also the old token after a refresh elsewhere), per Zalo's
# OA error table; -124 is in no published OA table but was seen in the wild: a refresh costs little.
TOKEN_ERRORS = frozenset({-216, -220, -124})
HTTP_UNAUTHORIZED = -216  # what an HTTP 401 without Zalo's error body is taken to mean
PERMANENT_REASONS: dict[int, str] = {
    -201: "tham số không hợp lệ / invalid parameter",
    -210: "vượt giới hạn cho phép (ví dụ ảnh quá lớn) / over the allowed limit (e.g. the image is too large)",
    -211: "OA đã hết hạn mức gửi / the OA's sending quota is exhausted",
    -213: "người nhận chưa quan tâm OA / the recipient does not follow the OA",
    -224: "gói dịch vụ của OA không có tính năng này / the OA's service package does not include this feature",
    -237: "nhóm đã bị vô hiệu hóa; kiểm tra mã nhóm / the group is disabled; check the group id",
    -403: "OA không ở trong nhóm này; kiểm tra mã nhóm / the OA is not in this group; check the group id",
}
RATE_LIMIT_WAIT = 60.0  # Zalo's limits are per minute and it sends no Retry-After
IMAGE_SUFFIXES = ZALO_IMAGE_SUFFIXES  # what Zalo takes as an image (campaign.kinds)
_MIME = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif"}

LOGIN_HINT = ("quản trị viên cần chạy `loa zalo login --code <mã ủy quyền>` (hoặc `--refresh-token`) / "
              "an admin must run `loa zalo login --code <authorization code>` (or `--refresh-token`)")
NO_TOKENS = f"chưa có token Zalo OA trong kho dữ liệu / no Zalo OA token pair in the store: {LOGIN_HINT}"

MediaUrl = Callable[[Path], str | None]


def media_url_from_base(base: str | None, content_dir: Path) -> MediaUrl | None:
    """Public URLs for content files, for the Zalo APIs that take images only by URL."""
    if not base:
        return None
    root = base.rstrip("/") + "/"

    def url(path: Path) -> str | None:
        try:
            rel = path.resolve().relative_to(content_dir.resolve())
        except ValueError:
            return None
        return root + rel.as_posix()

    return url


# --- HTTP --------------------------------------------------------------------------------------


class ZaloOAClient:
    """Blocking HTTP to the OA API and the OAuth endpoint (run it off the event loop)."""

    def __init__(self, api_base: str, oauth_base: str, *, connect_timeout: float = 5.0, read_timeout: float = 20.0,
                 connect_retries: int = 2, session: requests.Session | None = None) -> None:
        self.api_base, self.oauth_base = api_base.rstrip("/"), oauth_base.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.session = session or requests.Session()
        # Connection failures only: the request never reached Zalo, so retrying cannot duplicate.
        retry = Retry(total=connect_retries, connect=connect_retries, read=0, status=0, other=0, redirect=0,
                      allowed_methods=None, backoff_factor=0.2, raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=8)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def call(self, path: str, access_token: str, *, json: Any = None, upload: Path | None = None) -> dict[str, Any]:
        headers = {"access_token": access_token}
        if upload is None:
            return self._post(self.api_base + path, path, headers=headers, json=json)
        with upload.open("rb") as fh:
            files = {"file": (upload.name, fh, _MIME.get(upload.suffix.lower(), "application/octet-stream"))}
            return self._post(self.api_base + path, path, headers=headers, files=files)

    def token(self, app_id: str, secret_key: str, form: Mapping[str, str]) -> dict[str, Any]:
        """The OAuth v4 token endpoint: ``secret_key`` header, form body (never logged)."""
        return self._post(self.oauth_base + TOKEN_PATH, TOKEN_PATH, headers={"secret_key": secret_key},
                          data={"app_id": app_id, **form})

    def _post(self, url: str, what: str, **kw: Any) -> dict[str, Any]:
        try:
            r = self.session.post(url, timeout=self.timeout, **kw)
        except requests.RequestException as exc:
            ambiguous = what in VISIBLE and requests_ambiguous(exc)  # uploads and drafts show nothing: safe to redo
            if timed_out(exc):
                raise ChannelError(f"Zalo không trả lời kịp / Zalo did not answer in time ({what})",
                                   transient=True, ambiguous=ambiguous) from None
            if ambiguous:
                raise ChannelError(f"mất câu trả lời của Zalo / Zalo's answer was lost ({what}: {type(exc).__name__})",
                                   transient=True, ambiguous=True) from None
            raise ChannelError(f"không kết nối được Zalo / cannot reach Zalo ({what}: {type(exc).__name__})",
                               transient=True) from None
        if r.status_code >= 500 or r.status_code == 429:
            retry_after = RATE_LIMIT_WAIT if r.status_code == 429 else None
            raise ChannelError(f"Zalo HTTP {r.status_code} ({what})", transient=True, retry_after=retry_after)
        try:
            body = r.json()
        except ValueError:
            body = None
        if r.status_code < 400 and not isinstance(body, dict) and what in VISIBLE:  # accepted, answer unreadable
            raise ChannelError(f"Zalo HTTP {r.status_code}: câu trả lời không đọc được / unreadable answer ({what})",
                               transient=True, ambiguous=True)
        if r.status_code >= 400 and isinstance(body, dict) and error_code(body):
            return body  # Zalo's error body with a 4xx status (token errors come as HTTP 401): map its code
        if r.status_code == 401:
            return {"error": HTTP_UNAUTHORIZED, "message": "HTTP 401"}  # refresh once, as for -216
        if r.status_code >= 400 or not isinstance(body, dict):
            raise ChannelError(f"Zalo HTTP {r.status_code}: câu trả lời không hợp lệ / unexpected answer ({what})",
                               transient=False)
        return body

    def close(self) -> None:
        self.session.close()


def timed_out(exc: requests.RequestException) -> bool:
    """A read timeout, also when urllib3's retry wrapper makes ``requests`` call it a ConnectionError."""
    if isinstance(exc, requests.Timeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (ReadTimeoutError, TimeoutError))


def error_code(body: Mapping[str, Any]) -> int:
    try:
        return int(body.get("error") or 0)
    except (TypeError, ValueError):
        return 0


class ZaloApiError(ChannelError):
    """An error body from the OA API; ``code`` is Zalo's negative error number."""

    def __init__(self, reason: str, code: int, *, transient: bool, retry_after: float | None = None) -> None:
        super().__init__(reason, transient=transient, retry_after=retry_after)
        self.code = code


def raise_for_error(body: Mapping[str, Any], what: str) -> None:
    """Turn an HTTP-200 error body into a ``ZaloApiError`` (transient or permanent)."""
    code = error_code(body)
    if code == 0:
        return
    message = str(body.get("message") or body.get("error_description") or "")
    if code == RATE_LIMIT:
        raise ZaloApiError(f"Zalo {what}: quá giới hạn tần suất / rate limited ({code}: {message})", code,
                           transient=True, retry_after=RATE_LIMIT_WAIT)
    if code == PROCESSING:
        raise ZaloApiError(f"Zalo {what}: bài viết đang được xử lý / article still being processed ({code})", code,
                           transient=True)
    if code in TOKEN_ERRORS:
        raise ZaloApiError(f"Zalo {what}: access token bị từ chối / access token rejected ({code}: {message})", code,
                           transient=False)
    reason = PERMANENT_REASONS.get(code, "lỗi / error")
    raise ZaloApiError(f"Zalo {what}: {reason} ({code}: {message})", code, transient=False)


def _field(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not value:
        raise ChannelError(f"Zalo {what}: câu trả lời thiếu '{key}' / the answer has no '{key}'", transient=False)
    return str(value)


# --- tokens ------------------------------------------------------------------------------------


class ZaloTokens:
    """The OA access token: from the store, refreshed ahead of expiry, once at a time."""

    def __init__(self, store: Store, client: ZaloOAClient, app_id: str, secret_key: str, *,
                 clock: Clock | None = None, margin: timedelta = timedelta(hours=1),
                 on_stop: Callable[[str], None] | None = None) -> None:
        """``on_stop(reason)`` is called on the event loop, once, when a refused refresh stops Zalo."""
        self.store, self.client, self.app_id, self._secret = store, client, app_id, secret_key
        self.clock = clock or SystemClock()
        self.margin = margin
        self.on_stop = on_stop
        self._pair: TokenPair | None = None
        self._lock = asyncio.Lock()
        self.stopped: str | None = None
        self._stopped_generation: int | None = None
        self._announced = False

    def __repr__(self) -> str:
        return f"ZaloTokens(app_id={self.app_id}, stopped={self.stopped is not None})"

    def _fresh(self, pair: TokenPair) -> bool:
        return pair.fresh(self.clock.now(), self.margin.total_seconds())

    async def access_token(self) -> str:
        if self.stopped is not None:
            await asyncio.to_thread(self._check_resumed)
        pair = self._pair
        if pair is None:
            pair = self._pair = await asyncio.to_thread(zalo_tokens.load, self.store)
            if pair is None:
                raise ChannelError(NO_TOKENS, transient=False)
        if self._fresh(pair):
            return pair.access_token
        return await self.refresh(pair.access_token)

    async def refresh(self, stale: str) -> str:
        """Replace ``stale``; whoever waited on the lock gets the pair the first caller got."""
        async with self._lock:
            if self.stopped is not None:
                raise ChannelError(self.stopped, transient=False)
            pair = self._pair
            if pair is not None and pair.access_token != stale and self._fresh(pair):
                return pair.access_token
            try:
                return await asyncio.to_thread(self._refresh_blocking, stale)
            finally:
                if self.stopped is not None:
                    self._announce(self.stopped)  # on the event loop, once per stop

    def _refresh_blocking(self, stale: str) -> str:
        now = self.clock.now()
        with zalo_tokens.refresh_lock(self.store) as lock:
            pair = lock.pair
            if pair is None:
                raise ChannelError(NO_TOKENS, transient=False)
            if pair.access_token != stale and pair.fresh(now, self.margin.total_seconds()):
                self._pair = pair  # another process refreshed already: use its pair, spend nothing
                return pair.access_token
            body = self.client.token(self.app_id, self._secret,
                                     {"grant_type": "refresh_token", "refresh_token": pair.refresh_token})
            if body.get("access_token") and body.get("refresh_token"):
                expires_at = now + timedelta(seconds=_seconds(body.get("expires_in")))
                saved = lock.save(str(body["access_token"]), str(body["refresh_token"]), expires_at, now)
                if saved is not None:
                    self._pair = saved
                    log.info("Zalo OA token refreshed (generation %d, valid until %s)", saved.generation,
                             saved.expires_at.isoformat(timespec="minutes"))
                    return saved.access_token
                log.warning("Zalo OA token: another process saved a new pair at the same time; using the stored one")
            elif error_code(body) == RATE_LIMIT:
                raise ChannelError("Zalo: làm mới token bị giới hạn tần suất / token refresh rate limited",
                                   transient=True, retry_after=RATE_LIMIT_WAIT)
        latest = zalo_tokens.load(self.store)
        if latest is not None and latest.generation != pair.generation:
            self._pair = latest  # a newer pair was saved meanwhile (login, or another process)
            return latest.access_token
        code = error_code(body)
        detail = str(body.get("error_name") or body.get("error_description") or body.get("message") or "")
        self._stop(
            f"Zalo từ chối làm mới token ({code}: {detail}); đã dừng đăng lên Zalo OA — {LOGIN_HINT} / "
            f"Zalo refused to refresh the OA token ({code}: {detail}); Zalo publishing is stopped",
            pair.generation,
        )
        assert self.stopped is not None
        raise ChannelError(self.stopped, transient=False)

    def _stop(self, reason: str, generation: int) -> None:
        self.stopped, self._stopped_generation = reason, generation
        log.error("%s", reason)

    def _announce(self, reason: str) -> None:
        if self.on_stop is None or self._announced:
            return
        self._announced = True
        try:
            self.on_stop(reason)
        except Exception:  # an alert hook must never break the channel
            log.exception("Zalo on_stop hook failed")

    def _check_resumed(self) -> None:
        """Stopped: fail fast unless a new pair (``loa zalo login``) has been stored since."""
        latest = zalo_tokens.load(self.store)
        if latest is not None and latest.generation != self._stopped_generation:
            log.info("Zalo OA token pair replaced (generation %d); publishing to Zalo resumes", latest.generation)
            self.stopped, self._stopped_generation, self._pair, self._announced = None, None, latest, False
            return
        assert self.stopped is not None
        raise ChannelError(self.stopped, transient=False)


def _seconds(value: Any) -> float:
    """``expires_in`` arrives as a string of seconds; assume Zalo's usual 25 h if it is missing."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 90_000.0


@dataclass(frozen=True)
class Consent:
    """One ``loa zalo login`` attempt: Zalo's permission page with PKCE (S256) and a ``state``, as the
    official SDKs build it; ``code_from`` takes back the redirect address and checks its ``state``."""

    url: str
    code_verifier: str = field(repr=False)
    state: str = field(repr=False)

    @classmethod
    def new(cls, oauth_base: str, app_id: str, redirect_uri: str) -> Consent:
        verifier = secrets.token_urlsafe(64)  # 86 characters, within PKCE's 43-128
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state = secrets.token_urlsafe(24)
        query = urllib.parse.urlencode({"app_id": app_id, "redirect_uri": redirect_uri,
                                        "code_challenge": challenge, "state": state})
        return cls(f"{oauth_base.rstrip('/')}{PERMISSION_PATH}?{query}", verifier, state)

    def code_from(self, pasted: str) -> str:
        """The authorization code in the pasted redirect address (or its ``code=…&state=…`` part)."""
        text = pasted.strip()
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(text).query if "?" in text else text)
        code, state = params.get("code", [""])[0], params.get("state", [""])[0]
        if not code or not state:
            raise ChannelError("không thấy 'code' và 'state': hãy dán cả địa chỉ mà Zalo chuyển tới / no 'code' and "
                               "'state' found: paste the whole address Zalo redirected to", transient=False)
        if not hmac.compare_digest(state, self.state):
            raise ChannelError("'state' không khớp: địa chỉ này thuộc một lần đăng nhập khác; hãy chạy lại / 'state' "
                               "does not match: this address belongs to another login attempt; start again",
                               transient=False)
        return code


def exchange(client: ZaloOAClient, app_id: str, secret_key: str, form: Mapping[str, str],
             store: Store, now: datetime) -> TokenPair:
    """``loa zalo login``: trade an authorization code or refresh token for a pair and store it."""
    body = client.token(app_id, secret_key, form)
    if not (body.get("access_token") and body.get("refresh_token")):
        detail = body.get("error_name") or body.get("error_description") or body.get("message") or ""
        raise ChannelError(f"Zalo từ chối / Zalo refused ({error_code(body)}: {detail})", transient=False)
    expires_at = now + timedelta(seconds=_seconds(body.get("expires_in")))
    return zalo_tokens.save(store, str(body["access_token"]), str(body["refresh_token"]), expires_at, now)


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
                f"thiếu biến môi trường {', '.join(missing)} cho Zalo OA / "
                f"environment variable(s) {', '.join(missing)} for Zalo OA are not set")
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
                    f"Zalo từ chối cả token vừa làm mới ({error_code(body)}): kiểm tra ứng dụng còn liên kết với OA "
                    f"và có quyền; {LOGIN_HINT} / Zalo rejects even a freshly refreshed token: check the app is "
                    f"still linked to the OA with the needed permissions", transient=False)
        raise_for_error(body, what)
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    def _check_media(self, media: tuple[Path, ...]) -> None:
        for p in media:
            if p.suffix.lower() not in IMAGE_SUFFIXES:
                raise ChannelError(f"Zalo OA chỉ nhận ảnh jpg/png/gif, không nhận «{p.name}» / "
                                   f"Zalo OA takes only jpg/png/gif images, not “{p.name}”", transient=False)
            size = p.stat().st_size
            if size > self.image_max_bytes:
                raise ChannelError(f"ảnh «{p.name}» {size} byte vượt giới hạn {self.image_max_bytes} của Zalo / "
                                   f"image “{p.name}” is {size} bytes, over Zalo's {self.image_max_bytes}",
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
                    data = await self.call(UPLOAD_GIF if _is_gif(p) else UPLOAD_IMAGE, "tải ảnh / image upload", upload=p)
                    state.attachments[str(p)] = _field(data, "attachment_id", "upload")
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
                data = await self.call(ARTICLE_CREATE, "tạo bài viết / article create", json=self._article(m))
                state.article_token = _field(data, "token", "article create")
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
                data = await self.call(ARTICLE_VERIFY, "kiểm tra bài viết / article verify", json={"token": token})
            except ZaloApiError as exc:
                if exc.code == PROCESSING:
                    continue
                raise
            article_id = data.get("id") or data.get("article_id")
            if article_id:
                return str(article_id)
        raise ChannelError(f"Zalo vẫn đang xử lý bài viết sau {self.verify_attempts} lần kiểm tra; sẽ thử lại / "
                           f"Zalo is still processing the article after {self.verify_attempts} checks; will retry",
                           transient=True, retry_after=self.verify_delay * 5)

    def _article(self, m: OutMessage) -> dict[str, Any]:
        urls = [self.media_url(p) if self.media_url else None for p in m.media]
        cover = (urls[0] if urls else None) or self.default_cover_url
        if not cover:
            raise ChannelError(
                "bài viết Zalo cần ảnh bìa có địa chỉ URL công khai: thêm ảnh vào bài và đặt [zalo] media_base_url, "
                "hoặc đặt [zalo] default_cover_url / a Zalo article needs a cover image at a public URL: attach an "
                "image and set [zalo] media_base_url, or set [zalo] default_cover_url", transient=False)
        lines = [ln.strip() for ln in m.plain.strip().splitlines()]
        title = _clip(lines[0] if lines else "", 150) or "Thông báo"
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
        await self.call(ARTICLE_REMOVE, "gỡ bài viết / article remove", json={"id": article_id})


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
        raise ChannelError(f"«{path.name}» không phải tệp GIF hợp lệ / “{path.name}” is not a valid GIF file",
                           transient=False)
    return int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")


def _audience(target: str) -> dict[str, Any]:
    """``followers`` = everyone; ``followers:gender=1,cities=4`` passes Zalo's audience filters."""
    name, _, filters = target.partition(":")
    if name.strip() != "followers":
        raise ChannelError(f"đích broadcast phải là 'followers' (hoặc 'followers:bộ lọc') / broadcast target must be "
                           f"'followers' (or 'followers:filters'), not '{target}'", transient=False)
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
        raise ChannelError("Zalo không cho sửa tin đã gửi; hãy đăng bài đính chính / Zalo cannot edit a sent message; "
                           "publish a correction instead", transient=False)

    async def delete(self, target: str, message_ids: tuple[str, ...]) -> None:
        if self.kind is ChannelKind.ZALO_OA_GROUP:
            raise ChannelError("Zalo không cho thu hồi tin nhóm qua API; quản trị viên nhóm xóa tay trong ứng dụng Zalo / "
                               "Zalo OA group messages cannot be recalled through the API; a group admin must delete "
                               "it in the Zalo app", transient=False)
        articles = [mid.split(":", 1)[1] for mid in message_ids if mid.startswith("article:")]
        for article_id in articles:
            await self.oa.remove_article(article_id)
        done = "đã gỡ bài viết, nhưng " if articles else ""
        done_en = "the article was removed, but " if articles else ""
        raise ChannelError(f"{done}tin broadcast không thu hồi được / {done_en}a broadcast message cannot be recalled",
                           transient=False)
