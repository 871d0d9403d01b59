"""Unexpected errors in the running service: logged with the traceback once, the admins told once.

The same failure repeating (a job failing on every sweep, the watcher on every save) would
otherwise fill the log with identical tracebacks every few seconds and bury the first one.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.logs import RedactSecrets, secret_values
from campaign.clock import Clock
from campaign.config import Config
from campaign.deliveries import raise_alert
from campaign.store.db import Store
from campaign.texts import both

log = logging.getLogger(__name__)


@dataclass
class Incidents:
    store: Store
    config: Config
    clock: Clock
    on_alert: Callable[[], object] | None = None  # e.g. the deliverer's start_ready: send the alert now
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def report(self, where: str, exc: BaseException) -> bool:
        """Log and alert the first time this failure is seen here; returns whether it was new."""
        what = f"{type(exc).__name__}: {exc}"[:300]
        key = (where, what)
        self.counts[key] = self.counts.get(key, 0) + 1
        if self.counts[key] > 1:
            log.debug("%s failed again (%d times): %s", where, self.counts[key], what)
            return False
        log.error("%s failed: %s", where, what, exc_info=exc)
        digest = hashlib.sha1(what.encode()).hexdigest()[:10]
        try:  # once a day per kind in the admins' chat, however often the process restarts
            raise_alert(self.store, self.config, self.clock, f"error:{where}:{digest}:{self.clock.now():%Y%m%d}",
                        both("alert.error", where=where, error=RedactSecrets(secret_values(self.config)).scrub(what)))
            if self.on_alert is not None:
                self.on_alert()
        except Exception as alert_exc:  # noqa: BLE001 - the store may be what fails; the log line above stands
            log.warning("could not record the alert for %s: %s", where, alert_exc)
        return True
