"""Every admin action by one route: check the role, perform, report.

Chat commands, chat buttons and the web dashboard call ``perform`` with an ``AdminAction``. The
role is checked first (a refusal is audited under the action's name, with the post when there is
one); each operation then audits what it did, as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from campaign import operations, review
from campaign.admin import ON_POST, AdminAction, Outcome, Verb
from jobs.engine import Engine


async def perform(engine: Engine, action: AdminAction) -> Outcome:
    """Run ``action`` for its actor; ``NotAllowed`` (audited) unless they are an admin in the config."""
    _authorise(engine, action)
    return await _DO[action.verb](engine, action)


def _authorise(engine: Engine, action: AdminAction) -> None:
    with engine.store.session() as s:
        post = review.find_post(s, action.post) if action.verb in ON_POST and action.post is not None else None
        review.require(s, action.actor, "admin", engine.clock.now(), action.verb.value, post)


async def _pause(engine: Engine, action: AdminAction) -> Outcome:
    changed = operations.pause(engine.store, engine.clock, action.actor, action.verb is Verb.PAUSE)
    return Outcome(action, engine.clock.now(), changed=changed)


async def _sync(engine: Engine, action: AdminAction) -> Outcome:
    return Outcome(action, engine.clock.now(), synced=await engine.resync())


async def _retry(engine: Engine, action: AdminAction) -> Outcome:
    for delivery_id in action.deliveries:
        await engine.retry(action.actor, delivery_id)
    return Outcome(action, engine.clock.now())


async def _skip(engine: Engine, action: AdminAction) -> Outcome:
    for delivery_id in action.deliveries:
        operations.skip_delivery(engine.store, engine.clock, action.actor, delivery_id)
    return Outcome(action, engine.clock.now())


async def _retract(engine: Engine, action: AdminAction) -> Outcome:
    return Outcome(action, engine.clock.now(), retraction=await engine.retract(action.actor, action.post or ""))


async def _correct(engine: Engine, action: AdminAction) -> Outcome:
    done, errors = await engine.correct(action.actor, action.post or "")
    return Outcome(action, engine.clock.now(), corrected=tuple(done), errors=errors)


async def _override(engine: Engine, action: AdminAction) -> Outcome:
    result = review.override(engine.store, engine.config, engine.clock, action.actor, action.post or "")
    return Outcome(action, engine.clock.now(), review=result)


_DO: dict[Verb, Callable[[Engine, AdminAction], Awaitable[Outcome]]] = {
    Verb.PAUSE: _pause, Verb.RESUME: _pause, Verb.SYNC: _sync, Verb.RETRY: _retry, Verb.SKIP: _skip,
    Verb.RETRACT: _retract, Verb.CORRECT: _correct, Verb.OVERRIDE: _override,
}
