"""The fast reading of simple front matter must say exactly what YAML's base loader says, or pass."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from campaign.content import simple_front_matter

ROOT = Path(__file__).resolve().parents[2]


def base_loader(fm: str) -> object:
    return yaml.load(fm, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))  # noqa: S506 - as load_post falls back to


TAKEN = [
    ('title: "Chào mừng: Đại hội #XIII"', {"title": "Chào mừng: Đại hội #XIII"}),
    ("title: 'Trích: \"lời\" hay'", {"title": 'Trích: "lời" hay'}),
    ("title: Đại hội đại biểu, lần thứ XIII (2021)", {"title": "Đại hội đại biểu, lần thứ XIII (2021)"}),
    ("time: 20:00", {"time": "20:00"}),  # a string, not YAML 1.1's sexagesimal 1200
    ("time: day 2 08:30   ", {"time": "day 2 08:30"}),
    ("time: start -1d 20:00", {"time": "start -1d 20:00"}),
    ("pin: no", {"pin": "no"}),
    ("approvals: 02", {"approvals": "02"}),
    ("author: ~", {"author": "~"}),
    ("channels: [tg, zalo_oa]", {"channels": ["tg", "zalo_oa"]}),
    ("channels: [ tg ,nhom ]", {"channels": ["tg", "nhom"]}),
    ("channels: []", {"channels": []}),
    ("media: [anh/a.jpg, ../chung/b.png]", {"media": ["anh/a.jpg", "../chung/b.png"]}),
    ('media: ["../media/a b.png", c.jpg ]', {"media": ["../media/a b.png", "c.jpg"]}),
    ("title: [0\u00a0]", {"title": ["0\u00a0"]}),  # YAML trims spaces, not every Unicode blank
    ("title: a\n\nmilestone: b\ntitle: c", {"title": "c", "milestone": "b"}),  # last one wins, like PyYAML
]

LEFT_TO_YAML = [
    "title: a: b",  # YAML error: it must report it
    "title: ends with colon:",
    "title: Chào # a comment",
    'title: "with \\" escape"',
    "title: 'it''s'",
    "title: |\n  block",
    "title: >\n  folded",
    "title: &a x",
    "title: *a",
    "title: !tag x",
    "title: @x",
    "title: `x`",
    "title: %x",
    "title: -x",
    "title: ?x",
    "channels:\n  - tg\n  - zalo",
    "channels: [tg, [nested]]",
    "channels: [a: b]",
    'channels: ["a, b"]',
    "channels: ['a']",
    "title: x\ty",
    "channels: {a: b}",
    "# comment\ntitle: x",
    "  title: indented",
    "title:x",
    "title:",
    "title : x",
    "title: a\r",
    "title: a\x07bell",
    "title: multi\n  line",
    "title: x\n...",
    "1title: x",
]


@pytest.mark.parametrize(("fm", "expected"), TAKEN)
def test_simple_lines_are_read_as_yaml_reads_them(fm: str, expected: dict[str, object]) -> None:
    assert simple_front_matter(f"\n{fm}\n") == expected
    assert base_loader(f"\n{fm}\n") == expected


@pytest.mark.parametrize("fm", LEFT_TO_YAML)
def test_anything_else_is_left_to_yaml(fm: str) -> None:
    assert simple_front_matter(f"\n{fm}\n") is None


def test_every_sample_post_takes_the_fast_path_with_the_same_result() -> None:
    files = sorted((ROOT / "content").rglob("*.md"))
    assert len(files) >= 25
    for path in files:
        fm = path.read_text(encoding="utf-8").split("---", 2)[1]
        assert simple_front_matter(fm) == base_loader(fm), path


PIECES = ["a", "Đ", "ờ", " ", "  ", "\t", ":", ": ", "#", " #", ",", "[", "]", "{", "}", '"', "'", "\\", "-", "- ",
          "?", "!", "&", "*", "|", ">", "%", "@", "`", "~", "0", "1.5", "yes", "null", ".", "/", "\u00a0", "🎉"]


def test_random_values_never_read_differently() -> None:
    rng = random.Random(2021_01_26)
    taken = 0
    for _ in range(4000):
        value = "".join(rng.choices(PIECES, k=rng.randint(1, 6)))
        shape = rng.random()
        if shape < 0.2:
            value = f'"{value}"'
        elif shape < 0.3:
            value = f"'{value}'"
        elif shape < 0.5:
            value = "[" + ", ".join(value.split(",")) + "]"
        fm = f"\ntitle: {value}\nmilestone: m\n"
        fast = simple_front_matter(fm)
        if fast is None:
            continue
        taken += 1
        try:
            expected = base_loader(fm)
        except yaml.YAMLError:
            pytest.fail(f"fast path read {fm!r} as {fast!r}; YAML refuses it")
        assert fast == expected, fm
    assert taken > 1000  # the comparison above ran on real cases
