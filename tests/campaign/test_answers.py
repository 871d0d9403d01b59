"""The /pending list is counted and paged by the database: check it on every configured database."""

from __future__ import annotations

from campaign import answers
from campaign.clock import FakeClock
from campaign.store import repo
from campaign.store.db import Store
from campaign.sync import sync
from tests.conftest import Campaign, post_text


def vote(store: Store, key: str, person: str, decision: str = "approve") -> None:
    with store.session() as s:
        post = repo.post_by_key(s, key)
        repo.add_approval(s, post, person, decision, post.updated_at, "x" if decision == "reject" else None)
        s.commit()


def test_pending_pages_and_states(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    for n in range(20):
        campaign.write(f"p{n:02d}.md", post_text(title=f"Bài {n:02d}", milestone="cao-diem", time=f"day {1 + n % 6} {8 + n // 6:02d}:{n:02d}",
                                                 approvals="2" if n == 3 else "1"))
    cfg = campaign.config()
    sync(store, cfg, clock)
    vote(store, "p00", "lan")  # approved: not listed
    vote(store, "p03", "lan")  # 1 of 2: listed
    vote(store, "p05", "minh", "reject")  # rejected: listed
    first = answers.pending(store, cfg, clock.now(), "vi", page=0, page_size=15)
    second = answers.pending(store, cfg, clock.now(), "vi", page=1, page_size=15)
    assert first.total == second.total == 19
    assert len(first.lines) == 15 and len(second.lines) == 4
    listed = "\n".join(first.lines + second.lines)
    assert "Bài 00" not in listed and listed.count("• ") == 19
    assert "pending 1/2" in next(line for line in first.lines + second.lines if "Bài 03" in line)
    assert "rejected" in next(line for line in first.lines + second.lines if "Bài 05" in line)
    with store.session() as s:
        for post in repo.posts_between(s, None, None):
            post.status, post.published_hash = "published", post.content_hash
            s.add(post)
        s.commit()
    assert answers.pending(store, cfg, clock.now(), "en").lines == ["Nothing awaits approval. 🎉"]


def test_status_counts_deliveries_per_channel_kind(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    from campaign.deliveries import add_deliveries, text_payload

    cfg = campaign.config()
    with store.session() as s:
        add_deliveries(s, "post:a", ["tg", "nhom", "zalo"], text_payload("a"), clock.now())
        [failed] = add_deliveries(s, "post:b", ["zalo"], text_payload("b"), clock.now())
        failed.status = "failed"
        s.add(failed)
        s.commit()
    lines = answers.status(store, cfg, "en").lines
    assert "  telegram: pending 2" in lines
    assert any(line.startswith("  zalo_oa_group: ") and "failed 1" in line and "pending 1" in line for line in lines)
