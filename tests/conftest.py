"""Shared fixtures: a small campaign on disk and a store on every configured database."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text

from campaign.clock import FakeClock
from campaign.config import Config, load_config
from campaign.store.db import Store
from tests.campaign_config import CONFIG

PG_URL = os.environ.get("LOA_TEST_DATABASE_URL")

# Property tests (hypothesis): "ci", the default, keeps the whole fuzz suite well under two minutes;
# HYPOTHESIS_PROFILE=deep runs twenty times the examples for a hunt before a release.
_FUZZ = {"deadline": None, "print_blob": True, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]}
settings.register_profile("ci", max_examples=100, **_FUZZ)
settings.register_profile("deep", max_examples=2000, **_FUZZ)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))



def post_text(title: str = "Bài", milestone: str = "khai-mac", time: str = "08:30", body: str = "Nội dung **đậm**.",
              **extra: str) -> str:
    lines = [f'title: "{title}"', f"milestone: {milestone}", f'time: "{time}"'] + [f"{k}: {v}" for k, v in extra.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


class Campaign:
    """A campaign folder a test can edit like an admin would."""

    def __init__(self, root: Path, config_text: str = CONFIG) -> None:
        self.root = root
        self.content = root / "content"
        self.content.mkdir(parents=True, exist_ok=True)
        self.config_path = root / "config.toml"
        self.config_path.write_text(config_text, encoding="utf-8")

    def write(self, rel: str, text: str) -> Path:
        path = self.content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def config(self, **kw: str) -> Config:
        return load_config(self.config_path, env={}, **kw)


@pytest.fixture
def campaign(tmp_path: Path) -> Campaign:
    return Campaign(tmp_path / "camp")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2021, 1, 20, 0, 0, tzinfo=UTC))


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(params=DATABASES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store: SQLite always, PostgreSQL when LOA_TEST_DATABASE_URL is set."""
    if request.param == "postgresql":
        assert PG_URL
        _reset_postgres(PG_URL)
        s = Store(PG_URL)
    else:
        s = Store(f"sqlite:///{tmp_path / 'loa.db'}")
    yield s
    s.close()
