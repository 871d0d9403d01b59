"""What the bot does for a command or a button, whatever the chat (Telegram or Zalo Bot).

Handlers parse their platform's update into an ``Ask`` or a ``Callback`` and a ``Who``, call
``answer``/``press`` here, and send the ``Reply``. Rules live in ``campaign``; this module only
routes and formats.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot import callbacks
from campaign import answers, operations, review, signin
from campaign.ask import COMMANDS, MAX_PAGE, Ask, number, usage
from campaign.clock import Clock
from campaign.config import Config
from campaign.errors import Conflict, LoaError
from campaign.publishing import text_payload
from campaign.store.db import Store

if TYPE_CHECKING:
    from jobs.engine import Engine

PAGE_LINES = 15
PAGED = ("today", "tomorrow", "week", "date", "pending")
MAX_IDS = 50  # "/retry 5 6 7": ids at once
CONFIRM_WORDS = ("xacnhan", "confirm", "ok")


@dataclass
class Services:
    store: Store
    config: Config
    clock: Clock
    engine: Engine
    web_url: str = ""  # the web server's address once it listens (links when [web] public_url is unset)


@dataclass(frozen=True)
class Who:
    actor: review.Actor
    lang: str


@dataclass
class Reply:
    text: str
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    ask_reason: bool = False  # Telegram: send as a ForceReply prompt

    @property
    def html(self) -> str:
        return html.escape(self.text, quote=False)


def _l(who: Who, vi: str, en: str) -> str:
    return en if who.lang == "en" else vi


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
        row.append((_l(who, "◀ Trước", "◀ Prev"), callbacks.page_data(command, arg, page - 1)))
    if buttons and page < pages - 1:
        row.append((_l(who, "Sau ▶", "Next ▶"), callbacks.page_data(command, arg, page + 1)))
    if not buttons and answer.total is not None and page < pages - 1:
        word = (COMMANDS[command][0] or (command,))[0]
        lines = [*lines, _l(who, f"➡ Trang sau: «{word} {arg} {page + 2}»", f"➡ Next page: “{word} {arg} {page + 2}”").replace("  ", " ")]
    return Reply("\n".join([title, *lines]), [row] if row else [])


async def answer(sv: Services, who: Who, ask: Ask, *, buttons: bool = True, page: int = 0) -> Reply:
    """Run a command; every refusal or bad input comes back as a polite reply, never an exception."""
    try:
        return await _answer(sv, who, ask, buttons=buttons, page=page)
    except LoaError as exc:
        return Reply(str(exc))


class BadArguments(Conflict):
    """The arguments do not fit the command; the message is its usage line."""


async def _answer(sv: Services, who: Who, ask: Ask, *, buttons: bool, page: int) -> Reply:
    cmd, args, now, lang, person = ask.command, ask.args, sv.clock.now(), who.lang, who.actor.person
    role = COMMANDS[cmd][1]
    if role is not None:
        review.check(sv.store, who.actor, role, now, cmd)
    if cmd in PAGED:
        args, page = _page_args(cmd, args, page, who, buttons)
    arg = " ".join(args)

    def paged(make: Callable[[int], answers.Answer]) -> Reply:
        """A page of a listing the database pages; a page past the end shows the last one."""
        ans = make(max(page, 0))
        if ans.total and not ans.lines and page > 0:
            last = (ans.total - 1) // ans.page_size
            return paginate(make(last), cmd, arg, last, who, buttons=buttons)
        return paginate(ans, cmd, arg, max(page, 0), who, buttons=buttons)

    def page_of(ans: answers.Answer) -> Reply:
        return paginate(ans, cmd, arg, page, who, buttons=buttons)

    today = now.astimezone(sv.config.tz).date()
    match cmd:
        case "start" | "help":
            return Reply(answers.help_text(sv.config, lang, person, prefix="/" if buttons else "").text())
        case "today" | "tomorrow":
            when = today if cmd == "today" else today.fromordinal(today.toordinal() + 1)
            return paged(lambda p: answers.day(sv.store, sv.config, when, lang, person, page=p, page_size=PAGE_LINES))
        case "week":
            return paged(lambda p: answers.week(sv.store, sv.config, now, lang, person, page=p, page_size=PAGE_LINES))
        case "date":
            if not args:
                raise Conflict(_l(who, "Cần ngày, ví dụ /lich 27/01.", "Give a date, e.g. /date 27/01."))
            day = answers.parse_day(args[0], sv.config, now, lang)
            return paged(lambda p: answers.day(sv.store, sv.config, day, lang, person, page=p, page_size=PAGE_LINES))
        case "next":
            return page_of(answers.next_up(sv.store, sv.config, now, lang, person))
        case "milestones":
            return page_of(answers.milestones(sv.config, now, lang))
        case "pending":
            return paged(lambda p: answers.pending(sv.store, sv.config, now, lang, page=p, page_size=PAGE_LINES))
        case "status":
            return page_of(answers.status(sv.store, sv.config, lang))
        case "post" | "audit":
            ref = _one(args, who)
            fn = answers.post_detail if cmd == "post" else answers.audit_trail
            return page_of(fn(sv.store, sv.config, ref, lang))
        case "approve" | "reject":
            ref = _one(args[:1], who)
            reason = args[1] if len(args) > 1 else None
            if cmd == "reject" and not reason:
                raise Conflict(_l(who, "Cần lý do: tuchoi ID lý do", "A reason is needed: reject ID reason"))
            result = review.decide(sv.store, sv.config, sv.clock, who.actor, ref, None, cmd, reason)
            return await decided(sv, who, result, reason)
        case "override":
            result = review.override(sv.store, sv.config, sv.clock, who.actor, _one(args, who))
            return await decided(sv, who, result, None)
        case "pause" | "resume":
            if buttons:
                q = _l(who, "Tạm dừng MỌI đăng bài?", "Pause ALL publishing?") if cmd == "pause" else \
                    _l(who, "Tiếp tục đăng bài?", "Resume publishing?")
                return Reply(q, [[(_l(who, "✔ Xác nhận", "✔ Confirm"), callbacks.encode(cmd)),
                                  (_l(who, "✖ Huỷ", "✖ Cancel"), callbacks.encode("cancel"))]])
            if not any(a in CONFIRM_WORDS for a in args):
                raise Conflict(_l(who, f"Gửi «{cmd} xacnhan» để xác nhận.", f"Send “{cmd} confirm” to confirm."))
            return _paused(sv, who, cmd == "pause")
        case "sync":
            report = await sv.engine.resync()
            problems = [str(p) for p in report.problems][:10]
            return Reply("\n".join([_l(who, "🔄 Đã đồng bộ", "🔄 Synced") + f": +{len(report.added)} ~{len(report.changed)} "
                                    f"-{len(report.withdrawn)} ({report.unchanged} {_l(who, 'không đổi', 'unchanged')})",
                                    *problems]))
        case "retry":
            ids = _delivery_ids(cmd, args, who, buttons)
            for i in ids:
                await sv.engine.retry(who.actor, i)
            return Reply(_l(who, f"🔁 Đã đưa lại vào hàng gửi: {_ids(ids)}.", f"🔁 Queued again: {_ids(ids)}."))
        case "skip":
            ids = _delivery_ids(cmd, args, who, buttons)
            for i in ids:
                operations.skip_delivery(sv.store, sv.clock, who.actor, i)
            return Reply(_l(who, f"⏭ Đã bỏ qua: {_ids(ids)}.", f"⏭ Skipped: {_ids(ids)}."))
        case "retract" | "correct":
            ref = _one(args[:1], who)
            with sv.store.session() as s:
                post = review.find_post(s, ref)
            if buttons:
                q = _l(who, f"Thu hồi bài #{post.id} «{post.title}» ở mọi kênh?", f"Retract post #{post.id} “{post.title}” everywhere?") \
                    if cmd == "retract" else \
                    _l(who, f"Sửa bài #{post.id} «{post.title}» đã đăng theo nội dung mới?", f"Edit published post #{post.id} “{post.title}” to the new content?")
                return Reply(q, [[(_l(who, "✔ Xác nhận", "✔ Confirm"), callbacks.encode(cmd, post.id)),
                                  (_l(who, "✖ Huỷ", "✖ Cancel"), callbacks.encode("cancel"))]])
            if not any(a in CONFIRM_WORDS for a in args[1:]):
                raise Conflict(_l(who, f"Gửi «{cmd} {post.id} xacnhan» để xác nhận.", f"Send “{cmd} {post.id} confirm” to confirm."))
            return await _published_edit(sv, who, cmd, post.id or 0)
        case "web":
            return _web_link(sv, who)
    raise Conflict(_l(who, "Không hiểu lệnh. Gõ /help.", "Unknown command. Try /help."))


def _web_link(sv: Services, who: Who) -> Reply:
    """A one-time dashboard sign-in link (the caller makes sure the chat is private)."""
    base = sv.config.web.public_url or sv.web_url
    if not base or who.actor.person is None:
        raise Conflict(_l(who, "Máy chủ web đang tắt ([web] listen).", "The web server is off ([web] listen)."))
    key = signin.secret(sv.store, os.environ.get(signin.SECRET_ENV))
    url = signin.issue_link(sv.store, sv.config, sv.clock, key, who.actor.person, base)
    return Reply(_l(who, f"🔑 Đăng nhập trang quản lý (dùng một lần, trong 10 phút):\n{url}",
                    f"🔑 Sign in to the dashboard (once, within 10 minutes):\n{url}"))


def _usage(cmd: str, who: Who, buttons: bool) -> BadArguments:
    return BadArguments(usage(cmd, who.lang, prefix="/" if buttons else ""))


def _page_args(cmd: str, args: tuple[str, ...], page: int, who: Who, buttons: bool) -> tuple[tuple[str, ...], int]:
    """A listing takes at most a page number (after the date for "date"): 1..MAX_PAGE, or the usage line.

    "tuannay 2": the Zalo Bot has no buttons to turn pages, so the page is typed.
    """
    fixed = 1 if cmd == "date" else 0
    if len(args) > fixed + 1:
        raise _usage(cmd, who, buttons)
    if len(args) == fixed + 1:
        typed = number(args[-1], high=MAX_PAGE)
        if typed is None:
            raise _usage(cmd, who, buttons)
        return args[:-1], typed - 1
    return args, min(max(page, 0), MAX_PAGE - 1)


def _one(args: tuple[str, ...] | list[str], who: Who) -> str:
    """A post reference, its ID or its key (``review.find_post`` bounds the ID)."""
    if not args:
        raise Conflict(_l(who, "Cần số bài (ID), ví dụ /post 12.", "Give the post ID, e.g. /post 12."))
    return args[0].lstrip("#")


def _delivery_ids(cmd: str, args: tuple[str, ...], who: Who, buttons: bool) -> list[int]:
    """ "/retry 5 6 7": the ids an alert lists, all at once."""
    if not args:
        raise _usage(cmd, who, buttons)
    ids = [number(text) for text in args[:MAX_IDS + 1]]
    for text, i in zip(args, ids, strict=False):
        if i is None:
            raise Conflict(_l(who, f"'{text[:20]}' không phải số lượt gửi.", f"'{text[:20]}' is not a delivery number."))
    if len(ids) > MAX_IDS:
        raise Conflict(_l(who, f"Tối đa {MAX_IDS} số mỗi lần.", f"At most {MAX_IDS} numbers at once."))
    return [i for i in ids if i is not None]


def _ids(ids: list[int]) -> str:
    return ", ".join(f"#{i}" for i in ids)


def _paused(sv: Services, who: Who, paused: bool) -> Reply:
    changed = operations.pause(sv.store, sv.clock, who.actor, paused)
    if paused:
        return Reply(_l(who, "⏸ Đã tạm dừng mọi đăng bài." if changed else "Đang tạm dừng rồi.",
                        "⏸ All publishing paused." if changed else "Already paused."))
    return Reply(_l(who, "▶️ Đã tiếp tục đăng bài." if changed else "Không bị tạm dừng.",
                    "▶️ Publishing resumed." if changed else "Not paused."))


async def _published_edit(sv: Services, who: Who, cmd: str, post_id: int) -> Reply:
    if cmd == "retract":
        return Reply((await sv.engine.retract(who.actor, str(post_id))).report(sv.config, who.lang))
    done, errors = await sv.engine.correct(who.actor, str(post_id))
    lines = [f"{_l(who, 'Đã sửa', 'Corrected')} #{post_id}: {len(done)} " + _l(who, "kênh", "channel(s)")]
    lines += [f"❌ #{d}: {e}" for d, e in errors.items()]
    return Reply("\n".join(lines))


async def decided(sv: Services, who: Who, result: review.ReviewResult, reason: str | None) -> Reply:
    """After a decision: edit every request message to show it, then confirm to the approver."""
    post = result.post
    text = review.decision_text(sv.config, post, result.state, who.actor, result.decision, sv.clock.now(), reason)
    payload = text_payload(text)
    if not result.state.approved and not result.state.rejected_by:
        payload["buttons"] = review.buttons(post, callbacks.encode)
    await sv.engine.edit_deliveries(review.request_refs(post)[1], payload)
    return Reply(text)


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


async def _press(sv: Services, who: Who, cb: callbacks.Callback) -> tuple[Reply | None, str]:
    now = sv.clock.now()
    match cb.action:
        case "approve":
            result = review.decide(sv.store, sv.config, sv.clock, who.actor, cb.post_id or 0, cb.hash_prefix, "approve")
            await decided(sv, who, result, None)
            return None, _l(who, "Đã duyệt ✅", "Approved ✅")
        case "reject":
            review.check(sv.store, who.actor, "approver", now, "reject")
            post = review.fresh(sv.store, who.actor, cb.post_id or 0, cb.hash_prefix or "", now, "reject")
            mark = callbacks.reason_marker(post.id or 0, cb.hash_prefix or "")
            prompt = _l(who, f"✍️ Lý do từ chối bài #{post.id} «{post.title}»? Hãy trả lời tin nhắn này. {mark}",
                        f"✍️ Why reject post #{post.id} “{post.title}”? Reply to this message. {mark}")
            return Reply(prompt, ask_reason=True), _l(who, "Hãy nhập lý do", "Please give a reason")
        case "diff":
            review.check(sv.store, who.actor, "approver", now, "diff")
            return Reply(review.what_changed(sv.store, cb.post_id or 0)), ""
        case "pause" | "resume":
            return _paused(sv, who, cb.action == "pause"), ""
        case "retract" | "correct":
            return await _published_edit(sv, who, cb.action, cb.post_id or 0), ""
        case "resend" | "went_out":  # the buttons of an "unknown" alert: /retry or /skip on all of the post's unknown rows
            ids = operations.unknown_group(sv.store, cb.delivery_id or 0)
            return await _answer(sv, who, Ask("retry" if cb.action == "resend" else "skip", tuple(map(str, ids))),
                                 buttons=False, page=0), ""
        case "cancel":
            return Reply(_l(who, "Đã huỷ.", "Cancelled.")), ""
        case "page" if cb.command in PAGED:
            reply = await answer(sv, who, Ask(cb.command or "help", tuple(cb.arg.split()) if cb.arg else ()), page=cb.page)
            return reply, ""
    raise Conflict(callbacks.INVALID)


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

