"""Facebook Pages through the Graph API: text posts, one photo, several photos in one post; edit, delete.

A text post is ``POST /{page-id}/feed`` (``message``, ``link`` for the first link of the post),
one photo ``POST /{page-id}/photos`` with the text as its caption, several photos are uploaded
unpublished (``published=false``, invisible) and then attached to one feed post
(``attached_media``). Correct is ``POST /{post-id}`` (``message``), retract ``DELETE /{post-id}``.

Errors come as ``{"error": {"code", "error_subcode", "message", "is_transient"}}`` with a 4xx/5xx
status. 190 (token) and 10 / 200–299 (permission) are permanent and tell the admins once; 4, 17,
32, 613 and the Pages limits (80001…) are throttling, retried after a pause; ``is_transient`` and
5xx are retried. The usage headers (``X-App-Usage``, ``X-Business-Use-Case-Usage``, percentages)
space sends out from ``slow_from_percent`` on, and stop them while Facebook says access is cut,
so Loa slows down before Facebook throttles it.

The Page token goes in the ``Authorization`` header, never in a URL or a log line. Calls are
blocking ``requests`` calls run off the event loop; urllib3 retries only failed *connections*.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from aiolimiter import AsyncLimiter

from campaign.errors import ChannelError
from campaign.kinds import SPECS, ChannelKind, MediaKind
from campaign.texts import pair
from channels.base import OutMessage, Sent
from channels.faults import requests_ambiguous, retry_connects, timed_out
from channels.limits import ChatLimits

log = logging.getLogger(__name__)

TOKEN_CODES = frozenset({190, 102, 463, 467})  # 190 is the one Facebook documents for Page tokens; the others are its kin
PERMISSION_CODES = frozenset({10, *range(200, 300)})
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
TRANSIENT_CODES = frozenset({1, 2})  # "unknown error", "service temporarily unavailable"
THROTTLE_WAIT = 60.0  # seconds, when Facebook does not say how long (it rarely does)
SLOW_MAX = 60.0  # seconds between calls at 100 % usage
REQUIRED_PERMISSIONS = ("pages_manage_posts", "pages_read_engagement")
_PHOTOS = SPECS[ChannelKind.FACEBOOK_PAGE].media[MediaKind.IMAGE]  # loa check checks the same rule
IMAGE_SUFFIXES: tuple[str, ...] = _PHOTOS.suffixes or ()
IMAGE_MAX_BYTES: int = _PHOTOS.max_bytes or 0
_MIME = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".bmp": "image/bmp",
         ".tif": "image/tiff", ".tiff": "image/tiff"}
_HREF = re.compile(r'<a href="(https?://[^"]+)"')


def _reason(key: str, **kw: Any) -> str:
    return " / ".join(pair(key, **kw))


class FacebookError(ChannelError):
    """An error answer from the Graph API; ``code`` is Facebook's number, ``problem`` token/permission/None."""

    def __init__(self, reason: str, code: int, *, transient: bool, retry_after: float | None = None,
                 problem: str | None = None) -> None:
        super().__init__(reason, transient=transient, retry_after=retry_after)
        self.code, self.problem = code, problem


def graph_error(status: int, body: Any, *, token_env: str = "") -> FacebookError:
    """Map an error answer (its HTTP status and JSON body) to a permanent or transient failure."""
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    try:
        code = int(error.get("code") or 0)
    except (TypeError, ValueError):
        code = 0
    message = str(error.get("message") or f"HTTP {status}")[:300]
    if code in TOKEN_CODES:
        return FacebookError(_reason("fb.token", code=code, message=message, env=token_env or "token_env"), code,
                             transient=False, problem="token")
    if code in PERMISSION_CODES:
        return FacebookError(_reason("fb.permission", code=code, message=message), code, transient=False,
                             problem="permission")
    if code in THROTTLE_CODES or status == 429:
        return FacebookError(_reason("fb.throttled", code=code, message=message, seconds=int(THROTTLE_WAIT)), code,
                             transient=True, retry_after=THROTTLE_WAIT)
    if error.get("is_transient") is True or code in TRANSIENT_CODES or status >= 500:
        return FacebookError(_reason("fb.transient", code=code, message=message), code, transient=True)
    return FacebookError(_reason("fb.refused", code=code, message=message), code, transient=False)


@dataclass(frozen=True)
class Usage:
    """The highest percentage in the usage headers, and minutes until access comes back (0: not cut)."""

    percent: float = 0.0
    regain_minutes: float = 0.0

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Usage:
        numbers: list[float] = []
        regain: list[float] = []

        def collect(item: Any) -> None:
            if not isinstance(item, dict):
                return
            for k, v in item.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    (regain if k == "estimated_time_to_regain_access" else numbers).append(float(v))

        for name in ("X-App-Usage", "X-Page-Usage", "X-Business-Use-Case-Usage"):
            raw = headers.get(name)
            if not raw:
                continue
            try:
                value = json.loads(raw)
            except ValueError:
                continue
            if name == "X-Business-Use-Case-Usage" and isinstance(value, dict):
                for entries in value.values():
                    for entry in entries if isinstance(entries, list) else []:
                        collect(entry)
            else:
                collect(value)
        return cls(max(numbers, default=0.0), max(regain, default=0.0))


