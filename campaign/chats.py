"""Chats that change their id: a Telegram group upgraded to a supergroup.

Telegram refuses anything sent to the old id and names the new one. Loa follows it at once,
remembers the pair in the store (``chat_moves``) and tells the admins once which channel of
``config.toml`` to update; until they do, every send, edit and delete is routed here. A move is
also learned from the chat's service messages (``migrate_to_chat_id`` / ``migrate_from_chat_id``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from campaign.clock import Clock
from campaign.config import Config
from campaign.deliveries import alert
from campaign.errors import Problem
from campaign.states import AuditAction
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import ChatMove
from campaign.texts import both, pair

log = logging.getLogger(__name__)
MAX_HOPS = 5  # a group is upgraded once; the bound only guards against a cycle in bad data


class Routes:
    """Where to send now: the moves are read once and kept (they are few and rare).

    A fan-out to 300 chats must not make 300 reads before its first send. Call ``forget`` after
    learning a move; one recorded by another process shows up as a refused send, which is followed
    and makes this process forget too.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._moves: dict[str, list[ChatMove]] | None = None

    def current(self, kind: str, target: str) -> str:
        if self._moves is None:
            with self.store.session() as s:
                self._moves = {}
                for m in repo.all_chat_moves(s):
                    self._moves.setdefault(m.kind, []).append(m)
        return _follow(self._moves.get(kind, []), target, None)

    def forget(self) -> None:
        self._moves = None


def where_sent(store: Store, kind: str, target: str, sent_at: datetime | None) -> str:
    """The chat a message sent at ``sent_at`` lives in: moves learned after it do not apply to it."""
    with store.session() as s:
        return _follow(repo.chat_moves(s, kind), target, sent_at)


def _follow(moves: Sequence[ChatMove], target: str, before: datetime | None) -> str:
    to = {m.old_chat: m.new_chat for m in moves if before is None or m.at <= before}
    for _ in range(MAX_HOPS):
        if target not in to:
            break
        target = to[target]
    return target


def record_move(store: Store, config: Config, clock: Clock, kind: str, old: str, new: str, *, source: str) -> bool:
    """Remember ``old`` -> ``new``; the first time, audit it and alert the admins. True if it was new."""
    now = clock.now()
    keys = channels_at(config, kind, old)
    with store.session() as s:
        if not repo.add_chat_move(s, kind, old, new, now, source):
            return False
        repo.audit(s, now, kind, AuditAction.CHAT_MOVED, old=old, new=new, source=source,
                   channels=keys)
        alert(s, config, now, f"chat_moved:{kind}:{old}:{new}", both(
            "alert.chat_moved", old=old, new=new,
            channels=", ".join(f"«{config.channels[k].label}» [channels.{k}]" for k in keys) or "—"))
        try:
            s.commit()
        except IntegrityError:  # another send learned it at the same moment
            return False
    log.warning("chat %s moved to %s (%s); channels %s should be updated in %s", old, new, source, keys, config.path.name)
    return True


def channels_at(config: Config, kind: str, chat: str) -> list[str]:
    """Keys of the channels whose configured target is ``chat``."""
    return [k for k, ch in config.channels.items() if ch.kind == kind and ch.target == chat]


def config_warnings(store: Store, config: Config) -> list[Problem]:
    """``loa check``: channels whose target is a chat that has moved (config.toml not updated yet)."""
    with store.session() as s:
        moves = {kind: list(repo.chat_moves(s, kind)) for kind in {ch.kind for ch in config.channels.values()}}
    out = []
    for key, ch in config.channels.items():
        now = _follow(moves.get(ch.kind, []), ch.target, None)
        if now != ch.target:
            out.append(Problem(config.path, config.channel_lines.get(key), " / ".join(pair(
                "check.chat_moved", key=key, old=ch.target, new=now)), "warning"))
    return out
