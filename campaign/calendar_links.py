"""Private calendar links: a random token per person in the URL, handed out in a private chat.

A calendar app fetches the link without signing in, so the token is the only key: random
(``secrets.token_urlsafe``), shown once, and kept only as its sha256 (a copy of the database opens
no calendar). A person has at most one live link; asking for a new one revokes the old, and a
revoked or unknown token answers like a missing page. Issuing, revoking and refusals are audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from campaign.clock import Clock
from campaign.config import Config, Person
from campaign.errors import NotAllowed
from campaign.states import AuditAction
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import CalendarToken
from campaign.texts import inline

PATH = "/calendar/p/"
SUFFIX = ".ics"
PUBLIC_PATH = "/calendar/public.ics"
TOKEN_BYTES = 24  # 32 URL-safe characters
RENEW = ("moi", "new")  # /lichcanhan moi, /mycalendar new: revoke the old link and issue another
STOP = ("huy", "off")  # /lichcanhan huy, /mycalendar off: revoke without a new one
MAX_TOKEN = 100  # characters: anything longer is not one of ours, refused before hashing


@dataclass(frozen=True)
class Link:
    """What the chat answers: the new URL, or (``url`` None) when the live link was issued."""

    url: str | None
    issued: datetime
    revoked: int = 0  # older links this request revoked


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def url_of(base: str, token: str) -> str:
    return base.rstrip("/") + PATH + token + SUFFIX


def _live(s: Session, person: str) -> list[CalendarToken]:
    q = select(CalendarToken).where(CalendarToken.person == person, col(CalendarToken.revoked_at).is_(None))
    return list(s.exec(q.order_by(col(CalendarToken.created_at))).all())


def _revoke(s: Session, person: str, now: datetime) -> int:
    result = s.execute(update(CalendarToken).where(col(CalendarToken.person) == person,
                                                   col(CalendarToken.revoked_at).is_(None)).values(revoked_at=now))
    return repo.rowcount(result)


def _staff(s: Session, config: Config, person: Person | None, label: str, now: datetime, attempted: str) -> Person:
    """Only people in ``[people]`` have a private calendar; anyone else is refused (and audited)."""
    if person is None or person.key not in config.people:
        repo.audit(s, now, label, AuditAction.REFUSED, attempted=attempted, reason="not-staff")
        s.commit()
        raise NotAllowed(inline("calendar.not_staff"))
    return person


def link(store: Store, config: Config, clock: Clock, person: Person | None, label: str, base: str, *,
         renew: bool = False) -> Link:
    """The person's link: a new one if they have none (or ``renew``: the old ones stop working).

    A live link cannot be shown again (only its hash is kept): the answer then says when it was issued."""
    now = clock.now()
    with store.session() as s:
        who = _staff(s, config, person, label, now, "calendar-link")
        live = _live(s, who.key)
        if live and not renew:
            return Link(None, live[-1].created_at)
        revoked = _revoke(s, who.key, now) if live else 0
        if revoked:
            repo.audit(s, now, who.key, AuditAction.CALENDAR_REVOKED, count=revoked)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        s.add(CalendarToken(token_hash=digest(token), person=who.key, created_at=now))
        repo.audit(s, now, who.key, AuditAction.CALENDAR_LINK, renewed=bool(revoked))
        s.commit()
    return Link(url_of(base, token), now, revoked)


def revoke(store: Store, config: Config, clock: Clock, person: Person | None, label: str) -> int:
    """Stop the person's link without a new one; how many links stopped (0: there was none)."""
    now = clock.now()
    with store.session() as s:
        who = _staff(s, config, person, label, now, "calendar-revoke")
        revoked = _revoke(s, who.key, now)
        if revoked:
            repo.audit(s, now, who.key, AuditAction.CALENDAR_REVOKED, count=revoked)
        s.commit()
    return revoked


def person_of(store: Store, config: Config, token: str) -> Person | None:
    """Whose calendar ``token`` opens: None when unknown, revoked, or its person left ``[people]``."""
    if not token or len(token) > MAX_TOKEN:
        return None
    with store.session() as s:
        row = s.get(CalendarToken, digest(token))
    if row is None or row.revoked_at is not None:
        return None
    return config.people.get(row.person)
