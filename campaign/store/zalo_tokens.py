"""The Zalo OA token pair in the store (table ``zalo_tokens``, one row).

Zalo refresh tokens are single-use: the moment Zalo answers a refresh, the old pair is dead and
only the new one works. So the new pair is written here, in one transaction, *before* the new
access token is used — a crash after that point loses nothing. ``generation`` counts the pairs;
a save that names the generation it started from (compare-and-set) fails if another process
saved first, so two refreshers can never both win, and ``refresh_lock`` holds the row for the length of a
refresh (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so a second process
waits and then finds the new pair instead of spending the old refresh token again.

Nothing here logs or prints a token.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import ZaloToken

ROW_ID = 1


@dataclass(frozen=True)
class TokenPair:
    """A copy of the row; ``repr`` hides the tokens so a stray log line cannot leak them."""

    access_token: str
    refresh_token: str
    expires_at: datetime
    updated_at: datetime
    generation: int

    def __repr__(self) -> str:
        return f"TokenPair(generation={self.generation}, expires_at={self.expires_at.isoformat()})"

    def fresh(self, now: datetime, margin_seconds: float = 0.0) -> bool:
        return (self.expires_at - now).total_seconds() > margin_seconds


def _pair(row: ZaloToken) -> TokenPair:
    return TokenPair(row.access_token, row.refresh_token, row.expires_at, row.updated_at, row.generation)


def load(store: Store) -> TokenPair | None:
    with store.session() as s:
        row = s.get(ZaloToken, ROW_ID)
        return _pair(row) if row else None


def save(store: Store, access_token: str, refresh_token: str, expires_at: datetime, now: datetime) -> TokenPair:
    """Store a pair unconditionally (``loa zalo login``): generation + 1, or 1 for the first pair."""
    with store.session() as s:
        row = s.exec(select(ZaloToken).where(ZaloToken.id == ROW_ID).with_for_update()).first()
        if row is None:
            row = ZaloToken(id=ROW_ID, access_token=access_token, refresh_token=refresh_token,
                            expires_at=expires_at, updated_at=now, generation=1)
            s.add(row)
        else:
            row.access_token, row.refresh_token = access_token, refresh_token
            row.expires_at, row.updated_at, row.generation = expires_at, now, row.generation + 1
        s.commit()
        return _pair(row)


def seed_if_empty(store: Store, access_token: str, refresh_token: str, expires_at: datetime,
                  now: datetime) -> TokenPair | None:
    """First start only: copy a pair from the environment if the store has none; never overwrite."""
    with store.session() as s:
        if s.get(ZaloToken, ROW_ID) is not None:
            return None
        row = ZaloToken(id=ROW_ID, access_token=access_token, refresh_token=refresh_token,
                        expires_at=expires_at, updated_at=now, generation=1)
        s.add(row)
        try:
            s.commit()
        except IntegrityError:  # another process seeded at the same moment: theirs stands
            s.rollback()
            return None
        return _pair(row)


def save_if_generation(store: Store, expected_generation: int, access_token: str, refresh_token: str,
                       expires_at: datetime, now: datetime) -> TokenPair | None:
    """Compare-and-set: store the new pair only if the row is still at ``expected_generation``.

    Returns the new pair, or None if another refresher saved first (its pair is the one to use).
    """
    with store.session() as s:
        return _cas(s, expected_generation, access_token, refresh_token, expires_at, now)


def _cas(s: Session, expected: int, access_token: str, refresh_token: str, expires_at: datetime,
         now: datetime) -> TokenPair | None:
    try:
        res = s.execute(
            update(ZaloToken).where(col(ZaloToken.id) == ROW_ID, col(ZaloToken.generation) == expected)
            .values(access_token=access_token, refresh_token=refresh_token, expires_at=expires_at,
                    updated_at=now, generation=expected + 1)
        )
        s.commit()
    except OperationalError:  # SQLite: a concurrent writer won the upgrade to a write lock
        s.rollback()
        return None
    if repo.rowcount(res) != 1:
        return None
    return TokenPair(access_token, refresh_token, expires_at, now, expected + 1)


class RefreshLock:
    """The row as read under the lock, and the one way to replace it while still holding it."""

    def __init__(self, session: Session, pair: TokenPair | None) -> None:
        self._s = session
        self.pair = pair

    def save(self, access_token: str, refresh_token: str, expires_at: datetime, now: datetime) -> TokenPair | None:
        """Compare-and-set against the generation read under the lock; commits (and unlocks)."""
        if self.pair is None:
            return None
        return _cas(self._s, self.pair.generation, access_token, refresh_token, expires_at, now)


@contextmanager
def refresh_lock(store: Store) -> Iterator[RefreshLock]:
    """Hold the token row for one refresh, so a second refresher waits and then finds the new pair.

    PostgreSQL: ``SELECT … FOR UPDATE`` on the row. SQLite has no row locks: ``BEGIN IMMEDIATE``
    takes the database's write lock (readers carry on; other writers wait, for the length of
    one token request — about once a day).
    """
    with store.session() as s:
        if store.dialect == "sqlite":
            s.connection().exec_driver_sql("BEGIN IMMEDIATE")
        row = s.exec(select(ZaloToken).where(ZaloToken.id == ROW_ID).with_for_update()).first()
        lock = RefreshLock(s, _pair(row) if row else None)
        try:
            yield lock
        finally:
            s.rollback()  # releases the lock if save() was not called; a no-op after its commit
