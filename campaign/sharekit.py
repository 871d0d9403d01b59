"""The share kit: after a post is out on the public channels, each unit's staff chat gets its links,
its text and the platforms' share links, so staff can share it from their own accounts by hand.

Kits are delivery rows like any other (ref ``kit:<post key>``, one per unit chat), queued in the
same transaction that records the last public send of the post, so they go out exactly once and
never before the public post; the deliverer gives them (and the daily reminders, ``sharenag:``)
the rate-limit turns the public channels do not need. Loa never posts to personal accounts.

"I shared it" (a button on Telegram, ``/dachiase ID unit`` on Zalo) is counted once per person
and post (``share_marks``), for configured people only; ``tally`` and ``stats`` read them back.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import quote

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from campaign.answers import Answer
from campaign.clock import Clock
from campaign.commands import COMMANDS
from campaign.config import ChannelConfig, Config, Unit
from campaign.deliveries import add_deliveries, text_payload
from campaign.errors import Conflict, NotAllowed, NotFound
from campaign.kinds import ChannelKind, spec
from campaign.payload import Action, Choice, Payload
from campaign.review import Actor, find_post
from campaign.states import AuditAction, DeliveryState, PostState
from campaign.store import repo
from campaign.store.db import Store
from campaign.store.models import Delivery, Post, ShareMark
from campaign.texts import both, local, t

KIT, NUDGE = "kit:", "sharenag:"
LOW_PRIORITY = (KIT, NUDGE)  # refs whose sends wait while a public post wants the same sender
OUT = (DeliveryState.SENDING, DeliveryState.SENT, DeliveryState.UNKNOWN)  # a kit that may be in the chat (pressable)
SETTLED = (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.SKIPPED, DeliveryState.RETRACTED)
MARGIN = 20  # characters left free when the post's text is clipped to the chat's limit (emoji count twice on Telegram)
RECENT_POSTS = 10  # posts listed by /chiase


def kit_ref(post_key: str) -> str:
    return f"{KIT}{post_key}"


def is_low_priority(ref: str) -> bool:
    """Kits and share reminders yield to public posts for the sender's rate-limit turns."""
    return ref.startswith(LOW_PRIORITY)


def unit_chats(config: Config) -> frozenset[str]:
    return frozenset(u.chat for u in config.units)


def public_channels(config: Config, channels: Iterable[str]) -> list[str]:
    """The channels among ``channels`` the public sees (kinds.py ``public``), unit chats left out."""
    staff = unit_chats(config)
    return [c for c in channels if (ch := config.channels.get(c)) is not None and spec(ch.kind).public and c not in staff]


# --- links ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    kind: str  # telegram | facebook | feed: the catalog's "kit.link.<kind>"
    url: str


def public_link(config: Config, channel: ChannelConfig, message_ids: Sequence[str]) -> Link | None:
    """Where the public sees a sent post: a channel with a username, a Page post, the feed (with a public URL)."""
    if not message_ids:
        return None
    first = message_ids[0]
    if channel.kind == ChannelKind.TELEGRAM and channel.target.startswith("@") and first.isdigit():
        return Link("telegram", f"https://t.me/{channel.target[1:]}/{first}")
    if channel.kind == ChannelKind.FACEBOOK_PAGE:
        return Link("facebook", f"https://www.facebook.com/{first}")
    if channel.kind == ChannelKind.FEED and config.web.public_url:
        return Link("feed", f"{config.web.public_url.rstrip('/')}/feeds/{quote(channel.target)}.atom")
    return None


def share_urls(url: str, title: str) -> tuple[str, str]:
    """Telegram's share URL and Facebook's sharer link for ``url`` (these open in the staff's own apps)."""
    return (f"https://t.me/share/url?url={quote(url, safe='')}&text={quote(title, safe='')}",
            f"https://www.facebook.com/sharer/sharer.php?u={quote(url, safe='')}")


def kit_payload(config: Config, post: Post, plain: str, links: Sequence[Link], unit: Unit) -> Payload:
    """The kit, its copy text clipped so that the whole message fits the unit chat's limit (the plain
    rendering, with the share links written out, is the longer one)."""
    limit = spec(config.channels[unit.chat].kind).text_limit
    if limit is None:
        return _kit(post, plain, links, unit)
    room = limit - MARGIN - len(_kit(post, "", links, unit).plain)
    return _kit(post, plain if len(plain) <= room else plain[: max(0, room - 1)] + "…", links, unit)


