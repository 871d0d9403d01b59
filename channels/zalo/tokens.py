"""The Zalo OA token pair, and the consent flow that first obtains it (``loa zalo login``).

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from campaign.clock import Clock, SystemClock
from campaign.errors import ChannelError
from campaign.store import zalo_tokens
from campaign.store.db import Store
from campaign.store.zalo_tokens import TokenPair
from campaign.texts import inline, t
from channels.zalo.http import (
    PERMISSION_PATH,
    RATE_LIMIT,
    RATE_LIMIT_WAIT,
    ZaloOAClient,
    error_code,
)

log = logging.getLogger(__name__)

LOGIN_HINT = inline("zalo.login_hint")
NO_TOKENS = f"{inline('zalo.no_tokens')}: {LOGIN_HINT}"


def with_login_hint(key: str, /, **kw: object) -> str:
    """ "vi / en" on one line, each language with the login hint in its own language as ``{hint}``."""
    vi, en = (t(key, lang, hint=t("zalo.login_hint", lang), **kw) for lang in ("vi", "en"))
    return f"{vi} / {en}"


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
                raise ChannelError(inline("zalo.refresh_rate_limited"),
                                   transient=True, retry_after=RATE_LIMIT_WAIT)
        latest = zalo_tokens.load(self.store)
        if latest is not None and latest.generation != pair.generation:
            self._pair = latest  # a newer pair was saved meanwhile (login, or another process)
            return latest.access_token
        code = error_code(body)
        detail = str(body.get("error_name") or body.get("error_description") or body.get("message") or "")
        self._stop(
            with_login_hint("zalo.refresh_refused", code=code, detail=detail),
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
            raise ChannelError(inline("zalo.login.no_code"), transient=False)
        if not hmac.compare_digest(state, self.state):
            raise ChannelError(inline("zalo.login.bad_state"),
                               transient=False)
        return code


def exchange(client: ZaloOAClient, app_id: str, secret_key: str, form: Mapping[str, str],
             store: Store, now: datetime) -> TokenPair:
    """``loa zalo login``: trade an authorization code or refresh token for a pair and store it."""
    body = client.token(app_id, secret_key, form)
    if not (body.get("access_token") and body.get("refresh_token")):
        detail = body.get("error_name") or body.get("error_description") or body.get("message") or ""
        raise ChannelError(inline("zalo.refused") + f" ({error_code(body)}: {detail})", transient=False)
    expires_at = now + timedelta(seconds=_seconds(body.get("expires_in")))
    return zalo_tokens.save(store, str(body["access_token"]), str(body["refresh_token"]), expires_at, now)
