"""The Starlette application: routes, and the store reads behind them (run off the event loop).

Feeds, LED pages, /healthz and /public show published content only and need no login; the staff
dashboard (``web/dashboard.py``) asks for a session started by a one-time link from the bot. Feeds and LED data are
rendered once per channel version and kept, so a feed reader polling every minute or a screen
checking every second costs one primary-key read when nothing changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from campaign import monitoring, pull
from campaign.clock import Clock
from campaign.config import ChannelConfig, Config
from campaign.store.db import Store
from campaign.store.models import PullItem
from campaign.texts import pair
from web import dashboard, feeds
from web.caching import matches
from web.calendars import Calendars
from web.metrics import StoreCollector

if TYPE_CHECKING:
    from jobs.engine import Engine

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
HEALTH_EVERY = 1.0  # seconds between the store readings /healthz reports
HEALTH_STALE = 5.0  # seconds: an older reading (the sampler is stuck on a hanging store) is not trusted
STATIC_MAX_AGE = 86400  # static URLs carry their content's hash, so a day is safe
LED_CHECK_EVERY = 1.0  # seconds between an LED event stream's checks of its channel's version
LED_HEARTBEAT = 15.0  # a comment line this often keeps proxies from closing an idle stream
FRESH_FOR = 1.0  # seconds a channel's version or the health facts are reused before the store is asked again


@dataclass
class Runtime:
    """What the rest of ``loa run`` tells /healthz: the role and whether the scheduler runs."""

    role: Callable[[], str] = lambda: "single"  # leader | standby | single
    scheduler_running: Callable[[], bool] = lambda: True


@dataclass
class _Cache:
    """Rendered bodies by (kind, target, format, version); old versions are dropped."""

    bodies: dict[tuple[str, ...], tuple[str, bytes]] = field(default_factory=dict)

    def get(self, key: tuple[str, ...], version: str) -> bytes | None:
        hit = self.bodies.get(key)
        return hit[1] if hit is not None and hit[0] == version else None

    def put(self, key: tuple[str, ...], version: str, body: bytes) -> None:
        if len(self.bodies) > 1000:  # many Host headers (public_url unset): start again
            self.bodies.clear()
        self.bodies[key] = (version, body)


class _Fresh:
    """Channel versions, reused for ``FRESH_FOR`` seconds: screens and feed readers asking many times a
    second cost the store one read a second, and a cached answer never leaves the event loop. A write
    by this process (its pull adapter) drops them at once; another process's shows within the second."""

    def __init__(self) -> None:
        self._values: dict[Any, tuple[float, int, Any]] = {}

    def get(self, key: Any) -> Any:
        hit = self._values.get(key)
        if hit is None or time.monotonic() - hit[0] >= FRESH_FOR or hit[1] != pull.local_writes():
            return None
        return hit[2]

    def put(self, key: Any, value: Any, writes: int) -> None:
        self._values[key] = (time.monotonic(), writes, value)


