"""config.toml -> ``Config``: each table validated by its model, then the checks that span tables.

Every problem is collected, so an admin fixes them all in one pass: a table with a bad value is
validated again without it (its default takes its place), so the rest of the table, and the
tables that refer to it, are still checked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date, tzinfo
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from campaign.config import schema
from campaign.config.lines import KeyLines, read_toml
from campaign.config.messages import explain, line, where
from campaign.config.model import (
    ApprovalPolicy,
    ChannelConfig,
    Config,
    DeliverySettings,
    FacebookSettings,
    Milestone,
    Person,
    ReminderPolicy,
    TelegramSettings,
    WebhookSettings,
    WebSettings,
    ZaloSettings,
    count_approvers,
)
from campaign.config.targets import PULL_KINDS
from campaign.errors import ConfigError, Problem, TimeExpressionError
from campaign.timeexpr import make_span

M = TypeVar("M", bound=BaseModel)
_CHANNEL_KEY_RE = re.compile(r"[a-z0-9_]+")
# The per-kind keys of [channels.<key>] that ChannelConfig carries (token_env, secret_env, rotate_seconds, recent).
_CHANNEL_EXTRAS = frozenset(f for m in schema.CHANNEL_ENTRIES.values() for f in m.model_fields) - set(schema.ChannelEntry.model_fields)
_PASSES = 4  # the first pass finds every bad value; the next ones meet only checks of the table as a whole


def load_config(path: Path | str, *, content_dir: Path | str | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate config.toml; raise ``ConfigError`` listing every problem with its line."""
    path = Path(path)
    raw, lines = read_toml(path)
    return _Loader(path, raw, lines).build(Path(content_dir) if content_dir else None, os.environ if env is None else env)


