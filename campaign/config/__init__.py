"""config.toml -> a validated, immutable ``Config``.

``model`` holds what a config is (frozen dataclasses), ``schema`` declares the file (pydantic models,
one per table, built from the value kinds in ``fields``), ``lines`` reads it and finds each key's
line, ``messages`` turns validation errors into the catalog's "vi / en" sentences, and ``loader``
puts them together. ``targets`` is the seam to the channel-kind vocabulary.
"""

from __future__ import annotations

from campaign.config.fields import ENV_NAME_RE, url_problem
from campaign.config.loader import load_config
from campaign.config.model import (
    FACEBOOK_GRAPH_API,
    LANGUAGES,
    ON_AMBIGUOUS,
    PHASES,
    ROLES,
    TELEGRAM_API,
    TELEGRAM_FILE_API,
    ZALO_BOT_API,
    ZALO_OA_API,
    ZALO_OAUTH_API,
    ApprovalPolicy,
    ChannelConfig,
    Config,
    DeliverySettings,
    FacebookSettings,
    Milestone,
    Person,
    RehearsalShift,
    RelaySource,
    ReminderPolicy,
    TelegramSettings,
    Unit,
    WebhookSettings,
    WebSettings,
    ZaloSettings,
    count_approvers,
    parse_listen,
)
from campaign.config.targets import (
    CHANNEL_KINDS,
    PULL_KINDS,
    TELEGRAM_ID_MAX,
    TELEGRAM_TARGET_RE,
    ZALO_BROADCAST_RE,
    ZALO_ID_RE,
    target_problem,
)

__all__ = [
    "CHANNEL_KINDS", "ENV_NAME_RE", "FACEBOOK_GRAPH_API", "LANGUAGES", "ON_AMBIGUOUS", "PHASES", "ROLES", "TELEGRAM_API",
    "TELEGRAM_FILE_API", "TELEGRAM_ID_MAX", "TELEGRAM_TARGET_RE", "ZALO_BOT_API", "ZALO_BROADCAST_RE",
    "ZALO_ID_RE", "ZALO_OAUTH_API", "ZALO_OA_API", "ApprovalPolicy", "ChannelConfig", "Config",
    "DeliverySettings", "FacebookSettings", "WebhookSettings", "WebSettings", "PULL_KINDS", "parse_listen", "Milestone", "Person", "RehearsalShift", "RelaySource", "ReminderPolicy", "TelegramSettings", "Unit", "ZaloSettings",
    "count_approvers", "load_config", "target_problem", "url_problem",
]