def _kit(post: Post, copy: str, links: Sequence[Link], unit: Unit) -> Payload:
    """The kit in both renderings: HTML with the "I shared it" button (Telegram), plain text with the typed command (Zalo)."""
    best = next((lk for kind in ("facebook", "telegram", "feed") for lk in links if lk.kind == kind), None)
    call = f"/{COMMANDS['shared'].word('vi')} {post.id} {unit.id}"
    h: list[str] = [html.escape(both("kit.title", unit=unit.name, title=post.title), quote=False), "",
                    html.escape(both("kit.links"), quote=False)]
    p: list[str] = [both("kit.title", unit=unit.name, title=post.title), "", both("kit.links")]
    for lk in links:
        label = " / ".join(dict.fromkeys((t(f"kit.link.{lk.kind}", "vi"), t(f"kit.link.{lk.kind}", "en"))))
        h.append(f'• <a href="{html.escape(lk.url)}">{html.escape(label)}</a>: {html.escape(lk.url)}')
        p.append(f"• {label}: {lk.url}")
    if not links:
        h.append(html.escape(both("kit.no_links"), quote=False))
        p.append(both("kit.no_links"))
    h += ["", html.escape(both("kit.copy"), quote=False), f"<pre>{html.escape(copy, quote=False)}</pre>"]
    p += ["", both("kit.copy"), copy]
    if best is not None:
        tg, fb = share_urls(best.url, post.title)
        h.append("")
        for lang in ("vi", "en"):  # on Telegram the share links hide behind words, one line per language
            h.append(f'{html.escape(t("kit.share", lang), quote=False)} <a href="{html.escape(tg)}">{t("kit.share.telegram", lang)}</a>'
                     f' · <a href="{html.escape(fb)}">{t("kit.share.facebook", lang)}</a>')
        p += ["", both("kit.share"), f"• Telegram: {tg}", f"• Facebook: {fb}"]
    h += ["", html.escape(both("kit.own"), quote=False), html.escape(both("kit.press"), quote=False)]
    p += ["", both("kit.own"), both("kit.typed", call=call)]
    return Payload(html="\n".join(h), plain="\n".join(p), preview=False,
                   meta={"id": post.key, "title": post.title, "unit": unit.id}).with_choices(
        ((Choice(Action.SHARED, post.id or 0, unit=unit.id),),))


def queue_kits(s: Session, config: Config, now: datetime, ref: str) -> list[Delivery]:
    """Once every public row of a published post is settled and one of them is out, one kit row per unit chat.

    Called where a post's send is recorded (same transaction), so a kit is never lost between the
    two and never precedes the public post; (ref, channel) is unique, so it is queued once.
    """
    if not config.units or not ref.startswith("post:"):
        return []
    rows = repo.deliveries_for(s, ref)
    public = set(public_channels(config, [r.channel for r in rows]))
    mine = [r for r in rows if r.channel in public]
    if not mine or any(r.status not in SETTLED for r in mine) or not any(r.status == DeliveryState.SENT for r in mine):
        return []
    post = s.get(Post, mine[0].post_id) if mine[0].post_id is not None else None
    if post is None or post.status != PostState.PUBLISHED:  # an OA broadcast sent ahead: the rest is still to come
        return []
    links = [lk for r in mine if r.status == DeliveryState.SENT
             if (lk := public_link(config, config.channels[r.channel], r.message_ids)) is not None]
    plain = _copy_text(post, mine)
    units = {u.chat: u for u in config.units}
    out = add_deliveries(s, kit_ref(post.key), list(units), Payload(), now, post_id=post.id, due_at=now)
    for row in out:  # one query for all units; each row then gets its unit's kit (its button names the unit)
        row.payload = kit_payload(config, post, plain, links, units[row.channel]).to_json()
    if out:
        repo.audit(s, now, "scheduler", AuditAction.SHARE_KITS_QUEUED, post_id=post.id, ref=post.key, units=[u.id for u in config.units],
                   links=[lk.url for lk in links])
    return out


def _copy_text(post: Post, rows: Sequence[Delivery]) -> str:
    """The post's plain text as it went out (the first sent row's payload), for staff to copy."""
    for r in rows:
        if r.status == DeliveryState.SENT and (plain := Payload.from_json(r.payload).plain):
            return plain
    return post.title


# --- "I shared it" ------------------------------------------------------------------------------


def _unit(config: Config, unit_id: str) -> Unit:
    unit = config.unit(unit_id)
    if unit is None:
        raise NotFound(both("share.no_unit", unit=unit_id[:30], known=", ".join(u.id for u in config.units) or "—"))
    return unit


