"""Sync on every configured database (SQLite always, PostgreSQL with LOA_TEST_DATABASE_URL)."""

from __future__ import annotations

from campaign.approvals import approval_state
from campaign.clock import FakeClock
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Approval
from campaign.sync import sync
from tests.conftest import Campaign, post_text


def approve(store: Store, key: str, person: str, clock: FakeClock) -> None:
    with store.session() as s:
        post = repo.post_by_key(s, key)
        s.add(Approval(post_id=post.id, content_hash=post.content_hash, person=person, decision="approve", at=clock.now()))
        s.commit()


def state(store: Store, key: str):
    with store.session() as s:
        post = repo.post_by_key(s, key)
        return post, approval_state(post, repo.live_approvals(s, post.id))


def actions(store: Store, key: str) -> list[str]:
    with store.session() as s:
        post = repo.post_by_key(s, key)
        return [e.action for e in repo.audit_events(s, post_id=post.id)]


def test_add_then_idempotent(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    campaign.write("a.md", post_text(title="A"))
    campaign.write("sub/b.md", post_text(title="B", time="09:00"))
    cfg = campaign.config()
    first = sync(store, cfg, clock)
    assert sorted(first.added) == ["a", "sub/b"] and not first.problems
    second = sync(store, cfg, clock)
    assert second.changes == 0 and second.unchanged == 2
    post, _ = state(store, "sub/b")
    assert post.status == "scheduled" and post.scheduled_at.tzinfo is not None
    assert post.scheduled_at.isoformat() == "2021-01-26T02:00:00+00:00"
    assert actions(store, "a") == ["added"]


def test_change_voids_approvals_and_is_audited(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    campaign.write("a.md", post_text())
    cfg = campaign.config()
    sync(store, cfg, clock)
    approve(store, "a", "lan", clock)
    assert state(store, "a")[1].approved
    clock.advance(60)
    campaign.write("a.md", post_text(body="Nội dung đã sửa."))
    report = sync(store, cfg, clock)
    assert report.changed == ["a"]
    post, st = state(store, "a")
    assert not st.approved and "đã sửa" in post.body
    assert actions(store, "a") == ["added", "changed"]


def test_time_only_change_is_a_reschedule(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    campaign.write("a.md", post_text())
    cfg = campaign.config()
    sync(store, cfg, clock)
    campaign.write("a.md", post_text(time="10:00"))
    report = sync(store, cfg, clock)
    assert report.changed == ["a"]  # the front matter is part of the approved content


def test_moving_an_anchor_reschedules_unchanged_files(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    campaign.write("a.md", post_text())
    sync(store, campaign.config(), clock)
    campaign.config_path.write_text(campaign.config_path.read_text().replace("2021-01-26", "2021-01-27"))
    report = sync(store, campaign.config(), clock)
    assert report.rescheduled == ["a"]
    post, _ = state(store, "a")
    assert post.scheduled_at.isoformat() == "2021-01-27T01:30:00+00:00"


def test_delete_withdraws_and_keeps_history(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    path = campaign.write("a.md", post_text())
    cfg = campaign.config()
    sync(store, cfg, clock)
    path.unlink()
    report = sync(store, cfg, clock)
    assert report.withdrawn == ["a"]
    post, _ = state(store, "a")
    assert post.status == "withdrawn" and post.body
    assert sync(store, cfg, clock).changes == 0
    campaign.write("a.md", post_text())
    assert sync(store, cfg, clock).restored == ["a"]
    assert state(store, "a")[0].status == "scheduled"
    assert actions(store, "a") == ["added", "withdrawn", "restored"]


def test_broken_file_keeps_last_good_version_and_others(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    campaign.write("a.md", post_text(title="A"))
    campaign.write("b.md", post_text(title="B", time="09:00"))
    cfg = campaign.config()
    sync(store, cfg, clock)
    bad = campaign.write("a.md", post_text(title="A", milestone="nope"))
    campaign.write("b.md", post_text(title="B2", time="09:00"))
    report = sync(store, cfg, clock)
    assert report.changed == ["b"]
    assert len(report.problems) == 1 and str(report.problems[0]).startswith(f"{bad}:3:")
    a, _ = state(store, "a")
    assert a.title == "A" and a.status == "scheduled" and a.source_error
    assert state(store, "b")[0].title == "B2"
    campaign.write("a.md", post_text(title="A"))
    sync(store, cfg, clock)
    assert state(store, "a")[0].source_error is None


def test_change_after_publish_is_recorded_not_silent(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    path = campaign.write("a.md", post_text())
    cfg = campaign.config()
    sync(store, cfg, clock)
    with store.session() as s:
        post = repo.post_by_key(s, "a")
        post.status, post.published_hash = "published", post.content_hash
        s.add(post)
        s.commit()
    campaign.write("a.md", post_text(body="Đính chính."))
    report = sync(store, cfg, clock)
    assert report.changed_after_publish == ["a"] and not report.changed
    post, _ = state(store, "a")
    assert post.status == "published" and post.changed_after_publish
    path.unlink()
    sync(store, cfg, clock)
    assert state(store, "a")[0].status == "published"
    assert actions(store, "a")[-2:] == ["changed_after_publish", "source_deleted_after_publish"]
