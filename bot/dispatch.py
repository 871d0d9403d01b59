"""What the bot does for a command or a button, whatever the chat (Telegram or Zalo Bot).

Handlers parse their platform's update into an ``Ask`` or a ``Callback`` and a ``Who``, call
``answer``/``press`` here, and send the ``Reply``. Commands come from the one registry
(``campaign.commands``) and each has one handler in ``HANDLERS``; admin actions, typed or
pressed, go through ``jobs.admin.perform``. Rules live in ``campaign``; this module only routes
and formats, with every sentence from the message catalog.
"""

from __future__ import annotations

import asyncio
import html
import io
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import callbacks
from campaign import answers, calendar_links, compose, operations, picture, review, sharekit, signin
from campaign.admin import AdminAction, Outcome, Verb
from campaign.ask import MAX_PAGE, Ask, number
from campaign.clock import Clock
from campaign.commands import COMMANDS, Command, fold
from campaign.config import Config
from campaign.deliveries import text_payload
from campaign.errors import Conflict, LoaError
from campaign.store.db import Store
from campaign.texts import TEXTS, inline, local, t
from jobs import admin

if TYPE_CHECKING:
    from jobs.engine import Engine

log = logging.getLogger(__name__)
PAGE_LINES = 15
PAGED = tuple(c.name for c in COMMANDS.values() if c.paged)
MAX_IDS = 50  # "/retry 5 6 7": ids at once
CONFIRM_WORDS = ("xacnhan", "confirm", "ok")
RICH_LIMIT = 4000  # HTML longer than one Telegram message would be cut inside a tag: sent as plain text instead


@dataclass
class Services:
    store: Store
    config: Config
    clock: Clock
    engine: Engine
    web_url: str = ""  # the web server's address once it listens (links when [web] public_url is unset)
    desk: compose.Desk = field(default_factory=compose.Desk)  # drafts being written in chat (/moi)


@dataclass(frozen=True)
class Who:
    actor: review.Actor
    lang: str

    def t(self, key: str, /, **kw: Any) -> str:
        """A catalog message in this reader's language."""
        return t(key, self.lang, **kw)


@dataclass
class Reply:
    text: str
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    ask_reason: bool = False  # Telegram: send as a ForceReply prompt
    document: tuple[str, bytes] | None = None  # (file name, content): sent as a file, ``text`` its caption
    photo: tuple[str, bytes] | None = None  # (file name, PNG): sent as a picture, ``text`` its caption
    rich: str | None = None  # Telegram HTML to show instead of ``text`` (a draft's preview, rendered as posted)

    @property
    def html(self) -> str:
        return self.rich if self.rich is not None else html.escape(self.text, quote=False)