class FacebookLimits(ChatLimits):
    """Leaky buckets per app and per Page, plus spacing from the usage Facebook reports."""

    def __init__(self, per_second: float = 1.0, per_page_per_minute: float = 10.0, slow_from: float = 75.0) -> None:
        super().__init__(AsyncLimiter(per_second, 1), per_chat=(per_page_per_minute, 60))
        self.slow_from = slow_from
        self.spacing = 0.0  # seconds between calls, from the usage headers
        self._last = 0.0
        self._paused_until = 0.0

    def note(self, usage: Usage) -> None:
        """Slow down as usage nears 100 %; at 100 % or when access is cut, pause every Page."""
        now = self._last = time.monotonic()
        if usage.regain_minutes > 0 or usage.percent >= 100:
            self._paused_until = max(self._paused_until, now + max(usage.regain_minutes * 60, THROTTLE_WAIT))
            log.warning("Facebook usage at %.0f%% (access back in %.0f min): sends to Facebook paused",
                        usage.percent, usage.regain_minutes)
        if usage.percent >= self.slow_from:
            self.spacing = SLOW_MAX * min(1.0, (usage.percent - self.slow_from) / max(1.0, 100 - self.slow_from))
        else:
            self.spacing = 0.0

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def delay(self) -> float:
        """How long the next call would wait for the usage spacing or pause (seconds)."""
        now = time.monotonic()
        return max(0.0, self._paused_until - now, self._last + self.spacing - now)

    async def acquire(self, target: str) -> None:
        await super().acquire(target)
        while (wait := self.delay()) > 0:
            await asyncio.sleep(wait)
        self._last = time.monotonic()


class GraphClient:
    """Blocking HTTP to the Graph API (run it off the event loop)."""

    def __init__(self, api_base: str, version: str = "v21.0", *, connect_timeout: float = 5.0, read_timeout: float = 60.0,
                 connect_retries: int = 2, session: requests.Session | None = None) -> None:
        self.base = f"{api_base.rstrip('/')}/{version}"
        self.timeout = (connect_timeout, read_timeout)
        self.session = retry_connects(session, connect_retries)

    def call(self, method: str, path: str, token: str, *, what: str, visible: bool = False, token_env: str = "",
             data: Mapping[str, Any] | None = None, params: Mapping[str, str] | None = None,
             upload: Path | None = None) -> tuple[dict[str, Any], Usage]:
        """One call; the answer's JSON and the usage it reports. ``visible``: its success is seen by people
        (a post), so a lost answer is ambiguous; a lost answer to an unpublished upload is not."""
        headers = {"Authorization": f"Bearer {token}"}
        try:
            if upload is None:
                r = self.session.request(method, self.base + path, headers=headers, data=data, params=params,
                                         timeout=self.timeout)
            else:
                with upload.open("rb") as fh:
                    files = {"source": (upload.name, fh, _MIME.get(upload.suffix.lower(), "application/octet-stream"))}
                    r = self.session.request(method, self.base + path, headers=headers, data=data, files=files,
                                             timeout=self.timeout)
        except requests.RequestException as exc:
            ambiguous = visible and (timed_out(exc) or requests_ambiguous(exc))
            name = type(exc).__name__
            raise ChannelError(_reason("fb.lost" if ambiguous else "fb.unreachable", what=what, error=name),
                               transient=True, ambiguous=ambiguous) from None
        usage = Usage.from_headers(r.headers)
        try:
            body = r.json()
        except ValueError:
            body = None
        if r.status_code >= 400:
            raise graph_error(r.status_code, body, token_env=token_env)
        if not isinstance(body, dict):
            raise ChannelError(_reason("fb.unreadable", what=what), transient=True, ambiguous=visible)
        return body, usage

    def close(self) -> None:
        self.session.close()


@dataclass
class _Progress:
    """Unpublished photos already uploaded for a post, reused when a failed send is retried."""

    photo_ids: dict[str, str] = field(default_factory=dict)


