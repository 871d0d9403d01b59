"""Sign-in tokens and sessions (pure parts): signatures, purposes, expiry, people removed from the config."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from campaign import signin
from tests.conftest import Campaign

KEY = b"k" * 32
NOW = datetime(2021, 1, 26, 1, 0, tzinfo=UTC)


def test_signatures_bind_key_and_purpose() -> None:
    token = signin.sign(KEY, "signin", {"p": "lan"})
    assert signin.unsign(KEY, "signin", token) == {"p": "lan"}
    assert signin.unsign(KEY, "session", token) is None  # a link is not a session cookie
    assert signin.unsign(b"other" * 8, "signin", token) is None
    body, mac = token.split(".")
    assert signin.unsign(KEY, "signin", body + "x." + mac) is None
    for junk in ("", ".", "a.b.c", "x" * 1000, "%%%.%%%", "e30.AAAA"):
        assert signin.unsign(KEY, "signin", junk) is None


def test_sessions_last_twelve_hours_and_follow_the_config(campaign: Campaign) -> None:
    config = campaign.config()
    session = signin.start_session(KEY, config.people["lan"], NOW)
    cookie = signin.cookie_value(KEY, session)
    read = signin.read_session(KEY, config, cookie, NOW + timedelta(hours=11, minutes=59))
    assert read is not None and read.person.key == "lan" and read.csrf == session.csrf
    assert signin.read_session(KEY, config, cookie, NOW + signin.SESSION_TTL) is None
    gone = dataclasses.replace(config, people={k: p for k, p in config.people.items() if k != "lan"})
    assert signin.read_session(KEY, gone, cookie, NOW) is None
    assert signin.csrf_ok(session, session.csrf) and not signin.csrf_ok(session, "") and not signin.csrf_ok(session, None)
    other = signin.start_session(KEY, config.people["lan"], NOW)
    assert not signin.csrf_ok(session, other.csrf)  # one session's token does not work for another
