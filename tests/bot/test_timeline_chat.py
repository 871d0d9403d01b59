"""/lich and /timeline without a date: a picture of the next 14 days, captioned with the counts."""

from __future__ import annotations

from campaign import picture
from campaign.store import repo
from tests.bot.conftest import BOSS, LAN, MINH, STRANGER, Live
from tests.conftest import post_text
from tests.pictures import mark_states, png_size, svg_height


async def _two_posts(live: Live) -> None:
    """One post approved by both approvers (the public may see it), one still waiting (staff only)."""
    live.campaign.write("a.md", post_text(title="Khai mạc Đại hội"))
    live.campaign.write("b.md", post_text(title="Bài chưa duyệt", time="10:00"))
    await live.engine.resync()
    with live.store.session() as s:
        approved = repo.post_by_key(s, "a").id
    await live.say(LAN, f"/duyet {approved}")
    await live.say(MINH, f"/duyet {approved}")


def _photos(live: Live) -> list[bytes]:
    return [next(iter(c.files.values())).content for c in live.tg.calls_to("sendPhoto") if c.ok]


async def test_public_and_staff_get_a_picture_with_their_counts(live: Live) -> None:
    await _two_posts(live)
    public = await live.say(STRANGER, "/lich")
    assert public.splitlines()[0] == "🗓 Lịch 14 ngày 25/01/2021 – 07/02/2021: 1 bài — 1 đã duyệt"
    assert "/tuannay" in public  # the text listing is one command away
    staff = await live.say(LAN, "/lich")
    assert staff.splitlines()[0] == "🗓 Lịch 14 ngày 25/01/2021 – 07/02/2021: 2 bài — 1 chờ duyệt, 1 đã duyệt"
    english = await live.say(BOSS, "/timeline")  # the admin reads English
    assert english.splitlines()[0] == ("🗓 The next 14 days, 25/01/2021 – 07/02/2021: 2 posts — "
                                       "1 waiting for approval, 1 approved")
    shown_public, shown_staff, _english = _photos(live)
    assert shown_public != shown_staff  # the waiting post is drawn for staff only
    cfg = live.campaign.config()
    drawn = picture.upcoming(live.store, cfg, live.clock.now(), "vi", public=False)
    assert mark_states(drawn.svg) == {"approved": 1, "waiting": 1}
    assert mark_states(picture.upcoming(live.store, cfg, live.clock.now(), "vi", public=True).svg) == {"approved": 1}
    width, height = png_size(shown_staff)
    assert width == picture.PNG_WIDTH
    assert abs(height - picture.PNG_WIDTH * svg_height(drawn.svg) / picture.CHAT_WIDTH) <= 1


async def test_lich_with_a_date_still_lists_that_day(live: Live) -> None:
    await _two_posts(live)
    answer = await live.say(LAN, "/lich 26/01")
    assert answer.startswith("🗓 Lịch ngày 26/01/2021") and "Bài chưa duyệt" in answer
    assert not _photos(live)


async def test_an_empty_fortnight_still_answers(live: Live) -> None:
    answer = await live.say(STRANGER, "/lich")
    assert answer.splitlines()[0] == "🗓 Lịch 14 ngày 25/01/2021 – 07/02/2021: 0 bài — chưa có bài nào"
    [photo] = _photos(live)
    assert png_size(photo)[0] == picture.PNG_WIDTH