class FacebookPageChannel:
    """One Page (one token). ``on_problem(reason)`` tells the admins, once, that the token or a permission is bad."""

    kind = ChannelKind.FACEBOOK_PAGE

    def __init__(self, client: GraphClient, token: str, *, limits: FacebookLimits | None = None, token_env: str = "",
                 image_max_bytes: int = IMAGE_MAX_BYTES, on_problem: Callable[[str], None] | None = None) -> None:
        self.client, self._token, self.token_env = client, token, token_env
        self.limits = limits or FacebookLimits()
        self.image_max_bytes = image_max_bytes
        self.on_problem = on_problem
        self._told: set[str] = set()
        self._progress: OrderedDict[str, _Progress] = OrderedDict()
        self._closed = False

    def __repr__(self) -> str:
        return f"FacebookPageChannel(base={self.client.base})"  # never the token

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.client.close()

    async def acquire(self, target: str) -> None:
        await self.limits.acquire(target)

    async def _call(self, method: str, path: str, what: str, **kw: Any) -> dict[str, Any]:
        try:
            body, usage = await asyncio.to_thread(self.client.call, method, path, self._token, what=what,
                                                  token_env=self.token_env, **kw)
        except FacebookError as exc:
            if exc.retry_after:
                self.limits.pause(exc.retry_after)  # Facebook's limits are per app and Page: every send waits
            if exc.problem is not None:
                self._tell(exc.problem, exc.reason)
            raise
        self.limits.note(usage)
        self._told.clear()  # the token works again: a later problem is news
        return body

    def _tell(self, problem: str, reason: str) -> None:
        if self.on_problem is None or problem in self._told:
            return
        self._told.add(problem)
        try:
            self.on_problem(reason)
        except Exception:  # an alert hook must never break the channel
            log.exception("Facebook on_problem hook failed")

    def _check_media(self, media: tuple[Path, ...]) -> None:
        for p in media:
            size = p.stat().st_size
            if p.suffix.lower() not in IMAGE_SUFFIXES or size > self.image_max_bytes:
                raise ChannelError(_reason("fb.media", name=p.name, size=size, limit=self.image_max_bytes),
                                   transient=False)

    def _progress_for(self, page: str, m: OutMessage) -> tuple[str, _Progress]:
        key = hashlib.sha256("\x00".join([page, m.plain, *map(str, m.media)]).encode()).hexdigest()
        state = self._progress.get(key)
        if state is None:
            state = self._progress[key] = _Progress()
            while len(self._progress) > 256:
                self._progress.popitem(last=False)
        return key, state

    async def send(self, target: str, message: OutMessage) -> Sent:
        self._check_media(message.media)
        text = message.plain
        if not message.media:
            data = {"message": text}
            if message.preview and (link := first_link(message.html)):
                data["link"] = link
            body = await self._call("POST", f"/{target}/feed", "feed", visible=True, data=data)
            return Sent((_id(body, "id", "feed"),))
        if len(message.media) == 1:
            body = await self._call("POST", f"/{target}/photos", "photos", visible=True,
                                    data={"caption": text, "published": "true"}, upload=message.media[0])
            return Sent((str(body.get("post_id") or _id(body, "id", "photos")),))
        key, state = self._progress_for(target, message)
        try:
            for p in message.media:
                if str(p) not in state.photo_ids:
                    body = await self._call("POST", f"/{target}/photos", "photos (unpublished)",
                                            data={"published": "false"}, upload=p)
                    state.photo_ids[str(p)] = _id(body, "id", "photos")
            data = {"message": text}
            for i, p in enumerate(message.media):
                data[f"attached_media[{i}]"] = json.dumps({"media_fbid": state.photo_ids[str(p)]})
            body = await self._call("POST", f"/{target}/feed", "feed", visible=True, data=data)
        except ChannelError as exc:
            if not exc.transient:
                self._progress.pop(key, None)
            raise
        self._progress.pop(key, None)
        return Sent((_id(body, "id", "feed"),))

    async def edit(self, target: str, message_ids: tuple[str, ...], message: OutMessage) -> None:
        """The text of the post (its photos stay as they were: the Graph API cannot swap them)."""
        for post_id in message_ids[:1]:
            await self._call("POST", f"/{post_id}", "edit", data={"message": message.plain})

    async def delete(self, target: str, message_ids: tuple[str, ...]) -> None:
        for post_id in message_ids[:1]:
            await self._call("DELETE", f"/{post_id}", "delete")

    async def check(self, page_id: str) -> tuple[str, list[str] | None]:
        """``loa facebook check``: the Page's name, and the required permissions the token lacks (None: unknown)."""
        body = await self._call("GET", f"/{page_id}", "page", params={"fields": "name"})
        name = str(body.get("name") or page_id)
        try:
            granted_body = await self._call("GET", "/me/permissions", "permissions")
        except ChannelError:
            return name, None  # some tokens cannot list permissions; posting will say what is missing
        granted = {str(p.get("permission")) for p in granted_body.get("data") or [] if isinstance(p, dict)
                   and p.get("status") == "granted"}
        return name, [p for p in REQUIRED_PERMISSIONS if p not in granted]


def first_link(html: str) -> str | None:
    """The first http(s) link of the rendered post: Facebook shows a preview card for it."""
    m = _HREF.search(html)
    return m.group(1).replace("&amp;", "&") if m else None


def _id(body: Mapping[str, Any], key: str, what: str) -> str:
    value = body.get(key)
    if not value:
        raise ChannelError(_reason("fb.no_id", what=what), transient=False)
    return str(value)
