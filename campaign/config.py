"""config.toml -> a validated, immutable ``Config``.

``tomllib`` parses; it reports syntax errors with a line but keeps no positions for keys, so
``_KeyLines`` (a small line scanner, written by hand for that reason) finds the line of each key
for semantic errors. Every problem is collected, so an admin fixes them all in one pass.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaign.errors import CONTROL_RE, ConfigError, Problem, TimeExpressionError
from campaign.timeexpr import (
    Offset,
    Span,
    check_day,
    make_span,
    parse_clock,
    parse_duration,
    parse_offset,
    parse_point,
)

CHANNEL_KINDS = ("telegram", "zalo_oa_group", "zalo_oa_broadcast", "zalo_bot", "console", "feed", "led")
PULL_KINDS = ("feed", "led")  # kinds nobody sends to: what is published to them is served by web/
PHASES = ("before", "during", "after")
ROLES = ("admin", "approver")
LANGUAGES = ("vi", "en")
TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILE_API = "https://api.telegram.org/file/bot"
ZALO_OA_API = "https://openapi.zalo.me"
ZALO_OAUTH_API = "https://oauth.zaloapp.com"
ZALO_BOT_API = "https://bot-api.zaloplatforms.com"
_KEY_RE = re.compile(r"[a-z0-9_]+")
_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
# What each platform accepts as a target or a person's id (checked here, not at the first send).
TELEGRAM_TARGET_RE = re.compile(r"@[A-Za-z][A-Za-z0-9_]{2,31}|-?[1-9][0-9]{0,18}")
ZALO_ID_RE = re.compile(r"[A-Za-z0-9_]{1,64}")  # Zalo user, group and bot chat ids: digits or hex
ZALO_BROADCAST_RE = re.compile(r"followers(?::\s*[a-z_]+\s*=\s*[A-Za-z0-9_-]+(?:\s*,\s*[a-z_]+\s*=\s*[A-Za-z0-9_-]+)*)?")
PULL_TARGET_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # a feed's or LED screen's name in its URL
LISTEN_RE = re.compile(r"(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(?P<port>[0-9]{1,5})")
ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
TELEGRAM_ID_MAX = 2**63 - 1


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

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_approver(self) -> bool:
        return "approver" in self.roles or self.is_admin


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
    retraction_notice: str = "Tin này đã được thu hồi. / This post has been withdrawn."


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
class DeliverySettings:
    max_attempts: int = 6
    backoff: timedelta = timedelta(seconds=2)
    backoff_max: timedelta = timedelta(minutes=5)
    sweep_every: timedelta = timedelta(seconds=5)
    on_ambiguous: str = "ask"  # a send that may have arrived: "ask" the admins, or "resend" (risking a duplicate)
    record_patience: timedelta = timedelta(minutes=2)  # how long to retry recording a send while the store is down


ON_AMBIGUOUS = ("ask", "resend")


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
    milestone_lines: dict[str, int] = field(default_factory=dict, compare=False)
    web: WebSettings = field(default_factory=WebSettings)
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


def load_config(path: Path | str, *, content_dir: Path | str | None = None, env: dict[str, str] | None = None) -> Config:
    """Read and validate config.toml; raise ``ConfigError`` listing every problem with its line."""
    path = Path(path)
    env = os.environ if env is None else env
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError([Problem(path, None, f"không đọc được tệp / cannot read the file: {exc.strerror}")]) from None
    try:
        text = data.decode("utf-8-sig")  # a BOM, as some Windows editors write, is fine
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError([Problem(path, line, "tệp không phải UTF-8 / the file is not UTF-8")]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+)", str(exc))
        raise ConfigError([Problem(path, int(m.group(1)) if m else None, f"TOML không hợp lệ / invalid TOML: {exc}")]) from None
    except RecursionError:
        raise ConfigError([Problem(path, None, "mảng hoặc bảng lồng nhau quá sâu / arrays or tables nested too deeply")]) from None
    return _Builder(path, raw, _KeyLines(text), content_dir, env).build()


class _KeyLines:
    """Line numbers of tables and keys in a TOML text, for error messages."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        counts: dict[tuple[str, ...], int] = {}
        for no, line in enumerate(text.splitlines(), start=1):
            s = line.strip()
            if m := re.match(r"\[\[\s*([^\]]+?)\s*\]\]", s):
                name = tuple(_split_key(m.group(1)))
                counts[name] = counts.get(name, -1) + 1
                table = (*name, str(counts[name]))
                self._record(table, no)
            elif m := re.match(r"\[\s*([^\]]+?)\s*\]", s):
                table = tuple(_split_key(m.group(1)))
                self._record(table, no)
            elif m := re.match(r"""((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""", s):
                self._record((*table, *_split_key(m.group(1))), no)

    def _record(self, key: tuple[str, ...], no: int) -> None:
        """The first line of ``key`` and of every table it implies (``[a.b.c]`` defines ``a`` and ``a.b``)."""
        for end in range(len(key), 0, -1):
            if self.lines.setdefault(key[:end], no) != no:
                break

    def of(self, *key: str | int) -> int | None:
        parts = tuple(str(k) for k in key)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return None