class _Loader:
    def __init__(self, path: Path, raw: dict[str, Any], lines: KeyLines) -> None:
        self.path, self.raw, self.lines = path, raw, lines
        self.problems: list[Problem] = []

    def err(self, message: str, *key: str | int) -> None:
        problem = Problem(self.path, self.lines.of(*key), message)
        if problem not in self.problems:  # a second pass over a table may meet the same default twice
            self.problems.append(problem)

    def validate(self, model: type[M], data: dict[str, Any], prefix: tuple[str | int, ...], *,
                 context: dict[str, Any] | None = None, **extra: Any) -> M | None:
        """``data`` as a ``model``, reporting every error; a bad value is dropped and the rest validated again,
        None when what is wrong is not one value (a missing id, a target that does not fit its kind).
        ``extra`` fills the messages that name the entry (``milestone=``, ``channel=``)."""
        data, dropped = dict(data), set[tuple[str | int, ...]]()
        for _ in range(_PASSES):
            try:
                return model.model_validate(data, context=context)
            except ValidationError as exc:
                # a value dropped in an earlier pass is missing now, or its default is no better: already reported
                errors = [e for e in exc.errors(include_url=False) if tuple(e["loc"][:1]) not in dropped]
                for error in errors:
                    self.err(explain(error, model, prefix, **extra), *prefix, *where(error))
                if not _drop(data, errors, dropped):
                    return None
        return None

    def table(self, name: str, model: type[M], *, required: bool = False) -> M:
        """A flat table, its defaults where it is absent or a value is bad."""
        if name not in self.raw:
            if required:
                self.err(line("config.missing_table", table=name))
            return model()
        if (value := self.entries(name)) is None:
            return model()
        return self.validate(model, value, (name,)) or model()

    def entries(self, *name: str) -> dict[str, Any] | None:
        """The table at ``name`` (a [channels] or one [people.x]), or None after reporting it is not one."""
        node: Any = self.raw
        for part in name:
            node = node.get(part, {})
        if not isinstance(node, dict):
            self.err(line("config.not_table", table=".".join(name)), *name)
            return None
        return node

    def build(self, content_dir: Path | None, env: Mapping[str, str]) -> Config:
        for k in self.raw:
            if k not in schema.TOP_LEVEL:
                self.err(line("config.unknown_table", table=k, allowed=", ".join(schema.TOP_LEVEL)), k)
        campaign = self.table("campaign", schema.CampaignTable, required=True)
        if not campaign.name.strip():
            self.err(line("config.no_name"), "campaign")
        base = self.path.parent
        anchors = self.anchors()
        milestones, milestone_lines = self.milestones(anchors, campaign.timezone)
        channels = self.channels()
        defaults = self.table("defaults", schema.DefaultsTable)
        default_channels = self.known(defaults.channels, channels, "defaults", "channels") or tuple(channels)[:1]
        people = self.people(channels)
        approval = self.approval(channels, people)
        reminders = self.table("reminders", schema.RemindersTable)
        policy = ReminderPolicy(
            offsets=tuple(reminders.offsets),
            channels=self.known(reminders.channels, channels, "reminders", "channels"),
            digest=reminders.digest,
            digest_chats=self.known(reminders.digest_chats, channels, "reminders", "digest_chats"),
        )
        alert_chats = self.known(self.table("alerts", schema.AlertsTable).chats, channels, "alerts", "chats")
        telegram = TelegramSettings(**self.table("telegram", schema.TelegramTable).model_dump())
        zalo = ZaloSettings(**self.table("zalo", schema.ZaloTable).model_dump())
        facebook = FacebookSettings(**self.table("facebook", schema.FacebookTable).model_dump())
        webhook = WebhookSettings(**self.table("webhook", schema.WebhookTable).model_dump())
        delivery = DeliverySettings(**self.table("delivery", schema.DeliveryTable).model_dump())
        web = WebSettings(**self.table("web", schema.WebTable).model_dump())
        database = self.table("database", schema.DatabaseTable)
        if self.problems:
            raise ConfigError(self.problems)
        return Config(
            path=self.path, name=campaign.name, tz=campaign.timezone, language=campaign.language,
            content_dir=(content_dir or base / campaign.content_dir).resolve(), catch_up=campaign.catch_up,
            anchors=anchors, milestones=milestones, channels=channels, default_channels=default_channels,
            people=people, approval=approval, reminders=policy, alert_chats=alert_chats, telegram=telegram,
            zalo=zalo, delivery=delivery, facebook=facebook, webhook=webhook, web=web,
            database_url=env.get("LOA_DATABASE_URL") or database.url or f"sqlite:///{base / 'data' / 'loa.db'}",
            milestone_lines=milestone_lines,
            channel_lines={k: at for k in channels if (at := self.lines.of("channels", k, "target"))},
        )

    def anchors(self) -> dict[str, date]:
        raw = self.entries("anchors")
        out: dict[str, date] = {}
        for k, v in (raw or {}).items():
            try:
                out[k] = schema.ANCHOR.validate_python(v)
            except ValidationError as exc:
                for error in exc.errors(include_url=False):
                    self.err(explain(error, None, ("anchors", k)), "anchors", k)
        return out

    def milestones(self, anchors: dict[str, date], tz: tzinfo) -> tuple[tuple[Milestone, ...], dict[str, int]]:
        items = self.raw.get("milestones", [])
        if not isinstance(items, list):
            self.err(line("config.not_milestones"), "milestones")
            return (), {}
        out: list[Milestone] = []
        lines: dict[str, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                self.err(line("config.not_milestones"), "milestones")
                continue
            reported = len(self.problems)
            m = self.validate(schema.MilestoneEntry, item, ("milestones", i), milestone=item.get("id", ""),
                              context={"anchors": anchors, "tz": tz})
            if m is None or len(self.problems) > reported:  # a milestone is used whole or not at all
                continue
            if m.id in lines:
                self.err(line("config.milestone_twice", milestone=m.id), "milestones", i, "id")
                continue
            try:
                span = make_span(m.start, m.end or m.start, tz)
            except TimeExpressionError as exc:
                self.err(line("config.span", milestone=m.id, error=exc), "milestones", i, "end")
                continue
            lines[m.id] = self.lines.of("milestones", i) or 0
            out.append(Milestone(m.id, m.id if m.title is None else m.title, m.phase, span, m.description))
        out.sort(key=lambda ms: ms.span.start)
        return tuple(out), lines

    def channels(self) -> dict[str, ChannelConfig]:
        raw = self.entries("channels") or {}
        if not raw:
            self.err(line("config.no_channels"))
        out: dict[str, ChannelConfig] = {}
        for key in raw:
            if (value := self.entries("channels", key)) is None:
                continue
            if not _CHANNEL_KEY_RE.fullmatch(key):
                self.err(line("config.channel_key", channel=key), "channels", key)
            kind = str(value.get("kind", ""))
            if kind in PULL_KINDS and "target" not in value:  # a feed or screen is named after its key by default
                value = {**value, "target": key.replace("_", "-")}
            model = schema.CHANNEL_ENTRIES.get(kind, schema.ChannelEntry)
            c = self.validate(model, value, ("channels", key), channel=key)
            if c is None:
                continue
            if c.kind in PULL_KINDS and (other := next((o.key for o in out.values()
                                                         if o.kind == c.kind and o.target == c.target), None)):
                self.err(line("config.pull_twice", channel=key, target=str(c.target), other=other, kind=c.kind),
                         "channels", key, "target")
                continue
            out[key] = ChannelConfig(key, c.kind, str(c.target), key if c.label is None else c.label,
                                     **{k: v for k, v in c.model_dump().items() if k in _CHANNEL_EXTRAS})
        return out

    def known(self, names: list[str], channels: dict[str, ChannelConfig], *key: str) -> tuple[str, ...]:
        """The channels of a list that are declared; each other one is reported."""
        for name in names:
            if name not in channels:
                self.err(line("config.unknown_channel", channel=name, known=", ".join(channels)), *key)
        return tuple(name for name in names if name in channels)

    def people(self, channels: dict[str, ChannelConfig]) -> dict[str, Person]:
        out: dict[str, Person] = {}
        owners: dict[tuple[str, object], str] = {}  # (platform, id) -> person key: one person per platform id
        for key in self.entries("people") or {}:
            if (value := self.entries("people", key)) is None:
                continue
            p = self.validate(schema.PersonEntry, value, ("people", key)) or schema.PersonEntry.model_validate({})
            for platform, pid in (("telegram", p.telegram), ("zalo", p.zalo)):
                if pid is not None and (other := owners.setdefault((platform, pid), key)) != key:
                    self.err(line("config.id_taken", platform=platform, id=pid, other=other), "people", key, platform)
            allowed = self.known(p.channels, channels, "people", key, "channels")
            out[key] = Person(key, key if p.name is None else p.name, frozenset(p.roles), p.telegram, p.zalo, p.language,
                              allowed)
        return out

    def approval(self, channels: dict[str, ChannelConfig], people: dict[str, Person]) -> ApprovalPolicy:
        a = self.table("approval", schema.ApprovalTable)
        if a.required > (approvers := count_approvers(people)):
            self.err(line("config.too_many_required", required=a.required, approvers=approvers), "approval", "required")
        return ApprovalPolicy(
            required=a.required, deadline=a.deadline, reminders=tuple(sorted(a.reminders, reverse=True)),
            chats=self.known(a.chats, channels, "approval", "chats"), ask_ahead=a.ask_ahead,
        )


def _drop(data: dict[str, Any], errors: list[ErrorDetails], dropped: set[tuple[str | int, ...]]) -> bool:
    """Remove the values ``errors`` name from ``data`` (a list loses only its bad items); False if none was."""
    items: dict[str, set[int]] = {}
    for error in errors:
        loc = error["loc"]
        if not loc or not isinstance(loc[0], str) or loc[0] not in data:
            continue
        if len(loc) > 1 and isinstance(loc[1], int) and isinstance(data[loc[0]], list):
            items.setdefault(loc[0], set()).add(loc[1])
        else:
            items[loc[0]] = set()  # the whole value
    for key, bad in items.items():
        if bad and isinstance(data[key], list):
            data[key] = [v for i, v in enumerate(data[key]) if i not in bad]
        else:
            del data[key]
            dropped.add((key,))
    return bool(items)
