"""config.toml declared: one pydantic model per table (or per entry of a table of tables).

Unknown keys are errors (``extra="forbid"``), values are strict (a number is not a string), bounds
are field constraints. Defaults of the settings tables are the dataclasses' own, so they live in one
place (``model.py``). Checks that span tables (a channel named in [alerts] exists, enough approvers)
are the loader's.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from campaign.config.fields import (
    AnchorDay,
    BaseUrl,
    ChannelKind,
    Clock,
    Duration,
    EnvName,
    GraphVersion,
    Language,
    Listen,
    MilestoneId,
    Offsets,
    OnAmbiguous,
    OptionalUrl,
    Phase,
    Point,
    Reminders,
    Roles,
    Strings,
    Text,
    ZaloId,
    Zone,
)
from campaign.config.messages import fail
from campaign.config.model import (
    ApprovalPolicy,
    DeliverySettings,
    FacebookSettings,
    TelegramSettings,
    WebhookSettings,
    WebSettings,
    ZaloSettings,
)
from campaign.config.targets import TELEGRAM_ID_MAX, target_problem

TOP_LEVEL = (
    "campaign", "anchors", "milestones", "channels", "defaults", "people", "approval",
    "reminders", "alerts", "telegram", "zalo", "facebook", "webhook", "delivery", "database", "web",
)


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, arbitrary_types_allowed=True)


class CampaignTable(Table):
    name: Text = ""
    timezone: Zone = ZoneInfo("Asia/Ho_Chi_Minh")
    language: Language = "vi"
    content_dir: Text = "content"
    catch_up: Duration = timedelta(minutes=30)


class MilestoneEntry(Table):
    """One [[milestones]] block; start and end are read against [anchors] (validation context)."""

    id: MilestoneId = Field("", validate_default=True)  # a missing id is reported, not defaulted
    title: Text | None = None
    phase: Phase = "during"
    start: Point
    end: Point | None = None
    description: Text = ""


class ChannelEntry(Table):
    kind: ChannelKind = Field("", validate_default=True)
    target: object = ""  # str or int: checked against the kind below
    label: Text | None = None

    @model_validator(mode="after")
    def _target_fits_kind(self) -> Self:
        target = self.target
        if isinstance(target, bool) or not isinstance(target, str | int) or (self.kind != "console" and target == ""):
            raise fail("config.no_target", at="target")
        if (problem := target_problem(self.kind, target)) is not None:
            raise fail("config.target", at="target", problem=problem)
        return self


class FacebookChannelEntry(ChannelEntry):
    token_env: EnvName = "FACEBOOK_PAGE_TOKEN"  # the NAME of the variable holding the Page access token


class WebhookChannelEntry(ChannelEntry):
    secret_env: EnvName = "LOA_WEBHOOK_SECRET"  # the NAME of the variable holding the HMAC secret


class LedChannelEntry(ChannelEntry):
    rotate_seconds: int = Field(10, ge=3, le=3600)  # how long each post stays on the screen
    recent: int = Field(5, ge=1, le=50)  # how many of the latest posts the screen rotates through


# A kind with keys of its own has its own entry model; every other kind takes only kind, target, label.
CHANNEL_ENTRIES: dict[str, type[ChannelEntry]] = {"facebook_page": FacebookChannelEntry, "webhook": WebhookChannelEntry,
                                                 "led": LedChannelEntry}


class DefaultsTable(Table):
    """[defaults]: the channels a post goes to when it names none."""

    channels: Strings = []


class AlertsTable(Table):
    chats: Strings = []


class PersonEntry(Table):
    name: Text | None = None
    roles: Roles = []
    telegram: int | None = Field(None, ge=1, le=TELEGRAM_ID_MAX)
    zalo: ZaloId | None = None
    language: Language | None = None
    channels: Strings = []  # editor: the channels their drafts may go to (default: all post channels)


class ApprovalTable(Table):
    required: int = Field(ApprovalPolicy.required, ge=1)
    deadline: Duration = ApprovalPolicy.deadline
    reminders: Reminders = []
    chats: Strings = []
    # 0 would ask only when the post is due: held every time
    ask_ahead: Duration = Field(ApprovalPolicy.ask_ahead, ge=timedelta(minutes=1))


class RemindersTable(Table):
    offsets: Offsets = []
    channels: Strings = []
    digest: Clock | None = None
    digest_chats: Strings = []


class DatabaseTable(Table):
    url: Text = ""


class TelegramTable(Table):
    token_env: EnvName = TelegramSettings.token_env
    api_base: BaseUrl = TelegramSettings.api_base
    file_base: BaseUrl = TelegramSettings.file_base
    webhook_secret_env: EnvName = TelegramSettings.webhook_secret_env
    retraction_notice: Text = TelegramSettings.retraction_notice


class ZaloTable(Table):
    oa_token_env: EnvName = ZaloSettings.oa_token_env
    refresh_token_env: EnvName = ZaloSettings.refresh_token_env
    app_id_env: EnvName = ZaloSettings.app_id_env
    secret_key_env: EnvName = ZaloSettings.secret_key_env
    bot_token_env: EnvName = ZaloSettings.bot_token_env
    bot_webhook_secret_env: EnvName = ZaloSettings.bot_webhook_secret_env
    oa_api_base: BaseUrl = ZaloSettings.oa_api_base
    oauth_base: BaseUrl = ZaloSettings.oauth_base
    bot_api_base: BaseUrl = ZaloSettings.bot_api_base
    broadcast_lead: Duration = ZaloSettings.broadcast_lead
    broadcast_quota_per_day: int | None = Field(ZaloSettings.broadcast_quota_per_day, ge=1, le=10_000)
    broadcast_quota_per_month: int | None = Field(ZaloSettings.broadcast_quota_per_month, ge=1, le=300_000)
    image_max_bytes: int = Field(ZaloSettings.image_max_bytes, ge=1, le=1_000_000_000)
    media_base_url: OptionalUrl = ZaloSettings.media_base_url
    default_cover_url: OptionalUrl = ZaloSettings.default_cover_url
    article_author: Text = ZaloSettings.article_author
    redirect_uri: Text = ZaloSettings.redirect_uri
    # 0 would refresh the Zalo token only once it has expired
    refresh_margin: Duration = Field(ZaloSettings.refresh_margin, ge=timedelta(minutes=1))


class FacebookTable(Table):
    api_base: BaseUrl = FacebookSettings.api_base
    graph_version: GraphVersion = FacebookSettings.graph_version
    slow_from_percent: int = Field(FacebookSettings.slow_from_percent, ge=1, le=100)


class WebhookTable(Table):
    media_base_url: OptionalUrl = WebhookSettings.media_base_url
    timeout: Duration = Field(WebhookSettings.timeout, ge=timedelta(seconds=1))  # a receiver's answer


class WebTable(Table):
    listen: Listen = WebSettings.listen  # "host:port", or "" to turn the server off
    public_url: OptionalUrl = WebSettings.public_url


class DeliveryTable(Table):
    max_attempts: int = Field(DeliverySettings.max_attempts, ge=1, le=100)
    backoff: Duration = Field(DeliverySettings.backoff, ge=timedelta(seconds=1))
    backoff_max: Duration = Field(DeliverySettings.backoff_max, ge=timedelta(seconds=1))
    sweep_every: Duration = Field(DeliverySettings.sweep_every, ge=timedelta(seconds=1))  # 0 would spin the scheduler
    on_ambiguous: OnAmbiguous = DeliverySettings.on_ambiguous
    # 0 would give up on the store at its first hiccup
    record_patience: Duration = Field(DeliverySettings.record_patience, ge=timedelta(seconds=1))

    @model_validator(mode="after")
    def _backoff_grows(self) -> Self:
        if self.backoff_max < self.backoff:
            raise fail("config.backoff_order", at="backoff_max")
        return self


ANCHOR: TypeAdapter[date] = TypeAdapter(AnchorDay)  # [anchors] has free keys: each value on its own