class CachedStatic(StaticFiles):
    """Static files with a Cache-Control header (StaticFiles gives ETag and Last-Modified only)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}"
        return response


def static_version(name: str) -> str:
    return hashlib.sha256((HERE / "static" / name).read_bytes()).hexdigest()[:12]


def build_app(store: Store, config: Config, runtime: Runtime | None = None, *, engine: Engine | None = None,
              clock: Clock | None = None, wall: Clock | None = None) -> Starlette:
    """``engine``: the running one (web approvals update the chat requests, Resend queues at once);
    ``wall``: the real clock for sign-in and sessions when ``clock`` runs faster (a rehearsal)."""
    site = _Site(store, config, runtime or Runtime())
    app = Starlette(routes=[
        *dashboard.Dashboard(store, config, engine, clock, wall).routes(),  # "/" is the timeline; /public for everyone
        *Calendars(store, config).routes(),  # /calendar/public.ics, and each person's private link
        Route("/channels", site.index),
        Route("/healthz", site.healthz),
        Route("/metrics", site.metrics),
        Route("/feeds/{target}.{fmt}", site.feed),
        Route("/led/{target}.json", site.led_json),  # before /led/{target}, which would match it too
        Route("/led/{target}", site.led_page),
        Route("/led/{target}/events", site.led_events),
        Route("/media/{item:int}/{index:int}/{name}", site.media),
        Mount("/static", CachedStatic(directory=HERE / "static"), name="static"),
    ])
    app.state.stopping = site.stopping
    app.state.background = site.background
    return app


class _Site:
    """The public side: channel index, health, metrics, feeds, LED screens and their media.

    Feeds and LED data are rendered once per channel version and kept (``_Cache``); the version is
    read from the store at most once per ``FRESH_FOR`` (``_Fresh``), so polling costs little.
    """

    def __init__(self, store: Store, config: Config, runtime: Runtime) -> None:
        self.store, self.config, self.runtime = store, config, runtime
        self.cache, self.fresh = _Cache(), _Fresh()
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
        self.statics = {name: f"/static/{name}?v={static_version(name)}" for name in ("led.css", "led.js")}
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(StoreCollector(store, config))
        self.stopping = asyncio.Event()
        self._health: tuple[float, dict[str, Any]] | None = None  # (monotonic time, reading)
        self._health_sampler: asyncio.Task[None] | None = None
        self.background: set[asyncio.Task[None]] = set()  # cancelled by WebServer.stop

    def base_of(self, request: Request) -> str:
        """Links and enclosures: [web] public_url, else the address the client used."""
        return self.config.web.public_url.rstrip("/") or str(request.base_url).rstrip("/")

    def version(self, kind: str, target: str) -> str:
        """Called in a worker thread: the store at most once per ``FRESH_FOR``."""
        value = self.fresh.get((kind, target))
        if value is None:
            writes = pull.local_writes()  # before the read: a write meanwhile leaves the copy stale, not wrong
            value = pull.version(self.store, kind, target)
            self.fresh.put((kind, target), value, writes)
        return str(value)

    def cached(self, kind: str, target: str, fmt: str, base: str) -> tuple[str, bytes] | None:
        """On the event loop, no store read: the body if the version is fresh and its rendering kept."""
        value = self.fresh.get((kind, target))
        body = self.cache.get((kind, target, fmt, base), value) if value is not None else None
        return (value, body) if body is not None else None

    def channel(self, kind: str, target: str) -> ChannelConfig | None:
        return next((c for c in self.config.channels.values() if c.kind == kind and c.target == target), None)

    async def index(self, request: Request) -> Response:
        channels = self.config.channels.values()
        page = self.templates.get_template("index.html").render(
            name=self.config.name, feeds=[c for c in channels if c.kind == "feed"],
            screens=[c for c in channels if c.kind == "led"], css=self.statics["led.css"],
            words={k: " / ".join(pair(f"web.{k}")) for k in ("feeds", "screens")})
        return HTMLResponse(page)

    async def healthz(self, request: Request) -> Response:
        body = {"role": self.runtime.role(), "scheduler_running": self.runtime.scheduler_running(),
                **await self._health_reading()}
        body["healthy"] = body["store_reachable"] and (body["scheduler_running"] or body["role"] == "standby")
        return JSONResponse(body, status_code=200 if body["healthy"] else 503, headers={"Cache-Control": "no-store"})

    async def _health_reading(self) -> dict[str, Any]:
        """The store's health as last sampled: a probe is answered from memory, never waiting on the store.

        A sampler reads the store every ``HEALTH_EVERY`` off the event loop (started by the first probe);
        a reading older than ``HEALTH_STALE`` (the store hangs, or no sampler yet) is replaced by a read
        now. What this process sent since the reading is added to it, so a publish shows at once."""
        if self._health_sampler is None:
            self._health_sampler = asyncio.create_task(self._sample_health(), name="health sampler")
            self.background.add(self._health_sampler)
        if self._health is None or time.monotonic() - self._health[0] > HEALTH_STALE:
            self._health = (time.monotonic(), await run_in_threadpool(_store_health, self.store))
        reading = dict(self._health[1])
        local = monitoring.last_local_send(self.store)
        if reading.get("store_reachable") and local is not None and (
                reading["last_publish"] is None or local > datetime.fromisoformat(reading["last_publish"])):
            reading["last_publish"] = local.isoformat()
        return reading

    async def _sample_health(self) -> None:
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), HEALTH_EVERY)
            if not self.stopping.is_set():
                self._health = (time.monotonic(), await run_in_threadpool(_store_health, self.store))

    async def metrics(self, request: Request) -> Response:
        body = await run_in_threadpool(generate_latest, self.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    async def feed(self, request: Request) -> Response:
        target, fmt, base = request.path_params["target"], request.path_params["fmt"], self.base_of(request)
        ch = self.channel("feed", target)
        if ch is None or fmt not in feeds.FORMATS:
            return _not_found()
        hit = self.cached("feed", target, fmt, base)
        ver, body = hit if hit is not None else await run_in_threadpool(self._feed_body, ch, fmt, base)
        headers = {"ETag": _etag(ver, fmt), "Cache-Control": "no-cache"}
        if matches(request.headers.get("if-none-match"), headers["ETag"]):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=feeds.FORMATS[fmt], headers=headers)

    def _feed_body(self, ch: ChannelConfig, fmt: str, base: str) -> tuple[str, bytes]:
        """In a worker thread: the feed for this version of the channel, rendered once."""
        ver = self.version("feed", ch.target)
        body = self.cache.get(("feed", ch.target, fmt, base), ver)
        if body is None:
            body = feeds.render(fmt, self.config, ch, pull.latest(self.store, "feed", ch.target, pull.FEED_ITEMS), base)
            self.cache.put(("feed", ch.target, fmt, base), ver, body)
        return ver, body

    def led_data(self, ch: ChannelConfig, base: str) -> tuple[str, bytes]:
        """The screen's items as JSON, for this version of the channel (in a worker thread)."""
        ver = self.version("led", ch.target)
        body = self.cache.get(("led", ch.target, "json", base), ver)
        if body is None:
            items = pull.latest(self.store, "led", ch.target, ch.recent)
            body = json.dumps({"version": ver, "items": [_led_item(base, self.config.tz, i) for i in items]},
                              ensure_ascii=False, separators=(",", ":")).encode()
            self.cache.put(("led", ch.target, "json", base), ver, body)
        return ver, body

    async def led_now(self, ch: ChannelConfig, base: str) -> tuple[str, bytes]:
        hit = self.cached("led", ch.target, "json", base)
        return hit if hit is not None else await run_in_threadpool(self.led_data, ch, base)

    async def led_page(self, request: Request) -> Response:
        ch = self.channel("led", request.path_params["target"])
        if ch is None:
            return _not_found()
        _ver, data = await self.led_now(ch, self.base_of(request))
        page = self.templates.get_template("led.html").render(
            title=ch.label, name=self.config.name, lang=self.config.language, data=json.loads(data),
            data_json=data.decode(), rotate=ch.rotate_seconds, target=ch.target, css=self.statics["led.css"],
            js=self.statics["led.js"], offline=" / ".join(pair("web.offline")))
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    async def led_json(self, request: Request) -> Response:
        ch = self.channel("led", request.path_params["target"])
        if ch is None:
            return _not_found()
        ver, data = await self.led_now(ch, self.base_of(request))
        return Response(data, media_type="application/json", headers={"ETag": _etag(ver, "led"), "Cache-Control": "no-cache"})

    async def led_events(self, request: Request) -> Response:
        """Server-sent events: the items whenever the channel's version changes (checked every second)."""
        ch = self.channel("led", request.path_params["target"])
        if ch is None:
            return _not_found()
        return StreamingResponse(self._led_stream(request, ch), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def _led_stream(self, request: Request, ch: ChannelConfig) -> AsyncIterator[bytes]:
        seen = None
        quiet = 0.0
        yield f"retry: {int(LED_CHECK_EVERY * 2000)}\n\n".encode()
        while not self.stopping.is_set():
            try:
                ver, data = await self.led_now(ch, self.base_of(request))
            except Exception as exc:  # noqa: BLE001 - the store is down: the screen keeps what it shows
                log.warning("LED %s: cannot read the store: %s", ch.target, str(exc).splitlines()[0][:200])
                ver, data = seen or "", b""
            if ver != seen and data:
                seen, quiet = ver, 0.0
                yield b"event: items\ndata: " + data + b"\n\n"
            elif quiet >= LED_HEARTBEAT:
                quiet = 0.0
                yield b": still here\n\n"
            if await request.is_disconnected():
                return
            try:
                await asyncio.wait_for(self.stopping.wait(), LED_CHECK_EVERY)
            except TimeoutError:
                quiet += LED_CHECK_EVERY

    async def media(self, request: Request) -> Response:
        """A file of a published item (not any file of content/: unpublished posts stay private)."""
        item_id, index = request.path_params["item"], request.path_params["index"]
        item = await run_in_threadpool(self._pull_item, item_id)
        if item is None or item.retracted or index >= len(item.media) or Path(item.media[index]).name != request.path_params["name"]:
            return _no_file()
        path = (self.config.content_dir / item.media[index]).resolve()
        if not path.is_relative_to(self.config.content_dir.resolve()) or not path.is_file():
            return _no_file()
        return FileResponse(path, headers={"Cache-Control": f"public, max-age={STATIC_MAX_AGE}"})

    def _pull_item(self, item_id: int) -> PullItem | None:
        with self.store.session() as s:
            return s.get(PullItem, item_id)


def _store_health(store: Store) -> dict[str, Any]:
    """In a worker thread: is the store reachable, and what the last publish and the queues say."""
    try:
        facts = monitoring.health_facts(store)
    except Exception as exc:  # noqa: BLE001 - the answer is "unhealthy", with why
        return {"store_reachable": False, "store_error": str(exc).splitlines()[0][:200]}
    return {"store_reachable": True, "last_publish": facts.last_publish.isoformat() if facts.last_publish else None,
            "deliveries": {"pending": facts.pending, "unknown": facts.unknown}}


def _not_found() -> Response:
    return JSONResponse({"error": " / ".join(pair("web.no_channel"))}, status_code=404)


def _no_file() -> Response:
    return JSONResponse({"error": " / ".join(pair("web.no_file"))}, status_code=404)


def _etag(version: str, fmt: str) -> str:
    return f'"{version}.{fmt}"'


def _led_item(base: str, tz: tzinfo, item: PullItem) -> dict[str, Any]:
    images = [feeds.media_url(base, item, n) for n, m in enumerate(item.media)
              if m.lower().endswith((".jpg", ".jpeg", ".png", ".gif", ".webp"))]
    return {"id": item.id, "title": item.title, "html": item.html, "image": images[0] if images else None,
            "published": f"{item.published_at.astimezone(tz):%H:%M %d/%m/%Y}"}
