"""The message catalog: every user-facing sentence, Vietnamese first, English second.

The entries live in one module per area (``alerts``, …), merged here into one table; a key is
defined once.

``t(key, lang)`` picks one language (chat answers follow the reader's language);
``both(key)`` gives "vi / en" on two lines for broadcast notices and admin alerts;
``inline(key)`` gives "vi / en" on one line (errors shown to whoever comes).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from campaign.texts import (
    alerts,
    answers,
    channels,
    chat,
    choices,
    cli,
    commands,
    config,
    content,
    dashboard,
    domain,
    drafts,
    kinds,
    pages,
    plan,
    relay,
    reports,
    service,
    sharekit,
    web,
)

# One area module per part of the product; each holds a ``TEXTS`` table of key -> (vi, en).
AREAS = (alerts, answers, channels, chat, choices, cli, commands, config, content, dashboard, domain, drafts, kinds, pages,
         plan, relay, reports, service, sharekit, web)

TEXTS: dict[str, tuple[str, str]] = {}
for _area in AREAS:
    if _clash := TEXTS.keys() & _area.TEXTS.keys():
        raise RuntimeError(f"message keys defined twice: {sorted(_clash)}")
    TEXTS.update(_area.TEXTS)


def t(key: str, lang: str = "vi", /, **kw: Any) -> str:
    vi, en = TEXTS[key]
    return (en if lang == "en" else vi).format(**kw)


def both(key: str, /, **kw: Any) -> str:
    """Vietnamese line, then English; ``kw`` values may be (vi, en) pairs."""
    vi = {k: v[0] if isinstance(v, tuple) else v for k, v in kw.items()}
    en = {k: v[1] if isinstance(v, tuple) else v for k, v in kw.items()}
    return f"{t(key, 'vi', **vi)}\n{t(key, 'en', **en)}"


def inline(key: str, /, **kw: Any) -> str:
    """ "vi / en" on one line: errors and notices shown before the reader's language is known."""
    vi, en = pair(key, **kw)
    return f"{vi} / {en}"


def pair(key: str, /, **kw: Any) -> tuple[str, str]:
    """(vi, en); ``kw`` values may be (vi, en) pairs, each language taking its word."""
    vi = {k: v[0] if isinstance(v, tuple) else v for k, v in kw.items()}
    en = {k: v[1] if isinstance(v, tuple) else v for k, v in kw.items()}
    return t(key, "vi", **vi), t(key, "en", **en)


def command_help(key: str, /) -> str:
    """A command's --help: the first lines side by side ("vi / en", as the command listing shows them), then what
    each language says more, Vietnamese first."""
    (vi_head, _, vi_more), (en_head, _, en_more) = (text.partition("\n\n") for text in pair(key))
    return "\n\n".join(part for part in (f"{vi_head} / {en_head}", vi_more, en_more) if part)


def local(when: datetime, tz: tzinfo, fmt: str = "%H:%M %d/%m/%Y") -> str:
    return when.astimezone(tz).strftime(fmt)
