"""The dashboard's rules over HTTP (httpx against the real server): sign-in links, sessions, CSRF,
roles, web approvals under the chat's rules, operations, the public page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from campaign import signin
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Delivery
from tests.web.board import LAN, MINH, STRANGER, Board, running_board


@pytest.fixture
async def board(tmp_path: Path, store: Store) -> AsyncIterator[Board]:
    async with running_board(tmp_path / "camp", store) as b:
        yield b


def token_of(link: str) -> str:
    return link.split("/signin/", 1)[1]


def csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


def waiting(board: Board, author_not: str = "tran_van_minh") -> int:
    with board.store.session() as s:
        for p in repo.posts_between(s, board.clock.now(), None, statuses=["scheduled"]):
            if p.approved_by < p.approvals_required and not p.rejected and p.author != author_not and p.id:
                return p.id
    raise AssertionError("no waiting post")


def actions(board: Board, **kw: object) -> list[tuple[str, str, dict]]:
    with board.store.session() as s:
        return [(e.actor, e.action, e.detail) for e in repo.audit_events(s, **kw)]  # type: ignore[arg-type]


async def test_without_a_session_only_public_pages_answer(board: Board) -> None:
    for path in ("/", "/approvals", "/operations", "/calendar", "/posts/1"):
        r = await board.http.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin"), path
    r = await board.http.post("/approvals/1", data={"decision": "approve"})
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    signin_page = await board.http.get("/signin")
    assert "/web" in signin_page.text and "/trangweb" in signin_page.text
    for path in ("/public", "/healthz", "/feeds/so-tttt.atom", "/led/so-tttt-sanh"):
        assert (await board.http.get(path)).status_code == 200, path


async def test_the_link_signs_in_once_with_a_safe_cookie(board: Board) -> None:
    link = await board.link(MINH)
    assert link.startswith(board.url + "/signin/")
    shown = await board.http.get(link[len(board.url):])  # what a link preview fetches: a button, no session
    assert shown.status_code == 200 and "Trần Văn Minh" in shown.text and "set-cookie" not in shown.headers
    r = await board.http.post("/signin", data={"token": token_of(link)})
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "loa_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=43200" in cookie
    assert "Secure" not in cookie  # plain http here (see the https test)
    again = await board.http.post("/signin", data={"token": token_of(link)})
    assert again.status_code == 403 and "đã được dùng" in again.text
    assert ("tran_van_minh", "web-signin", {}) in actions(board)
    assert any(a == "refused" and d.get("reason") == "used" for _who, a, d in actions(board))


async def test_forged_expired_and_strangers_get_no_session(board: Board) -> None:
    link = await board.link(MINH)
    token = token_of(link)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    r = await board.http.post("/signin", data={"token": forged})
    assert r.status_code == 403 and "loa_session" not in r.headers.get("set-cookie", "")
    board.clock.advance(signin.LINK_TTL + timedelta(seconds=1))
    r = await board.http.post("/signin", data={"token": token})
    assert r.status_code == 403 and "hết hạn" in r.text
    before = len(board.tg.messages(STRANGER))
    board.tg.user_message(STRANGER, "/web")
    await board.tg.wait_for(lambda: len(board.tg.messages(STRANGER)) > before)
    assert "/signin/" not in (board.tg.messages(STRANGER)[-1].get("plain") or "")
    async with httpx.AsyncClient(base_url=board.url, cookies={"loa_session": "x.y"}) as forged_cookie:
        assert (await forged_cookie.get("/")).status_code == 303


async def test_web_in_a_group_gives_no_link(board: Board) -> None:
    group = -1001000000001  # the approvers' group (approval requests arrive there too)
    board.tg.user_message(MINH, "/web", chat_id=group)
    await board.tg.wait_for(lambda: any("chat riêng" in (m.get("plain") or "") for m in board.tg.messages(group)))
    assert not any("/signin/" in (m.get("plain") or "") for m in board.tg.messages(group))
    with board.store.session() as s:
        assert not [e for e in repo.audit_events(s) if e.action == "web-link"]


async def test_a_session_ends_after_twelve_hours(board: Board) -> None:
    client = await board.signed_in(MINH)
    async with aclosing(client):
        assert (await client.get("/")).status_code == 200
        board.clock.advance(signin.SESSION_TTL)
        assert (await client.get("/")).status_code == 303


async def test_approve_on_the_web_under_the_chat_rules(board: Board) -> None:
    post_id = waiting(board)
    client = await board.signed_in(MINH)
    async with aclosing(client):
        page = await client.get(f"/posts/{post_id}")
        token = csrf(page.text)
        with board.store.session() as s:
            post = s.get(repo.Post, post_id)
            assert post is not None
            h = post.content_hash[:8]
        # no CSRF token, a wrong one: refused, nothing recorded
        assert (await client.post(f"/approvals/{post_id}", data={"decision": "approve", "hash": h})).status_code == 403
        assert (await client.post(f"/approvals/{post_id}", data={"decision": "approve", "hash": h, "csrf": "x"})).status_code == 403
        # a stale hash (the page showed other content): refused and audited
        r = await client.post(f"/approvals/{post_id}", data={"decision": "approve", "hash": "0" * 8, "csrf": token})
        assert r.status_code == 409 and "thay đổi" in r.text
        assert any(a == "refused" and d.get("reason") == "stale" for _w, a, d in actions(board, post_id=post_id))
        # reject needs a reason
        r = await client.post(f"/approvals/{post_id}", data={"decision": "reject", "hash": h, "csrf": token})
        assert r.status_code == 409 and "lý do" in r.text
        r = await client.post(f"/approvals/{post_id}", data={"decision": "approve", "hash": h, "csrf": token})
        assert r.status_code == 303 and r.headers["location"].startswith("/approvals?done=")
        with board.store.session() as s:
            assert [(a.person, a.decision) for a in repo.live_approvals(s, post_id)] == [("tran_van_minh", "approve")]
        assert ("tran_van_minh", "approved") in [(w, a) for w, a, _d in actions(board, post_id=post_id)]
        # the approvers' chat request shows the decision, as after a button press
        await board.tg.wait_for(lambda: any(m.get("edited") and "Trần Văn Minh" in (m.get("plain") or "")
                                            for m in board.tg.messages(-1001000000001)))
        listed = await client.get("/approvals")
        assert f"#{post_id} " not in listed.text


async def test_no_self_approval_on_the_web(board: Board) -> None:
    with board.store.session() as s:
        own = next(p for p in repo.posts_between(s, board.clock.now(), None, statuses=["scheduled"])
                   if p.author == "tran_van_minh")
        post_id, h = own.id, own.content_hash[:8]
    client = await board.signed_in(MINH)
    async with aclosing(client):
        page = await client.get(f"/posts/{post_id}")
        assert 'id="approve"' not in page.text
        r = await client.post(f"/approvals/{post_id}", data={"decision": "approve", "hash": h, "csrf": csrf(page.text)})
        assert r.status_code == 403 and "tự duyệt" in r.text
    assert any(a == "refused" and d.get("attempted") == "self-approve" for _w, a, d in actions(board, post_id=post_id))


async def test_operations_are_for_admins_and_act_like_the_chat(board: Board) -> None:
    lan = await board.signed_in(LAN)
    async with aclosing(lan):
        r = await lan.get("/operations")
        assert r.status_code == 403
        assert 'href="/operations"' not in (await lan.get("/")).text
    assert any(w == "nguyen_thi_lan" and a == "refused" for w, a, _d in actions(board))
    with board.store.session() as s:
        row = s.exec(repo.select(Delivery).where(Delivery.status == "sent")).first()
        assert row is not None
        row.status = "unknown"
        s.add(row)
        s.commit()
        bad_id = row.id
    minh = await board.signed_in(MINH)
    async with aclosing(minh):
        page = await minh.get("/operations")
        assert page.status_code == 200 and f'name="delivery" value="{bad_id}"' in page.text
        token = csrf(page.text)
        r = await minh.post("/operations/pause", data={"csrf": token})
        assert r.status_code == 303
        assert "TẠM DỪNG" in (await minh.get("/operations")).text
        r = await minh.post("/operations/went_out", data={"csrf": token, "delivery": str(bad_id)})
        assert r.status_code == 303
        await minh.post("/operations/resume", data={"csrf": token})
    with board.store.session() as s:
        row = s.get(Delivery, bad_id)
        assert row is not None and row.status == "skipped"
    done = [a for w, a, _d in actions(board) if w == "tran_van_minh"]
    assert "pause" in done and "skip" in done and "resume" in done


async def test_public_page_shows_only_approved_or_published(board: Board) -> None:
    with board.store.session() as s:
        posts = list(repo.posts_between(s, None, None))
    r = await board.http.get("/public")
    assert r.status_code == 200
    for p in posts:
        shown = p.title in r.text
        assert shown == (p.approved_by >= p.approvals_required and not p.rejected and p.status in ("scheduled", "published")), p.key
    assert "Trước Đại hội Đảng bộ tỉnh lần thứ XVII" in r.text and "/posts/" not in r.text


async def test_https_public_url_makes_the_cookie_secure(tmp_path: Path, store: Store) -> None:
    async with running_board(tmp_path / "camp", store, public_url="https://loa.example.vn") as b:
        link = await b.link(MINH)
        assert link.startswith("https://loa.example.vn/signin/")
        r = await b.http.post("/signin", data={"token": token_of(link)})
        assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


async def test_language_toggle(board: Board) -> None:
    client = await board.signed_in(MINH)
    async with aclosing(client):
        assert "Dòng thời gian chiến dịch" in (await client.get("/")).text
        r = await client.get("/lang/en", params={"next": "/approvals"})
        assert r.status_code == 303 and r.headers["location"] == "/approvals"
        assert "Waiting for my approval" in (await client.get("/approvals")).text
        r = await client.get("/lang/vi", params={"next": "https://evil.example"})
        assert r.headers["location"] == "/"


async def test_unknown_post_is_404(board: Board) -> None:
    client = await board.signed_in(MINH)
    async with aclosing(client):
        assert (await client.get("/posts/999999")).status_code == 404
        assert (await client.get("/posts/99999999999999")).status_code == 404

