"""Writing a draft in a chat conversation (``/moi``): title, time, channels, body, photos, preview, save.

The conversation is plain data (``Draft``) kept per person in a ``Desk``; each step takes what the
person sent (``Said``) or pressed (an ``Option``) and answers with a ``Prompt``. Telegram draws the
options as buttons, the Zalo Bot lists them and the person types the word or number, so both chats
run the same steps. Saving goes through ``campaign.drafts.write_draft`` into ``content/inbox/``;
from there the post is checked, synced, approved and published like any other.

The desk lives in memory: a restart drops unsaved drafts (the person is told and starts again).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from campaign.clock import Clock
from campaign.commands import fold
from campaign.config import Config, Person
from campaign.content import load_post
from campaign.drafts import Source, front_matter, write_draft
from campaign.errors import Conflict, Problem, TimeExpressionError
from campaign.render import render_markdown
from campaign.states import AuditAction, PostState
from campaign.store import repo
from campaign.store.db import Store
from campaign.texts import local, t
from campaign.timeexpr import parse_clock, resolve_post_time

INBOX = "inbox"
TITLE_LIMIT = 200
MAX_PHOTOS = 10
SLOTS = 3  # free slots offered as buttons
SLOT_HOURS = range(7, 22)  # local hours a free slot may start at
SLOT_GAP = timedelta(minutes=30)  # a slot is free when no post is this close to it
NOW_WORDS = ("ngay", "now", "ngay bay gio", "bay gio")
DONE_WORDS = ("xong", "done", "ok")
SAVE_WORDS = ("luu", "save")
GONE = (PostState.RETRACTED, PostState.WITHDRAWN)  # posts that no longer take a slot
_CLOCK = re.compile(r"\d{1,2}:\d{2}")


class Step(StrEnum):
    TITLE = "title"
    TIME = "time"
    CHANNELS = "channels"
    BODY = "body"
    PHOTOS = "photos"
    PREVIEW = "preview"


class Op(StrEnum):
    """What an option does when pressed (Telegram) or typed (its number or word, Zalo)."""

    SLOT = "slot"  # + index into ``Draft.slots``; -1 is "now"
    CHANNEL = "channel"  # + index into ``Draft.offered``: select or unselect
    DONE = "done"  # channels chosen, or no more photos
    SAVE = "save"
    CANCEL = "cancel"


@dataclass
class Draft:
    author: str
    lang: str
    photos_allowed: bool  # the chat can send photos (Telegram); the Zalo Bot's text commands cannot
    step: Step = Step.TITLE
    title: str = ""
    at: datetime | None = None
    slots: tuple[datetime, ...] = ()
    offered: tuple[str, ...] = ()
    channels: list[str] = field(default_factory=list)
    body: str = ""
    photos: list[tuple[str, bytes]] = field(default_factory=list)
    source: Source | None = None


@dataclass(frozen=True)
class Option:
    label: str
    op: Op
    arg: int = 0


@dataclass(frozen=True)
class Said:
    """What the person sent: text (as Markdown when the chat had formatting), a photo, where it was forwarded from."""

    text: str = ""
    markdown: str | None = None
    photo: tuple[str, bytes] | None = None  # (suffix, bytes)
    source: Source | None = None

    @property
    def body(self) -> str:
        return (self.markdown if self.markdown is not None else self.text).strip()


@dataclass(frozen=True)
class Prompt:
    text: str
    options: tuple[tuple[Option, ...], ...] = ()
    html: str | None = None  # the preview as Telegram will show it (``text`` is the plain rendering)
    saved: Path | None = None  # the draft file, once written


class Desk:
    """The open drafts, one per person (by person key)."""

    def __init__(self) -> None:
        self._open: dict[str, Draft] = {}

    def get(self, author: str) -> Draft | None:
        return self._open.get(author)

    def open(self, draft: Draft) -> Draft:
        self._open[draft.author] = draft
        return draft

    def close(self, author: str) -> Draft | None:
        return self._open.pop(author, None)


@dataclass(frozen=True)
class Studio:
    """What the steps need: the campaign, its store and clock, and the open drafts."""

    config: Config
    store: Store
    clock: Clock
    desk: Desk

    # --- starting ------------------------------------------------------------------------------------

    def start(self, person: Person, lang: str, *, photos: bool) -> Prompt:
        """``/moi``: a new draft (one already open is replaced); asks for the title."""
        self._offered_or_refuse(person, lang)
        self.desk.open(Draft(person.key, lang, photos))
        return Prompt(t("draft.ask_title", lang))

    def forwarded(self, person: Person, lang: str, said: Said, *, photos: bool) -> Prompt:
        """A forwarded message: the body of the open draft when it waits for one, else a new draft with its first
        line as the title; either way its source is named and linked at the end of the body."""
        draft = self.desk.get(person.key)
        if draft is None or draft.step is not Step.BODY:
            offered = self._offered_or_refuse(person, lang)
            first = next((line.strip() for line in said.text.splitlines() if line.strip()), "")
            title = first if len(first) <= TITLE_LIMIT else first[:TITLE_LIMIT - 1].rstrip() + "…"
            draft = self.desk.open(Draft(person.key, lang, photos, step=Step.TIME, title=title or "…", offered=offered))
            _head, _, rest = said.body.partition("\n")
            if rest.strip() and first and len(first) <= TITLE_LIMIT:  # the first line is the title: the body the rest
                said = replace(said, markdown=rest.strip())
        return self._body(draft, said)

    def _offered_or_refuse(self, person: Person, lang: str) -> tuple[str, ...]:
        offered = usable_channels(self.config, person)
        if not offered:
            raise Conflict(t("draft.no_channels_allowed", lang))
        return offered

    # --- answers ------------------------------------------------------------------------------------

    def said(self, author: str, said: Said) -> Prompt:
        """The next message of an open draft."""
        draft = self._open(author)
        word = fold(said.text.strip())
        if said.photo is not None and draft.step is not Step.PHOTOS:
            if draft.step is Step.BODY:
                return self._body(draft, said)
            return self._again(draft, t("draft.photo_elsewhere", draft.lang))
        if draft.step is Step.TITLE:
            return self._title(draft, said.text)
        if draft.step is Step.TIME:
            return self._time(draft, said.text)
        if draft.step is Step.CHANNELS:
            return self._typed_channels(draft, said.text)
        if draft.step is Step.BODY:
            return self._body(draft, said)
        if draft.step is Step.PHOTOS:
            return self._photo(draft, said) if said.photo is not None else \
                self.pressed(author, Op.DONE) if word in DONE_WORDS else self._again(draft)
        return self.pressed(author, Op.SAVE) if word in SAVE_WORDS else self._again(draft)

    def pressed(self, author: str, op: Op, arg: int = 0) -> Prompt:
        """A button (or its typed word): valid only at the step that offered it."""
        draft = self._open(author)
        if op is Op.CANCEL:
            return self.cancel(author)
        step = draft.step
        if op is Op.SLOT and step is Step.TIME and -1 <= arg < len(draft.slots):
            return self._at(draft, self._now() if arg < 0 else draft.slots[arg])
        if op is Op.CHANNEL and step is Step.CHANNELS and 0 <= arg < len(draft.offered):
            key = draft.offered[arg]
            draft.channels = [k for k in draft.offered if (k in draft.channels) != (k == key)]
            return self._ask_channels(draft)
        if op is Op.DONE and step is Step.CHANNELS:
            return self._again(draft, t("draft.no_channel", draft.lang)) if not draft.channels else self._ask_body(draft)
        if op is Op.DONE and step is Step.PHOTOS:
            return self._preview(draft)
        if op is Op.SAVE and step is Step.PREVIEW:
            return self._save(draft)
        raise Conflict(t("draft.expired", draft.lang))

    def cancel(self, author: str, lang: str | None = None) -> Prompt:
        draft = self.desk.close(author)
        return Prompt(t("draft.cancelled" if draft else "draft.nothing", draft.lang if draft else lang or "vi"))

    def _open(self, author: str) -> Draft:
        draft = self.desk.get(author)
        if draft is None:
            raise Conflict(t("draft.expired", self.config.language))
        return draft

    # --- the steps ----------------------------------------------------------------------------------

    def _title(self, draft: Draft, text: str) -> Prompt:
        title = " ".join(text.split())
        if not title:
            return self._again(draft, t("draft.empty", draft.lang))
        if len(title) > TITLE_LIMIT:
            return self._again(draft, t("draft.title_long", draft.lang, length=len(title), limit=TITLE_LIMIT))
        draft.title = title
        return self._ask_time(draft)

    def _ask_time(self, draft: Draft) -> Prompt:
        draft.step = Step.TIME
        draft.slots = free_slots(self.store, self.config, self.clock.now())
        lang, tz = draft.lang, self.config.tz
        options = [Option(t("draft.now", lang), Op.SLOT, -1)] + [
            Option(f"{i}. {local(at, tz, '%H:%M %d/%m')}", Op.SLOT, i - 1) for i, at in enumerate(draft.slots, start=1)]
        lines = [t("draft.ask_time", lang), *(o.label for o in options[1:]), t("draft.slot_typed", lang)]
        return Prompt("\n".join(lines), (tuple(options),))

    def _time(self, draft: Draft, text: str) -> Prompt:
        typed = text.strip()
        if typed.isdigit() and 1 <= int(typed) <= len(draft.slots):
            return self._at(draft, draft.slots[int(typed) - 1])
        try:
            at = parse_when(typed, self.config, self.clock.now())
        except TimeExpressionError as exc:
            return self._again(draft, str(exc))
        return self._at(draft, at)

    def _at(self, draft: Draft, at: datetime) -> Prompt:
        if at <= self.clock.now():
            return self._again(draft, t("draft.time_passed", draft.lang, when=local(at, self.config.tz)))
        draft.at = at
        return self._ask_channels(draft, first=True)

    def _ask_channels(self, draft: Draft, *, first: bool = False) -> Prompt:
        if first:
            draft.offered = draft.offered or usable_channels(self.config, self._person(draft))
            preset = [k for k in self.config.default_channels if k in draft.offered]
            draft.channels = draft.channels or preset or list(draft.offered)
        draft.step = Step.CHANNELS
        lang = draft.lang
        options = [Option(f"{'✅' if k in draft.channels else '▫️'} {self.config.channels[k].label or k}", Op.CHANNEL, i)
                   for i, k in enumerate(draft.offered)]
        listed = [f"{i}. [{'x' if k in draft.channels else ' '}] {self.config.channels[k].label or k}"
                  for i, k in enumerate(draft.offered, start=1)]
        text = "\n".join([t("draft.ask_channels" if draft.photos_allowed else "draft.ask_channels_typed", lang), *listed])
        return Prompt(text, (*((o,) for o in options), (Option(t("draft.done", lang), Op.DONE),)))

    def _typed_channels(self, draft: Draft, text: str) -> Prompt:
        if fold(text.strip()) in DONE_WORDS:
            return self.pressed(draft.author, Op.DONE)
        chosen: list[str] = []
        for part in re.split(r"[\s,;]+", text.strip()):
            if not part:
                continue
            if not (part.isdigit() and 1 <= int(part) <= len(draft.offered)):
                return self._again(draft, t("draft.bad_channel", draft.lang, got=part[:20]))
            chosen.append(draft.offered[int(part) - 1])
        if not chosen:
            return self._again(draft, t("draft.no_channel", draft.lang))
        draft.channels = [k for k in draft.offered if k in chosen]
        return self._ask_body(draft)

    def _ask_body(self, draft: Draft) -> Prompt:
        if draft.body:  # forwarded: the text is there, go on to the photos
            return self._ask_photos(draft)
        draft.step = Step.BODY
        return Prompt(t("draft.ask_body", draft.lang), ((Option(t("draft.cancel", draft.lang), Op.CANCEL),),))

    def _body(self, draft: Draft, said: Said) -> Prompt:
        body = said.body
        if not body and said.photo is None:
            return self._again(draft, t("draft.empty", draft.lang))
        source = said.source
        if source is not None:
            line = t("draft.source_line", self.config.language, source=source.markdown())
            body = f"{body}\n\n{line}".strip()
            draft.source = source
        draft.body = body
        if said.photo is not None:
            draft.photos.append(said.photo)
        if draft.step is Step.TIME or draft.at is None:  # forwarded before the time was asked
            return self._ask_time(draft)
        return self._ask_photos(draft)

    def _ask_photos(self, draft: Draft) -> Prompt:
        if not draft.photos_allowed:
            return self._preview(draft)
        draft.step = Step.PHOTOS
        key = "draft.photo_added" if draft.photos else "draft.ask_photos"
        return Prompt(t(key, draft.lang, count=len(draft.photos)), ((Option(t("draft.done", draft.lang), Op.DONE),),))

    def _photo(self, draft: Draft, said: Said) -> Prompt:
        assert said.photo is not None
        if len(draft.photos) >= MAX_PHOTOS:
            return self._again(draft, t("draft.too_many_photos", draft.lang, limit=MAX_PHOTOS))
        draft.photos.append(said.photo)
        return self._ask_photos(draft)

    def _preview(self, draft: Draft) -> Prompt:
        """The post as the channels will show it, after the same checks ``loa check`` makes of the file."""
        problems = self._problems(draft)
        if problems:
            draft.step, draft.body = Step.BODY, ""
            return Prompt(t("draft.invalid", draft.lang, problems="; ".join(problems)))
        draft.step = Step.PREVIEW
        lang, config = draft.lang, self.config
        assert draft.at is not None
        head = t("draft.preview", lang, title=draft.title, when=local(draft.at, config.tz),
                 channels=", ".join(config.channels[k].label or k for k in draft.channels),
                 photos=t("draft.preview_photos", lang, count=len(draft.photos)) if draft.photos else "",
                 source=t("draft.preview_source", lang, source=draft.source.front_matter) if draft.source else "")
        rendered = render_markdown(draft.body, title=draft.title)
        options = ((Option(t("draft.save", lang), Op.SAVE), Option(t("draft.cancel", lang), Op.CANCEL)),)
        plain = f"{head}\n{rendered.plain}\n———\n{t('draft.preview_typed', lang)}"
        html = f"{_escape(head)}\n{rendered.telegram_html}"
        return Prompt(plain, options, html=html)

    def _problems(self, draft: Draft) -> list[str]:
        """Errors ``loa check`` would report for this draft (photos are checked once written, by sync)."""
        assert draft.at is not None
        path = self.config.content_dir / INBOX / "draft.md"
        text = front_matter(title=draft.title, at=draft.at, tz=self.config.tz, channels=draft.channels,
                            author=draft.author, source=draft.source, milestone=milestone_at(self.config, draft.at))
        _post, problems = load_post(path, (text + draft.body + "\n").encode(), self.config, key=f"{INBOX}/draft")
        return [p.message for p in problems if p.severity != "warning"]

    def _save(self, draft: Draft) -> Prompt:
        assert draft.at is not None
        if draft.at <= self.clock.now():  # the preview stayed open past the time: ask again, keep the rest
            passed = t("draft.time_passed", draft.lang, when=local(draft.at, self.config.tz))
            prompt = self._ask_time(draft)
            return replace(prompt, text=f"{passed}\n{prompt.text}")
        path = write_draft(self.config.content_dir / INBOX, title=draft.title, at=draft.at, tz=self.config.tz,
                           channels=draft.channels, body=draft.body, author=draft.author, source=draft.source,
                           milestone=milestone_at(self.config, draft.at), media=draft.photos)
        self.desk.close(draft.author)
        rel = path.relative_to(self.config.content_dir).as_posix()
        with self.store.session() as s:
            repo.audit(s, self.clock.now(), draft.author, AuditAction.DRAFTED, ref=rel.removesuffix(".md"), path=rel,
                       source=draft.source.front_matter if draft.source else None)
            s.commit()
        return Prompt(t("draft.saved_unsynced", draft.lang, title=draft.title, path=rel), saved=path)

    def _again(self, draft: Draft, problem: str | None = None) -> Prompt:
        """The current step's question again, after what was wrong (nothing typed so far is lost)."""
        ask = {Step.TITLE: lambda: Prompt(t("draft.ask_title", draft.lang)), Step.TIME: lambda: self._ask_time(draft),
               Step.CHANNELS: lambda: self._ask_channels(draft), Step.BODY: lambda: self._ask_body(draft),
               Step.PHOTOS: lambda: self._ask_photos(draft), Step.PREVIEW: lambda: self._preview(draft)}[draft.step]()
        return replace(ask, text=f"{problem}\n{ask.text}") if problem else ask

    def _person(self, draft: Draft) -> Person | None:
        return self.config.people.get(draft.author)

    def _now(self) -> datetime:
        return next_minute(self.clock.now())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def next_minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def usable_channels(config: Config, person: Person | None) -> tuple[str, ...]:
    """The channels a person may write drafts for: their ``channels`` list, else every channel posts go to
    (not the staff chats that receive approval requests, reminders and alerts); admins may use all of those."""
    staff = {*config.approval.chats, *config.alert_chats, *config.reminders.digest_chats}
    every = tuple(k for k in config.channels if k not in staff)
    if person is not None and person.channels and not person.is_admin:
        return tuple(k for k in every if k in person.channels)
    return every