def record_share(store: Store, config: Config, clock: Clock, actor: Actor, post_ref: str | int, unit_id: str, lang: str) -> str:
    """Count one share of a post for a unit; the answer in ``lang``. Strangers and second presses are told why not."""
    now = clock.now()
    unit = _unit(config, unit_id)
    with store.session() as s:
        post = find_post(s, post_ref)
        person = actor.person
        if person is None or (unit.members and person.key not in unit.members):
            repo.audit(s, now, actor.label, AuditAction.REFUSED, post_id=post.id, ref=post.key, attempted="shared", unit=unit.id)
            s.commit()
            if person is None:
                raise NotAllowed(t("share.stranger", lang))
            raise NotAllowed(t("share.not_member", lang, name=person.name, unit=unit.name))
        if not any(d.channel == unit.chat and d.status in OUT for d in repo.deliveries_for(s, kit_ref(post.key))):
            raise Conflict(t("share.no_kit", lang, unit=unit.name, id=post.id))
        if (mark := _mark(s, post.id or 0, person.key)) is not None:
            raise Conflict(_again(config, mark, lang))
        s.add(ShareMark(post_id=post.id or 0, unit=unit.id, person=person.key, at=now))
        repo.audit(s, now, person.key, AuditAction.SHARED, post_id=post.id, ref=post.key, unit=unit.id)
        try:
            s.commit()
        except IntegrityError:  # the same person pressed twice at once: the other press counted
            s.rollback()
            mark = _mark(s, post.id or 0, person.key)
            raise Conflict(_again(config, mark, lang) if mark else t("share.stranger", lang)) from None
        return t("share.counted", lang, name=person.name, id=post.id, unit=unit.name)


def _mark(s: Session, post_id: int, person: str) -> ShareMark | None:
    return s.exec(select(ShareMark).where(ShareMark.post_id == post_id, ShareMark.person == person)).first()


def _again(config: Config, mark: ShareMark, lang: str) -> str:
    unit = config.unit(mark.unit)
    return t("share.again", lang, id=mark.post_id, at=local(mark.at, config.tz), unit=unit.name if unit else mark.unit)


# --- the tally ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitStats:
    unit: Unit
    kits: int  # share kits the unit's chat received
    shares: int  # "I shared it" counted for the unit

    @property
    def rate(self) -> float | None:
        """Shares over what could have been shared (kits × members); None without members."""
        possible = self.kits * len(self.unit.members)
        return self.shares / possible if possible else None


@dataclass(frozen=True)
class PostShares:
    post_id: int
    title: str
    sent_at: datetime
    by_unit: dict[str, int]  # unit id -> shares (units that received the kit)


@dataclass(frozen=True)
class Stats:
    units: list[UnitStats]
    posts: list[PostShares]  # newest first


def stats(s: Session, config: Config, start: datetime | None = None, end: datetime | None = None) -> Stats:
    """Kits received and shares counted, per unit and per post, for kits sent in [start, end)."""
    q = select(Delivery.post_id, Delivery.channel, Delivery.sent_at).where(
        col(Delivery.ref).startswith(KIT), Delivery.status == DeliveryState.SENT)
    if start is not None:
        q = q.where(col(Delivery.sent_at) >= start)
    if end is not None:
        q = q.where(col(Delivery.sent_at) < end)
    by_chat = {u.chat: u for u in config.units}
    kits: dict[int, dict[str, datetime]] = {}  # post id -> unit id -> sent at
    for post_id, channel, sent_at in s.exec(q).all():
        if post_id is not None and channel in by_chat and sent_at is not None:
            kits.setdefault(post_id, {})[by_chat[channel].id] = sent_at
    marks: dict[tuple[int, str], int] = {}
    if kits:
        for post_id, unit, n in s.exec(select(ShareMark.post_id, ShareMark.unit, func.count())
                                       .where(col(ShareMark.post_id).in_(list(kits)))
                                       .group_by(col(ShareMark.post_id), col(ShareMark.unit))).all():
            marks[(post_id, unit)] = n
    titles = dict(s.exec(select(Post.id, Post.title).where(col(Post.id).in_(list(kits)))).all()) if kits else {}
    units = [UnitStats(u, sum(u.id in k for k in kits.values()),
                       sum(n for (p, unit), n in marks.items() if unit == u.id and u.id in kits.get(p, {})))
             for u in config.units]
    posts = [PostShares(p, titles.get(p, f"#{p}"), min(k.values()), {u: marks.get((p, u), 0) for u in k})
             for p, k in kits.items()]
    posts.sort(key=lambda ps: (ps.sent_at, ps.post_id), reverse=True)
    return Stats(units, posts)


