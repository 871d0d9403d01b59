"""A news site's feeds for tests: serves fixture RSS/Atom documents, counts requests, answers 304 to
a conditional GET (``If-None-Match`` / ``If-Modified-Since``) whose validators still match, and fails
on demand (``fail(path, "500")``, ``"close"``: the connection drops with no answer).

``latency`` makes every answer take that long (a remote site, for the bench): the server's own
pause, released at once on stop.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from tests.emulators.common import Served


@dataclass
class Hit:
    path: str
    if_none_match: str | None
    if_modified_since: str | None
    status: int


@dataclass
class _Doc:
    body: bytes
    content_type: str
    etag: str | None
    modified: datetime | None


class FeedServer(Served):
    name = "feed-server"

    def __init__(self, *, latency: float = 0.0) -> None:
        self._init_lifecycle()
        self.latency = latency
        self.hits: list[Hit] = []
        self._docs: dict[str, _Doc] = {}
        self._faults: dict[str, str] = {}
        self._version = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: str | bytes, *, content_type: str = "application/rss+xml; charset=utf-8",
              etag: bool = True, last_modified: bool = True) -> None:
        """Put ``body`` at ``path``; a new body gets a new ETag and a later Last-Modified."""
        data = body.encode() if isinstance(body, str) else body
        with self._lock:
            self._version += 1
            modified = datetime(2021, 1, 20, tzinfo=UTC) + timedelta(minutes=self._version)
            self._docs[path] = _Doc(data, content_type, f'"{hashlib.sha1(data).hexdigest()}"' if etag else None,  # noqa: S324
                                    modified if last_modified else None)
            self._faults.pop(path, None)

    def fail(self, path: str, kind: str = "500") -> None:
        """Every request to ``path`` fails until ``serve`` or ``heal``: an HTTP status, or "close"."""
        with self._lock:
            self._faults[path] = kind

    def heal(self, path: str) -> None:
        with self._lock:
            self._faults.pop(path, None)

    def count(self, path: str | None = None, status: int | None = None) -> int:
        with self._lock:
            return sum(1 for h in self.hits if (path is None or h.path == path) and (status is None or h.status == status))

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        if self.latency:
            self._stopping.wait(self.latency)
        path = handler.path
        inm, ims = handler.headers.get("If-None-Match"), handler.headers.get("If-Modified-Since")
        with self._lock:
            fault, doc = self._faults.get(path), self._docs.get(path)
            status = 0 if fault == "close" else int(fault) if fault else 404 if doc is None else 200
            if doc is not None and status == 200 and _not_modified(doc, inm, ims):
                status = 304
            self.hits.append(Hit(path, inm, ims, status))
        if status == 0:
            handler.close_connection = True
            return
        body = doc.body if status == 200 and doc is not None else b""
        handler.send_response(status)
        if doc is not None and status in (200, 304):
            if doc.etag:
                handler.send_header("ETag", doc.etag)
            if doc.modified:
                handler.send_header("Last-Modified", format_datetime(doc.modified, usegmt=True))
        handler.send_header("Content-Type", doc.content_type if doc is not None and status == 200 else "text/plain")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if body:
            handler.wfile.write(body)

    def _make_server(self) -> ThreadingHTTPServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server._answer(self)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        return httpd


def _not_modified(doc: _Doc, inm: str | None, ims: str | None) -> bool:
    """RFC 9110: If-None-Match decides when sent; otherwise If-Modified-Since against Last-Modified."""
    if inm is not None:
        return doc.etag is not None and doc.etag in [t.strip() for t in inm.split(",")]
    if ims is not None and doc.modified is not None:
        try:
            return doc.modified <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


def rss(items: list[dict[str, str]], *, title: str = "Báo điện tử Đảng Cộng sản Việt Nam") -> str:
    """An RSS 2.0 document; each item's keys: guid, link, title, description (HTML, escaped here), pubDate."""
    parts = [f"<item>{''.join(f'<{k}>{escape(v)}</{k}>' for k, v in item.items())}</item>" for item in items]
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
            f"<link>https://dangcongsan.example/</link><description>tin</description>{''.join(parts)}</channel></rss>")


def atom(items: list[dict[str, str]], *, title: str = "VTV") -> str:
    """An Atom document; each entry's keys: id, link, title, summary (HTML), updated."""
    def entry(e: dict[str, str]) -> str:
        link = f'<link href="{escape(e["link"], {chr(34): "&quot;"})}"/>' if "link" in e else ""
        rest = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in e.items() if k not in ("link", "summary"))
        summary = f'<summary type="html">{escape(e["summary"])}</summary>' if "summary" in e else ""
        return f"<entry>{link}{rest}{summary}</entry>"
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{escape(title)}</title><id>urn:vtv</id><updated>2021-01-20T00:00:00Z</updated>"
            f"{''.join(entry(e) for e in items)}</feed>")


def news(n: int, *, start: int = 0, text: str = "Nội dung tin số {i}.") -> list[dict[str, str]]:
    """``n`` RSS items numbered from ``start``, newest (highest number) first."""
    day = datetime(2021, 1, 20, tzinfo=UTC)
    return [{"guid": f"urn:tin:{i}", "link": f"https://dangcongsan.example/tin-{i}.html", "title": f"Tin số {i}",
             "description": f"<p>{text.format(i=i)}</p>", "pubDate": format_datetime(day + timedelta(minutes=i), usegmt=True)}
            for i in range(start + n - 1, start - 1, -1)]
