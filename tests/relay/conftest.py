"""Relay fixtures: a local feed server and a campaign whose [[relay]] sources point at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from campaign.relay import PollOutcome
from tests.conftest import CONFIG, Campaign
from tests.emulators.feeds import FeedServer
from tests.jobs.conftest import tg  # noqa: F401 - the Telegram emulator fixture, shared


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def relay_block(url: str, *, id: str = "dcs", extra: str = "") -> str:  # noqa: A002 - the config key
    return (f'\n[[relay]]\nid = "{id}"\nurl = "{url}"\nlabel = "Báo Điện tử Đảng"\nmilestone = "cao-diem"\n'
            f'channels = ["tg"]\nevery = "10m"\nexcerpt = 120\nmax_items = 5\n{extra}')


def relay_campaign(root: Path, url: str, *, extra: str = "", base: str = CONFIG) -> Campaign:
    return Campaign(root / "camp", base + relay_block(url, extra=extra))


def drafts(campaign: Campaign, source: str = "dcs") -> list[Path]:
    folder = campaign.content / "relay" / source
    return sorted(folder.glob("*.md")) if folder.exists() else []


def written(outcome: PollOutcome | None) -> list[str]:
    assert outcome is not None, "the poll read nothing"
    return outcome.written
