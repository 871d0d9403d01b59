"""Benchmark what a series costs sync and ``loa check``: its items are parsed at every sync.

    python -m bench.series --posts 10000 --items 300

A campaign of N posts (``bench.sync.generate``) gets one more milestone, a year long, and a
[[series]] "every day 07:00" in it (351 slots) with K items (100-200-word Vietnamese bodies, as the posts).
Timed, best of --repeat, SQLite in a temporary folder:

  slots      ``campaign.series.items`` (list the folder, compute the slots): done once per scan and sync
  scan       ``campaign.content.scan_content`` over the N posts and K items
  cold       ``sync()`` into a fresh store
  resync     ``sync()`` again with nothing changed: the N posts are skipped on their stat stamp,
             the K items are read and parsed (their slot depends on the folder)

and the same campaign without the series (its N posts only), so the difference is the series'.
Target: the no-change resync stays under 10 % of the cold sync (the sync target, docs/benchmarks.md).
Results: docs/benchmarks.md, "Series (issue 15)".
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.sync import best_of, generate, post_file
from campaign.clock import FakeClock
from campaign.config import load_config
from campaign.content import scan_content
from campaign.series import items
from campaign.store.db import Store
from campaign.sync import STAMP_SETTLED_NS, sync

SERIES = """
[[milestones]]
id = "ca-nam"
title = "Cả năm"
phase = "after"
start = "khai_mac +15d"
end = "khai_mac +365d"

[[series]]
id = "chao-mung"
title = "Chào mừng Đại hội XIII của Đảng"
milestone = "ca-nam"
when = "every day 07:00"
"""


def build(root: Path, posts: int, series_items: int) -> Path:
    config_path, _ = generate(root, posts)
    if series_items:
        config_path.write_text(config_path.read_text(encoding="utf-8") + SERIES, encoding="utf-8")
        folder = root / "content" / "series" / "chao-mung"
        folder.mkdir(parents=True)
        rng = random.Random(15)
        for i in range(series_items):
            text = post_file(rng, i, "ca-nam", 1, 7 * 60)
            text = "\n".join(line for line in text.split("\n") if not line.startswith(("time:", "milestone:")))
            (folder / f"{i:04d}-bai.md").write_text(text, encoding="utf-8")
    time.sleep(STAMP_SETTLED_NS / 1e9 + 0.5)  # files older than the stamp margin, as an admin's are
    return config_path


def measure(posts: int, series_items: int, repeat: int) -> dict[str, float]:
    root = Path(tempfile.mkdtemp(prefix="loa-bench-series-"))
    try:
        config = load_config(build(root / "camp", posts, series_items), env={})
        clock = FakeClock(datetime(2021, 1, 1, tzinfo=UTC))
        out = {"slots": best_of(repeat, lambda: items(config))[0], "scan": best_of(repeat, lambda: scan_content(config))[0]}
        stores: list[Store] = []

        def fresh(i: int) -> None:
            stores.append(Store(f"sqlite:///{root / f'cold-{i}.db'}"))

        out["cold"], report = best_of(repeat, lambda: sync(stores[-1], config, clock), before=fresh)
        assert not report.problems, report.problems[:3]
        out["resync"], again = best_of(repeat, lambda: sync(stores[-1], config, clock))
        assert again.changes == 0
        for s in stores:
            s.close()
        return out
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--posts", type=int, default=10000)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = [("without the series", measure(args.posts, 0, args.repeat)),
            (f"with {args.items} series items", measure(args.posts, args.items, args.repeat))]
    print(f"{args.posts} posts, best of {args.repeat} (seconds)")
    print(f"{'':28} {'slots':>8} {'scan':>8} {'cold':>8} {'resync':>8} {'resync/cold':>12}")
    for name, r in rows:
        print(f"{name:28} {r['slots']:8.4f} {r['scan']:8.3f} {r['cold']:8.3f} {r['resync']:8.3f} {r['resync'] / r['cold']:11.1%}")
    worst = rows[1][1]["resync"] / rows[1][1]["cold"]
    print(f"target: no-change resync < 10% of cold: {'met' if worst < 0.10 else 'MISSED'} ({worst:.1%})")


if __name__ == "__main__":
    main()
