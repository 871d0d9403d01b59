"""The calendars a phone subscribes to: the public one, and each person's private link.

``/calendar/public.ics`` needs no session (milestones and the posts the public will see);
``/calendar/p/{token}.ics`` is a person's approvals with their deadlines, opened by the token
``/lichcanhan`` handed out (``campaign.calendar_links``). Calendar apps poll these every few
minutes to hours: the body is the same bytes while the store is unchanged (its DTSTAMP is the
newest post's change), so its hash is the ETag and a repeated fetch is a 304 without a body.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from icalendar import Calendar
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from campaign import calendar_links, queries
from campaign.calendars import person_calendar, public_calendar
from campaign.config import Config
from campaign.store.db import Store
from campaign.texts import pair
from web.caching import matches

MEDIA_TYPE = "text/calendar; charset=utf-8"
EMPTY_STAMP = datetime(2020, 1, 1, tzinfo=UTC)  # no post stored yet: any fixed time keeps the bytes stable


class Calendars:
    def __init__(self, store: Store, config: Config) -> None:
        self.store, self.config = store, config

    def routes(self) -> list[Route]:
        return [
            Route(calendar_links.PUBLIC_PATH, self.public),
            Route(calendar_links.PATH + "{token}" + calendar_links.SUFFIX, self.private),
        ]

    async def public(self, request: Request) -> Response:
        body = await run_in_threadpool(self._public_body)
        return _answer(request, body, "public, no-cache")

    async def private(self, request: Request) -> Response:
        body = await run_in_threadpool(self._private_body, request.path_params["token"])
        if body is None:
            return JSONResponse({"error": " / ".join(pair("web.no_calendar"))}, status_code=404,
                                headers={"Cache-Control": "no-store"})
        return _answer(request, body, "private, no-cache")

    def _public_body(self) -> bytes:
        posts, stamp = queries.calendar_posts(self.store)
        return _bytes(public_calendar(self.config, posts, stamp or EMPTY_STAMP))

    def _private_body(self, token: str) -> bytes | None:
        """In a worker thread: the person's calendar, or None for an unknown or revoked token."""
        person = calendar_links.person_of(self.store, self.config, token)
        if person is None:
            return None
        posts, stamp = queries.calendar_posts(self.store)
        return _bytes(person_calendar(self.config, person, posts, stamp or EMPTY_STAMP))


def _bytes(cal: Calendar) -> bytes:
    return bytes(cal.to_ical())


def _answer(request: Request, body: bytes, cache: str) -> Response:
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": cache}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MEDIA_TYPE, headers=headers)
