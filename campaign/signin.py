"""Signing in to the dashboard without passwords: a one-time link from the bot, then a session.

Staff already prove who they are to the bot (their Telegram or Zalo id is in ``[people]``), so
``/web`` in a private chat hands them a link signed with the server's secret, good once and
for ten minutes. Redeeming it starts a session (a signed value kept in a cookie, 12 hours); the
role is read from the configuration on every request, so removing someone from ``[people]``
ends their access at once. Every sign-in and refusal is audited.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from campaign.clock import Clock
from campaign.config import Config, Person
from campaign.errors import NotAllowed
from campaign.states import AuditAction
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import WebSignin
from campaign.texts import inline

LINK_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=12)
SECRET_SETTING = "web_secret"
SECRET_ENV = "LOA_WEB_SECRET"  # several processes (PostgreSQL standbys) must share one key: set it, or they share the stored one
SIGNIN_PATH = "/signin/"
MAX_TOKEN = 600  # characters: anything longer is not one of ours, refused before decoding


@dataclass(frozen=True)
class Session:
    person: Person
    sid: str
    issued: datetime
    csrf: str


def secret(store: Store, from_env: str | None) -> bytes:
    """The signing key: the environment's (several processes share it) or one generated once and kept in the store."""
    if from_env:
        return from_env.encode()
    with store.session() as s:
        value = repo.get_setting(s, SECRET_SETTING)
        if value is None:
            value = secrets.token_urlsafe(32)
            repo.set_setting(s, SECRET_SETTING, value)
            s.commit()
        return value.encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, purpose: str, payload: dict[str, Any]) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    mac = hmac.new(key, f"{purpose}:{body}".encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def unsign(key: bytes, purpose: str, token: str) -> dict[str, Any] | None:
    """The payload if ``token`` was signed by us for ``purpose``; None for anything else (never raises)."""
    if not token or len(token) > MAX_TOKEN or token.count(".") != 1:
        return None
    body, mac = token.split(".")
    want = hmac.new(key, f"{purpose}:{body}".encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(mac), want):
            return None
        payload = json.loads(_unb64(body))
    except (ValueError, TypeError):
        return None
    return payload if isinstance(payload, dict) else None


def issue_link(store: Store, config: Config, clock: Clock, key: bytes, person: Person, base_url: str) -> str:
    """A one-time sign-in URL for ``person`` (recorded, so it can be used once)."""
    now = clock.now()
    nonce = secrets.token_urlsafe(18)
    with store.session() as s:
        s.add(WebSignin(nonce=nonce, person=person.key, created_at=now, expires_at=now + LINK_TTL))
        repo.audit(s, now, person.key, AuditAction.WEB_LINK)
        s.commit()
    token = sign(key, "signin", {"n": nonce, "p": person.key, "e": int((now + LINK_TTL).timestamp())})
    return base_url.rstrip("/") + SIGNIN_PATH + token


def redeem(store: Store, config: Config, clock: Clock, key: bytes, token: str) -> Session:
    """Use a link once: a new session, or ``NotAllowed`` (forged, expired, already used, person gone), audited."""
    now = clock.now()
    payload = unsign(key, "signin", token)
    nonce = str(payload.get("n", "")) if payload else ""
    person_key = str(payload.get("p", "")) if payload else ""
    reason = "forged" if payload is None else None
    with store.session() as s:
        if reason is None:
            row = s.get(WebSignin, nonce)
            if row is None or row.person != person_key:
                reason = "forged"
            elif row.expires_at <= now:
                reason = "expired"
            elif person_key not in config.people:
                reason = "not-staff"
            else:
                used = s.execute(update(WebSignin).where(col(WebSignin.nonce) == nonce, col(WebSignin.used_at).is_(None))
                                 .values(used_at=now))
                if used.rowcount != 1:  # type: ignore[attr-defined]
                    reason = "used"
        if reason is not None:
            repo.audit(s, now, person_key or "web", AuditAction.REFUSED, attempted="web-signin", reason=reason)
            s.commit()
            raise NotAllowed(_REFUSALS.get(reason, _REFUSALS["forged"]))
        repo.audit(s, now, person_key, AuditAction.WEB_SIGNIN)
        s.commit()
    return start_session(key, config.people[person_key], now)


_REFUSALS = {
    "forged": inline("signin.forged"),
    "expired": inline("signin.expired"),
    "used": inline("signin.used"),
    "not-staff": inline("signin.not_staff"),
}


def start_session(key: bytes, person: Person, now: datetime) -> Session:
    sid = secrets.token_urlsafe(12)
    return Session(person, sid, now, _csrf(key, sid))


def cookie_value(key: bytes, session: Session) -> str:
    return sign(key, "session", {"p": session.person.key, "s": session.sid, "i": int(session.issued.timestamp())})


def read_session(key: bytes, config: Config, value: str | None, now: datetime) -> Session | None:
    """The session a cookie carries, if signed by us, not older than 12 hours, and its person still in ``[people]``."""
    payload = unsign(key, "session", value or "")
    if payload is None:
        return None
    try:
        issued = datetime.fromtimestamp(int(payload["i"]), tz=now.tzinfo)
        person, sid = config.people.get(str(payload["p"])), str(payload["s"])
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        return None
    if person is None or not issued <= now + timedelta(minutes=1) or now - issued >= SESSION_TTL:
        return None
    return Session(person, sid, issued, _csrf(key, sid))


def _csrf(key: bytes, sid: str) -> str:
    return _b64(hmac.new(key, f"csrf:{sid}".encode(), hashlib.sha256).digest()[:18])


def csrf_ok(session: Session, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(session.csrf, token or "")
