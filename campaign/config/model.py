"""What a loaded config.toml is: frozen dataclasses the rest of Loa reads (and tests ``replace``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time, timedelta, tzinfo
from pathlib import Path

from campaign.texts import inline
from campaign.timeexpr import Offset, Span

PHASES = ("before", "during", "after")
ROLES = ("admin", "approver", "editor")
LANGUAGES = ("vi", "en")
ON_AMBIGUOUS = ("ask", "resend")
TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILE_API = "https://api.telegram.org/file/bot"
ZALO_OA_API = "https://openapi.zalo.me"
ZALO_OAUTH_API = "https://oauth.zaloapp.com"
ZALO_BOT_API = "https://bot-api.zaloplatforms.com"
FACEBOOK_GRAPH_API = "https://graph.facebook.com"


@dataclass(frozen=True)
class Milestone:
    id: str
    title: str
    phase: str
    span: Span
    description: str = ""


@dataclass(frozen=True)
class ChannelConfig:
    key: str
    kind: str
    target: str
    label: str
    token_env: str = ""  # facebook_page: the variable holding the Page access token
    secret_env: str = ""  # webhook: the variable holding the HMAC secret
    rotate_seconds: int = 10  # led: seconds each post stays on the screen
    recent: int = 5  # led: how many of the latest posts the screen rotates through


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    roles: frozenset[str]
    telegram: int | None = None
    zalo: str | None = None
    language: str | None = None
    channels: tuple[str, ...] = ()  # the channels this person may write drafts for; () = all

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_approver(self) -> bool:
        return "approver" in self.roles or self.is_admin

    @property
    def is_editor(self) -> bool:
        """May write drafts from chat (``/moi``): editors, and admins, who may do everything."""
        return "editor" in self.roles or self.is_admin


@dataclass(frozen=True)
class ApprovalPolicy:
    required: int = 1
    deadline: timedelta = timedelta(hours=2)
    reminders: tuple[timedelta, ...] = ()
    chats: tuple[str, ...] = ()
    ask_ahead: timedelta = timedelta(days=3)  # requests go out for posts due within this window


@dataclass(frozen=True)
class ReminderPolicy:
    offsets: tuple[tuple[str, Offset], ...] = ()
    channels: tuple[str, ...] = ()
    digest: time | None = None
    digest_chats: tuple[str, ...] = ()


@dataclass(frozen=True)
class TelegramSettings:
    token_env: str = "TELEGRAM_BOT_TOKEN"
    api_base: str = TELEGRAM_API
    file_base: str = TELEGRAM_FILE_API
    webhook_secret_env: str = "TELEGRAM_WEBHOOK_SECRET"
    # what a retracted post becomes where Telegram refuses to delete it (older than 48 h, no right); "" = leave it
    retraction_notice: str = inline("config.retraction_notice")


@dataclass(frozen=True)
class ZaloSettings:
    oa_token_env: str = "ZALO_OA_ACCESS_TOKEN"
    refresh_token_env: str = "ZALO_OA_REFRESH_TOKEN"
    app_id_env: str = "ZALO_APP_ID"
    secret_key_env: str = "ZALO_APP_SECRET"
    bot_token_env: str = "ZALO_BOT_TOKEN"
    bot_webhook_secret_env: str = "ZALO_BOT_WEBHOOK_SECRET"
    oa_api_base: str = ZALO_OA_API
    oauth_base: str = ZALO_OAUTH_API
    bot_api_base: str = ZALO_BOT_API
    broadcast_lead: timedelta = timedelta(0)
    broadcast_quota_per_day: int | None = None
    broadcast_quota_per_month: int | None = None
    image_max_bytes: int = 1_000_000
    media_base_url: str = ""  # public URL of content/ (Zalo takes article covers and bot photos by URL)
    default_cover_url: str = ""  # cover for broadcast articles of posts without an image
    article_author: str = ""
    redirect_uri: str = ""  # the app's callback URL registered at developers.zalo.me (`loa zalo login`)
    refresh_margin: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class FacebookSettings:
    api_base: str = FACEBOOK_GRAPH_API
    graph_version: str = "v21.0"
    # Usage (X-App-Usage / X-Business-Use-Case-Usage, in %) from which sends are spaced out, before Facebook throttles
    slow_from_percent: int = 75


@dataclass(frozen=True)
class WebhookSettings:
    media_base_url: str = ""  # public URL of content/, for the media URLs in webhook documents ("" = [zalo] media_base_url)
    timeout: timedelta = timedelta(seconds=20)  # how long to wait for a receiver's answer


LISTEN_RE = re.compile(r"(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(?P<port>[0-9]{1,5})")


@dataclass(frozen=True)
class WebSettings:
    """The HTTP server inside ``loa run`` (feeds, LED screens, /healthz, /metrics); listen "" turns it off."""

    listen: str = "127.0.0.1:8080"
    public_url: str = ""  # how the world reaches it (links and enclosures in feeds); "" = the address asked

    @property
    def address(self) -> tuple[str, int] | None:
        """(host, port) to listen on, or None when the server is off."""
        return parse_listen(self.listen)


def parse_listen(text: str) -> tuple[str, int] | None:
    """"host:port" -> (host, port); "" -> None; ValueError for anything else."""
    if text == "":
        return None
    m = LISTEN_RE.fullmatch(text)
    if m is None or not 0 <= int(m.group("port")) < 65536:  # 0: any free port (tests)
        raise ValueError(text)
    return m.group("host").strip("[]"), int(m.group("port"))


@dataclass(frozen=True)
class DeliverySettings:
    max_attempts: int = 6
    backoff: timedelta = timedelta(seconds=2)
    backoff_max: timedelta = timedelta(minutes=5)
    sweep_every: timedelta = timedelta(seconds=5)
    on_ambiguous: str = "ask"  # a send that may have arrived: "ask" the admins, or "resend" (risking a duplicate)
    record_patience: timedelta = timedelta(minutes=2)  # how long to retry recording a send while the store is down


@dataclass(frozen=True)
class Config:
    path: Path
    name: str
    tz: tzinfo
    language: str
    content_dir: Path
    catch_up: timedelta
    anchors: dict[str, date]
    milestones: tuple[Milestone, ...]
    channels: dict[str, ChannelConfig]
    default_channels: tuple[str, ...]
    people: dict[str, Person]
    approval: ApprovalPolicy
    reminders: ReminderPolicy
    alert_chats: tuple[str, ...]
    telegram: TelegramSettings
    zalo: ZaloSettings
    delivery: DeliverySettings
    database_url: str
    facebook: FacebookSettings = field(default_factory=FacebookSettings)
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    web: WebSettings = field(default_factory=WebSettings)
    milestone_lines: dict[str, int] = field(default_factory=dict, compare=False)
    channel_lines: dict[str, int] = field(default_factory=dict, compare=False)  # line of each channel's target

    def milestone(self, milestone_id: str) -> Milestone | None:
        return next((m for m in self.milestones if m.id == milestone_id), None)

    @property
    def approver_count(self) -> int:
        """How many people may approve a post: no post may need more approvals than this."""
        return count_approvers(self.people)

    def person_by_telegram(self, user_id: int) -> Person | None:
        return next((p for p in self.people.values() if p.telegram == user_id), None)

    def person_by_zalo(self, user_id: str) -> Person | None:
        return next((p for p in self.people.values() if p.zalo == user_id), None)

    @property
    def zone_name(self) -> str:
        return str(self.tz)


def count_approvers(people: dict[str, Person]) -> int:
    return sum(p.is_approver for p in people.values())
