"""Properties over random input (issue 9): no traceback, ever. Every bad config value, front matter, body
or byte string gives errors that name its file and line (vi / en), and a good post beside a bad file still
syncs. The per-file last resort in ``load_post`` (``UNEXPECTED``) must never be what answered.

Examples per test: the "ci" hypothesis profile (tests/conftest.py); HYPOTHESIS_PROFILE=deep for more.
"""

from __future__ import annotations

import copy
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import tomli_w
import yaml
from hypothesis import given
from hypothesis import strategies as st

from campaign.clock import FakeClock
from campaign.config import Config, load_config, target_problem
from campaign.content import FRONT_MATTER_KEYS, UNEXPECTED, load_post
from campaign.errors import CONTROL_RE, ConfigError, Problem
from campaign.store import repo
from campaign.store.db import Store
from campaign.sync import sync
from campaign.timeexpr import EARLIEST, LATEST, MAX_DURATION
from tests.conftest import CONFIG, Campaign, post_text

BASE = tomllib.loads(CONFIG)

# Every key a config may hold (and some whole tables), as paths into the parsed TOML.
CONFIG_KEYS: list[tuple[str | int, ...]] = [
    *(("campaign", k) for k in ("name", "timezone", "language", "content_dir", "catch_up")),
    ("anchors", "khai_mac"), ("anchors", "khac"),
    *(("milestones", 0, k) for k in ("id", "title", "phase", "start", "end", "description")),
    *(("channels", "tg", k) for k in ("kind", "target", "label")),
    *(("channels", "zalo", k) for k in ("kind", "target")),
    ("defaults", "channels"),
    *(("people", "lan", k) for k in ("name", "roles", "telegram", "zalo", "language")),
    *(("approval", k) for k in ("required", "deadline", "reminders", "chats", "ask_ahead")),
    *(("reminders", k) for k in ("offsets", "channels", "digest", "digest_chats")),
    ("alerts", "chats"),
    *(("telegram", k) for k in ("token_env", "api_base", "file_base", "webhook_secret_env")),
    *(("zalo", k) for k in ("oa_token_env", "refresh_token_env", "app_id_env", "secret_key_env", "bot_token_env",
                            "bot_webhook_secret_env", "oa_api_base", "oauth_base", "bot_api_base", "broadcast_lead",
                            "broadcast_quota_per_day", "broadcast_quota_per_month", "image_max_bytes",
                            "media_base_url", "default_cover_url", "article_author", "refresh_margin")),
    *(("delivery", k) for k in ("max_attempts", "backoff", "backoff_max", "sweep_every")),
    ("database", "url"),
    ("campaign",), ("anchors",), ("milestones",), ("milestones", 0), ("channels",), ("channels", "tg"),
    ("people",), ("people", "lan"), ("approval",), ("delivery",), ("zalo",), ("oops",),
]

# Values an admin (or a hostile tester) might type: near-misses of the real forms and their extremes.
NEAR_MISSES = st.sampled_from([
    "", " ", "0s", "1s", "-1h", "30m", "99999999999d", "366d", "367d", "1d12h", "2 hours", "08:30", "24:00",
    "khai_mac", "khai_mac -6d", "khai_mac +99999d", "khai_mac +1d 08:00", "khai_mac -1h", "2021-01-26",
    "9999-12-31", "0001-01-01", "2021-02-30", "2021-01-26 08:00", "@kenh", "@k", "-100200", "kenh", "followers",
    "followers:gender=1", "all", "https://api.example.vn/bot", "ftp://x", "http://", "http://h:99999/",
    "telegram", "zalo_bot", "console", "approver", "admin", "vi", "en", "Asia/Ho_Chi_Minh", "Mars/Base", "../etc",
    "TELEGRAM_BOT_TOKEN", "123:abc", "tg", "nope", "a\x00b", "\ufeff", "ß" * 300,
])
SCALARS = (st.booleans() | st.integers() | st.integers(-5, 5) | st.floats() | st.text(max_size=30) | NEAR_MISSES
           | st.dates() | st.datetimes() | st.times())
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                      max_leaves=8)


