"""The kinds of value config.toml holds, declared once: each an ``Annotated`` type whose validators
turn the TOML value into what Loa uses, or raise the catalog entry that says what is wrong."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, PlainValidator, ValidationInfo

from campaign.config.messages import fail, line, short
from campaign.config.model import LANGUAGES, ON_AMBIGUOUS, PHASES, RELAY_FIELDS, ROLES, parse_listen
from campaign.config.targets import CHANNEL_KINDS, ZALO_ID_RE
from campaign.errors import CONTROL_RE, TimeExpressionError
from campaign.timeexpr import (
    Offset,
    Recurrence,
    check_day,
    parse_clock,
    parse_duration,
    parse_offset,
    parse_point,
    parse_recurrence,
)

ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
GRAPH_VERSION_RE = re.compile(r"v[1-9][0-9]?\.[0-9]")
_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
_ISO_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise fail("config.type", names="str")
    if m := CONTROL_RE.search(value):
        raise fail("config.control", code=f"{ord(m.group()):04X}")
    return value


def _list(value: object) -> object:
    if not isinstance(value, list):
        raise fail("config.type", names="list")
    return value


def _item(value: object) -> str:
    """One string of a list (channel keys, roles, durations): anything else is reported and dropped."""
    if not isinstance(value, str) or CONTROL_RE.search(value):
        raise fail("config.strings", got=short(value))
    return value


def _parsed(parse: Callable[[str], Any], check: Callable[[object], str] = _text) -> Callable[[object], Any]:
    def validate(value: object) -> Any:
        text = check(value)
        try:
            return parse(text)
        except TimeExpressionError as exc:
            raise fail("config.parse", error=str(exc)) from None
    return validate


def _one_of(choices: tuple[str, ...], key: str, **ctx: str) -> Callable[[str], str]:
    def validate(value: str) -> str:
        if value not in choices:
            raise fail(key, got=short(value), value=value, **ctx)
        return value
    return validate


def _matches(pattern: re.Pattern[str], key: str) -> Callable[[str], str]:
    def validate(value: str) -> str:
        if not pattern.fullmatch(value):
            raise fail(key, got=short(value))
        return value
    return validate


def url_problem(value: str, *, optional: bool = False) -> str | None:
    """Why ``value`` is not an http(s) base URL Loa can append paths to (None: it is one)."""
    if optional and value == "":
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return line("config.url", got=short(value))
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment
            or re.search(r"\s", value) or CONTROL_RE.search(value)):
        return line("config.url", got=short(value))
    return None


def _feed_url(value: str) -> str:
    """A feed's address: http(s) with a host; unlike a base URL it may carry a query (``?format=rss``)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise fail("config.feed_url", got=short(value)) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", value) or CONTROL_RE.search(value):
        raise fail("config.feed_url", got=short(value))
    return value


def _template(value: str) -> str:
    """A [[relay]] template: only the item's fields in braces ({title}, {excerpt}, {link}, {label})."""
    try:
        names = {name for _text, name, _spec, _conv in string.Formatter().parse(value) if name is not None}
    except ValueError:
        raise fail("config.relay_template", got=short(value), allowed=", ".join(RELAY_FIELDS)) from None
    if names - set(RELAY_FIELDS) or any(not n for n in names):
        raise fail("config.relay_template", got=short(value), allowed=", ".join(RELAY_FIELDS))
    return value


def _url(*, optional: bool) -> Callable[[str], str]:
    def validate(value: str) -> str:
        if (problem := url_problem(value, optional=optional)) is not None:
            raise fail("config.in_key", problem=problem)
        return value if optional else value.rstrip("/")
    return validate


def _zone(value: object) -> tzinfo:
    name = _text(value)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise fail("config.zone", value=name) from None


def _anchor_day(value: object) -> date:
    try:
        if isinstance(value, date) and not isinstance(value, datetime):
            return check_day(value, value)
        if isinstance(value, str) and _ISO_DAY_RE.fullmatch(value):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise fail("config.bad_date", value=value) from None
            return check_day(day, value)
    except TimeExpressionError as exc:
        raise fail("config.anchor", error=str(exc)) from None
    raise fail("config.anchor_form")


def _point(value: object, info: ValidationInfo) -> tuple[date, datetime | None]:
    """A milestone's start or end, read against the anchors and zone passed as validation context."""
    context = info.context or {}
    try:
        return parse_point(value, context["anchors"], context["tz"])
    except TimeExpressionError as exc:
        raise fail("config.parse", error=str(exc)) from None


