"""Sync on every configured database (SQLite always, PostgreSQL with LOA_TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import campaign.sync as sync_module
from campaign.approvals import approval_state
from campaign.clock import FakeClock
from campaign.review import what_changed
from campaign.store import repo
from campaign.store.db import Store
from campaign.sync import sync
from tests.conftest import CONFIG, Campaign, post_text


def approve(store: Store, key: str, person: str, clock: FakeClock) -> None:
    with store.session() as s:
        post = repo.post_by_key(s, key)
        repo.add_approval(s, post, person, "approve", clock.now())
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


def test_new_posts_get_their_added_event_and_no_copy_of_their_body(store: Store, campaign: Campaign, clock: FakeClock,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync_module, "_BATCH", 2)  # several batches for 5 files
    for i in range(5):
        campaign.write(f"d{i % 2}/p{i}.md", post_text(title=f"P{i}", time=f"0{i}:30", channels="[tg, nhom]"))
    report = sync(store, campaign.config(), clock)
    assert report.added == ["d0/p0", "d0/p2", "d0/p4", "d1/p1", "d1/p3"] and not report.problems
    with store.session() as s:
        for key in report.added:
            post = repo.post_by_key(s, key)
            assert post.status == "scheduled" and post.source_error is None and post.updated_at == clock.now()
            assert post.channels == ["tg", "nhom"] and post.options == {"pin": False, "silent": False, "preview": True}
            assert post.source_path == str(campaign.content / f"{key}.md")
            assert repo.versions(s, post.id) == []  # the posts row is the newest version
            [event] = repo.audit_events(s, post_id=post.id)
            assert (event.action, event.ref, event.actor, event.detail) == ("added", key, "sync", {})


def test_batches_keep_every_outcome(store: Store, campaign: Campaign, clock: FakeClock,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync_module, "_BATCH", 2)
    for name in "abcd":
        campaign.write(f"{name}.md", post_text(title=name.upper(), time=f"0{'abcd'.index(name) + 1}:00"))
    cfg = campaign.config()
    sync(store, cfg, clock)
    campaign.write("b.md", post_text(title="B2", time="02:00"))
    bad = campaign.write("c.md", post_text(title="C", milestone="nope"))
    (campaign.content / "d.md").unlink()
    campaign.write("e.md", post_text(title="E", time="06:00"))
    report = sync(store, cfg, clock)
    assert (report.changed, report.withdrawn, report.added, report.unchanged) == (["b"], ["d"], ["e"], 1)
    assert [str(p).split(":")[0] for p in report.problems] == [str(bad)]
    assert actions(store, "c") == ["added", "source_broken"]
    assert actions(store, "d") == ["added", "withdrawn"]
    assert state(store, "c")[0].source_error
    # a changed config re-reads every file (all in batches), and changes nothing that did not change
    campaign.config_path.write_text(campaign.config_path.read_text() + "\n# comment\n")
    again = sync(store, campaign.config(), clock)
    assert again.changes == 0 and again.unchanged == 0 and len(again.problems) == 1


def test_sync_reports_warnings(store: Store, tmp_path: Path, clock: FakeClock) -> None:
    camp = Campaign(tmp_path / "bot", CONFIG + '\n[channels.bot]\nkind = "zalo_bot"\ntarget = "u1"\nlabel = "Bot"\n')
    (camp.content / "anh.png").write_bytes(b"png")
    camp.write("a.md", post_text(channels="[bot]", media="[anh.png]"))
    report = sync(store, camp.config(), clock)
    assert report.added == ["a"] and not report.problems
    [warning] = report.warnings
    assert warning.severity == "warning" and "media_base_url" in warning.message


def test_changing_default_channels_is_a_change_that_needs_approval(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    campaign.write("a.md", post_text())
    sync(store, campaign.config(), clock)
    approve(store, "a", "lan", clock)
    campaign.config_path.write_text(campaign.config_path.read_text().replace('channels = ["tg"]\n\n[people', 'channels = ["tg", "nhom"]\n\n[people'))
    report = sync(store, campaign.config(), clock)
    assert report.changed == ["a"]
    post, st = state(store, "a")
    assert post.channels == ["tg", "nhom"] and not st.approved


def test_what_changed_diffs_from_the_approved_version(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    campaign.write("a.md", post_text(title="Bản 1", body="Dòng chung.\nDòng cũ."))
    cfg = campaign.config()
    sync(store, cfg, clock)
    assert what_changed(store, "a").startswith("Bài mới, chưa có bản trước.")
    approve(store, "a", "lan", clock)
    clock.advance(60)
    campaign.write("a.md", post_text(title="Bản 1", body="Dòng chung.\nDòng mới."))
    sync(store, cfg, clock)
    clock.advance(60)
    campaign.write("a.md", post_text(title="Bản 3", body="Dòng chung.\nDòng mới hơn."))
    sync(store, cfg, clock)
    diff = what_changed(store, "a").splitlines()
    # from the approved first version, not from the unapproved second one
    assert "-title: Bản 1" in diff and "+title: Bản 3" in diff
    assert "-Dòng cũ." in diff and "+Dòng mới hơn." in diff and "-Dòng mới." not in diff
    with store.session() as s:
        post = repo.post_by_key(s, "a")
        kept = [(v.title, v.body.splitlines()[-1]) for v in repo.versions(s, post.id)]
    assert kept == [("Bản 1", "Dòng cũ."), ("Bản 1", "Dòng mới.")]


def test_what_changed_after_a_revert_compares_with_the_version_just_replaced(store: Store, campaign: Campaign,
                                                                             clock: FakeClock) -> None:
    cfg = campaign.config()
    for body in ("A.", "B.", "A.", "C."):
        campaign.write("a.md", post_text(body=body))
        sync(store, cfg, clock)
        clock.advance(60)
    diff = what_changed(store, "a").splitlines()
    assert "-A." in diff and "+C." in diff  # nothing approved: the previous content, A (seen again), not B


def _stored_stamp(store: Store, key: str) -> str | None:
    with store.session() as s:
        return repo.post_by_key(s, key).file_stat


def test_a_settled_unchanged_file_is_not_even_read(store: Store, campaign: Campaign, clock: FakeClock,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync_module, "STAMP_SETTLED_NS", 0)  # files written just now count as settled
    campaign.write("a.md", post_text())
    cfg = campaign.config()
    sync(store, cfg, clock)
    assert _stored_stamp(store, "a")

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("read a file whose stamp had not changed")

    monkeypatch.setattr(sync_module, "open", no_reading, raising=False)
    report = sync(store, cfg, clock)
    assert report.unchanged == 1 and report.changes == 0


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(store: Store, campaign: Campaign, clock: FakeClock,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """What `cp -p` or `rsync -t` can leave: same size, same mtime, other bytes (the change time differs)."""
    monkeypatch.setattr(sync_module, "STAMP_SETTLED_NS", 0)
    path = campaign.write("a.md", post_text(body="Nội dung A."))
    cfg = campaign.config()
    sync(store, cfg, clock)
    before = path.stat()
    path.write_text(post_text(body="Nội dung B."), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    report = sync(store, cfg, clock)
    assert report.changed == ["a"]
    assert "Nội dung B." in state(store, "a")[0].body


def test_a_touched_file_is_unchanged_and_gets_its_new_stamp(store: Store, campaign: Campaign, clock: FakeClock,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync_module, "STAMP_SETTLED_NS", 0)
    path = campaign.write("a.md", post_text())
    cfg = campaign.config()
    sync(store, cfg, clock)
    first = _stored_stamp(store, "a")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 5_000_000_000))
    report = sync(store, cfg, clock)
    assert report.unchanged == 1 and report.changes == 0
    assert _stored_stamp(store, "a") not in (None, first)


def test_a_file_written_moments_ago_is_not_trusted_on_its_stamp(store: Store, campaign: Campaign, clock: FakeClock) -> None:
    campaign.write("a.md", post_text())
    sync(store, campaign.config(), clock)
    assert _stored_stamp(store, "a") is None  # too recent: a write in the same clock tick would look the same