def milestone_at(config: Config, at: datetime) -> str | None:
    """The milestone a draft's time falls in, for its front matter (the timeline shows it there)."""
    return next((m.id for m in config.milestones if m.span.contains(at)), None)


def parse_when(text: str, config: Config, now: datetime) -> datetime:
    """A draft's time: "ngay"/"now", "HH:MM" (today, or tomorrow once passed), or the post-time grammar of
    ``campaign.timeexpr`` against the milestone running now (``TimeExpressionError`` says what is allowed)."""
    word = fold(text.strip())
    if word in NOW_WORDS:
        return next_minute(now)
    tz = config.tz
    if _CLOCK.fullmatch(word):
        today = now.astimezone(tz).date()
        at = datetime.combine(today, parse_clock(word), tzinfo=tz)
        return at if at > now else at + timedelta(days=1)
    running = next((m for m in config.milestones if m.span.contains(now)), None)
    return resolve_post_time(text.strip(), running.span if running else None, tz)


def free_slots(store: Store, config: Config, now: datetime, count: int = SLOTS) -> tuple[datetime, ...]:
    """The next whole hours (07:00–21:00 local) with no post within half an hour: quick picks for the time."""
    tz = config.tz
    start = (now.astimezone(tz) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    horizon = start + timedelta(days=3)
    with store.session() as s:
        taken = [p.scheduled_at for p in repo.posts_between(s, start - SLOT_GAP, horizon + SLOT_GAP, lean=True)
                 if p.status not in GONE]
    out: list[datetime] = []
    at = start
    while at < horizon and len(out) < count:
        if at.hour in SLOT_HOURS and all(abs(x - at) >= SLOT_GAP for x in taken):
            out.append(at)
        at += timedelta(hours=1)
    return tuple(out)


def saved_text(store: Store, config: Config, path: Path, problems: list[Problem], lang: str) -> str:
    """What the author hears once their saved draft was synced: its number, or what keeps it from being a post.

    ``problems``: the sync's problems (those of this file are named)."""
    rel = path.relative_to(config.content_dir).as_posix()
    with store.session() as s:
        post = repo.post_by_key(s, rel.removesuffix(".md"))
        title, post_id, broken = (post.title, post.id, post.source_error) if post is not None else ("", None, None)
    mine = [str(p) for p in problems if Path(p.path).resolve() == path.resolve()]
    if mine or broken:
        return t("draft.saved_broken", lang, title=title or rel, path=rel, problems="; ".join(mine) or str(broken))
    if post_id is None:
        return t("draft.saved_unsynced", lang, title=rel, path=rel)
    return t("draft.saved", lang, id=post_id, title=title, path=rel)