@dataclass(frozen=True)
class ShareLine:
    """One post a unit received a kit for (a row of the unit's report sheet)."""

    post_id: int
    title: str
    kit_at: datetime
    sharers: tuple[str, ...]  # [people] keys, in the order they pressed
    members: int

    @property
    def rate(self) -> float | None:
        return len(self.sharers) / self.members if self.members else None


def report_lines(s: Session, config: Config, post_ids: Sequence[int]) -> dict[str, list[ShareLine]]:
    """Unit id -> its kits among ``post_ids``, each with who shared it (the report's sheet per unit)."""
    by_chat = {u.chat: u for u in config.units}
    out: dict[str, list[ShareLine]] = {u.id: [] for u in config.units}
    if not config.units or not post_ids:
        return out
    ids = list(post_ids)
    kits = s.exec(select(Delivery.post_id, Delivery.channel, Delivery.sent_at).where(
        col(Delivery.ref).startswith(KIT), Delivery.status == DeliveryState.SENT, col(Delivery.post_id).in_(ids))).all()
    titles = dict(s.exec(select(Post.id, Post.title).where(col(Post.id).in_(ids))).all())
    who: dict[tuple[int, str], list[str]] = {}
    for m in s.exec(select(ShareMark).where(col(ShareMark.post_id).in_(ids)).order_by(col(ShareMark.at), col(ShareMark.id))).all():
        who.setdefault((m.post_id, m.unit), []).append(m.person)
    for post_id, channel, sent_at in kits:
        unit = by_chat.get(channel)
        if unit is not None and post_id is not None and sent_at is not None:
            out[unit.id].append(ShareLine(post_id, titles.get(post_id, f"#{post_id}"), sent_at,
                                          tuple(who.get((post_id, unit.id), ())), len(unit.members)))
    for lines in out.values():
        lines.sort(key=lambda ln: (ln.kit_at, ln.post_id))
    return out


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def tally(store: Store, config: Config, lang: str) -> Answer:
    """/chiase: per unit (kits, shares, rate), then the latest posts with each unit's shares."""
    if not config.units:
        return Answer(t("shares.title", lang), [t("shares.none", lang)])
    with store.session() as s:
        st = stats(s, config)
    lines = [t("shares.unit", lang, unit=u.unit.name, shares=u.shares, kits=u.kits,
               rate=percent(u.rate) if u.unit.members else t("shares.no_rate", lang)) for u in st.units]
    if not st.posts:
        return Answer(t("shares.title", lang), [*lines, t("shares.no_kits", lang)])
    lines.append(t("shares.posts", lang))
    for ps in st.posts[:RECENT_POSTS]:
        parts = [f"{unit.name} {n}" + (f"/{len(unit.members)}" if unit.members else "")
                 for unit in config.units if (n := ps.by_unit.get(unit.id)) is not None]  # in config.toml's order
        lines.append(f"#{ps.post_id} {ps.title[:60]}: " + ", ".join(parts))
    return Answer(t("shares.title", lang), lines)


# --- the daily reminder ---------------------------------------------------------------------------


def nudge_ref(unit: Unit, day: date) -> str:
    return f"{NUDGE}{unit.id}:{day.isoformat()}"


def send_nudge(store: Store, config: Config, clock: Clock, unit_id: str) -> list[int]:
    """At the unit's time: one reminder a day when today's share rate is under its target (nothing without kits today)."""
    unit = config.unit(unit_id)
    if unit is None or unit.share_target is None:
        return []
    now = clock.now()
    day = now.astimezone(config.tz).date()
    start = datetime.combine(day, time(0), tzinfo=config.tz)
    with store.session() as s:
        st = next(u for u in stats(s, config, start, start + timedelta(days=1)).units if u.unit.id == unit.id)
        if st.rate is None or st.rate >= unit.share_target:
            return []
        text = both("share.nudge", unit=unit.name, shares=st.shares, kits=st.kits, rate=percent(st.rate),
                    target=percent(unit.share_target))
        rows = add_deliveries(s, nudge_ref(unit, day), [unit.chat], text_payload(text), now)
        if rows:
            repo.audit(s, now, "scheduler", AuditAction.SHARE_NUDGE, unit=unit.id, shares=st.shares, kits=st.kits)
        s.commit()
        return [r.id for r in rows if r.id is not None]


def nudge_times(config: Config) -> list[tuple[Unit, time]]:
    """The units reminded each day, and when (local time)."""
    return [(u, u.remind_at) for u in config.units if u.share_target is not None and u.remind_at is not None]
