"""Feeds: what is published to a feed channel comes back out of /feeds/<name>.atom|.rss|.json, parsed by a
real feed reader (feedparser); retract removes, correct rewrites in place; ETag and If-None-Match answer 304."""

from __future__ import annotations

import json

import feedparser

from tests.web.conftest import PNG, PUBLIC, Site


async def test_atom_rss_and_json_feed_parse_back_newest_first(site: Site) -> None:
    await site.publish("a", "Khai mạc Đại hội đại biểu Đảng bộ tỉnh")
    await site.publish("b", "Ảnh phiên trù bị", body="Đại biểu dự phiên trù bị.\n\n![Ảnh](media/anh.png)",
                       media="[media/anh.png]")
    for fmt in ("atom", "rss"):
        r = await site.http.get(f"/feeds/so-tttt.{fmt}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(f"application/{fmt}+xml")
        feed = feedparser.parse(r.content)
        assert not feed.bozo, feed.bozo_exception
        assert feed.feed.title == "Tin của Sở"
        assert [e.title for e in feed.entries] == ["Ảnh phiên trù bị", "Khai mạc Đại hội đại biểu Đảng bộ tỉnh"]
        assert all(e.id.startswith("urn:uuid:") for e in feed.entries)
        assert len({e.id for e in feed.entries}) == 2
        [enclosure] = feed.entries[0].enclosures
        assert enclosure.href.startswith(f"{PUBLIC}/media/") and enclosure.href.endswith("/anh.png")
        assert enclosure.type == "image/png" and int(enclosure.length) == len(PNG)
        assert "<b>đậm</b>" in feed.entries[1].content[0].value or "<b>đậm</b>" in feed.entries[1].summary
    r = await site.http.get("/feeds/so-tttt.json")
    assert r.headers["content-type"].startswith("application/feed+json")
    doc = json.loads(r.content)
    assert doc["version"] == "https://jsonfeed.org/version/1.1" and doc["feed_url"] == f"{PUBLIC}/feeds/so-tttt.json"
    assert [i["title"] for i in doc["items"]] == ["Ảnh phiên trù bị", "Khai mạc Đại hội đại biểu Đảng bộ tỉnh"]
    assert doc["items"][0]["attachments"][0]["mime_type"] == "image/png"
    assert doc["items"][1]["content_text"] == "Nội dung đậm của bài."
    # the enclosure is served (under the item's own address)
    path = doc["items"][0]["attachments"][0]["url"].removeprefix(PUBLIC)
    media = await site.http.get(path)
    assert media.status_code == 200 and media.content == PNG and "max-age" in media.headers["cache-control"]


async def test_etag_gives_304_until_something_changes(site: Site) -> None:
    await site.publish("a", "Bài một")
    first = await site.http.get("/feeds/so-tttt.atom")
    etag = first.headers["etag"]
    again = await site.http.get("/feeds/so-tttt.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other_format = await site.http.get("/feeds/so-tttt.json", headers={"If-None-Match": etag})
    assert other_format.status_code == 200  # each representation has its own tag
    await site.publish("b", "Bài hai")
    changed = await site.http.get("/feeds/so-tttt.atom", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert [e.title for e in feedparser.parse(changed.content).entries] == ["Bài hai", "Bài một"]


async def test_retract_removes_and_correct_rewrites_in_place(site: Site) -> None:
    await site.publish("a", "Bài sẽ được đính chính", body="Nội dung cũ.")
    await site.publish("b", "Bài sẽ bị thu hồi")
    before = {e.title: e.id for e in feedparser.parse((await site.http.get("/feeds/so-tttt.atom")).content).entries}
    etag = (await site.http.get("/feeds/so-tttt.atom")).headers["etag"]

    await site.retract("b")
    r = await site.http.get("/feeds/so-tttt.atom", headers={"If-None-Match": etag})
    assert r.status_code == 200
    assert [e.title for e in feedparser.parse(r.content).entries] == ["Bài sẽ được đính chính"]
    led = json.loads((await site.http.get("/led/sanh.json")).content)
    assert [i["title"] for i in led["items"]] == ["Bài sẽ được đính chính"]

    await site.correct("a", "Bài đã đính chính", "Nội dung mới, đã sửa.")
    [entry] = feedparser.parse((await site.http.get("/feeds/so-tttt.atom")).content).entries
    assert entry.title == "Bài đã đính chính" and "Nội dung mới, đã sửa." in entry.content[0].value
    assert entry.id == before["Bài sẽ được đính chính"]  # the same item, updated: readers replace it
    assert entry.updated_parsed >= entry.published_parsed


async def test_only_the_latest_fifty(site: Site) -> None:
    from campaign import pull

    for n in range(53):
        pull.record(site.store, "feed", "so-tttt", pull.Published(f"Tin {n}", "<p>x</p>", "x"), site.clock.now())
        site.clock.advance(1)
    doc = json.loads((await site.http.get("/feeds/so-tttt.json")).content)
    assert len(doc["items"]) == 50 and doc["items"][0]["title"] == "Tin 52" and doc["items"][-1]["title"] == "Tin 3"


async def test_unknown_feed_and_unpublished_media_are_not_found(site: Site) -> None:
    assert (await site.http.get("/feeds/khong-co.atom")).status_code == 404
    assert (await site.http.get("/feeds/so-tttt.xml")).status_code == 404
    assert (await site.http.get("/led/so-tttt")).status_code == 404  # a feed is not a screen
    assert (await site.http.get("/media/1/0/anh.png")).status_code == 404  # nothing published: nothing served
    await site.publish("a", "Có ảnh", media="[media/anh.png]")
    doc = json.loads((await site.http.get("/feeds/so-tttt.json")).content)
    url = doc["items"][0]["attachments"][0]["url"].removeprefix(PUBLIC)
    assert (await site.http.get(url.replace("anh.png", "khac.png"))).status_code == 404
    await site.retract("a")
    assert (await site.http.get(url)).status_code == 404  # retracted: its files go too