def _split_key(key: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.findall(r"""(?:"[^"]*"|'[^']*'|[^.]+)""", key)]


class _Builder:
    def __init__(self, path: Path, raw: dict[str, Any], lines: _KeyLines, content_dir: Path | str | None, env: Any) -> None:
        self.path, self.raw, self.lines, self.env = path, raw, lines, env
        self.content_override = Path(content_dir) if content_dir else None
        self.problems: list[Problem] = []

    def err(self, message: str, *key: str | int) -> None:
        self.problems.append(Problem(self.path, self.lines.of(*key), message))

    def table(self, name: str, allowed: set[str], *, required: bool = False) -> dict[str, Any]:
        value = self.raw.get(name, {})
        if name not in self.raw and required:
            self.err(f"thiếu bảng [{name}] / missing table [{name}]")
        if not isinstance(value, dict):
            self.err(f"[{name}] phải là một bảng / must be a table", name)
            return {}
        self.unknown(value, allowed, name)
        return value

    def subtables(self, name: str) -> dict[str, Any]:
        """``[name.<key>]`` tables (channels, people) as a dict, or {} after an error."""
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            self.err(f"[{name}] phải là một bảng / must be a table", name)
            return {}
        return value

    def unknown(self, value: dict[str, Any], allowed: set[str], *key: str | int) -> None:
        for k in value:
            if k not in allowed:
                where = ".".join(str(x) for x in (*key, k))
                self.err(f"khóa không được hỗ trợ '{where}' / unknown key '{where}' (allowed: {', '.join(sorted(allowed))})", *key, k)

    def get(self, value: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any, *where: str | int) -> Any:
        if key not in value:
            return default
        v = value[key]
        if not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.err(f"'{key}' phải là {names} / '{key}' must be {names}", *where, key)
            return default
        if isinstance(v, str) and (m := CONTROL_RE.search(v)):
            self.err(f"'{key}' chứa ký tự điều khiển U+{ord(m.group()):04X} / '{key}' contains the control character "
                     f"U+{ord(m.group()):04X}", *where, key)
            return default
        if isinstance(v, list):
            return self.items(v, key, *where)
        return v

    def items(self, values: list[Any], key: str, *where: str | int) -> list[str]:
        """A list of plain strings (channel keys, roles, durations): anything else is reported, not used."""
        out = []
        for v in values:
            if not isinstance(v, str) or CONTROL_RE.search(v):
                self.err(f"'{key}' chỉ gồm chuỗi ký tự / '{key}' must be a list of strings, got {_short(v)}", *where, key)
            else:
                out.append(v)
        return out

    def parsed(self, parse: Callable[[str], Any], value: dict[str, Any], key: str, default: Any, *where: str | int) -> Any:
        text = self.get(value, key, str, None, *where)
        if text is None:
            return default
        try:
            return parse(text)
        except TimeExpressionError as exc:
            self.err(f"'{key}': {exc}", *where, key)
            return default

    def at_least(self, value: Any, low: Any, key: str, *where: str | int, high: Any = None) -> bool:
        """Report ``value`` outside low..high (numbers, or durations shown as "1s")."""
        if value is None or (value >= low and (high is None or value <= high)):
            return True

        def show(v: Any) -> str:
            return _duration_text(v) if isinstance(v, timedelta) else f"{v}"

        if high is None:
            self.err(f"'{key}' phải ≥ {show(low)}, không phải {show(value)} / '{key}' must be at least {show(low)}, "
                     f"not {show(value)}", *where, key)
        else:
            self.err(f"'{key}' phải từ {show(low)} đến {show(high)}, không phải {show(value)} / '{key}' must be between "
                     f"{show(low)} and {show(high)}, not {show(value)}", *where, key)
        return False

    def build(self) -> Config:
        for k in self.raw:
            if k not in _TOP_LEVEL:
                self.err(f"bảng không được hỗ trợ [{k}] / unknown table [{k}] (allowed: {', '.join(_TOP_LEVEL)})", k)
        c = self.table("campaign", {"name", "timezone", "language", "content_dir", "catch_up"}, required=True)
        name = self.get(c, "name", str, "", "campaign") or ""
        if not name.strip():
            self.err("thiếu tên chiến dịch / missing campaign.name", "campaign")
        tz_name = self.get(c, "timezone", str, "Asia/Ho_Chi_Minh", "campaign")
        try:
            tz: tzinfo = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self.err(f"múi giờ không tồn tại '{tz_name}' / unknown time zone '{tz_name}'", "campaign", "timezone")
            tz = ZoneInfo("Asia/Ho_Chi_Minh")
        language = self.get(c, "language", str, "vi", "campaign")
        if language not in LANGUAGES:
            self.err(f"ngôn ngữ phải là vi hoặc en / language must be vi or en, not '{language}'", "campaign", "language")
        base = self.path.parent
        content_dir = self.content_override or base / self.get(c, "content_dir", str, "content", "campaign")
        catch_up = self.parsed(parse_duration, c, "catch_up", timedelta(minutes=30), "campaign")

        anchors = self.anchors()
        milestones, milestone_lines = self.milestones(anchors, tz)
        channels = self.channels()
        defaults = self.table("defaults", {"channels"})
        default_channels = self.channel_list(defaults, "channels", channels, "defaults") or tuple(channels)[:1]
        people = self.people()
        approval = self.approval(channels, people)
        reminders = self.reminders(channels)
        alerts = self.table("alerts", {"chats"})
        alert_chats = self.channel_list(alerts, "chats", channels, "alerts")
        telegram = self.settings("telegram", TelegramSettings)
        zalo = self.settings("zalo", ZaloSettings)
        delivery = self.settings("delivery", DeliverySettings)
        if delivery.on_ambiguous not in ON_AMBIGUOUS:
            self.err(f"on_ambiguous phải là \"ask\" hoặc \"resend\" / on_ambiguous must be \"ask\" or \"resend\", "
                     f"not '{delivery.on_ambiguous}'", "delivery", "on_ambiguous")
        web = self.web()
        db = self.table("database", {"url"})
        url = self.env.get("LOA_DATABASE_URL") or self.get(db, "url", str, "", "database") or f"sqlite:///{base / 'data' / 'loa.db'}"
        if self.problems:
            raise ConfigError(self.problems)
        return Config(
            path=self.path, name=name, tz=tz, language=language, content_dir=content_dir.resolve(),
            catch_up=catch_up, anchors=anchors, milestones=milestones, channels=channels,
            default_channels=default_channels, people=people, approval=approval, reminders=reminders,
            alert_chats=alert_chats, telegram=telegram, zalo=zalo, delivery=delivery, database_url=url,
            milestone_lines=milestone_lines, web=web,
            channel_lines={k: line for k in channels if (line := self.lines.of("channels", k, "target"))},
        )

    def web(self) -> WebSettings:
        """[web]: listen is "host:port" or "" (off); public_url an http(s) URL."""
        w: WebSettings = self.settings("web", WebSettings)
        try:
            parse_listen(w.listen)
        except ValueError:
            self.err(f"'listen' phải là \"địa_chỉ:cổng\" (ví dụ \"127.0.0.1:8080\") hoặc \"\" để tắt, không phải {_short(w.listen)} / "
                     f"'listen' must be \"host:port\" (e.g. \"127.0.0.1:8080\") or \"\" to turn the server off, "
                     f"not {_short(w.listen)}", "web", "listen")
            return WebSettings(listen="", public_url=w.public_url)
        return w

    def anchors(self) -> dict[str, date]:
        anchors: dict[str, date] = {}
        for k, v in self.subtables("anchors").items():
            try:
                if isinstance(v, date) and not isinstance(v, datetime):
                    anchors[k] = check_day(v, v)
                elif isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
                    try:
                        anchors[k] = check_day(date.fromisoformat(v), v)
                    except ValueError:
                        self.err(f"ngày không hợp lệ '{v}' / invalid date '{v}'", "anchors", k)
                else:
                    self.err(f"mốc neo '{k}' phải là ngày YYYY-MM-DD / anchor '{k}' must be a date YYYY-MM-DD", "anchors", k)
            except TimeExpressionError as exc:
                self.err(f"mốc neo '{k}': {exc}", "anchors", k)
        return anchors

    def milestones(self, anchors: dict[str, date], tz: tzinfo) -> tuple[tuple[Milestone, ...], dict[str, int]]:
        out: list[Milestone] = []
        lines: dict[str, int] = {}
        items = self.raw.get("milestones", [])
        if not isinstance(items, list):
            self.err("'milestones' phải là [[milestones]] / must be an array of tables", "milestones")
            return (), {}
        for i, m in enumerate(items):
            where = ("milestones", i)
            if not isinstance(m, dict):
                self.err("'milestones' phải là [[milestones]] / must be an array of tables", "milestones")
                continue
            self.unknown(m, {"id", "title", "phase", "start", "end", "description"}, *where)
            mid = self.get(m, "id", str, "", *where)
            if not _ID_RE.fullmatch(mid or ""):
                self.err(f"id của mốc phải gồm a-z, 0-9, '-' / milestone id must match [a-z0-9-]+, got {_short(mid)}", *where, "id")
                continue
            if mid in lines:
                self.err(f"id mốc trùng '{mid}' / duplicate milestone id '{mid}'", *where, "id")
                continue
            phase = self.get(m, "phase", str, "during", *where)
            if phase not in PHASES:
                self.err(f"phase phải là before, during hoặc after / phase must be before, during or after, not {_short(phase)}", *where, "phase")
            if "start" not in m:
                self.err(f"mốc '{mid}' thiếu 'start' / milestone '{mid}' has no 'start'", *where)
                continue
            points = {}
            for key in ("start", "end"):
                try:
                    points[key] = parse_point(m.get(key, m["start"]), anchors, tz)
                except TimeExpressionError as exc:
                    self.err(f"'{key}': {exc}", *where, key)
            if len(points) < 2:
                continue
            try:
                span = make_span(points["start"], points["end"], tz)
            except TimeExpressionError as exc:
                self.err(f"mốc '{mid}': {exc}", *where, "end")
                continue
            lines[mid] = self.lines.of(*where) or 0
            out.append(Milestone(mid, self.get(m, "title", str, mid, *where), phase, span, self.get(m, "description", str, "", *where)))
        out.sort(key=lambda ms: ms.span.start)
        return tuple(out), lines

    def channels(self) -> dict[str, ChannelConfig]:
        out: dict[str, ChannelConfig] = {}
        raw = self.subtables("channels")
        if not raw:
            self.err("cần ít nhất một kênh trong [channels.<khóa>] / at least one [channels.<key>] is needed")
        for key, c in raw.items():
            if not isinstance(c, dict):
                self.err(f"[channels.{key}] phải là một bảng / must be a table", "channels", key)
                continue
            kind = self.get(c, "kind", str, "", "channels", key)
            self.unknown(c, {"kind", "target", "label", *(_LED_KEYS if kind == "led" else ())}, "channels", key)
            if not _KEY_RE.fullmatch(key):
                self.err(f"khóa kênh '{key}' chỉ gồm a-z, 0-9, _ / channel key must match [a-z0-9_]+", "channels", key)
            if kind not in CHANNEL_KINDS:
                self.err(f"loại kênh {_short(kind)} không hỗ trợ / unknown channel kind {_short(kind)} (allowed: {', '.join(CHANNEL_KINDS)})", "channels", key, "kind")
                continue
            target = c.get("target", key.replace("_", "-") if kind in PULL_KINDS else "")
            if isinstance(target, bool) or not isinstance(target, (str, int)) or (kind != "console" and target == ""):
                self.err(f"kênh '{key}' thiếu 'target' / channel '{key}' needs a 'target'", "channels", key, "target")
                continue
            if (problem := target_problem(kind, target)) is not None:
                self.err(f"kênh '{key}': {problem}", "channels", key, "target")
                continue
            if kind in PULL_KINDS and (other := next((o.key for o in out.values() if o.kind == kind and o.target == target), None)):
                self.err(f"kênh '{key}': đích '{target}' đã dùng cho kênh '{other}' / target '{target}' is already channel "
                         f"'{other}''s: one address per {kind}", "channels", key, "target")
                continue
            led: dict[str, int] = {}
            for name, default in _LED_KEYS.items():
                value = self.get(c, name, int, default[0], "channels", key)
                led[name] = value if self.at_least(value, default[1], name, "channels", key, high=default[2]) else default[0]
            out[key] = ChannelConfig(key, kind, str(target), self.get(c, "label", str, key, "channels", key), **led)
        return out

    def channel_list(self, value: dict[str, Any], key: str, channels: dict[str, ChannelConfig], *where: str) -> tuple[str, ...]:
        items = self.get(value, key, list, [], *where)
        for ch in items:
            if ch not in channels:
                self.err(f"kênh chưa khai báo '{ch}' / unknown channel '{ch}' (known: {', '.join(channels)})", *where, key)
        return tuple(ch for ch in items if ch in channels)

    def people(self) -> dict[str, Person]:
        out: dict[str, Person] = {}
        owners: dict[tuple[str, object], str] = {}  # (platform, id) -> person key: one person per platform id
        for key, p in self.subtables("people").items():
            if not isinstance(p, dict):
                self.err(f"[people.{key}] phải là một bảng / must be a table", "people", key)
                continue
            self.unknown(p, {"name", "roles", "telegram", "zalo", "language"}, "people", key)
            roles = self.get(p, "roles", list, [], "people", key)
            for r in roles:
                if r not in ROLES:
                    self.err(f"vai trò {_short(r)} không hợp lệ / unknown role {_short(r)} (allowed: admin, approver)", "people", key, "roles")
            language = self.get(p, "language", str, None, "people", key)
            if language is not None and language not in LANGUAGES:
                self.err("ngôn ngữ phải là vi hoặc en / language must be vi or en", "people", key, "language")
            telegram = self.get(p, "telegram", int, None, "people", key)
            if not self.at_least(telegram, 1, "telegram", "people", key, high=TELEGRAM_ID_MAX):
                telegram = None
            zalo = p.get("zalo")
            if zalo is not None and (isinstance(zalo, bool) or not isinstance(zalo, (str, int)) or not ZALO_ID_RE.fullmatch(str(zalo))):
                self.err(f"'zalo' phải là id Zalo (chữ số hoặc chữ cái, không dấu cách) / 'zalo' must be a Zalo id "
                         f"(digits or letters, no spaces), got {_short(zalo)}", "people", key, "zalo")
                zalo = None
            for platform, pid in (("telegram", telegram), ("zalo", None if zalo is None else str(zalo))):
                if pid is None:
                    continue
                if (other := owners.setdefault((platform, pid), key)) != key:
                    self.err(f"id {platform} {pid} đã thuộc về [people.{other}] / {platform} id {pid} already belongs to "
                             f"[people.{other}]: one person per id", "people", key, platform)
            out[key] = Person(
                key, self.get(p, "name", str, key, "people", key), frozenset(r for r in roles if r in ROLES),
                telegram, str(zalo) if zalo is not None else None, language,
            )
        return out

    def approval(self, channels: dict[str, ChannelConfig], people: dict[str, Person]) -> ApprovalPolicy:
        a = self.table("approval", {"required", "deadline", "reminders", "chats", "ask_ahead"})
        required = self.get(a, "required", int, 1, "approval")
        approvers = count_approvers(people)
        if required < 1:
            self.err("'required' phải ≥ 1 / must be at least 1", "approval", "required")
            required = 1
        elif required > approvers:
            self.err(f"'required' = {required} nhưng chỉ {approvers} người được duyệt (vai trò approver/admin), bài sẽ bị "
                     f"giữ mãi / 'required' = {required} but only {approvers} people may approve (role approver or admin): "
                     "every post would be held forever", "approval", "required")
        reminders: list[timedelta] = []
        for r in self.get(a, "reminders", list, [], "approval"):
            try:
                reminders.append(parse_duration(r.lstrip("-")))
            except TimeExpressionError as exc:
                self.err(f"'reminders': {exc}", "approval", "reminders")
        ask_ahead = self.parsed(parse_duration, a, "ask_ahead", timedelta(days=3), "approval")
        if not self.at_least(ask_ahead, _MIN_DURATIONS["ask_ahead"], "ask_ahead", "approval"):
            ask_ahead = timedelta(days=3)
        return ApprovalPolicy(
            required=required,
            deadline=self.parsed(parse_duration, a, "deadline", timedelta(hours=2), "approval"),
            reminders=tuple(sorted(reminders, reverse=True)),
            chats=self.channel_list(a, "chats", channels, "approval"),
            ask_ahead=ask_ahead,
        )

    def reminders(self, channels: dict[str, ChannelConfig]) -> ReminderPolicy:
        r = self.table("reminders", {"offsets", "channels", "digest", "digest_chats"})
        offsets: list[tuple[str, Offset]] = []
        for text in self.get(r, "offsets", list, [], "reminders"):
            try:
                offsets.append((text, parse_offset(text, what="reminder offset")))
            except TimeExpressionError as exc:
                self.err(f"'offsets': {exc}", "reminders", "offsets")
        return ReminderPolicy(
            offsets=tuple(offsets),
            channels=self.channel_list(r, "channels", channels, "reminders"),
            digest=self.parsed(parse_clock, r, "digest", None, "reminders"),
            digest_chats=self.channel_list(r, "digest_chats", channels, "reminders"),
        )

    def settings(self, name: str, cls: type) -> Any:
        """A flat settings table whose keys are the dataclass's fields (durations given as "2h"), each checked
        by its kind: durations against _MIN_DURATIONS, integers against _INT_BOUNDS, ``*_env`` as variable
        names, ``*_base``/``*_url`` as http(s) URLs."""
        defaults = cls()
        fields = {f: getattr(defaults, f) for f in cls.__dataclass_fields__}
        raw = self.table(name, set(fields))
        values: dict[str, Any] = {}
        for key, default in fields.items():
            if key not in raw:
                continue
            if isinstance(default, timedelta):
                value = self.parsed(parse_duration, raw, key, default, name)
                low = _MIN_DURATIONS.get(key, timedelta(0))
                if self.at_least(value, low, key, name):
                    values[key] = value
            elif key.endswith(("quota_per_day", "quota_per_month")) or isinstance(default, int):
                value = self.get(raw, key, int, default, name)
                low, high = _INT_BOUNDS[key]
                if self.at_least(value, low, key, name, high=high):
                    values[key] = value
            else:
                value = self.get(raw, key, str, None, name)
                if value is None:
                    continue
                if key.endswith("_env") and not ENV_NAME_RE.fullmatch(value):
                    self.err(f"'{key}' là TÊN biến môi trường (A-Z, 0-9, _), không phải giá trị / '{key}' is the NAME of "
                             "an environment variable (A-Z, 0-9, _), not its value", name, key)
                    continue
                if key.endswith(("_base", "_url")):
                    if (problem := url_problem(value, optional=key.endswith("_url"))) is not None:
                        self.err(f"'{key}': {problem}", name, key)
                        continue
                    value = value.rstrip("/") if key.endswith("_base") else value
                values[key] = value
        if name == "delivery" and values.get("backoff_max", fields["backoff_max"]) < values.get("backoff", fields["backoff"]):
            self.err("'backoff_max' phải ≥ 'backoff' / 'backoff_max' must be at least 'backoff'", name, "backoff_max")
        return cls(**values)


