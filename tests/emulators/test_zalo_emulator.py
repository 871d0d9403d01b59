"""The Zalo emulators answer like Zalo: quick checks with plain ``requests``."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from tests.emulators.zalo import ZaloBotEmulator, ZaloOAEmulator, wait_until

TOKEN = "1459232241454765289:test-bot-token"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64
GIF = b"GIF89a" + (3).to_bytes(2, "little") + (2).to_bytes(2, "little") + b"\x00" * 32


@pytest.fixture
def oa() -> Iterator[ZaloOAEmulator]:
    with ZaloOAEmulator(followers=("u1",), hang_seconds=0.5) as emulator:
        yield emulator


@pytest.fixture
def bot() -> Iterator[ZaloBotEmulator]:
    with ZaloBotEmulator(TOKEN, hang_seconds=0.5, max_poll_seconds=0.3) as emulator:
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
    access, refresh, ttl = oa.issue_tokens()
    body = {"recipient": {"group_id": "g1"}, "message": {"text": "Xin chào"}}
    assert oa_post(oa, "/v3.0/oa/group/message", access, json=body)["error"] == 0
    oa.advance(ttl + 1)
    answer = oa_post(oa, "/v3.0/oa/group/message", access, json=body)
    assert answer == {"error": -220, "message": "Access token has expired or been removed"}
    assert oa_post(oa, "/v3.0/oa/group/message", "AT-never-issued", json=body)["error"] == -216
    renewed = token_request(oa, grant_type="refresh_token", refresh_token=refresh)  # refreshed "elsewhere"
    assert oa_post(oa, "/v3.0/oa/group/message", access, json=body)["error"] == -220  # the replaced token
    assert oa_post(oa, "/v3.0/oa/group/message", renewed["access_token"], json=body)["error"] == 0
    assert [m["text"] for m in oa.group_messages("g1")] == ["Xin chào", "Xin chào"]


def test_consent_page_redirects_with_state_and_checks_pkce(oa: ZaloOAEmulator) -> None:
    verifier = "v" * 43
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    r = requests.get(oa.oauth_base + "/v4/oa/permission", params={
        "app_id": oa.app_id, "redirect_uri": "https://loa.example/cb", "code_challenge": challenge, "state": "st-1"},
        allow_redirects=False, timeout=5)
    assert r.status_code == 302 and r.headers["Location"].startswith("https://loa.example/cb?")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)
    assert query["state"] == ["st-1"]
    code = query["code"][0]
    wrong = token_request(oa, grant_type="authorization_code", code=code, code_verifier="w" * 43)
    assert wrong["error"] < 0 and "verifier" in wrong["error_description"]
    again = oa.auth_code(challenge)
    assert token_request(oa, grant_type="authorization_code", code=again, code_verifier=verifier)["access_token"]


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
    assert unknown["error"] == -403  # the OA is not in that group
    oa.disable_group("g1")
    disabled = oa_post(oa, "/v3.0/oa/group/message", access,
                       json={"recipient": {"group_id": "g1"}, "message": {"text": "x"}})
    assert disabled["error"] == -237
    big = oa_post(oa, "/v2.0/oa/upload/image", access, files={"file": ("b.png", b"0" * 1_000_001, "image/png")})
    assert big["error"] == -210


def test_gif_has_its_own_upload_and_media_type(oa: ZaloOAEmulator) -> None:
    access, _, _ = oa.issue_tokens()
    as_image = oa_post(oa, "/v2.0/oa/upload/image", access, files={"file": ("a.gif", GIF, "image/gif")})
    assert as_image["error"] == -201
    attachment_id = oa_post(oa, "/v2.0/oa/upload/gif", access,
                            files={"file": ("a.gif", GIF, "image/gif")})["data"]["attachment_id"]

    def gif(**element: Any) -> dict[str, Any]:
        return oa_post(oa, "/v3.0/oa/group/message", access, json={"recipient": {"group_id": "g1"}, "message": {
            "attachment": {"type": "template", "payload": {"template_type": "media", "elements": [element]}}}})

    assert gif(media_type="image", attachment_id=attachment_id)["error"] == -201  # a gif id is not an image id
    assert gif(media_type="gif", attachment_id=attachment_id)["error"] == -201  # width and height are needed
    assert gif(media_type="gif", attachment_id=attachment_id, width=3, height=2)["error"] == 0
    assert oa.group_messages("g1")[0] | {"message_id": "", "at": 0} == {
        "gif": attachment_id, "width": 3, "height": 2, "message_id": "", "at": 0}
    assert [kind for kind, _ in oa.uploads()] == ["gif"]


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
    oa.inject("token_expired", status=401)
    r = requests.post(oa.oa_api_base + "/v3.0/oa/group/message", headers={"access_token": access}, json=body, timeout=5)
    assert r.status_code == 401 and r.json()["error"] == -220
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
    assert [c.fault for c in calls] == ["rate_limit", "-230", "token_expired", "502", "drop", "timeout"]
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
    bot.inject("403", path="sendMessage")  # on the Bot platform 403 is its internal server error
    internal = requests.post(f"{api}/sendMessage", json={"chat_id": "u1", "text": "x"}, timeout=5)
    assert internal.status_code == 403 and internal.json() == {
        "ok": False, "error_code": 403, "description": "Internal server error"}


def test_bot_long_polling_hands_out_each_update_once(bot: ZaloBotEmulator) -> None:
    api = f"{bot.base_url}/bot{TOKEN}"
    started = time.monotonic()
    empty = requests.post(f"{api}/getUpdates", json={"timeout": 1}, timeout=5)  # held max_poll_seconds (0.3 s)
    assert empty.json()["error_code"] == 408 and time.monotonic() - started >= 0.3
    as_float = requests.post(f"{api}/getUpdates", json={"timeout": 1.0}, timeout=5)
    assert as_float.status_code == 400 and "whole number" in as_float.json()["description"]
    assert requests.post(f"{api}/getUpdates", json={"timeout": "1"}, timeout=5).json()["error_code"] == 408
    polls = bot.polls

    def text_once_the_poll_waits() -> None:  # a long poll: the message comes while it is held
        wait_until(lambda: bot.polls > polls)
        update = bot.user_text("u1", "/today")
        sent.append(update)

    sent: list[dict[str, Any]] = []
    writer = threading.Thread(target=text_once_the_poll_waits)
    writer.start()
    got = requests.post(f"{api}/getUpdates", json={"timeout": 2}, timeout=5).json()
    writer.join()
    assert got["ok"] and got["result"]["event_name"] == "message.text.received"
    assert got["result"]["message"]["text"] == "/today" and got["result"]["message"]["chat"]["id"] == "u1"
    assert not bot.polled_after(sent[0])  # handed out; the bot has not asked again, so it may still be on it
    assert requests.post(f"{api}/getUpdates", json={"timeout": 0}, timeout=5).json()["error_code"] == 408
    assert bot.polled_after(sent[0])  # it asked again: done with that one


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
        refused = requests.post(f"{api}/getUpdates", json={"timeout": 0}, timeout=5)
        assert refused.status_code == 400 and "webhook" in refused.json()["description"]
        assert requests.post(f"{api}/getWebhookInfo", json={}, timeout=5).json()["result"]["url"] == url
        requests.post(f"{api}/deleteWebhook", json={}, timeout=5)
        assert requests.post(f"{api}/getWebhookInfo", json={}, timeout=5).json()["result"]["url"] == ""
    finally:
        server.shutdown()
        server.server_close()
        _Hook.received.clear()