def set_path(data: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
    node[path[-1]] = value


def check_config_outcome(path: Path, *, located: bool = True) -> Config | None:
    """load_config either gives a usable Config or a ConfigError whose every problem names the file (and,
    when ``located``, some its line: only what is missing altogether, e.g. [campaign], has no line)."""
    try:
        config = load_config(path, env={})
    except ConfigError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.path == path and " / " in p.message, str(p)
        assert not located or any(p.line is not None for p in exc.problems), [str(p) for p in exc.problems]
        return None
    assert_sane(config)
    return config


def assert_sane(config: Config) -> None:
    """What "no value reaches the code unchecked" means for a config that loaded."""
    for d in (config.catch_up, config.approval.deadline, config.approval.ask_ahead, *config.approval.reminders,
              config.zalo.broadcast_lead, config.zalo.refresh_margin, config.delivery.backoff,
              config.delivery.backoff_max, config.delivery.sweep_every):
        assert timedelta(0) <= d <= MAX_DURATION
    assert config.delivery.max_attempts >= 1 and config.delivery.sweep_every >= timedelta(seconds=1)
    assert 1 <= config.approval.required <= config.approver_count
    for day in config.anchors.values():
        assert EARLIEST <= day <= LATEST
    for m in config.milestones:
        assert m.span.first_day >= EARLIEST and m.span.last_day <= LATEST
    for ch in config.channels.values():
        assert target_problem(ch.kind, ch.target) is None
    ids = [p.telegram for p in config.people.values() if p.telegram is not None]
    assert len(ids) == len(set(ids))
    for text in (config.name, *(c.label for c in config.channels.values()), *(p.name for p in config.people.values())):
        assert not CONTROL_RE.search(text)


@given(key=st.sampled_from(CONFIG_KEYS), value=VALUES)
def test_any_value_for_any_config_key(tmp_path_factory: Any, key: tuple[str | int, ...], value: Any) -> None:
    data = copy.deepcopy(BASE)
    set_path(data, key, value)
    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    check_config_outcome(path)


@given(data=st.binary(max_size=400) | st.builds(lambda at, junk: CONFIG.encode()[:at] + junk + CONFIG.encode()[at:],
                                                st.integers(0, len(CONFIG.encode())), st.binary(max_size=40)))
def test_any_bytes_as_config(tmp_path_factory: Any, data: bytes) -> None:
    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    path.write_bytes(data)
    check_config_outcome(path, located=False)


# --- content ------------------------------------------------------------------------------------

_CONFIG_CACHE: dict[str, Config] = {}


def fuzz_config(tmp_path_factory: Any) -> tuple[Config, Path]:
    if "c" not in _CONFIG_CACHE:
        camp = Campaign(tmp_path_factory.mktemp("content"))
        camp.write("anh.png", "png")
        _CONFIG_CACHE["c"] = camp.config()
    config = _CONFIG_CACHE["c"]
    return config, config.content_dir / "bai.md"


def check_post_outcome(path: Path, raw: bytes, config: Config) -> None:
    post, problems = load_post(path, raw, config)
    assert (post is None) == bool(problems)
    lines = raw.count(b"\n") + 1
    for p in problems:
        assert isinstance(p, Problem) and p.path == path, str(p)
        assert UNEXPECTED not in p.message, str(p)
        assert p.line is not None and 1 <= p.line <= lines, str(p)
        assert " / " in p.message and not CONTROL_RE.search(p.message), str(p)
    if post is not None:
        for text in (post.title, post.body, post.time_text, *(m.path for m in post.media)):
            assert not CONTROL_RE.search(text)
        assert EARLIEST.year <= post.scheduled_at.year <= LATEST.year


FRONT_VALUES = (st.text(max_size=40) | NEAR_MISSES | st.sampled_from(["khai-mac", "cao-diem", "[tg, zalo]", "[anh.png]", "true"])
                | st.lists(st.text(max_size=10) | NEAR_MISSES, max_size=3))
FRONT_MATTER = st.dictionaries(st.sampled_from(FRONT_MATTER_KEYS) | st.text(min_size=1, max_size=10), FRONT_VALUES, max_size=8)


@given(meta=FRONT_MATTER, body=st.text(max_size=300))
def test_any_front_matter_and_body(tmp_path_factory: Any, meta: dict[str, Any], body: str) -> None:
    config, path = fuzz_config(tmp_path_factory)
    front = yaml.safe_dump(meta, allow_unicode=True, default_flow_style=None) if meta else ""
    check_post_outcome(path, f"---\n{front}---\n{body}".encode("utf-8", "surrogatepass"), config)


@given(lines=st.lists(st.text(max_size=40) | NEAR_MISSES.map(lambda v: f"time: {v}"), max_size=8), body=st.text(max_size=100))
def test_any_front_matter_lines(tmp_path_factory: Any, lines: list[str], body: str) -> None:
    """Raw lines, not YAML a dumper wrote: unclosed quotes and brackets, tabs, stray colons."""
    config, path = fuzz_config(tmp_path_factory)
    check_post_outcome(path, ("---\ntitle: T\n" + "\n".join(lines) + "\n---\n" + body).encode("utf-8", "surrogatepass"), config)


@given(raw=st.binary(max_size=500))
def test_any_bytes_as_a_post(tmp_path_factory: Any, raw: bytes) -> None:
    config, path = fuzz_config(tmp_path_factory)
    check_post_outcome(path, raw, config)


@given(meta=FRONT_MATTER, body=st.text(max_size=200))
def test_good_post_syncs_beside_any_bad_one(store: Store, campaign: Campaign, meta: dict[str, Any], body: str) -> None:
    """End to end, on every configured database (PostgreSQL refuses NUL: nothing of the bad file may reach it)."""
    campaign.write("tot.md", post_text(title="Bài tốt"))
    front = yaml.safe_dump(meta, allow_unicode=True, default_flow_style=None) if meta else ""
    (campaign.content / "xau.md").write_bytes(f"---\n{front}---\n{body}".encode("utf-8", "surrogatepass"))
    report = sync(store, campaign.config(), FakeClock(datetime(2021, 1, 20, tzinfo=UTC)))
    assert all(UNEXPECTED not in p.message for p in report.problems)
    assert all(p.path == campaign.content / "xau.md" for p in report.problems)
    with store.session() as s:
        good = repo.post_by_key(s, "tot")
        assert good is not None and good.title == "Bài tốt" and good.source_error is None