def _zalo_id(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not ZALO_ID_RE.fullmatch(str(value)):
        raise fail("config.zalo_id", got=short(value))
    return str(value)


def _names(value: object) -> object:
    """One name or a list of names ("cao-diem" or ["cao-diem", "sau-dai-hoi"])."""
    return [value] if isinstance(value, str) else _list(value)


def _folder(value: str) -> str:
    """A folder under content/, written with "/": relative, no "..", no hidden part (those are skipped)."""
    parts = value.strip().strip("/").split("/")
    if value.startswith("/") or "\\" in value or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise fail("config.series_folder", got=short(value))
    return "/".join(parts)


def _offset(value: object) -> tuple[str, Offset]:
    text = _item(value)
    return text, _parsed(lambda s: parse_offset(s, what="reminder offset"))(text)


Text = Annotated[str, BeforeValidator(_text)]
Strings = Annotated[list[Annotated[str, BeforeValidator(_item)]], BeforeValidator(_list)]
Duration = Annotated[timedelta, BeforeValidator(_parsed(parse_duration))]
Clock = Annotated[time, BeforeValidator(_parsed(parse_clock))]
Zone = Annotated[tzinfo, PlainValidator(_zone)]
Language = Annotated[str, BeforeValidator(_text), AfterValidator(_one_of(LANGUAGES, "config.language"))]
EnvName = Annotated[str, BeforeValidator(_text), AfterValidator(_matches(ENV_NAME_RE, "config.env_name"))]
GraphVersion = Annotated[str, BeforeValidator(_text), AfterValidator(_matches(GRAPH_VERSION_RE, "config.graph_version"))]
def _listen(value: str) -> str:
    try:
        parse_listen(value)
    except ValueError:
        raise fail("config.listen", got=short(value)) from None
    return value


Listen = Annotated[str, BeforeValidator(_text), AfterValidator(_listen)]
BaseUrl = Annotated[str, BeforeValidator(_text), AfterValidator(_url(optional=False))]
OptionalUrl = Annotated[str, BeforeValidator(_text), AfterValidator(_url(optional=True))]
OnAmbiguous = Annotated[str, BeforeValidator(_text), AfterValidator(_one_of(ON_AMBIGUOUS, "config.on_ambiguous"))]
AnchorDay = Annotated[date, PlainValidator(_anchor_day)]
MilestoneId = Annotated[str, BeforeValidator(_text), AfterValidator(_matches(_ID_RE, "config.milestone_id"))]
UNIT_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,29}")  # typed in "/dachiase 12 <unit>" and carried in button data
UnitId = Annotated[str, BeforeValidator(_text), AfterValidator(_matches(UNIT_ID_RE, "config.unit_id"))]
Phase = Annotated[str, BeforeValidator(_text), AfterValidator(_one_of(PHASES, "config.phase"))]
Point = Annotated[tuple[date, datetime | None], PlainValidator(_point)]
ChannelKind = Annotated[str, BeforeValidator(_text),
                        AfterValidator(_one_of(CHANNEL_KINDS, "config.kind", allowed=", ".join(CHANNEL_KINDS)))]
Roles = Annotated[list[Annotated[str, BeforeValidator(_item), AfterValidator(_one_of(ROLES, "config.role"))]],
                  BeforeValidator(_list)]
ZaloId = Annotated[str, PlainValidator(_zalo_id)]
Reminders = Annotated[list[Annotated[timedelta, BeforeValidator(_parsed(lambda s: parse_duration(s.lstrip("-")), _item))]],
                      BeforeValidator(_list)]
Names = Annotated[list[Annotated[str, BeforeValidator(_item)]], BeforeValidator(_names)]
When = Annotated[Recurrence, BeforeValidator(_parsed(parse_recurrence))]
Folder = Annotated[str, BeforeValidator(_text), AfterValidator(_folder)]
SeriesId = Annotated[str, BeforeValidator(_text), AfterValidator(_matches(_ID_RE, "config.series_id"))]
Offsets = Annotated[list[Annotated[tuple[str, Offset], PlainValidator(_offset)]], BeforeValidator(_list)]
FeedUrl = Annotated[str, BeforeValidator(_text), AfterValidator(_feed_url)]
Template = Annotated[str, BeforeValidator(_text), AfterValidator(_template)]