def count_approvers(people: dict[str, Person]) -> int:
    return sum(p.is_approver for p in people.values())


def target_problem(kind: str, target: str | int) -> str | None:
    """Why ``target`` cannot be a ``kind`` channel's target (None: it looks like what the platform accepts)."""
    text = str(target)
    if kind == "telegram":
        if TELEGRAM_TARGET_RE.fullmatch(text) and (not text.lstrip("-").isdigit() or abs(int(text)) <= TELEGRAM_ID_MAX):
            return None
        return (f"đích Telegram phải là @tên_kênh hoặc id số (ví dụ -1001234567890), không phải {_short(target)} / "
                f"a Telegram target is @channelname or a numeric id (e.g. -1001234567890), not {_short(target)}")
    if kind == "zalo_oa_broadcast":
        if isinstance(target, str) and ZALO_BROADCAST_RE.fullmatch(text):
            return None
        return (f"đích broadcast phải là 'followers' hoặc 'followers:khóa=giá_trị,…', không phải {_short(target)} / "
                f"a broadcast target is 'followers' or 'followers:key=value,…', not {_short(target)}")
    if kind in ("zalo_oa_group", "zalo_bot"):
        if ZALO_ID_RE.fullmatch(text):
            return None
        return (f"đích Zalo phải là id (chữ số hoặc chữ cái, không dấu cách), không phải {_short(target)} / "
                f"a Zalo target is an id (digits or letters, no spaces), not {_short(target)}")
    if kind in PULL_KINDS:
        if isinstance(target, str) and PULL_TARGET_RE.fullmatch(text):
            return None
        return (f"đích {kind} là tên trong địa chỉ web (a-z, 0-9, '-', '_'; ví dụ 'so-tt'), không phải {_short(target)} / "
                f"a {kind} target is its name in the web address (a-z, 0-9, '-', '_'; e.g. 'so-tt'), not {_short(target)}")
    if CONTROL_RE.search(text):
        return "đích chứa ký tự điều khiển / the target contains a control character"
    return None


