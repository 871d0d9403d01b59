"""Drafts from chat: what one conversation step, one save and one formatted message cost.

    .venv/bin/python -m bench.drafts [--drafts 500]

Prints, on a throw-away campaign (the tests' config) and SQLite store:
- ``entities``: a 4,000-character message with 400 formatting entities turned into Markdown;
- ``steps``: the domain steps of one whole conversation (/moi, title, time, channels, body, preview)
  without saving: the free-slot query, the preview's ``load_post`` and rendering;
- ``save``: ``write_draft`` of N drafts with the same title and minute into one folder (every name
  after the first is taken: the worst case of the name search), per draft and the slowest one.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from campaign.clock import FakeClock
from campaign.compose import Desk, Op, Said, Studio
from campaign.config import load_config
from campaign.drafts import Entity, markdown_from_entities, write_draft
from campaign.store.db import Store
from tests.campaign_config import CONFIG

EDITOR = CONFIG.replace("[approval]", '[people.thu]\nname = "Thu"\nroles = ["editor"]\ntelegram = 14\n\n[approval]')


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1] if len(ordered) >= 20 else ordered[-1]
    return f"median {statistics.median(ordered) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms, max {ordered[-1] * 1000:.2f} ms"


def bench_entities(rounds: int) -> str:
    word = "Đại hội **XIII** [x] "  # Markdown-looking text to escape, Vietnamese letters
    text = (word * 200)[:4000]
    entities = [Entity("bold" if i % 2 else "text_link", i * 10, 6, "https://example.vn/a") for i in range(400)]
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        markdown_from_entities(text, entities)
        samples.append(time.perf_counter() - start)
    return f"entities (4,000 chars, 400 entities) x{rounds}: {_ms(samples)}"


def bench_steps(root: Path, rounds: int) -> str:
    (root / "content").mkdir(parents=True)
    (root / "config.toml").write_text(EDITOR, encoding="utf-8")
    config = load_config(root / "config.toml", env={})
    store = Store(f"sqlite:///{root / 'loa.db'}")
    studio = Studio(config, store, FakeClock(datetime(2021, 1, 25, 1, 0, tzinfo=UTC)), Desk())
    person = config.people["thu"]
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        studio.start(person, "vi", photos=True)
        studio.said("thu", Said("Khai mạc phiên trù bị"))
        studio.said("thu", Said("09:30"))
        studio.pressed("thu", Op.DONE)
        studio.said("thu", Said("Nội dung **đậm** và [liên kết](https://example.vn)."))
        studio.pressed("thu", Op.DONE)  # no photos: the preview
        samples.append(time.perf_counter() - start)
        studio.cancel("thu")
    store.close()
    return f"steps (one conversation up to the preview) x{rounds}: {_ms(samples)}"


def bench_save(root: Path, drafts: int) -> str:
    at = datetime(2021, 1, 26, 8, 30, tzinfo=UTC)
    samples = []
    for n in range(drafts):
        start = time.perf_counter()
        write_draft(root / "inbox", title="Cùng một tiêu đề", at=at, tz=UTC, channels=["tg"], body=f"bài {n}", author="thu")
        samples.append(time.perf_counter() - start)
    return f"save ({drafts} drafts, same name) : {_ms(samples)}; total {sum(samples):.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(bench_entities(args.rounds))
        print(bench_steps(Path(tmp) / "steps", args.rounds))
        print(bench_save(Path(tmp) / "save", args.drafts))


if __name__ == "__main__":
    main()