def paginate(answer: answers.Answer, command: str, arg: str, page: int, who: Who, *, buttons: bool) -> Reply:
    if answer.total is not None:  # the query already cut this page
        pages = max(1, -(-answer.total // answer.page_size))
        lines = answer.lines
    else:
        pages = max(1, -(-len(answer.lines) // PAGE_LINES))
        page = min(max(page, 0), pages - 1)
        lines = answer.lines[page * PAGE_LINES:(page + 1) * PAGE_LINES]
    title = answer.title + (f" ({page + 1}/{pages})" if pages > 1 else "")
    if not buttons and pages > 1 and answer.total is None:
        lines = answer.lines  # no buttons to turn pages: send it all (the channel splits long text)
        title = answer.title
    row: list[tuple[str, str]] = []
    if buttons and page > 0:
        row.append((who.t("chat.prev"), callbacks.page_data(command, arg, page - 1)))
    if buttons and page < pages - 1:
        row.append((who.t("chat.next"), callbacks.page_data(command, arg, page + 1)))
    if not buttons and answer.total is not None and page < pages - 1:
        call = f"{COMMANDS[command].word('vi')} {arg} {page + 2}".replace("  ", " ")
        lines = [*lines, who.t("chat.next_page", call=call)]
    return Reply("\n".join([title, *lines]), [row] if row else [])


async def answer(sv: Services, who: Who, ask: Ask, *, buttons: bool = True, page: int = 0) -> Reply:
    """Run a command; every refusal or bad input comes back as a polite reply, never an exception."""
    try:
        return await _answer(sv, who, ask, buttons=buttons, page=page)
    except LoaError as exc:
        return Reply(str(exc))


class BadArguments(Conflict):
    """The arguments do not fit the command; the message is its usage line."""


@dataclass(frozen=True)
class Call:
    """One command being answered: who asks, what, on which page, and whether the chat has buttons."""

    sv: Services
    who: Who
    command: Command
    args: tuple[str, ...]
    page: int
    buttons: bool
    now: datetime

    @property
    def lang(self) -> str:
        return self.who.lang

    @property
    def today(self) -> date:
        return self.now.astimezone(self.sv.config.tz).date()

    def usage(self) -> BadArguments:
        return BadArguments(self.command.usage(self.lang, prefix="/" if self.buttons else ""))

    def page_of(self, ans: answers.Answer) -> Reply:
        return paginate(ans, self.command.name, " ".join(self.args), self.page, self.who, buttons=self.buttons)

    def paged(self, make: Callable[[int], answers.Answer]) -> Reply:
        """A page of a listing the database pages; a page past the end shows the last one."""
        arg, page = " ".join(self.args), max(self.page, 0)
        ans = make(page)
        if ans.total and not ans.lines and page > 0:
            page = (ans.total - 1) // ans.page_size
            ans = make(page)
        return paginate(ans, self.command.name, arg, page, self.who, buttons=self.buttons)

    def confirm(self, question: str, *data: object) -> Reply:
        """Buttons to confirm or cancel a command that changes what goes out."""
        return Reply(question, [[(self.who.t("chat.confirm"), callbacks.encode(self.command.name, *data)),
                                 (self.who.t("chat.cancel"), callbacks.encode("cancel"))]])


Handler = Callable[[Call], Awaitable[Reply]]


async def _web(c: Call) -> Reply:
    """A one-time dashboard sign-in link (the Telegram handler makes sure the chat is private)."""
    sv, who = c.sv, c.who
    base = sv.config.web.public_url or sv.web_url
    if not base or who.actor.person is None:
        raise Conflict(who.t("chat.web_off"))
    key = signin.secret(sv.store, os.environ.get(signin.SECRET_ENV))
    url = signin.issue_link(sv.store, sv.config, sv.clock, key, who.actor.person, base)
    return Reply(who.t("chat.web_link", url=url))


def private_only(ask: Ask) -> Reply | None:
    """The refusal for a personal command asked in a group (the platform handler knows the chat's type)."""
    command = COMMANDS.get(ask.command)
    if command is None or not command.private:
        return None
    if f"chat.private_only.{command.name}" in TEXTS:  # its own reason ("write drafts in a private chat")
        return Reply(inline(f"chat.private_only.{command.name}"))
    return Reply(inline("chat.private_only", command=(command.word("vi"), command.word("en"))))


async def _mycalendar(c: Call) -> Reply:
    """/lichcanhan [moi|huy]: the person's private calendar link, a new one (the old stops), or none."""
    sv, who = c.sv, c.who
    word = fold(c.args[0]) if len(c.args) == 1 else ""
    if len(c.args) > 1 or (c.args and word not in calendar_links.RENEW + calendar_links.STOP):
        raise c.usage()
    if word in calendar_links.STOP:
        stopped = calendar_links.revoke(sv.store, sv.config, sv.clock, who.actor.person, who.actor.label)
        return Reply(who.t("chat.calendar_off" if stopped else "chat.calendar_none"))
    base = sv.config.web.public_url or sv.web_url
    if not base and who.actor.person is not None:
        raise Conflict(who.t("chat.web_off"))
    got = calendar_links.link(sv.store, sv.config, sv.clock, who.actor.person, who.actor.label, base,
                              renew=word in calendar_links.RENEW)
    if got.url is None:
        en = c.lang == "en"
        call = c.command.word(c.lang)
        return Reply(who.t("chat.calendar_have", at=local(got.issued, sv.config.tz), word_new=f"{call} {calendar_links.RENEW[en]}",
                           word_off=f"{call} {calendar_links.STOP[en]}"))
    text = who.t("chat.calendar_link", url=got.url)
    return Reply(f"{text}\n{who.t('chat.calendar_renewed')}" if got.revoked else text)


async def _report(c: Call) -> Reply:
    """/baocao [from] [to]: the XLSX report against the plan, attached (the whole campaign without dates)."""
    from bot.reports import write_xlsx
    from campaign.report import build_report

    sv, who = c.sv, c.who
    if len(c.args) > 2:
        raise c.usage()
    days = [answers.parse_day(a, sv.config, c.now, who.lang) for a in c.args]
    start = datetime.combine(days[0], time(0), tzinfo=sv.config.tz) if days else None
    end = datetime.combine(days[-1], time(0), tzinfo=sv.config.tz) + timedelta(days=1) if days else None
    if start is not None and end is not None and end <= start:
        raise Conflict(t("report.reversed", who.lang))
    result = await asyncio.to_thread(build_report, sv.store, sv.config, start, end, c.now)
    buf = io.BytesIO()
    await asyncio.to_thread(write_xlsx, result, sv.config, buf, who.lang)
    span = f"{days[0]:%d%m%Y}-{days[-1]:%d%m%Y}" if days else f"{c.now.astimezone(sv.config.tz):%d%m%Y}"
    n = result.total
    caption = t("report.caption", who.lang, planned=n.planned, published=n.on_time + n.late, late=n.late, missed=n.missed,
                failed=n.failed, incidents=len(result.incidents))
    return Reply(caption, document=(f"bao-cao-{span}.xlsx", buf.getvalue()))


async def _answer(sv: Services, who: Who, ask: Ask, *, buttons: bool, page: int) -> Reply:
    command = COMMANDS.get(ask.command)
    handler = HANDLERS.get(ask.command)
    if command is None or handler is None:
        raise Conflict(who.t("chat.unknown_command"))
    now = sv.clock.now()
    if command.needs is not None:
        review.check(sv.store, who.actor, command.needs, now, command.name)
    args = ask.args
    if command.paged:
        args, page = _page_args(command, args, page, who, buttons)
    return await handler(Call(sv, who, command, args, page, buttons, now))


# --- the handlers, one per registered command ---------------------------------------------------------

async def _help(c: Call) -> Reply:
    return Reply(answers.help_text(c.sv.config, c.lang, c.who.actor.person, prefix="/" if c.buttons else "").text())


async def _day(c: Call) -> Reply:
    when = c.today if c.command.name == "today" else c.today + timedelta(days=1)
    return _listing_of_day(c, when)


def _listing_of_day(c: Call, when: date) -> Reply:
    sv, person = c.sv, c.who.actor.person
    return c.paged(lambda p: answers.day(sv.store, sv.config, when, c.lang, person, page=p, page_size=PAGE_LINES))


async def _date(c: Call) -> Reply:
    if not c.args:
        return await _timeline(c)
    return _listing_of_day(c, answers.parse_day(c.args[0], c.sv.config, c.now, c.lang))


async def _timeline(c: Call) -> Reply:
    """/lich, /timeline with no date: a picture of the next 14 days, captioned with the counts.

    The public sees approved and published posts; staff see every state. The Zalo Bot sends photos by
    URL only, so it (and a machine without cairo) gets the caption and the posts as text instead.
    """
    sv, person = c.sv, c.who.actor.person
    staff = answers.is_staff(person)
    ahead = await asyncio.to_thread(picture.upcoming, sv.store, sv.config, c.now, c.lang, public=not staff)
    caption = ahead.caption(sv.config, c.lang)
    if c.buttons:
        try:
            png = await asyncio.to_thread(picture.png, ahead.svg)  # CPU work, off the event loop
            return Reply(caption, photo=(f"lich-{ahead.start.astimezone(sv.config.tz):%d%m%Y}.png", png))
        except (ImportError, OSError) as exc:  # no libcairo: the text still answers
            log.warning("timeline picture unavailable (%s); answering with text", exc)
    listing = answers.ahead(sv.store, sv.config, ahead.start, ahead.end, c.lang, person)
    return Reply("\n".join([caption, *listing.lines]))


async def _week(c: Call) -> Reply:
    sv, person = c.sv, c.who.actor.person
    return c.paged(lambda p: answers.week(sv.store, sv.config, c.now, c.lang, person, page=p, page_size=PAGE_LINES))


async def _next(c: Call) -> Reply:
    return c.page_of(answers.next_up(c.sv.store, c.sv.config, c.now, c.lang, c.who.actor.person))


async def _milestones(c: Call) -> Reply:
    return c.page_of(answers.milestones(c.sv.config, c.now, c.lang))


async def _pending(c: Call) -> Reply:
    sv = c.sv
    return c.paged(lambda p: answers.pending(sv.store, sv.config, c.now, c.lang, page=p, page_size=PAGE_LINES))


async def _status(c: Call) -> Reply:
    return c.page_of(answers.status(c.sv.store, c.sv.config, c.lang))


async def _post(c: Call) -> Reply:
    fn = answers.post_detail if c.command.name == "post" else answers.audit_trail
    return c.page_of(fn(c.sv.store, c.sv.config, _one(c.args, c.who), c.lang))


async def _decide(c: Call) -> Reply:
    ref = _one(c.args[:1], c.who)
    reason = c.args[1] if len(c.args) > 1 else None
    if c.command.name == "reject" and not reason:
        raise Conflict(c.who.t("chat.need_reason"))
    result = review.decide(c.sv.store, c.sv.config, c.sv.clock, c.who.actor, ref, None, c.command.name, reason)
    return await decided(c.sv, c.who, result, reason)


async def _override(c: Call) -> Reply:
    outcome = await _perform(c.sv, AdminAction(Verb.OVERRIDE, c.who.actor, post=_one(c.args, c.who)))
    assert outcome.review is not None
    return await decided(c.sv, c.who, outcome.review, None)


async def _pause(c: Call) -> Reply:
    name = c.command.name
    if c.buttons:
        return c.confirm(c.who.t(f"chat.confirm_{name}"))
    if not any(a in CONFIRM_WORDS for a in c.args):
        raise Conflict(c.who.t("chat.type_confirm", cmd=name))
    return await _admin(c.sv, c.who, AdminAction(Verb(name), c.who.actor))


async def _sync(c: Call) -> Reply:
    return await _admin(c.sv, c.who, AdminAction(Verb.SYNC, c.who.actor))


async def _deliveries(c: Call) -> Reply:
    ids = _delivery_ids(c)
    return await _admin(c.sv, c.who, AdminAction(Verb(c.command.name), c.who.actor, deliveries=tuple(ids)))


async def _published(c: Call) -> Reply:
    name = c.command.name
    with c.sv.store.session() as s:
        post = review.find_post(s, _one(c.args[:1], c.who))
    if c.buttons:
        return c.confirm(c.who.t(f"chat.confirm_{name}", id=post.id, title=post.title), post.id)
    if not any(a in CONFIRM_WORDS for a in c.args[1:]):
        raise Conflict(c.who.t("chat.type_confirm_post", cmd=name, id=post.id))
    return await _admin(c.sv, c.who, AdminAction(Verb(name), c.who.actor, post=str(post.id)))


# --- drafts from chat (/moi): the conversation is campaign.compose; this only routes and reports ---------

def studio(sv: Services) -> compose.Studio:
    return compose.Studio(sv.config, sv.store, sv.clock, sv.desk)


async def _new(c: Call) -> Reply:
    """/moi: the editor role was checked by ``_answer``; Telegram draws buttons and takes photos, Zalo types."""
    person = c.who.actor.person
    assert person is not None
    return await _drafted(c.sv, c.who, studio(c.sv).start(person, c.lang, photos=c.buttons), buttons=c.buttons)


async def _cancel(c: Call) -> Reply:
    return Reply(studio(c.sv).cancel(c.who.actor.label, c.lang).text)


def drafting(sv: Services, who: Who) -> bool:
    """Whether this person's next message belongs to a draft they are writing."""
    return who.actor.person is not None and sv.desk.get(who.actor.label) is not None


async def draft_said(sv: Services, who: Who, said: compose.Said, *, buttons: bool = True) -> Reply:
    """The next message of an open draft (text, Markdown from the chat's formatting, or a photo)."""
    try:
        return await _drafted(sv, who, studio(sv).said(who.actor.label, said), buttons=buttons)
    except LoaError as exc:
        return Reply(str(exc))


async def draft_forwarded(sv: Services, who: Who, said: compose.Said, *, buttons: bool = True) -> Reply:
    """A message forwarded to the bot: a draft naming its source (editors only; a refusal is audited)."""
    try:
        person = review.check(sv.store, who.actor, "editor", sv.clock.now(), "new")
        return await _drafted(sv, who, studio(sv).forwarded(person, who.lang, said, photos=buttons), buttons=buttons)
    except LoaError as exc:
        return Reply(str(exc))


async def _drafted(sv: Services, who: Who, prompt: compose.Prompt, *, buttons: bool) -> Reply:
    """A step's prompt as a reply; a saved draft is synced at once, so the author learns its number."""
    if prompt.saved is not None:
        return Reply(await _synced(sv, who, prompt.saved))
    rows = [[(o.label, callbacks.draft_data(o.op, o.arg)) for o in row] for row in prompt.options] if buttons else []
    rich = prompt.html if buttons and prompt.html and len(prompt.html) <= RICH_LIMIT else None  # else plain, split
    return Reply(prompt.text, rows, rich=rich)


async def _synced(sv: Services, who: Who, path: Path) -> str:
    report = await sv.engine.resync()  # so the author learns the draft's number at once
    return compose.saved_text(sv.store, sv.config, path, report.problems, who.lang)


async def _shares(c: Call) -> Reply:
    return c.page_of(sharekit.tally(c.sv.store, c.sv.config, c.lang))


async def _shared(c: Call) -> Reply:
    """"/dachiase 12 xa-a": the Zalo way of pressing a share kit's "I shared it" (typed as the kit shows it)."""
    if len(c.args) != 2:
        raise c.usage()
    return Reply(sharekit.record_share(c.sv.store, c.sv.config, c.sv.clock, c.who.actor, _one(c.args[:1], c.who),
                                       c.args[1].lower(), c.lang))


HANDLERS: dict[str, Handler] = {
    "start": _help, "help": _help, "today": _day, "tomorrow": _day, "week": _week, "date": _date,
    "next": _next, "milestones": _milestones, "pending": _pending, "status": _status,
    "post": _post, "audit": _post, "approve": _decide, "reject": _decide, "override": _override,
    "pause": _pause, "resume": _pause, "sync": _sync, "retry": _deliveries, "skip": _deliveries,
    "retract": _published, "correct": _published, "report": _report, "web": _web, "new": _new, "cancel": _cancel,
    "mycalendar": _mycalendar,
    "shares": _shares, "shared": _shared,
}
if HANDLERS.keys() != COMMANDS.keys():  # the registry and the handlers name the same commands
    raise RuntimeError(f"commands without a handler or handlers without a command: {HANDLERS.keys() ^ COMMANDS.keys()}")


# --- arguments --------------------------------------------------------------------------------------

def _page_args(command: Command, args: tuple[str, ...], page: int, who: Who, buttons: bool) -> tuple[tuple[str, ...], int]:
    """A listing takes at most a page number (after the date for "date"): 1..MAX_PAGE, or the usage line.

    "tuannay 2": the Zalo Bot has no buttons to turn pages, so the page is typed.
    """
    fixed = 1 if command.name == "date" else 0
    bad = BadArguments(command.usage(who.lang, prefix="/" if buttons else ""))
    if len(args) > fixed + 1:
        raise bad
    if len(args) == fixed + 1:
        typed = number(args[-1], high=MAX_PAGE)
        if typed is None:
            raise bad
        return args[:-1], typed - 1
    return args, min(max(page, 0), MAX_PAGE - 1)


def _one(args: tuple[str, ...] | list[str], who: Who) -> str:
    """A post reference, its ID or its key (``review.find_post`` bounds the ID)."""
    if not args:
        raise Conflict(who.t("chat.need_id"))
    return args[0].lstrip("#")


def _delivery_ids(c: Call) -> list[int]:
    """ "/retry 5 6 7": the ids an alert lists, all at once."""
    if not c.args:
        raise c.usage()
    ids = [number(text) for text in c.args[:MAX_IDS + 1]]
    for text, i in zip(c.args, ids, strict=False):
        if i is None:
            raise Conflict(c.who.t("chat.not_delivery", text=text[:20]))
    if len(ids) > MAX_IDS:
        raise Conflict(c.who.t("chat.too_many_ids", n=MAX_IDS))
    return [i for i in ids if i is not None]


# --- admin actions, typed or pressed: one route ------------------------------------------------------

async def _perform(sv: Services, action: AdminAction) -> Outcome:
    return await admin.perform(sv.engine, action)


async def _admin(sv: Services, who: Who, action: AdminAction) -> Reply:
    """An admin action through ``jobs.admin.perform``, reported in the reader's language."""
    return Reply((await _perform(sv, action)).report(sv.config, who.lang))


async def decided(sv: Services, who: Who, result: review.ReviewResult, reason: str | None) -> Reply:
    """After a decision: edit every request message to show it, then confirm to the approver."""
    post = result.post
    text = review.decision_text(sv.config, post, result.state, who.actor, result.decision, sv.clock.now(), reason)
    payload = text_payload(text)
    if not result.state.approved and not result.state.rejected_by:
        payload = payload.with_choices(review.choices(post))
    await sv.engine.edit_deliveries(review.request_refs(post)[1], payload)
    return Reply(text)


# --- buttons ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pressed:
    reply: Reply | None  # a message to show (new, or replacing the pressed one)
    toast: str  # the short notice on the button
    ok: bool = True  # False: refused or outdated (shown as an alert)


async def press(sv: Services, who: Who, cb: callbacks.Callback) -> Pressed:
    try:
        reply, toast = await _press(sv, who, cb)
        return Pressed(reply, toast)
    except LoaError as exc:
        return Pressed(None, str(exc), ok=False)


Press = Callable[[Services, Who, callbacks.Callback], Awaitable[tuple[Reply | None, str]]]


async def _press(sv: Services, who: Who, cb: callbacks.Callback) -> tuple[Reply | None, str]:
    if cb.action == "page" and cb.command not in PAGED:
        raise Conflict(callbacks.INVALID)
    pressed = PRESSES.get(cb.action)
    if pressed is None:
        raise Conflict(callbacks.INVALID)
    return await pressed(sv, who, cb)


async def _press_approve(sv: Services, who: Who, cb: callbacks.Callback) -> tuple[Reply | None, str]:
    result = review.decide(sv.store, sv.config, sv.clock, who.actor, cb.post_id or 0, cb.hash_prefix, "approve")
    await decided(sv, who, result, None)
    return None, who.t("chat.approved")


async def _press_reject(sv: Services, who: Who, cb: callbacks.Callback) -> tuple[Reply | None, str]:
    now = sv.clock.now()
    review.check(sv.store, who.actor, "approver", now, "reject")
    post = review.fresh(sv.store, who.actor, cb.post_id or 0, cb.hash_prefix or "", now, "reject")
    mark = callbacks.reason_marker(post.id or 0, cb.hash_prefix or "")
    return Reply(who.t("chat.reason_prompt", id=post.id, title=post.title, mark=mark), ask_reason=True), \
        who.t("chat.reason_toast")


async def _press_diff(sv: Services, who: Who, cb: callbacks.Callback) -> tuple[Reply | None, str]:
    review.check(sv.store, who.actor, "approver", sv.clock.now(), "diff")
    return Reply(review.what_changed(sv.store, cb.post_id or 0)), ""


async def _press_admin(sv: Services, who: Who, cb: callbacks.Callback) -> tuple[Reply | None, str]:
    """Pause, resume, retract, correct: the confirmation buttons of the commands."""
    post = str(cb.post_id or 0) if cb.action in ("retract", "correct") else None
    return await _admin(sv, who, AdminAction(Verb(cb.action), who.actor, post=post)), ""


async def _press_unknown(sv: Services, who: Who, cb: callbacks.Callback) -> tuple[Reply | None, str]:
    """The buttons of an "unknown" alert: retry or skip all of the post's unknown rows."""
    ids = operations.unknown_group(sv.store, cb.delivery_id or 0)
    verb = Verb.RETRY if cb.action == "resend" else Verb.SKIP
    return await _admin(sv, who, AdminAction(verb, who.actor, deliveries=tuple(ids))), ""


async def _press_shared(sv: Services, who: Who, cb: callbacks.Callback) -> tuple[Reply | None, str]:
    """A share kit's "I shared it": counted once per person and post; the answer is the toast."""
    return None, sharekit.record_share(sv.store, sv.config, sv.clock, who.actor, cb.post_id or 0, cb.unit, who.lang)


async def _press_cancel(sv: Services, who: Who, cb: callbacks.Callback) -> tuple[Reply | None, str]:
    return Reply(who.t("chat.cancelled")), ""


async def _press_draft(sv: Services, who: Who, cb: callbacks.Callback) -> tuple[Reply | None, str]:
    """A button of a draft being written: only its author's own open draft is touched."""
    prompt = studio(sv).pressed(who.actor.label, compose.Op(cb.op or ""), cb.index)
    return await _drafted(sv, who, prompt, buttons=True), ""


async def _press_page(sv: Services, who: Who, cb: callbacks.Callback) -> tuple[Reply | None, str]:
    ask = Ask(cb.command or "help", tuple(cb.arg.split()) if cb.arg else ())
    return await answer(sv, who, ask, page=cb.page), ""


PRESSES: dict[str, Press] = {
    "approve": _press_approve, "reject": _press_reject, "diff": _press_diff,
    "pause": _press_admin, "resume": _press_admin, "retract": _press_admin, "correct": _press_admin,
    "resend": _press_unknown, "went_out": _press_unknown, "cancel": _press_cancel, "page": _press_page,
    "draft": _press_draft,
    "shared": _press_shared,
}


async def press_data(sv: Services, who: Who, data: str) -> tuple[callbacks.Callback | None, Pressed]:
    """A button press as the platform delivers it: untrusted data, decoded with bounds, then ``press``."""
    try:
        cb = callbacks.decode(data)
    except LoaError as exc:
        return None, Pressed(None, str(exc), ok=False)
    return cb, await press(sv, who, cb)


async def reason_given(sv: Services, who: Who, post_id: int, hash_prefix: str, reason: str) -> Reply:
    try:
        result = review.decide(sv.store, sv.config, sv.clock, who.actor, post_id, hash_prefix, "reject", reason)
        return await decided(sv, who, result, reason)
    except LoaError as exc:
        return Reply(str(exc))
