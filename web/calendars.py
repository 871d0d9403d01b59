"""The calendars a phone subscribes to: the public one, and each person's private link.

``/calendar/public.ics`` needs no session (milestones and the posts the public will see);
``/calendar/p/{token}.ics`` is a person's approvals with their deadlines, opened by the token
``/lichcanhan`` handed out (``campaign.calendar_links``). Calendar apps poll these every few
minutes to hours: the body is the same bytes while the store is unchanged (its DTSTAMP is the
newest post's change), so its hash is the ETag and a repeated fetch is a 304 without a body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from icalendar import Calendar
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from campaign import calendar_links, queries
from campaign.calendars import CalendarPost, person_calendar, public_calendar
from campaign.config import Config
from campaign.store.db import Store
from campaign.texts import pair
from web.caching import matches

MEDIA_TYPE = "text/calendar; charset=utf-8"
EMPTY_STAMP = datetime(2020, 1, 1, tzinfo=UTC)  # no post stored yet: any fixed time keeps the bytes stable


class Calendars:
    """The two routes, and the bodies they last built: a calendar of 10,000 posts takes seconds to build and
    this URL needs no sign-in, so a body is kept until the store's posts or approvals change (checked with
    two aggregate queries per request) and any number of subscribers cost one build per change."""

    def __init__(self, store: Store, config: Config) -> None:
        self.store, self.config = store, config
        self._posts: tuple[str, list[CalendarPost], datetime] | None = None  # (store version, posts, stamp)
        self._bodies: dict[str, tuple[str, bytes]] = {}  # "" (public) or a person's key -> (store version, body)

    def routes(self) -> list[Route]:
        return [
            Route(calendar_links.PUBLIC_PATH, self.public),
            Route(calendar_links.PATH + "{token}" + calendar_links.SUFFIX, self.private),
        ]

    async def public(self, request: Request) -> Response:
        body = await run_in_threadpool(self._body, "", lambda posts, stamp: public_calendar(self.config, posts, stamp))
        return _answer(request, body, "public, no-cache")

    async def private(self, request: Request) -> Response:
        body = await run_in_threadpool(self._private_body, request.path_params["token"])
        if body is None:
            return JSONResponse({"error": " / ".join(pair("web.no_calendar"))}, status_code=404,
                                headers={"Cache-Control": "no-store"})
        return _answer(request, body, "private, no-cache")

    def _private_body(self, token: str) -> bytes | None:
        """In a worker thread: the person's calendar, or None for an unknown or revoked token."""
        person = calendar_links.person_of(self.store, self.config, token)
        if person is None:
            return None
        return self._body(person.key, lambda posts, stamp: person_calendar(self.config, person, posts, stamp))

    def _body(self, who: str, make: Callable[[list[CalendarPost], datetime], Calendar]) -> bytes:
        """In a worker thread: the kept body while the store has not changed, else a new one."""
        version = queries.posts_version(self.store)
        hit = self._bodies.get(who)
        if hit is not None and hit[0] == version:
            return hit[1]
        posts = self._posts
        if posts is None or posts[0] != version:
            read, stamp = queries.calendar_posts(self.store)
            posts = self._posts = (version, read, stamp or EMPTY_STAMP)
        body = bytes(make(posts[1], posts[2]).to_ical())
        if len(self._bodies) > 1000:  # people come and go from config.toml: start again
            self._bodies.clear()
        self._bodies[who] = (version, body)
        return body


def _answer(request: Request, body: bytes, cache: str) -> Response:
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": cache}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MEDIA_TYPE, headers=headers)