def url_problem(value: str, *, optional: bool = False) -> str | None:
    """Why ``value`` is not an http(s) base URL Loa can append paths to (None: it is one)."""
    if optional and value == "":
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment
            or re.search(r"\s", value) or CONTROL_RE.search(value)):
        return (f"cần địa chỉ http:// hoặc https:// (không có ?truy-vấn hay #), không phải {_short(value)} / "
                f"expected an http:// or https:// URL (no ?query or #fragment), not {_short(value)}")
    return None


def _short(value: object, limit: int = 60) -> str:
    """A value as it may appear in a message: repr'd (control characters visible) and clipped."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _duration_text(value: timedelta) -> str:
    """A duration as config.toml writes it ("1m", "90s")."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# Lower bounds of the durations for which zero makes no sense (the upper bound, 366 days, is parse_duration's).
_MIN_DURATIONS = {
    "ask_ahead": timedelta(minutes=1),  # 0 would ask only when the post is due: held every time
    "backoff": timedelta(seconds=1),
    "backoff_max": timedelta(seconds=1),
    "sweep_every": timedelta(seconds=1),  # 0 would spin the scheduler
    "record_patience": timedelta(seconds=1),  # 0 would give up on the store at its first hiccup
    "refresh_margin": timedelta(minutes=1),  # 0 would refresh the Zalo token only once it has expired
}
_INT_BOUNDS = {
    "max_attempts": (1, 100),
    "broadcast_quota_per_day": (1, 10_000),
    "broadcast_quota_per_month": (1, 300_000),
    "image_max_bytes": (1, 1_000_000_000),
}

_TOP_LEVEL = (
    "campaign", "anchors", "milestones", "channels", "defaults", "people", "approval",
    "reminders", "alerts", "telegram", "zalo", "delivery", "database", "web",
)
# led channel keys: (default, lowest, highest)
_LED_KEYS = {"rotate_seconds": (10, 3, 3600), "recent": (5, 1, 50)}
