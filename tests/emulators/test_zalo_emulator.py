"""The Zalo emulators answer like Zalo: quick checks with plain ``requests``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from tests.emulators.zalo import ZaloBotEmulator, ZaloOAEmulator, wait_until

TOKEN = "1459232241454765289:test-bot-token"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


@pytest.fixture
def oa() -> Iterator[ZaloOAEmulator]:
    with ZaloOAEmulator(followers=("u1",), hang_seconds=0.5) as emulator:
        yield emulator


@pytest.fixture
def bot() -> Iterator[ZaloBotEmulator]:
    with ZaloBotEmulator(TOKEN, hang_seconds=0.5) as emulator:
        yield emulator


def oa_post(oa: ZaloOAEmulator, path: str, token: str, **kw: Any) -> dict[str, Any]:
    r = requests.post(oa.oa_api_base + path, headers={"access_token": token}, timeout=5, **kw)
    assert r.status_code == 200, r.text
    return r.json()


def token_request(oa: ZaloOAEmulator, secret: str | None = None, **form: str) -> dict[str, Any]:
    r = requests.post(oa.oauth_base + "/v4/oa/access_token", data={"app_id": oa.app_id, **form},
                      headers={"secret_key": secret or oa.secret_key}, timeout=5)
    assert r.status_code == 200
    return r.json()


def test_code_exchange_and_single_use_refresh(oa: ZaloOAEmulator) -> None:
    first = token_request(oa, grant_type="authorization_code", code=oa.auth_code())
    assert first["expires_in"] == "90000" and oa.token_valid(first["access_token"])
    second = token_request(oa, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert oa.token_valid(second["access_token"])
    assert not oa.token_valid(first["access_token"])  # the old access token died with its refresh token
    again = token_request(oa, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert again["error"] == -14014 and again["error_name"] == "Invalid refresh token"
    assert token_request(oa, secret="wrong", grant_type="refresh_token",
                         refresh_token=second["refresh_token"])["error"] < 0
    assert oa.token_valid(second["access_token"])  # a refused request spends nothing


def test_access_token_expires_on_the_emulator_clock(oa: ZaloOAEmulator) -> None:
    access, _refresh, ttl = oa.issue_tokens()
    body = {"recipient": {"group_id": "g1"}, "message": {"text": "Xin chào"}}
    assert oa_post(oa, "/v3.0/oa/group/message", access, json=body)["error"] == 0
    oa.advance(ttl + 1)
    answer = oa_post(oa, "/v3.0/oa/group/message", access, json=body)
    assert answer == {"error": -216, "message": "Access token is invalid"}
    assert [m["text"] for m in oa.group_messages("g1")] == ["Xin chào"]


def test_group_image_by_attachment_and_text_limit(oa: ZaloOAEmulator) -> None:
    access, _, _ = oa.issue_tokens()
    up = oa_post(oa, "/v2.0/oa/upload/image", access, files={"file": ("a.png", PNG, "image/png")})
    attachment_id = up["data"]["attachment_id"]
    image = {"attachment": {"type": "template", "payload": {"template_type": "media", "elements": [
        {"media_type": "image", "attachment_id": attachment_id}]}}}
    assert oa_post(oa, "/v3.0/oa/group/message", access,
                   json={"recipient": {"group_id": "g1"}, "message": image})["error"] == 0
    assert oa.group_messages("g1")[0]["image"] == attachment_id
    too_long = oa_post(oa, "/v3.0/oa/group/message", access,
                       json={"recipient": {"group_id": "g1"}, "message": {"text": "x" * 2001}})
    assert too_long["error"] == -201
    unknown = oa_post(oa, "/v3.0/oa/group/message", access,
                      json={"recipient": {"group_id": "nope"}, "message": {"text": "x"}})
    assert unknown["error"] == -201
    big = oa_post(oa, "/v2.0/oa/upload/image", access, files={"file": ("b.png", b"0" * 1_000_001, "image/png")})
    assert big["error"] == -201


def test_article_processing_then_broadcast(oa: ZaloOAEmulator) -> None:
    access, _, _ = oa.issue_tokens()
    article = {"type": "normal", "title": "Khai mạc", "author": "Loa", "description": "d",
               "cover": {"cover_type": "photo", "photo_url": "https://media.example/c.jpg", "status": "show"},
               "body": [{"type": "text", "content": "Nội dung"}], "status": "show", "comment": "show"}
    token = oa_post(oa, "/v2.0/article/create", access, json=article)["data"]["token"]
    polls = [oa_post(oa, "/v2.0/article/verify", access, json={"token": token}) for _ in range(3)]
    assert [p["error"] for p in polls] == [-214, -214, 0]
    article_id = polls[-1]["data"]["id"]
    message = {"attachment": {"type": "template", "payload": {"template_type": "media", "elements": [
        {"media_type": "article", "attachment_id": article_id}]}}}
    sent = oa_post(oa, "/v2.0/oa/message", access, json={"recipient": {"target": {}}, "message": message})
    assert sent["error"] == 0 and oa.broadcasts[0]["article_id"] == article_id
    no_cover = oa_post(oa, "/v2.0/article/create", access, json={**article, "cover": {}})
    assert no_cover["error"] == -201


def test_user_messages_need_a_follower(oa: ZaloOAEmulator) -> None:
    access, _, _ = oa.issue_tokens()
    ok = oa_post(oa, "/v3.0/oa/message/cs", access, json={"recipient": {"user_id": "u1"}, "message": {"text": "hi"}})
    assert ok["error"] == 0
    no = oa_post(oa, "/v3.0/oa/message/promotion", access,
                 json={"recipient": {"user_id": "u2"}, "message": {"text": "hi"}})
    assert no["error"] == -213


def test_fault_injection_and_records(oa: ZaloOAEmulator) -> None:
    access, _, _ = oa.issue_tokens()
    body = {"recipient": {"group_id": "g1"}, "message": {"text": "x"}}
    oa.inject("rate_limit", path="/v3.0/oa/group/message")
    oa.inject(-230, count=1)
    assert oa_post(oa, "/v3.0/oa/group/message", access, json=body)["error"] == -32
    assert oa_post(oa, "/v3.0/oa/group/message", access, json=body)["error"] == -230
    oa.inject("502")
    r = requests.post(oa.oa_api_base + "/v3.0/oa/group/message", headers={"access_token": access}, json=body, timeout=5)
    assert r.status_code == 502
    oa.inject("drop")
    with pytest.raises(requests.ConnectionError):
        requests.post(oa.oa_api_base + "/v3.0/oa/group/message", headers={"access_token": access}, json=body, timeout=5)
    oa.inject("timeout")
    with pytest.raises(requests.ReadTimeout):
        requests.post(oa.oa_api_base + "/v3.0/oa/group/message", headers={"access_token": access}, json=body,
                      timeout=(1, 0.2))
    calls = oa.calls_to("/v3.0/oa/group/message")
    assert [c.fault for c in calls] == ["rate_limit", "-230", "502", "drop", "timeout"]
    assert all(c.access_token == access for c in calls) and calls[0].params == body
    assert oa.group_messages("g1") == []
    with pytest.raises(ValueError):
        oa.inject("nonsense")


def test_bot_send_limits_and_wrong_token(bot: ZaloBotEmulator) -> None:
    api = f"{bot.base_url}/bot{TOKEN}"
    me = requests.post(f"{api}/getMe", json={}, timeout=5).json()
    assert me["ok"] and me["result"]["id"] == "1459232241454765289"
    sent = requests.post(f"{api}/sendMessage", json={"chat_id": "u1", "text": "Xin chào"}, timeout=5).json()
    assert sent["ok"] and sent["result"]["message_id"]
    long = requests.post(f"{api}/sendMessage", json={"chat_id": "u1", "text": "x" * 2001}, timeout=5)
    assert long.status_code == 400 and long.json()["ok"] is False
    photo = requests.post(f"{api}/sendPhoto", json={"chat_id": "u1", "photo": "https://m.example/a.jpg",
                                                   "caption": "Ảnh"}, timeout=5).json()
    assert photo["ok"] and [m["kind"] for m in bot.messages("u1")] == ["text", "photo"]
    wrong = requests.post(f"{bot.base_url}/bot1:wrong/getMe", json={}, timeout=5)
    assert wrong.status_code == 401 and wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    bot.inject("429", path="sendMessage")
    flood = requests.post(f"{api}/sendMessage", json={"chat_id": "u1", "text": "x"}, timeout=5)
    assert flood.status_code == 429 and flood.json()["parameters"]["retry_after"] == 1
    bot.inject("500")
    assert requests.post(f"{api}/sendMessage", json={"chat_id": "u1", "text": "x"}, timeout=5).status_code == 500


def test_bot_long_polling_hands_out_each_update_once(bot: ZaloBotEmulator) -> None:
    api = f"{bot.base_url}/bot{TOKEN}"
    started = time.monotonic()
    empty = requests.post(f"{api}/getUpdates", json={"timeout": 0.2}, timeout=5)
    assert empty.json()["error_code"] == 408 and time.monotonic() - started >= 0.2
    threading.Timer(0.1, lambda: bot.user_text("u1", "/today")).start()
    got = requests.post(f"{api}/getUpdates", json={"timeout": 2}, timeout=5).json()
    assert got["ok"] and got["result"]["event_name"] == "message.text.received"
    assert got["result"]["message"]["text"] == "/today" and got["result"]["message"]["chat"]["id"] == "u1"
    assert requests.post(f"{api}/getUpdates", json={"timeout": 0.1}, timeout=5).json()["error_code"] == 408


class _Hook(BaseHTTPRequestHandler):
    received: list[tuple[str | None, dict[str, Any]]] = []

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Hook.received.append((self.headers.get("X-Bot-Api-Secret-Token"), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_bot_webhook_delivers_with_secret_header(bot: ZaloBotEmulator) -> None:
    api = f"{bot.base_url}/bot{TOKEN}"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/zalo"
        short = requests.post(f"{api}/setWebhook", json={"url": url, "secret_token": "short"}, timeout=5)
        assert short.status_code == 400
        bot.user_text("u1", "queued before the webhook")
        hook = requests.post(f"{api}/setWebhook", json={"url": url, "secret_token": "s3cret-token"}, timeout=5).json()
        assert hook["ok"] and hook["result"]["url"] == url
        bot.user_text("u2", "after")
        wait_until(lambda: len(_Hook.received) == 2)
        assert {secret for secret, _ in _Hook.received} == {"s3cret-token"}
        assert [b["result"]["message"]["text"] for _, b in _Hook.received] == ["queued before the webhook", "after"]
        assert requests.post(f"{api}/getUpdates", json={"timeout": 0.1}, timeout=5).status_code == 409
        assert requests.post(f"{api}/getWebhookInfo", json={}, timeout=5).json()["result"]["url"] == url
        requests.post(f"{api}/deleteWebhook", json={}, timeout=5)
        assert requests.post(f"{api}/getWebhookInfo", json={}, timeout=5).json()["result"]["url"] == ""
    finally:
        server.shutdown()
        server.server_close()
        _Hook.received.clear()
