"""Series ("chuyên mục"): the slots of each [[series]] and which item file fills which slot.

A series' slots are the times its ``when`` gives within each of its milestones, in time order (a
time two of its milestones share counts once). Its items are the Markdown files directly in its
folder, in file-name order: the first file fills the first slot, and so on. Each item is a post of
its own whose key is its file's path, like any other post: renaming a file makes a new post (the old
one is withdrawn), while inserting a file before others moves every later item one slot on (their
time changes, which voids their approvals, as editing a post's time does). Number the files
(``01-…``, ``02-…``) and add new items at the end to keep the times of the others.
A slot with no file is empty: not a post, but shown by ``loa plan``, the dashboard and ``loa check``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from campaign.config import Config
from campaign.config.model import Series


@dataclass(frozen=True)
class Slot:
    series: Series
    number: int  # 1-based, in time order
    at: datetime  # aware, the campaign's zone
    milestone: str
    key: str | None  # the post key of the item file that fills it; None: empty

    @property
    def empty(self) -> bool:
        return self.key is None


@dataclass(frozen=True)
class Item:
    """One file of a series' folder: its place in file-name order and the slot it fills (None: none left)."""

    series: Series
    position: int  # 1-based
    slot: Slot | None
    slots: int  # how many slots the series has

    @property
    def time_text(self) -> str | None:
        """The post's ``time_text``: its slot's local time, absolute ("2021-01-20 07:00"); None without a slot."""
        return None if self.slot is None else f"{self.slot.at:%Y-%m-%d %H:%M}"


def slot_times(config: Config, series: Series) -> list[tuple[datetime, str]]:
    """(local time, milestone id) of every slot of ``series``, in time order, each time once."""
    seen: dict[datetime, str] = {}
    for mid in series.milestones:
        milestone = config.milestone(mid)
        if milestone is None:
            continue
        for at in series.when.slots(milestone.span, config.tz):
            seen.setdefault(at, mid)
    return sorted(seen.items())


def item_keys(config: Config, series: Series) -> list[str]:
    """The post keys of the series' item files, in file-name order (hidden files skipped, as everywhere)."""
    folder = config.content_dir / series.folder
    try:
        names = sorted(f for f in os.listdir(folder) if f.endswith(".md") and not f.startswith(".")
                       and os.path.isfile(folder / f))
    except OSError:
        return []
    return [series.prefix + f[:-3] for f in names]


def slots(config: Config, series: Series) -> list[Slot]:
    """Every slot of ``series`` with the item that fills it, if any."""
    keys = item_keys(config, series)
    return [Slot(series, i + 1, at, mid, keys[i] if i < len(keys) else None)
            for i, (at, mid) in enumerate(slot_times(config, series))]


def all_slots(config: Config) -> list[Slot]:
    """The slots of every series, in time order."""
    return sorted((s for series in config.series for s in slots(config, series)), key=lambda s: (s.at, s.series.id))


def items(config: Config) -> dict[str, Item]:
    """Post key -> its series item, for every file of every series' folder (read once per scan or sync)."""
    out: dict[str, Item] = {}
    for series in config.series:
        keys = item_keys(config, series)
        times = slot_times(config, series)
        for i, key in enumerate(keys):
            slot = Slot(series, i + 1, times[i][0], times[i][1], key) if i < len(times) else None
            out[key] = Item(series, i + 1, slot, len(times))
    return out
