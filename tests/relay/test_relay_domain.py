"""Relayed sources, the domain side: the [[relay]] config, reading feeds, safe text, the draft files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaign.config import load_config
from campaign.content import load_post
from campaign.drafts import Source, replace_draft, slug, write_draft
from campaign.errors import ConfigError
from campaign.feeds import FeedError, html_to_text, parse_feed
from campaign.relay import draft_fields, escape_markdown
from campaign.render import render_markdown
from tests.conftest import CONFIG, Campaign
from tests.emulators.feeds import atom, news, rss
from tests.relay.conftest import relay_block

URL = "https://dangcongsan.example/rss/thoi-su.rss"


def problems(tmp_path: Path, block: str) -> list[str]:
    camp = Campaign(tmp_path / "c", CONFIG + block)
    with pytest.raises(ConfigError) as info:
        load_config(camp.config_path, env={})
    return [str(p) for p in info.value.problems]


def test_relay_config_is_read_with_its_defaults(tmp_path: Path) -> None:
    cfg = Campaign(tmp_path / "c", CONFIG + relay_block(URL)).config()
    [r] = cfg.relays
    assert (r.id, r.url, r.label, r.milestone, r.channels) == ("dcs", URL, "Báo Điện tử Đảng", "cao-diem", ("tg",))
    assert r.every.total_seconds() == 600 and r.excerpt == 120 and r.max_items == 5
    assert "{link}" in r.body and cfg.relay("dcs") is r


@pytest.mark.parametrize(("bad", "expected"), [
    ('bogus = 1', "bogus"),
    ('every = "10s"', "every"),
    ('excerpt = "many"', "excerpt"),
    ('title = "{title} {author}"', "{title} {author}"),
    ('url = "dangcongsan.vn/rss"', "dangcongsan.vn/rss"),
])
def test_bad_relay_keys_name_their_line(tmp_path: Path, bad: str, expected: str) -> None:
    key = bad.split(" = ")[0]
    lines = relay_block(URL).splitlines()
    block = "\n".join([line for line in lines if not line.startswith(key + " ")] + [bad]) + "\n"
    [problem] = problems(tmp_path, block)
    line = (CONFIG + block).splitlines().index(bad) + 1
    assert f"config.toml:{line}:" in problem and expected in problem


def test_a_body_without_the_link_is_refused(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, relay_block(URL, extra='body = "{excerpt}"\n'))
    assert "config.toml:" in problem and "{link}" in problem


def test_relay_names_a_declared_milestone_and_channels(tmp_path: Path) -> None:
    block = (relay_block(URL).replace('"cao-diem"', '"nowhere"') + relay_block(URL, id="two").replace('["tg"]', '["zz"]')
             + relay_block("ftp://x/", id="three"))
    found = problems(tmp_path, block)
    assert len(found) == 3
    assert "unknown milestone 'nowhere'" in found[0]
    assert "unknown channel 'zz'" in found[1]
    assert "http:// or https:// feed address, not 'ftp://x/'" in found[2]


def test_duplicate_relay_id_is_an_error(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, relay_block(URL) + relay_block(URL + "?b=1"))
    assert "dcs" in problem and "duplicate relay id" in problem


def test_rss_and_atom_items_are_read_newest_first() -> None:
    items = parse_feed(rss(news(3)).encode(), URL)
    assert [i.title for i in items] == ["Tin số 2", "Tin số 1", "Tin số 0"]
    assert items[0].link == "https://dangcongsan.example/tin-2.html" and items[0].text == "Nội dung tin số 2."
    entries = parse_feed(atom([{"id": "urn:a", "link": "/tin/a", "title": "Trailer", "summary": "<b>Xem</b> ngay",
                                "updated": "2021-01-20T01:00:00Z"}]).encode(), "https://vtv.example/feed")
    assert [(e.title, e.link, e.text) for e in entries] == [("Trailer", "https://vtv.example/tin/a", "Xem ngay")]


def test_broken_xml_is_read_loosely_or_refused() -> None:
    loose = rss(news(2)).replace("</channel></rss>", "")  # truncated: the items before the break still count
    assert [i.title for i in parse_feed(loose.encode(), URL)] == ["Tin số 1", "Tin số 0"]
    with pytest.raises(FeedError):
        parse_feed(b"<html><body>502 Bad Gateway</body></html>", URL)
    with pytest.raises(FeedError):
        parse_feed(b"<rss><channel><item><title>\x00", URL)


def test_feed_html_becomes_safe_text() -> None:
    html = ('<p>Đại hội <b>XIII</b> &amp; nhân dân</p><script>alert("x")</script>'
            '<p><a href="javascript:alert(1)">bấm</a> <img src=x onerror=alert(2)></p>')
    text = html_to_text(html)
    assert text == "Đại hội XIII & nhân dân\n\nbấm"
    hostile = "**đậm** [link](javascript:alert(1)) <b>thẻ</b> &lt;script&gt;\n\n# tiêu đề\n\n- mục\n\n1. số"
    rendered = render_markdown(escape_markdown(hostile))
    assert "<b>thẻ</b>" not in rendered.telegram_html and "<a " not in rendered.telegram_html
    assert "<script>" not in rendered.telegram_html and "&lt;b&gt;thẻ&lt;/b&gt;" in rendered.telegram_html
    assert rendered.plain == hostile  # reads as itself, character for character


def test_template_fills_title_excerpt_and_source_link(tmp_path: Path) -> None:
    cfg = Campaign(tmp_path / "c", CONFIG + relay_block(URL)).config()
    [item] = parse_feed(rss(news(1, text="Một câu rất dài " * 20)).encode(), URL)
    title, body = draft_fields(cfg.relays[0], item, "vi")
    assert title == "Tin số 0"
    assert body.endswith("Nguồn: [Báo Điện tử Đảng](https://dangcongsan.example/tin-0.html)")
    excerpt = body.split("\n\n")[0]
    assert excerpt.endswith("…") and len(excerpt) <= 121


def test_write_draft_is_a_valid_post_and_never_overwrites(tmp_path: Path) -> None:
    camp = Campaign(tmp_path / "c", CONFIG)
    cfg = camp.config()
    folder = camp.content / "relay" / "dcs"
    args = {"title": 'Tin "nóng": Đại hội # 1', "at": datetime(2021, 1, 20, 1, 0, tzinfo=UTC), "tz": cfg.tz, "channels": ["tg"],
            "body": "Nội dung\x07 tin.", "author": "", "source": Source("Báo", "https://x.example/a"), "milestone": "cao-diem"}
    first, second = write_draft(folder, **args), write_draft(folder, **args)
    assert first.name == "20210120-0800-tin-nong-dai-hoi-1.md" and second.name == "20210120-0800-tin-nong-dai-hoi-1-2.md"
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temp file left behind
    post, errors = load_post(first, first.read_bytes(), cfg, key="relay/dcs/" + first.stem)
    assert errors == [] and post is not None
    assert post.title == 'Tin "nóng": Đại hội # 1' and post.body == "Nội dung tin."
    assert post.scheduled_at == datetime(2021, 1, 20, 1, 0, tzinfo=UTC)
    replace_draft(first, **{**args, "body": "Đã sửa."})
    assert first.read_text(encoding="utf-8").endswith("---\nĐã sửa.\n") and second.read_text(encoding="utf-8").endswith("tin.\n")
    assert slug("Đồng chí Tổng Bí thư") == "dong-chi-tong-bi-thu" and slug("!!!") == "bai"
