"""Logging set-up: secrets named in config are masked in every record, whatever logs them."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from campaign.config import Config


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        record.msg, record.args = self.scrub(record.getMessage()), None
        return True


def secret_values(config: Config, env: dict[str, str] | None = None) -> list[str]:
    env = dict(os.environ) if env is None else env
    names = [config.telegram.token_env, config.telegram.webhook_secret_env, config.zalo.oa_token_env,
             config.zalo.refresh_token_env, config.zalo.secret_key_env, config.zalo.bot_token_env,
             config.zalo.bot_webhook_secret_env]
    return [env.get(n, "") for n in names]


def setup_logging(config: Config, level: int = logging.INFO, extra_secrets: Iterable[str] = ()) -> RedactSecrets:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    redact = RedactSecrets([*secret_values(config), *extra_secrets])
    handler.addFilter(redact)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "urllib3.connectionpool", "apscheduler.executors", "apscheduler.scheduler",
                  "watchfiles", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return redact


class _AlertShownElsewhere(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == ALERT_LOGGER and str(record.msg).startswith("alert "))


ALERT_LOGGER = "campaign.deliveries"  # campaign.deliveries.alert logs each alert once, for when the chats are down
_QUIET_ALERTS = _AlertShownElsewhere()


@contextmanager
def alerts_on_console(shown: bool) -> Iterator[None]:
    """While it lasts, when every alert chat prints to this console (offline, a rehearsal), the alert's
    log line would say it a second time: it is left out of the log."""
    logger = logging.getLogger(ALERT_LOGGER)
    if shown:
        logger.addFilter(_QUIET_ALERTS)
    try:
        yield
    finally:
        logger.removeFilter(_QUIET_ALERTS)
