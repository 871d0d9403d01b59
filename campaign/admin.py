"""An admin action as a request, and what it did: the one shape every admin action takes.

The chat commands, the chat buttons and the web dashboard build an ``AdminAction``; one service
(``jobs.admin.perform``) checks the role (auditing a refusal), performs it (each operation audits
itself) and returns an ``Outcome`` that reports itself in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from campaign.config import Config
from campaign.operations import Retraction
from campaign.review import Actor, ReviewResult, decision_text
from campaign.sync import SyncReport
from campaign.texts import t

MAX_PROBLEMS = 10  # problems a sync report lists in chat


class Verb(StrEnum):
    """The admin actions; the value is the ``attempted`` action a refusal is audited under."""

    PAUSE = "pause"
    RESUME = "resume"
    SYNC = "sync"
    RETRY = "retry"  # deliveries back to the queue
    SKIP = "skip"  # deliveries given up (or accepted as sent)
    RETRACT = "retract"  # a published post deleted everywhere
    CORRECT = "correct"  # a published post edited to its approved new content
    OVERRIDE = "override"  # a rejection lifted


ON_POST = (Verb.RETRACT, Verb.CORRECT, Verb.OVERRIDE)
ON_DELIVERIES = (Verb.RETRY, Verb.SKIP)


@dataclass(frozen=True)
class AdminAction:
    verb: Verb
    actor: Actor
    post: str | None = None  # ID or key, for the verbs ``ON_POST``
    deliveries: tuple[int, ...] = ()  # for the verbs ``ON_DELIVERIES``

    def __post_init__(self) -> None:
        if (self.verb in ON_POST) != (self.post is not None) or (self.verb in ON_DELIVERIES) != bool(self.deliveries):
            raise ValueError(f"{self.verb}: post {self.post!r}, deliveries {self.deliveries!r}")


@dataclass(frozen=True)
class Outcome:
    """What an action did; ``report`` says it to the admin."""

    action: AdminAction
    at: datetime
    changed: bool = True  # pause/resume: False when it was so already
    synced: SyncReport | None = None
    retraction: Retraction | None = None
    corrected: tuple[int, ...] = ()  # delivery ids edited
    errors: dict[int, str] = field(default_factory=dict)  # delivery id -> why not
    review: ReviewResult | None = None  # override: the post's new approval state

    def report(self, config: Config, lang: str) -> str:
        verb = self.action.verb
        if verb in (Verb.PAUSE, Verb.RESUME):
            done, same = ("admin.paused", "admin.already_paused") if verb is Verb.PAUSE else ("admin.resumed", "admin.not_paused")
            return t(done if self.changed else same, lang)
        if verb in ON_DELIVERIES:
            ids = ", ".join(f"#{i}" for i in self.action.deliveries)
            return t("admin.retried" if verb is Verb.RETRY else "admin.skipped", lang, ids=ids)
        if self.synced is not None:
            r = self.synced
            head = t("admin.synced", lang, added=len(r.added), changed=len(r.changed), withdrawn=len(r.withdrawn),
                     unchanged=r.unchanged)
            return "\n".join([head, *(str(p) for p in r.problems[:MAX_PROBLEMS])])
        if self.retraction is not None:
            return self.retraction.report(config, lang)
        if self.review is not None:
            res = self.review
            return decision_text(config, res.post, res.state, self.action.actor, res.decision, self.at)
        lines = [t("admin.corrected", lang, id=self.action.post, n=len(self.corrected))]
        return "\n".join([*lines, *(f"❌ #{d}: {e}" for d, e in self.errors.items())])
