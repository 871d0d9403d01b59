"""From a validation error to the sentence an admin reads: pydantic's ``loc`` and ``type`` -> catalog entry.

Checks written for config.toml raise ``PydanticCustomError`` whose type is the catalog key and whose
context fills it; pydantic's own errors (a wrong type, an unknown key, a bound) are mapped here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic_core import ErrorDetails, PydanticCustomError

from campaign.texts import t

_TYPE_NAMES = {"bool_type": "true / false", "string_type": "str", "int_type": "int", "list_type": "list", "dict_type": "dict", "model_type": "dict"}


def line(key: str, /, **kw: Any) -> str:
    """The entry as one "vi / en" line (once, when it wraps a message that already has both)."""
    vi, en = t(key, "vi", **kw), t(key, "en", **kw)
    return vi if vi == en else f"{vi} / {en}"


def fail(key: str, /, **ctx: Any) -> PydanticCustomError:
    """A validation error that ``explain`` turns into the catalog entry ``key``."""
    return PydanticCustomError(key, key, ctx)


def short(value: object, limit: int = 60) -> str:
    """A value as it may appear in a message: repr'd (control characters visible) and clipped."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def duration_text(value: timedelta) -> str:
    """A duration as config.toml writes it ("1m", "90s")."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def where(error: ErrorDetails) -> tuple[str | int, ...]:
    """The error's place in the table: its ``loc``, or the key a whole-table check names (``ctx['at']``)."""
    at = (error.get("ctx") or {}).get("at")
    return (*error["loc"], at) if at else tuple(error["loc"])


def explain(error: ErrorDetails, schema: type[BaseModel] | None, prefix: tuple[str | int, ...], **extra: Any) -> str:
    """The message for one error of validating ``schema`` at ``prefix`` (``extra`` fills entries that name
    the milestone or channel)."""
    loc = where(error)
    key = next((str(p) for p in reversed(loc) if isinstance(p, str)), str(prefix[-1]) if prefix else "")
    kind, ctx = error["type"], {k: v for k, v in (error.get("ctx") or {}).items() if k != "at"}
    if kind.startswith("config."):
        return line(kind, **{"key": key, **extra, **ctx})
    if kind in _TYPE_NAMES:
        return line("config.type", key=key, names=_TYPE_NAMES[kind])
    if kind == "extra_forbidden":
        allowed = ", ".join(sorted(schema.model_fields)) if schema else ""
        return line("config.unknown_key", where=".".join(str(p) for p in (*prefix, *loc)), allowed=allowed)
    if kind in ("greater_than_equal", "less_than_equal") and schema is not None:
        return _bound(error["input"], schema, key)
    if kind == "missing" and "milestone" in extra:
        return line("config.no_start", milestone=extra["milestone"])
    if kind == "missing" and "series" in extra:
        return line("config.series_missing", series=extra["series"], key=key)
    return line("config.invalid", key=key, error=error["msg"])


def _bound(value: Any, schema: type[BaseModel], key: str) -> str:
    """A value outside a field's ``ge``/``le``: "at least" or "between", in the units config.toml uses."""
    low = high = None
    for rule in schema.model_fields[key].metadata:
        if isinstance(rule, annotated_types.Ge):
            low = rule.ge
        elif isinstance(rule, annotated_types.Le):
            high = rule.le

    def show(v: Any) -> str:
        return duration_text(v) if isinstance(v, timedelta) else f"{v}"

    if high is None:
        return line("config.at_least", key=key, low=show(low), value=show(value))
    return line("config.between", key=key, low=show(low), high=show(high), value=show(value))
