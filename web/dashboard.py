"""The staff dashboard and the public page: sign-in, timeline, post, approvals, operations, calendar.

Handlers are thin: they read the session, call ``campaign.board`` (reads) or the same
``campaign.review``/``operations`` functions the chat commands call (changes, audited), and
render a Jinja2 template. Every form carries the session's CSRF token; a staff page without a
session redirects to the "sign in from the bot" page.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from campaign import board, drawing, operations, picture, review, signin
from campaign.admin import AdminAction, Verb
from campaign.clock import Clock, SystemClock
from campaign.config import Config
from campaign.deliveries import text_payload
from campaign.errors import LoaError, NotAllowed, NotFound
from campaign.store.db import Store
from campaign.texts import inline, t
from jobs import admin

if TYPE_CHECKING:
    from jobs.engine import Engine

HERE = Path(__file__).parent
SESSION_COOKIE = "loa_session"
LANG_COOKIE = "loa_lang"
Page = Callable[[Request], Awaitable[Response]]
CALENDAR_PER_DAY = 40  # posts listed in a day's cell; the rest behind "+N" (the day's timeline)


class Dashboard:
    """The pages, bound to one store, configuration and (when running) the engine."""

    def __init__(self, store: Store, config: Config, engine: Engine | None = None, clock: Clock | None = None) -> None:
        self.store, self.config, self.engine = store, config, engine
        self.clock = clock or (engine.clock if engine is not None else SystemClock())
        self.env = Environment(loader=FileSystemLoader(HERE / "templates" / "dashboard"),
                               autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
        self.secure = config.web.public_url.startswith("https://")
        self._key: bytes | None = None

    # --- plumbing ---------------------------------------------------------------------------------

    def key(self) -> bytes:
        if self._key is None:
            self._key = signin.secret(self.store, os.environ.get(signin.SECRET_ENV))
        return self._key

    def lang(self, request: Request) -> str:
        return "en" if request.cookies.get(LANG_COOKIE) == "en" else "vi"

    def session(self, request: Request) -> signin.Session | None:
        return signin.read_session(self.key(), self.config, request.cookies.get(SESSION_COOKIE), self.clock.now())

    def render(self, request: Request, name: str, status: int = 200, **kw: Any) -> HTMLResponse:
        lang = self.lang(request)
        session = kw.pop("session", None)
        page = self.env.get_template(name).render(
            _=lambda key, **w: t(key, lang, **w), lang=lang, session=session, config=self.config,
            path=request.url.path, query=request.url.query, tz=self.config.tz, states=drawing.STATES,
            local=lambda when, fmt="%H:%M %d/%m/%Y": when.astimezone(self.config.tz).strftime(fmt), **kw)
        return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})

    def refused(self, request: Request, message: str, status: int = 403, session: signin.Session | None = None) -> HTMLResponse:
        return self.render(request, "message.html", status, session=session, title=t("web.refused", self.lang(request)),
                           message=message)

    def staff(self, role: str = "approver") -> Callable[[Callable[..., Awaitable[Response]]], Page]:
        """A page for signed-in staff with ``role``: no session -> the sign-in page; wrong role -> 403, audited."""

        def wrap(handler: Callable[..., Awaitable[Response]]) -> Page:
            async def page(request: Request) -> Response:
                session = await run_in_threadpool(self.session, request)
                if session is None:
                    return RedirectResponse("/signin?" + urlencode({"next": str(request.url.path)}), status_code=303)
                actor = review.Actor(session.person.key, session.person)
                if request.method == "POST":
                    form = await request.form()
                    if not signin.csrf_ok(session, str(form.get("csrf", ""))):
                        return self.refused(request, t("web.csrf", self.lang(request)), session=session)
                try:
                    if role == "admin" or not session.person.is_approver:
                        await run_in_threadpool(review.check, self.store, actor, role, self.clock.now(),
                                                f"web {request.url.path}")
                    return await handler(request, session, actor)
                except NotFound as exc:
                    return self.render(request, "message.html", 404, session=session,
                                       title=t("web.notfound", self.lang(request)), message=str(exc))
                except NotAllowed as exc:
                    return self.refused(request, str(exc), session=session)
            return page
        return wrap

    # --- routes -------------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [
            Route("/", self.staff()(self.timeline)),
            Route("/signin", self.signin_page),
            Route("/signin", self.signin_post, methods=["POST"]),
            Route("/signin/{token}", self.signin_confirm),
            Route("/signout", self.signout, methods=["POST"]),
            Route("/lang/{lang}", self.set_lang),
            Route("/posts/{id:int}", self.staff()(self.post)),
            Route("/posts/{id:int}/media/{n:int}", self.staff()(self.post_media)),
            Route("/approvals", self.staff()(self.approvals)),
            Route("/approvals/{id:int}", self.staff()(self.decide), methods=["POST"]),
            Route("/operations", self.staff("admin")(self.operations)),
            Route("/operations/{action}", self.staff("admin")(self.operate), methods=["POST"]),
            Route("/calendar", self.staff()(self.calendar)),
            Route("/public", self.public),
        ]

    async def signin_page(self, request: Request) -> Response:
        return self.render(request, "signin.html", 200, confirm=None)

    async def signin_confirm(self, request: Request) -> Response:
        """Show a button, do not redeem: link previews (Telegram fetches links) must not use the link up."""
        token = request.path_params["token"]
        payload = signin.unsign(self.key(), "signin", token)
        person = self.config.people.get(str(payload.get("p"))) if payload else None
        if person is None:
            return self.refused(request, t("web.signin.how", self.lang(request)))
        return self.render(request, "signin.html", 200, confirm=person.name, token=token)

    async def signin_post(self, request: Request) -> Response:
        form = await request.form()
        try:
            session = await run_in_threadpool(signin.redeem, self.store, self.config, self.clock, self.key(),
                                              str(form.get("token", "")))
        except NotAllowed as exc:
            return self.refused(request, str(exc))
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(SESSION_COOKIE, signin.cookie_value(self.key(), session), max_age=int(signin.SESSION_TTL.total_seconds()),
                            httponly=True, secure=self.secure, samesite="lax", path="/")
        if session.person.language in ("vi", "en"):
            response.set_cookie(LANG_COOKIE, session.person.language, max_age=365 * 86400, samesite="lax", path="/")
        return response

    async def signout(self, request: Request) -> Response:
        session = self.session(request)
        form = await request.form()
        if session is not None and not signin.csrf_ok(session, str(form.get("csrf", ""))):
            return self.refused(request, t("web.csrf", self.lang(request)), session=session)
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, secure=self.secure, samesite="lax")
        return response

    async def set_lang(self, request: Request) -> Response:
        lang = request.path_params["lang"]
        back = request.query_params.get("next", "/")
        if not back.startswith("/") or back.startswith("//"):
            back = "/"
        response = RedirectResponse(back, status_code=303)
        if lang in ("vi", "en"):
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
        return response

    # --- timeline -----------------------------------------------------------------------------------

    def _view(self, request: Request) -> tuple[str, date, datetime, datetime]:
        zoom = request.query_params.get("zoom", "campaign")
        zoom = zoom if zoom in drawing.ZOOMS else "campaign"
        today = self.clock.now().astimezone(self.config.tz).date()
        first, last = board.campaign_span(self.config)
        default = today if first <= self.clock.now() < last else first.astimezone(self.config.tz).date()
        try:
            at = date.fromisoformat(request.query_params.get("at", ""))
        except ValueError:
            at = default
        at = min(max(at, date(2000, 1, 1)), date(2100, 12, 31))
        start, end = drawing.window(zoom, at, self.config.tz, (first, last))
        return zoom, at, start, end

    async def timeline(self, request: Request, session: signin.Session, actor: review.Actor) -> Response:
        zoom, at, start, end = self._view(request)
        lang = self.lang(request)

        def draw() -> tuple[str, int]:
            marks = board.marks(self.store, self.config, start, end)
            svg = picture.timeline(self.config, marks, start, end, self.clock.now(), lang)
            return svg, len({m.post_id for m in marks})

        svg, count = await run_in_threadpool(draw)
        step = {"month": timedelta(days=31), "week": timedelta(days=7), "day": timedelta(days=1)}.get(zoom)
        prev = next_ = None
        if step is not None:
            prev = (at - step).replace(day=1) if zoom == "month" else at - step
            next_ = (at.replace(day=1) + step).replace(day=1) if zoom == "month" else at + step
        return self.render(request, "timeline.html", session=session, svg=svg, zoom=zoom, at=at, prev=prev, next=next_,
                           count=count, zooms=drawing.ZOOMS, today=self.clock.now().astimezone(self.config.tz).date())

    # --- post ---------------------------------------------------------------------------------------

    async def post(self, request: Request, session: signin.Session, actor: review.Actor) -> Response:
        page = await run_in_threadpool(board.post_page, self.store, self.config, request.path_params["id"])
        mine = next((a.decision for a in page.approvals if a.voided_at is None and a.person == session.person.key
                     and a.content_hash == page.post.content_hash), None)
        return self.render(request, "post.html", session=session, p=page, mine=mine,
                           reviewable=review.needs_review(page.post), notice=request.query_params.get("done"))

    async def post_media(self, request: Request, session: signin.Session, actor: review.Actor) -> Response:
        page = await run_in_threadpool(board.post_page, self.store, self.config, request.path_params["id"])
        n = request.path_params["n"]
        if n >= len(page.media):
            raise NotFound(inline("web.no_file"))
        path = (self.config.content_dir / str(page.media[n].get("path", ""))).resolve()
        if not path.is_relative_to(self.config.content_dir.resolve()) or not path.is_file():
            raise NotFound(inline("web.no_file"))
        return FileResponse(path, headers={"Cache-Control": "private, max-age=300"})

    # --- approvals ----------------------------------------------------------------------------------

    async def approvals(self, request: Request, session: signin.Session, actor: review.Actor) -> Response:
        rows = await run_in_threadpool(board.waiting_for, self.store, self.config, session.person.key, self.clock.now())
        return self.render(request, "approvals.html", session=session, rows=rows, notice=request.query_params.get("done"),
                           hash_len=review.HASH_PREFIX)

    async def decide(self, request: Request, session: signin.Session, actor: review.Actor) -> Response:
        """Approve or reject under the chat's rules (content hash, quorum, no self-approval, audited)."""
        form = await request.form()
        decision = str(form.get("decision", ""))
        back = "/posts/{}".format(request.path_params["id"]) if form.get("back") == "post" else "/approvals"
        if decision not in ("approve", "reject"):
            raise NotFound(inline("web.no_action"))
        reason = str(form.get("reason", "")).strip()[:500] or None
        try:
            result = await run_in_threadpool(review.decide, self.store, self.config, self.clock, actor,
                                             request.path_params["id"], str(form.get("hash", "")), decision, reason)
        except NotAllowed:
            raise
        except LoaError as exc:
            return self.render(request, "message.html", 409, session=session, title=t("web.refused", self.lang(request)),
                               message=str(exc), back=back)
        await self._tell_chat(actor, result, reason)
        lang = self.lang(request)
        done = t("web.approved_msg", lang, id=result.post.id, have=len(result.state.approvers), need=result.state.required) \
            if decision == "approve" else t("web.rejected_msg", lang, id=result.post.id)
        return RedirectResponse(f"{back}?{urlencode({'done': done})}", status_code=303)

    async def _tell_chat(self, actor: review.Actor, result: review.ReviewResult, reason: str | None) -> None:
        """The approvers' chat requests show the decision too, as when it is made in chat."""
        if self.engine is None:
            return
        post = result.post
        text = review.decision_text(self.config, post, result.state, actor, result.decision, self.clock.now(), reason)
        payload = text_payload(text)
        if not result.state.approved and not result.state.rejected_by:
            payload = payload.with_choices(review.choices(post))
        await self.engine.edit_deliveries(review.request_refs(post)[1], payload)

    # --- operations ---------------------------------------------------------------------------------

    async def operations(self, request: Request, session: signin.Session, actor: review.Actor) -> Response:
        ops = await run_in_threadpool(board.operations, self.store, self.config)
        return self.render(request, "operations.html", session=session, ops=ops, notice=request.query_params.get("done"))

    async def operate(self, request: Request, session: signin.Session, actor: review.Actor) -> Response:
        """Pause, resume, resend, it went out: the same functions (and audit) as /pause, /resume, /retry, /skip."""
        action, form, lang = request.path_params["action"], await request.form(), self.lang(request)
        try:
            if self.engine is None:  # a page server without the scheduler (a test, a read-only replica)
                raise LoaError(t("web.ops.no_engine", lang))
            if action in ("pause", "resume"):
                outcome = await admin.perform(self.engine, AdminAction(Verb(action), actor))
                done = t("web.ops.done" if outcome.changed else "web.ops.unchanged", lang)
            elif action in ("resend", "went_out"):
                delivery = int(str(form.get("delivery", "0")) or 0)
                ids = await run_in_threadpool(operations.unknown_group, self.store, delivery) or [delivery]
                verb = Verb.RETRY if action == "resend" else Verb.SKIP
                await admin.perform(self.engine, AdminAction(verb, actor, deliveries=tuple(ids)))
                done = t("web.ops.done", lang) + " " + ", ".join(f"#{i}" for i in ids)
            else:
                raise NotFound(inline("web.no_action"))
        except (NotFound, NotAllowed):
            raise
        except (LoaError, ValueError) as exc:
            return self.render(request, "message.html", 409, session=session, title=t("web.refused", lang),
                               message=str(exc), back="/operations")
        return RedirectResponse("/operations?" + urlencode({"done": done}), status_code=303)

    # --- calendar and public ------------------------------------------------------------------------

    async def calendar(self, request: Request, session: signin.Session, actor: review.Actor) -> Response:
        return await self._calendar(request, session, public=False)

    async def _calendar(self, request: Request, session: signin.Session | None, *, public: bool) -> Response:
        q = request.query_params
        view = "week" if q.get("view") == "week" else "month"
        _zoom, at, start, end = self._view(request)
        if view == "week":
            monday = at - timedelta(days=at.weekday())
            first_day, days = monday, 7
        else:
            first = at.replace(day=1)
            first_day = first - timedelta(days=first.weekday())
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            days = ((last - first_day).days // 7 + 1) * 7
        start = datetime.combine(first_day, datetime.min.time(), self.config.tz)
        end = start + timedelta(days=days)
        filters = {k: q.get(k) or None for k in ("channel", "milestone", "state", "author")}
        rows = await run_in_threadpool(lambda: board.calendar_posts(self.store, self.config, start, end, public=public, **filters))
        by_day: dict[date, list[Any]] = {}
        for p, st in rows:
            by_day.setdefault(p.scheduled_at.astimezone(self.config.tz).date(), []).append((p, st))
        milestones = [m for m in self.config.milestones if m.span.end > start and m.span.start < end]
        step = timedelta(days=7) if view == "week" else timedelta(days=31)
        prev = at - step if view == "week" else (at.replace(day=1) - timedelta(days=1)).replace(day=1)
        nxt = at + step if view == "week" else (at.replace(day=1) + step).replace(day=1)
        return self.render(request, "calendar.html", session=session, view=view, at=at, days=[first_day + timedelta(days=i) for i in range(days)],
                           by_day=by_day, per_day=CALENDAR_PER_DAY, milestones=milestones, filters=filters, prev=prev, next=nxt, public=public,
                           today=self.clock.now().astimezone(self.config.tz).date(),
                           authors=sorted({p.author for p, _s in rows if p.author}))

    async def public(self, request: Request) -> Response:
        """Milestones and approved or published posts only: safe to link from a portal."""
        lang = self.lang(request)
        first, last = board.campaign_span(self.config)

        def draw() -> str:
            marks = board.marks(self.store, self.config, first - timedelta(days=1), last + timedelta(days=1), public=True)
            start, end = drawing.window("campaign", first.date(), self.config.tz, (first, last))
            return picture.timeline(self.config, marks, start, end, self.clock.now(), lang)

        svg = await run_in_threadpool(draw)
        rows = await run_in_threadpool(lambda: board.calendar_posts(self.store, self.config, first - timedelta(days=1),
                                                                    last + timedelta(days=1), public=True))
        pulls = [c for c in self.config.channels.values() if c.kind in ("feed", "led")]
        return self.render(request, "public.html", session=None, svg=svg, rows=rows, pulls=pulls)


def routes(store: Store, config: Config, engine: Engine | None = None) -> list[Route]:
    return Dashboard(store, config, engine).routes()
