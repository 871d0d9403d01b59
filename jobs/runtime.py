"""Where module-level job functions find the running engine (jobs carry only ids)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobs.engine import Engine

_engine: Engine | None = None


def install(engine: Engine | None) -> None:
    global _engine
    _engine = engine


def engine() -> Engine:
    if _engine is None:
        raise RuntimeError("no engine is running")
    return _engine


async def publish_job(key: str) -> None:
    await engine().publish(key)


async def broadcast_job(key: str) -> None:
    await engine().publish_early(key)


async def remind_job(ref: str) -> None:
    await engine().remind(ref)


async def approval_job(key: str, kind: str) -> None:
    await engine().approval_check(key, kind)


async def digest_job() -> None:
    await engine().digest()


async def horizon_job() -> None:
    engine().reconcile()


async def sweep_job() -> None:
    await engine().sweep()


async def share_nudge_job(unit_id: str) -> None:
    await engine().share_nudge(unit_id)


async def relay_job(source_id: str) -> None:
    await engine().relay.poll(source_id)
