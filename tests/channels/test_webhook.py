"""The webhook channel against a local receiver that checks signatures and drops repeated keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from campaign.deliveries import post_payload
from campaign.errors import ChannelError
from campaign.kinds import spec
from campaign.store.models import Post
from channels.base import OutMessage
from channels.webhook import WebhookChannel, idempotency_key, sign, verify
from tests.emulators.webhook_receiver import WebhookReceiver

SECRET = "s3cret-for-tests"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(SECRET) as r:
        yield r


def post(body: str = "Chào mừng **Đại hội** XIII. Xem [trực tiếp](https://dangcongsan.vn/a?b=1&c=2).") -> Post:
    from datetime import UTC, datetime
    return Post(key="dai-hoi/khai-mac.md", source_path="dai-hoi/khai-mac.md", title="Khai mạc Đại hội", milestone="khai-mac",
                scheduled_at=datetime(2021, 1, 26, 1, 30, tzinfo=UTC), channels=["portal"],
                media=[{"path": "img/a.png"}], body=body, content_hash="a" * 64, file_hash="b" * 64,
                updated_at=datetime(2021, 1, 20, tzinfo=UTC))


def message(content: Path, delivery_id: int | None = 7, p: Post | None = None) -> OutMessage:
    return OutMessage.from_payload(post_payload(p or post()), content, delivery_id=delivery_id)


def channel(content: Path, secret: str = SECRET) -> WebhookChannel:
    return WebhookChannel(secret, channel="portal", content_dir=content, timeout=0.5, connect_timeout=0.5,
                          media_url=lambda path: f"https://cdn.example.vn/{path.name}")


async def test_publish_correct_retract(receiver: WebhookReceiver, tmp_path: Path) -> None:
    ch = channel(tmp_path)
    sent = await ch.send(receiver.url, message(tmp_path))
    assert sent.message_ids == ("7", "dai-hoi/khai-mac.md")
    doc = receiver.documents["dai-hoi/khai-mac.md"]
    assert doc["event"] == "publish" and doc["title"] == "Khai mạc Đại hội" and doc["channel"] == "portal"
    assert doc["body"]["markdown"].startswith("Chào mừng **Đại hội**")
    assert doc["body"]["html"] == ('<p>Chào mừng <b>Đại hội</b> XIII. Xem '
                                   '<a href="https://dangcongsan.vn/a?b=1&amp;c=2">trực tiếp</a>.</p>')
    assert "(https://dangcongsan.vn/a?b=1&c=2)" in doc["body"]["text"]
    assert doc["media"] == [{"path": "img/a.png", "url": "https://cdn.example.vn/a.png"}]
    assert doc["milestone"] == "khai-mac" and doc["time"] == "2021-01-26T01:30:00+00:00" and doc["version"] == "a" * 16
    first = receiver.requests[-1]
    assert first.method == "POST" and first.signature_ok
    assert first.headers["Idempotency-Key"] == idempotency_key("7", first.body)

    fixed = post("Đính chính: khai mạc lúc **8 giờ**.")
    fixed.content_hash = "c" * 64
    await ch.edit(receiver.url, sent.message_ids, message(tmp_path, None, fixed))
    assert receiver.requests[-1].method == "PUT"
    assert receiver.documents["dai-hoi/khai-mac.md"]["body"]["text"] == "Đính chính: khai mạc lúc 8 giờ."
    assert receiver.documents["dai-hoi/khai-mac.md"]["event"] == "correct"
    assert receiver.requests[-1].headers["Idempotency-Key"].startswith("loa-7-")  # same delivery, new content

    await ch.delete(receiver.url, sent.message_ids)
    assert receiver.requests[-1].method == "DELETE" and receiver.documents == {}
    assert receiver.removed == {"dai-hoi/khai-mac.md"}
    assert len({r.headers["Idempotency-Key"] for r in receiver.requests}) == 3
    await ch.close()


async def test_a_lost_answer_is_resent_and_the_receiver_drops_the_repeat(receiver: WebhookReceiver, tmp_path: Path) -> None:
    ch = channel(tmp_path)
    assert spec(ch.kind).deduplicates
    receiver.inject("lost_response")
    with pytest.raises(ChannelError) as lost:
        await ch.send(receiver.url, message(tmp_path))
    assert lost.value.ambiguous and lost.value.transient
    await ch.send(receiver.url, message(tmp_path))
    first, second = receiver.requests
    assert first.body == second.body and first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert second.duplicate and len(receiver.applied()) == 1
    await ch.close()


async def test_wrong_secret_is_refused_permanently(receiver: WebhookReceiver, tmp_path: Path) -> None:
    ch = channel(tmp_path, secret="not-the-secret")
    with pytest.raises(ChannelError) as refused:
        await ch.send(receiver.url, message(tmp_path))
    assert not refused.value.transient and "401" in refused.value.reason and "not-the-secret" not in refused.value.reason
    assert receiver.documents == {}
    await ch.close()


@pytest.mark.parametrize(("fault", "transient"), [("500", True), ("503", True), ("429", True), ("400", False)])
async def test_receiver_errors(receiver: WebhookReceiver, tmp_path: Path, fault: str, transient: bool) -> None:
    ch = channel(tmp_path)
    receiver.inject(fault)
    with pytest.raises(ChannelError) as failed:
        await ch.send(receiver.url, message(tmp_path))
    assert failed.value.transient is transient and not failed.value.ambiguous
    assert (failed.value.retry_after == 0) is (fault in ("503", "429"))
    await ch.close()


async def test_a_correction_retries_itself_through_a_lost_answer(receiver: WebhookReceiver, tmp_path: Path) -> None:
    ch = channel(tmp_path)
    sent = await ch.send(receiver.url, message(tmp_path))
    receiver.inject("reset")
    await ch.delete(receiver.url, sent.message_ids)
    assert [r.method for r in receiver.requests] == ["POST", "DELETE", "DELETE"]
    assert receiver.requests[-1].duplicate and receiver.documents == {}
    await ch.close()


async def test_an_unreachable_receiver_is_not_ambiguous(tmp_path: Path) -> None:
    with WebhookReceiver(SECRET) as r:
        url = r.url
    ch = channel(tmp_path)
    with pytest.raises(ChannelError) as failed:
        await ch.send(url, message(tmp_path))
    assert failed.value.transient and not failed.value.ambiguous
    await ch.close()


async def test_an_alert_without_meta_is_a_document_too(receiver: WebhookReceiver, tmp_path: Path) -> None:
    ch = channel(tmp_path)
    await ch.send(receiver.url, OutMessage("Nhắc: <b>mai</b> khai mạc", "Nhắc: mai khai mạc\nChuẩn bị.", delivery_id=3))
    doc = receiver.documents["delivery-3"]
    assert doc["title"] == "Nhắc: mai khai mạc" and doc["body"]["text"] == "Chuẩn bị." and doc["milestone"] is None
    await ch.close()


def test_signature_helpers() -> None:
    body = json.dumps({"a": 1}).encode()
    assert verify(b"k", body, sign(b"k", body)) and not verify(b"k", body + b" ", sign(b"k", body))
    assert not verify(b"k", body, None)


async def test_the_receiver_in_the_docs_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re
    import threading
    from http.server import HTTPServer

    docs = Path(__file__).resolve().parents[2] / "docs" / "webhook.md"
    code = re.findall(r"```python\n(.*?)```", docs.read_text(encoding="utf-8"), re.DOTALL)[0]
    assert len(code.strip().splitlines()) <= 30
    monkeypatch.setenv("LOA_WEBHOOK_SECRET", SECRET)
    ns: dict[str, object] = {"__name__": "docs_receiver"}
    exec(compile(code, str(docs), "exec"), ns)  # noqa: S102 - our own documentation
    server = HTTPServer(("127.0.0.1", 0), ns["Receiver"])  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        ch = channel(tmp_path)
        sent = await ch.send(url, message(tmp_path))
        await ch.send(url, message(tmp_path))  # a resend: the same key, dropped
        articles = ns["articles"]
        assert list(articles) == ["dai-hoi/khai-mac.md"] and len(ns["seen"]) == 1  # type: ignore[arg-type]
        await ch.delete(url, sent.message_ids)
        assert articles == {}
        with pytest.raises(ChannelError, match="401"):
            await channel(tmp_path, secret="wrong").send(url, message(tmp_path))
        await ch.close()
    finally:
        server.shutdown()
        server.server_close()
