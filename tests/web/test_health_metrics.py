"""/healthz answers a load balancer (200/503 with why); /metrics is Prometheus text a real parser reads."""

from __future__ import annotations

import dataclasses
import socket

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from campaign import monitoring
from campaign.store.db import Store
from tests.conftest import Campaign
from tests.emulators.telegram import TelegramEmulator
from tests.web.conftest import WEB_CONFIG, Site
from web import app as web_app
from web.app import Runtime, build_app
from web.server import WebError, WebServer


def metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_healthz_reports_role_store_scheduler_and_deliveries(site: Site) -> None:
    r = await site.http.get("/healthz")
    body = r.json()
    assert r.status_code == 200 and body["healthy"] and body["role"] == "single"
    assert body["store_reachable"] and body["scheduler_running"] and body["last_publish"] is None
    assert body["deliveries"] == {"pending": 0, "unknown": 0}
    await site.publish("a", "Bài một")
    body = (await site.http.get("/healthz")).json()
    assert body["last_publish"].startswith("2021-01-26T00:05:00")


async def test_healthz_answers_from_the_last_sample_and_notices_a_store_that_stops_answering(
        site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_app, "HEALTH_EVERY", 3600.0)  # no sample of its own during the test
    assert (await site.http.get("/healthz")).status_code == 200
    reads: list[Store] = []

    def refused(store: Store) -> monitoring.HealthFacts:
        reads.append(store)
        raise OSError("connection refused")

    monkeypatch.setattr(monitoring, "health_facts", refused)
    again = await site.http.get("/healthz")  # a probe storm costs the store nothing: the last sample answers
    assert again.status_code == 200 and again.json()["store_reachable"] and reads == []
    monkeypatch.setattr(web_app, "HEALTH_STALE", 0.0)  # the sample is too old to trust: the store is asked now
    stale = await site.http.get("/healthz")
    assert stale.status_code == 503 and stale.json()["store_error"] == "connection refused" and len(reads) == 1


async def test_healthz_503_when_the_scheduler_stopped_or_the_store_is_gone(tmp_path, store: Store) -> None:
    config = Campaign(tmp_path / "camp", WEB_CONFIG).config()
    with socket.socket() as s:  # a port nobody listens on: the database is "down"
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    gone = Store(f"postgresql+psycopg://loa@127.0.0.1:{dead}/loa?connect_timeout=2", run_migrations=False)
    cases = [
        (store, Runtime(role=lambda: "leader", scheduler_running=lambda: False), 503),
        (store, Runtime(role=lambda: "standby", scheduler_running=lambda: False), 200),  # a standby waits: healthy
        (gone, Runtime(), 503),
    ]
    for db, runtime, status in cases:
        server = WebServer(build_app(db, config, runtime), "127.0.0.1", 0)
        await server.start()
        try:
            async with httpx.AsyncClient(base_url=server.url) as http:
                r = await http.get("/healthz")
        finally:
            await server.stop()
        assert r.status_code == status, r.json()
        assert r.json()["role"] == runtime.role()
    assert r.json()["store_reachable"] is False and "store_error" in r.json()
    gone.close()


async def test_metrics_count_deliveries_posts_approvals_and_lateness(site: Site) -> None:
    await site.publish("a", "Bài một")
    site.campaign.write("cho.md", "---\ntitle: \"Chờ duyệt\"\nmilestone: khai-mac\ntime: \"20:00\"\nchannels: [so_feed]\n---\nSau.\n")
    await site.engine.resync()
    r = await site.http.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    m = metrics(r.text)
    assert m[("loa_deliveries", (("kind", "feed"), ("state", "sent")))] == 1
    assert m[("loa_deliveries", (("kind", "led"), ("state", "sent")))] == 1
    assert m[("loa_posts", (("state", "published"),))] == 1
    assert m[("loa_approvals_pending", ())] == 1
    assert m[("loa_publish_lateness_seconds_count", (("kind", "feed"),))] >= 1


async def test_metrics_count_429s_and_retries(tmp_path, store: Store) -> None:
    from campaign.clock import FakeClock
    from jobs.engine import Engine
    from tests.conftest import post_text
    from tests.jobs.conftest import TOKEN, approve, fast, telegram_adapters
    from tests.jobs.test_engine import settle
    from tests.web.conftest import START

    with TelegramEmulator(TOKEN, limits=None) as tg:
        campaign = Campaign(tmp_path / "camp", WEB_CONFIG + f'\n[telegram]\napi_base = "{tg.base_url}"\nfile_base = "{tg.base_file_url}"\n')
        campaign.write("a.md", post_text(title="Khai mạc", time="07:05", channels="[tg]"))
        config = fast(campaign.config())
        config = dataclasses.replace(config, delivery=dataclasses.replace(config.delivery, max_attempts=8))
        clock = FakeClock(START)
        engine = Engine(store, config, telegram_adapters(config, tg), clock)
        await engine.start(run_sweep=False)
        server = WebServer(build_app(store, config), "127.0.0.1", 0)
        await server.start()
        try:
            async with httpx.AsyncClient(base_url=server.url) as http:
                before = metrics((await http.get("/metrics")).text)
                tg.inject("429", chat_id="@kenh", retry_after=1)
                tg.inject("500", chat_id="@kenh")
                approve(store, "a")
                clock.advance(300)
                await settle(engine)
                after = metrics((await http.get("/metrics")).text)
        finally:
            await server.stop()
            await engine.stop()
    key429, retries = ("loa_rate_limited_total", (("kind", "telegram"),)), ("loa_delivery_retries_total", (("kind", "telegram"),))
    assert after[key429] - before.get(key429, 0) == 1
    assert after[retries] - before.get(retries, 0) == 2  # the 429 and the 500, each tried again
    assert after[("loa_deliveries", (("kind", "telegram"), ("state", "sent")))] == 1


async def test_the_port_in_use_is_a_clear_error(tmp_path, store: Store) -> None:
    config = Campaign(tmp_path / "camp", WEB_CONFIG).config()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = WebServer(build_app(store, config), "127.0.0.1", port)
        try:
            await server.start()
        except WebError as exc:
            assert f"127.0.0.1:{port}" in str(exc) and "--no-web" in str(exc)
        else:
            await server.stop()
            raise AssertionError("the server started on a port in use")


async def test_static_files_carry_caching_headers(site: Site) -> None:
    page = (await site.http.get("/led/sanh")).text
    css = page.split('href="', 2)[1].split('"', 1)[0]
    assert css.startswith("/static/led.css?v=")
    r = await site.http.get(css)
    assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=86400" and r.headers["etag"]
    again = await site.http.get(css, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    for path in ("/channels", "/public"):  # "/" is the staff dashboard's timeline (sign-in needed)
        index = await site.http.get(path)
        assert "/feeds/so-tttt.atom" in index.text and "/led/sanh" in index.text, path
