"""Zalo's HTTP side: the OA API client (a ``requests`` session), its endpoints and its error codes.

Zalo answers almost everything with HTTP 200 and a body ``{"error": <0 or negative>, "message"}``,
so errors are read from the body and sorted into transient (rate limit, article still being
processed, 5xx, network) and permanent (not a follower, quota, bad parameter, feature not in
the OA's package). Calls are blocking ``requests`` calls run off the event loop; urllib3 retries
only failed *connections* (the request never left), never a POST whose answer was lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests

from campaign.errors import ChannelError
from campaign.kinds import ZALO_IMAGE_SUFFIXES
from campaign.texts import inline
from channels.faults import requests_ambiguous, retry_connects, timed_out

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
PERMANENT_REASONS = frozenset({-201, -210, -211, -213, -224, -237, -403})  # texts: zalo.code.<n>
RATE_LIMIT_WAIT = 60.0  # Zalo's limits are per minute and it sends no Retry-After
IMAGE_SUFFIXES = ZALO_IMAGE_SUFFIXES  # what Zalo takes as an image (campaign.kinds)
_MIME = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif"}


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
        self.session = retry_connects(session, connect_retries)

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
                raise ChannelError(inline("zalo.timeout") + f" ({what})",
                                   transient=True, ambiguous=ambiguous) from None
            if ambiguous:
                raise ChannelError(inline("zalo.answer_lost") + f" ({what}: {type(exc).__name__})",
                                   transient=True, ambiguous=True) from None
            raise ChannelError(inline("zalo.unreachable") + f" ({what}: {type(exc).__name__})",
                               transient=True) from None
        if r.status_code >= 500 or r.status_code == 429:
            retry_after = RATE_LIMIT_WAIT if r.status_code == 429 else None
            raise ChannelError(f"Zalo HTTP {r.status_code} ({what})", transient=True, retry_after=retry_after)
        try:
            body = r.json()
        except ValueError:
            body = None
        if r.status_code < 400 and not isinstance(body, dict) and what in VISIBLE:  # accepted, answer unreadable
            raise ChannelError(f"Zalo HTTP {r.status_code}: {inline('zalo.unreadable')} ({what})",
                               transient=True, ambiguous=True)
        if r.status_code >= 400 and isinstance(body, dict) and error_code(body):
            return body  # Zalo's error body with a 4xx status (token errors come as HTTP 401): map its code
        if r.status_code == 401:
            return {"error": HTTP_UNAUTHORIZED, "message": "HTTP 401"}  # refresh once, as for -216
        if r.status_code >= 400 or not isinstance(body, dict):
            raise ChannelError(f"Zalo HTTP {r.status_code}: {inline('zalo.unexpected')} ({what})",
                               transient=False)
        return body

    def close(self) -> None:
        self.session.close()


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
        raise ZaloApiError(f"Zalo {what}: {inline('zalo.rate_limited')} ({code}: {message})", code,
                           transient=True, retry_after=RATE_LIMIT_WAIT)
    if code == PROCESSING:
        raise ZaloApiError(f"Zalo {what}: {inline('zalo.processing')} ({code})", code,
                           transient=True)
    if code in TOKEN_ERRORS:
        raise ZaloApiError(f"Zalo {what}: {inline('zalo.token_rejected')} ({code}: {message})", code,
                           transient=False)
    reason = inline(f"zalo.code.{code}" if code in PERMANENT_REASONS else "zalo.error")
    raise ZaloApiError(f"Zalo {what}: {reason} ({code}: {message})", code, transient=False)


def body_field(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not value:
        raise ChannelError(f"Zalo {what}: {inline('zalo.missing_field', key=key)}", transient=False)
    return str(value)
