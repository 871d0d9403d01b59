"""The ``loa`` command line (also ``python -m bot``)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import date, datetime, time, timedelta
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from dotenv import load_dotenv
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from bot.facebook_cli import facebook_app
from bot.zalo_cli import zalo_app
from campaign import chats
from campaign.calendars import CalendarPost, person_calendar, public_calendar
from campaign.clock import SystemClock
from campaign.config import Config, load_config, parse_listen
from campaign.content import scan_content
from campaign.deliveries import raise_alert
from campaign.errors import ChannelSetupError, InputError, LoaError, Problem, printable
from campaign.plan import (
    PlanRow,
    build_plan,
    daily_gap_warnings,
    empty_slot_rows,
    plan_warnings,
    series_warnings,
)
from campaign.queries import deliveries_by_kind, stored_states
from campaign.states import DeliveryState
from campaign.store.db import Store
from campaign.store.repo import delivery_counts
from campaign.sync import sync as run_sync
from campaign.texts import TEXTS, both, command_help, inline, t
from campaign.timeexpr import parse_duration
from channels.console import ConsoleChannel

if TYPE_CHECKING:  # python-telegram-bot takes a second to import: `loa check` does without it
    from bot.rehearsal import Rehearsal
    from bot.telegram_bot import Webhook

app = typer.Typer(
    help=inline("cli.app") + ".",
    no_args_is_help=True,
    rich_markup_mode=None,  # help texts are plain: "[people]" and "[web] listen" are config names, not markup
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # path:line: lines stay whole for editors


# --config is taken before the command (shown in `loa --help`) or after it; after wins.
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help=inline("cli.opt.config"), show_default=False)]
ContentOpt = Annotated[Path | None, typer.Option("--content", help=inline("cli.opt.content"))]
FromOpt = Annotated[str | None, typer.Option("--from", help=inline("cli.opt.from"))]
ToOpt = Annotated[str | None, typer.Option("--to", help=inline("cli.opt.to"))]


def _version(value: bool) -> None:
    if value:
        out.print(f"loa {metadata.version('loa')}", markup=False)
        raise typer.Exit()


@app.callback(help=command_help("cli.cmd.loa"))
def _options(
    config: Annotated[Path | None, typer.Option("--config", "-c", help=inline("cli.opt.config"), envvar="LOA_CONFIG",
                                                show_default=False)] = None,
    version: Annotated[bool, typer.Option("--version", help=inline("cli.version"), callback=_version, is_eager=True)] = False,
) -> None:
    """The options every command shares (typer calls this before the command)."""
    global _top_config
    _top_config = config  # set on every invocation, so one run's choice never leaks into the next


_top_config: Path | None = None


def _config_path(config: Path | None) -> Path:
    return config or _top_config or Path(os.environ.get("LOA_CONFIG") or "config.toml")


def load(config: Path | None, content: Path | None) -> Config:
    path = _config_path(config)
    load_dotenv(path.parent / ".env")
    try:
        return load_config(path, content_dir=content)
    except InputError as exc:
        _fail(exc)
        raise


def _fail(exc: LoaError) -> None:
    problems = getattr(exc, "problems", None)
    for line in [str(p) for p in problems] if problems else [str(exc)]:
        err.print(line, markup=False)
    raise typer.Exit(1)


def _usage(key: str, **kw: Any) -> NoReturn:
    """A wrong option value: say which and what is allowed, exit 2 (as for any usage error)."""
    err.print(inline(key, **kw), markup=False)
    raise typer.Exit(2)


MAX_WARNINGS_SHOWN = 200  # `loa check` stays readable (and fast) however many warnings 10,000 posts bring


@app.command(help=command_help("cli.cmd.check"))
def check(config: ConfigOpt = None, content: ContentOpt = None) -> None:
    """Exit 1 on errors, so CI and an editor hook can stop a bad edit before loa run sees it."""
    cfg = load(config, content)
    scan = scan_content(cfg)
    for p in scan.problems:
        err.print(str(p), markup=False)
    store = _existing_store(cfg)
    try:
        rows = build_plan(cfg, scan.posts, stored_states(store) if store else {}, SystemClock().now())
        warnings = [*scan.warnings, *plan_warnings(rows), *series_warnings(cfg), *daily_gap_warnings(cfg, scan.posts),
                    *(chats.config_warnings(store, cfg) if store else [])]
    finally:
        if store is not None:
            store.close()
    for w in warnings[:MAX_WARNINGS_SHOWN]:
        out.print(_warning_line(w), style="yellow", markup=False, soft_wrap=True)
    if len(warnings) > MAX_WARNINGS_SHOWN:
        out.print(inline("cli.more_warnings", n=len(warnings) - MAX_WARNINGS_SHOWN), style="yellow", markup=False)
    if scan.problems:
        err.print(inline("cli.errors_in", n=len(scan.problems), files=len(scan.files)))
        raise typer.Exit(1)
    counts = ((len(scan.posts), "posts"), (len(cfg.milestones), "milestones"), (len(cfg.channels), "channels"),
              (len(warnings), "warnings"))
    out.print(f"[green]OK[/] {_counted(counts)} — {escape(cfg.name)}")


def _counted(counts: tuple[tuple[int, str], ...]) -> str:
    """"3 bài / posts, 2 mốc / milestones": each figure with its word in both languages."""
    return ", ".join(f"{n} {inline('cli.w.' + word)}" for n, word in counts)


@app.command(help=command_help("cli.cmd.plan"))
def plan(
    config: ConfigOpt = None,
    content: ContentOpt = None,
    from_: FromOpt = None,
    to: ToOpt = None,
    channel: Annotated[list[str] | None, typer.Option("--channel", help=inline("cli.opt.channel"))] = None,
    milestone: Annotated[list[str] | None, typer.Option("--milestone", help=inline("cli.opt.milestone"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=inline("cli.opt.json"))] = False,
    long: Annotated[bool, typer.Option("--long", help=inline("cli.opt.long"))] = False,
    ics: Annotated[Path | None, typer.Option("--ics", help=inline("cli.opt.ics"))] = None,
    person: Annotated[str | None, typer.Option("--person", help=inline("cli.opt.person"))] = None,
    svg: Annotated[Path | None, typer.Option("--svg", help=inline("cli.opt.svg"))] = None,
    png: Annotated[Path | None, typer.Option("--png", help=inline("cli.opt.png"))] = None,
    html: Annotated[Path | None, typer.Option("--html", help=inline("cli.opt.html"))] = None,
) -> None:
    """The one listing, picture and calendar of the timeline; every output reads the same rows (campaign.plan)."""
    cfg = load(config, content)
    start, end = _window(from_, to, cfg)
    _known(channel, cfg.channels, "cli.unknown_channel")
    _known(milestone, [m.id for m in cfg.milestones], "cli.unknown_milestone")
    if person is not None:
        _known([person], cfg.people, "cli.unknown_person")
    scan = scan_content(cfg)
    store = open_store(cfg)
    now = SystemClock().now()
    # the empty slots of each series too, drawn apart ("trống / empty"): what still needs writing
    rows = sorted([*build_plan(cfg, scan.posts, stored_states(store), now), *empty_slot_rows(cfg)], key=lambda r: (r.at, r.key))
    rows = [
        r for r in rows
        if (start is None or r.at >= start) and (end is None or r.at < end)
        and (not channel or set(channel) & set(r.channels)) and (not milestone or r.milestone in milestone)
    ]
    if svg is not None or png is not None or html is not None:
        _write_pictures(cfg, rows, start, end, now, svg=svg, png=png, html=html)
        return
    if ics is not None:
        _write_ics(cfg, [r for r in rows if not r.empty], ics, person, now)
        return
    if as_json:
        out.print_json(json.dumps({"campaign": cfg.name, "timezone": cfg.zone_name, "posts": [r.as_json() for r in rows],
                                   "problems": [str(p) for p in scan.problems]}, ensure_ascii=False))
        return
    (_plan_table if long else _plan_lines)(cfg, rows)
    for p in scan.problems:
        err.print(str(p), markup=False)
    out.print(inline("cli.posts_total", n=sum(not r.empty for r in rows), zone=cfg.zone_name), markup=False)


@contextmanager
def _busy(what: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr while a long step runs, on a terminal only: piped output stays clean.
    Yields a ``progress(done, total)`` callback; without calls it shows a spinner and the time."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(what, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _approval_text(r: PlanRow) -> str:
    return inline(f"state.{r.state}", have=r.approvals, need=r.needed)


def _status_text(status: str) -> str:
    return inline(f"status.{status}") if f"status.{status}" in TEXTS else status


def _number(r: PlanRow) -> str:
    return t("plan.post_no", "vi", n=r.number) if r.number is not None else "—"


def _labels(cfg: Config, keys: tuple[str, ...]) -> str:
    return ", ".join(cfg.channels[k].label if k in cfg.channels else k for k in keys)


def _milestone_title(cfg: Config, mid: str | None) -> str:
    m = cfg.milestone(mid) if mid else None
    if m is None:
        return inline("cli.no_milestone")
    return f"{m.title} ({m.span.first_day:%d/%m}–{m.span.last_day:%d/%m/%Y})"


def _plan_lines(cfg: Config, rows: list[PlanRow]) -> None:
    """One line per post in time order; a milestone's title when the milestone changes."""
    current: object = object()
    for r in rows:
        if r.milestone != current:
            current = r.milestone
            out.print(f"── {_milestone_title(cfg, r.milestone)}", style="bold", markup=False)
        out.print(f"{r.at:%d/%m/%Y %H:%M}  {'○' if r.empty else _number(r)}  {r.title}  → {_labels(cfg, r.channels)}  "
                  f"[{_approval_text(r)}; {_status_text(r.status)}]", markup=False, soft_wrap=True,
                  style="dim" if r.empty else None)
        for w in r.warnings:
            out.print(f"    ⚠ {w}", style="yellow", markup=False, soft_wrap=True)


def _plan_table(cfg: Config, rows: list[PlanRow]) -> None:
    table = Table(title=cfg.name, title_justify="left", expand=False)
    for key in ("plan.col.time", "plan.col.no", "plan.col.post", "plan.col.milestone", "plan.col.channels",
                "plan.col.approval", "plan.col.status"):
        table.add_column(inline(key), no_wrap=key in ("plan.col.time", "plan.col.no"))
    for r in rows:
        title = escape(r.title) + "".join(f"\n[yellow]⚠ {escape(w)}[/]" for w in r.warnings)
        table.add_row(f"{r.at:%d/%m/%Y %H:%M}", str(r.number or "—"), title, escape(_milestone_title(cfg, r.milestone)),
                      escape(_labels(cfg, r.channels)), _approval_text(r), _status_text(r.status))
    out.print(table)


def _write_ics(cfg: Config, rows: list[PlanRow], path: Path, person: str | None, now: datetime) -> None:
    posts = [CalendarPost(r.key, r.title, r.at, r.channels, r.milestone, r.status, r.approved, r.needed, r.approvers,
                          r.rejected, r.number) for r in rows]
    cal = person_calendar(cfg, cfg.people[person], posts, now) if person else public_calendar(cfg, posts, now)
    path.write_bytes(cal.to_ical())
    events = sum(1 for c in cal.walk("VEVENT"))
    out.print(inline("cli.ics_written", n=events, path=path), markup=False)


@app.command(help=command_help("cli.cmd.report"))
def report(
    config: ConfigOpt = None,
    content: ContentOpt = None,
    from_: FromOpt = None,
    to: ToOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help=inline("cli.opt.format"))] = "xlsx",
    output: Annotated[str | None, typer.Option("--output", "-o", help=inline("cli.opt.output"))] = None,
    lang: Annotated[str, typer.Option("--lang", help=inline("cli.opt.lang"))] = "vi",
) -> None:
    """Writers live in bot/reports.py; the counting in campaign/report.py."""
    from bot.reports import write_csv, write_html, write_xlsx
    from campaign.report import build_report

    cfg = load(config, content)
    start, end = _window(from_, to, cfg)
    if fmt not in ("xlsx", "html", "csv"):
        _usage("cli.bad_format", value=fmt)
    if lang not in ("vi", "en"):
        _usage("cli.opt.lang")
    target = output or f"bao-cao.{fmt}"
    if target == "-" and fmt == "xlsx":
        _usage("cli.xlsx_stdout")
    store = open_store(cfg)
    with _busy(inline("cli.counting")) as progress:
        result = build_report(store, cfg, start, end, SystemClock().now(), progress=progress)
    if fmt == "xlsx":
        write_xlsx(result, cfg, Path(target), lang)
    else:
        text = write_html(result, cfg, lang) if fmt == "html" else write_csv(result, cfg, lang)
        if target == "-":
            sys.stdout.write(text)
            return
        Path(target).write_text(text, encoding="utf-8")
    out.print(inline("cli.report_written", posts=len(result.posts), incidents=len(result.incidents), path=target), markup=False)


@app.command(help=command_help("cli.cmd.sync"))
def sync(config: ConfigOpt = None, content: ContentOpt = None) -> None:
    """The same sync loa run does at start and on every change in content/."""
    cfg = load(config, content)
    store = open_store(cfg)
    with _busy(inline("cli.syncing")):
        report = run_sync(store, cfg, SystemClock())
    for label, keys in (("sync.added", report.added), ("sync.changed", report.changed),
                        ("sync.rescheduled", report.rescheduled), ("sync.withdrawn", report.withdrawn),
                        ("sync.restored", report.restored), ("sync.changed_after_publish", report.changed_after_publish)):
        for key in keys:
            out.print(f"{inline(label)}: {key}", markup=False)
    for w in report.warnings:
        out.print(_warning_line(w), style="yellow", markup=False, soft_wrap=True)
    for p in report.problems:
        err.print(str(p), markup=False)
    out.print(_counted(((report.changes, "changes"), (report.unchanged, "unchanged"), (len(report.problems), "errors"))),
              markup=False)
    if report.problems:
        raise typer.Exit(1)


@app.command(help=command_help("cli.cmd.run"))
def run(
    config: ConfigOpt = None,
    content: ContentOpt = None,
    offline: Annotated[bool, typer.Option("--offline", help=inline("cli.opt.offline"))] = False,
    run_for: Annotated[str | None, typer.Option("--for", help=inline("cli.opt.for"))] = None,
    watch: Annotated[bool, typer.Option("--watch/--no-watch", help=inline("cli.opt.watch"))] = True,
    webhook: Annotated[str | None, typer.Option("--webhook", help=inline("cli.opt.webhook"))] = None,
    listen: Annotated[str, typer.Option("--listen", help=inline("cli.opt.listen"))] = "127.0.0.1:8443",
    zalo_webhook: Annotated[str | None, typer.Option("--zalo-webhook", help=inline("cli.opt.zalo_webhook"))] = None,
    zalo_listen: Annotated[str, typer.Option("--zalo-listen", help=inline("cli.opt.zalo_listen"))] = "127.0.0.1:8444",
    web: Annotated[str | None, typer.Option("--web", help=inline("cli.opt.web"))] = None,
    no_web: Annotated[bool, typer.Option("--no-web", help=inline("cli.opt.no_web"))] = False,
    rehearse: Annotated[bool, typer.Option("--rehearse", help=inline("cli.opt.rehearse"))] = False,
    start_in: Annotated[str | None, typer.Option("--start-in", help=inline("cli.opt.start_in"), show_default=False)] = None,
    speed: Annotated[float | None, typer.Option("--speed", help=inline("cli.opt.run_speed"), show_default=False)] = None,
    milestone: Annotated[str | None, typer.Option("--milestone", help=inline("cli.opt.rehearse_milestone"))] = None,
    approved: Annotated[bool, typer.Option("--approved", help=inline("cli.opt.run_approved"))] = False,
    live_channels: Annotated[bool, typer.Option("--live-channels", help=inline("cli.opt.live_channels"))] = False,
) -> None:
    """The service: bot.app.Runner with the adapters, the web server and the chat bots."""
    from bot.app import Runner, build_adapters, console_channel, facebook_alert, single_runner
    from bot.logs import alerts_on_console, setup_logging
    from campaign.store.leader import AnotherRunner, Leadership

    cfg = _with_web(load(config, content), web, no_web)
    rh = _rehearsal(cfg, rehearse, start_in=start_in, speed=speed, milestone=milestone, approved=approved,
                    live=live_channels)
    if rh is not None:
        cfg, offline = rh.config, offline or not rh.live
        if rh.live:  # before anything can be sent (the banner repeats it once the service is up)
            out.print(inline("rehearse.live"), style="bold red", markup=False)
    setup_logging(cfg, logging.WARNING if rh is not None and not rh.live else logging.INFO)  # the console tells it all
    try:
        lock = single_runner(cfg.database_url)  # SQLite: one process; held until this run ends (or the process dies)
    except AnotherRunner as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    try:
        if rh is not None:
            rh.fresh_store()  # under its lock: no other rehearsal is using the file
        store, clock = open_store(cfg), rh.clock if rh else SystemClock()
        leadership = None if lock is not None or store.dialect != "postgresql" else Leadership(cfg.database_url)
        try:
            adapters = build_adapters(cfg, offline=offline, store=store, clock=clock,
                                      console=console_channel(cfg, out, clock, brief=True) if rh else None, on_zalo_stop=lambda reason: raise_alert(
                store, cfg, clock, f"zalo_auth:{clock.now():%Y%m%d%H%M}", both("alert.zalo_auth", reason=reason)),
                on_facebook_problem=lambda key, reason: raise_alert(
                    store, cfg, clock, f"facebook:{key}:{clock.now():%Y%m%d%H}", facebook_alert(cfg, key, reason)))
            duration = parse_duration(run_for) if run_for else None
            token = None if offline else os.environ.get(cfg.telegram.token_env) or None
            has_zalo_bot = any(ch.kind == "zalo_bot" for ch in cfg.channels.values())
            zalo_token = None if offline or not has_zalo_bot else os.environ.get(cfg.zalo.bot_token_env) or None
            runner = Runner(cfg, store, adapters, clock=clock, run_for=duration, watch=watch, chat_token=token,
                            webhook=_webhook(webhook, listen, cfg.telegram.webhook_secret_env),
                            zalo_token=zalo_token, zalo_webhook=_webhook(zalo_webhook, zalo_listen, cfg.zalo.bot_webhook_secret_env),
                            console=out, leadership=leadership, serve_web=cfg.web.address is not None,
                            rehearsal=rh.run_options(store, lambda url: _rehearsal_banner(rh, store, url)) if rh else None)
            on_console = bool(cfg.alert_chats) and all(isinstance(adapters.get(k), ConsoleChannel) for k in cfg.alert_chats)
            with alerts_on_console(on_console), rh.time() if rh else nullcontext():
                asyncio.run(runner.run())
        except LoaError as exc:  # a setup problem, or a part of the service that died (bot.app.ServiceFailed)
            _fail(exc)
        except Exception as exc:  # anything else: the traceback in the log once, one line to say why, non-zero
            logging.getLogger("loa").critical("loa run failed", exc_info=exc)
            err.print(inline("cli.stopped_on_error", error=f"{type(exc).__name__}: {exc}"), markup=False)
            raise typer.Exit(1) from None
    finally:
        if lock is not None:
            lock.release()  # the process may go on (tests, an embedding program)
    if runner.exit_status:
        raise typer.Exit(runner.exit_status)


def _rehearsal(cfg: Config, rehearse: bool, *, start_in: str | None, speed: float | None, milestone: str | None,
               approved: bool, live: bool) -> Rehearsal | None:
    """The rehearsal the options ask for (None without --rehearse; its options alone are a usage error)."""
    from bot.rehearsal import prepare

    if not rehearse:
        given = [name for name, value in (("--start-in", start_in), ("--speed", speed), ("--milestone", milestone),
                                          ("--approved", approved or None), ("--live-channels", live or None)) if value is not None]
        if given:
            _usage("rehearse.only", option=given[0])
        return None
    if speed is not None and not 0 < speed <= MAX_SPEED:
        _usage("rehearse.bad_speed", value=speed, most=MAX_SPEED)
    if milestone is not None:
        _known([milestone], [m.id for m in cfg.milestones], "rehearse.unknown_milestone")
    try:
        return prepare(cfg, start_in=parse_duration(start_in or "2m"), speed=speed or 1.0, milestone=milestone,
                       approved=approved, live=live)
    except LoaError as exc:
        _fail(exc)
        raise
    except OverflowError:  # --start-in × --speed beyond the calendar
        _usage("rehearse.too_far", start_in=start_in, speed=speed)


MAX_SPEED = 1_000_000  # --speed: beyond this a campaign day lasts less than a tenth of a second


def _rehearsal_banner(rh: Rehearsal, store: Store, url: str | None) -> None:
    """The first lines a rehearsal prints: what runs, in which mode, where its data goes, the dashboard."""
    from bot.rehearsal import signin_link

    lines = rh.banner(url, signin_link(store, rh.config, url) if url else None)
    out.print(lines[0], style="bold", markup=False, soft_wrap=True)
    out.print(lines[1], style="bold red" if rh.live else "bold", markup=False, soft_wrap=True)
    for line in lines[2:]:
        out.print(line, markup=False, soft_wrap=True)


def _write_pictures(cfg: Config, rows: list[PlanRow], start: datetime | None, end: datetime | None, now: datetime, *,
                    svg: Path | None, png: Path | None, html: Path | None) -> None:
    """The plan as the dashboard's timeline (``campaign.picture``): milestone bands, posts on channel lanes."""
    from campaign import picture

    marks = picture.plan_marks(cfg, rows)
    lo, hi = picture.plan_window(cfg, rows, start, end)
    drawing = picture.timeline(cfg, marks, lo, hi, now, cfg.language)
    if svg is not None:
        svg.write_text(drawing, encoding="utf-8")
        err.print(f"SVG: {svg}", markup=False)
    if html is not None:
        html.write_text(picture.html_page(cfg, drawing, marks, lo, hi, cfg.language), encoding="utf-8")
        err.print(f"HTML: {html}", markup=False)
    if png is not None:
        heading = f"{cfg.name} — {picture.span_text(cfg, lo, hi)}"
        try:
            data = picture.png(picture.timeline(cfg, marks, lo, hi, now, cfg.language, heading=heading))
        except (ImportError, OSError) as exc:  # cairosvg or libcairo missing
            err.print(inline("cli.no_cairo", error=str(exc)), markup=False)
            raise typer.Exit(1) from None
        png.write_bytes(data)
        err.print(f"PNG: {png} ({picture.PNG_WIDTH} px)", markup=False)


@app.command(help=command_help("cli.cmd.status"))
def status(config: ConfigOpt = None, content: ContentOpt = None) -> None:
    """Reads the store only: safe next to a running loa run."""
    from bot.app import runners_text

    cfg = load(config, content)
    for line in runners_text(cfg.database_url):
        out.print(line, markup=False)
    store = open_store(cfg)
    with store.session() as s:
        counts = delivery_counts(s)
    out.print(f"{inline('cli.deliveries')}: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "0"), markup=False)
    for kind, states in deliveries_by_kind(store, cfg).items():
        out.print(f"  {kind}: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())), markup=False)
    if counts.get(DeliveryState.UNKNOWN) or counts.get(DeliveryState.FAILED):
        out.print(inline("cli.need_admin"), markup=False)


@app.command(help=command_help("cli.cmd.simulate"))
def simulate(
    config: ConfigOpt = None,
    content: ContentOpt = None,
    from_: FromOpt = None,
    to: ToOpt = None,
    speed: Annotated[float, typer.Option("--speed", help=inline("cli.opt.speed"))] = 0,
    approved: Annotated[bool, typer.Option("--approved", help=inline("cli.opt.approved"))] = False,
) -> None:
    """The real scheduler on a virtual clock (bot.simulation), console only."""
    import logging

    from bot.simulation import simulate as run_simulation

    cfg = load(config, content)
    logging.getLogger().setLevel(logging.ERROR)  # alerts show up as console messages already
    scan = scan_content(cfg)
    first = min((p.scheduled_at for p in scan.posts), default=None)
    start_day, end_day = _window(from_, to, cfg)
    start = start_day or (first.astimezone(cfg.tz).replace(hour=0, minute=0) if first else None)
    if start is None:
        err.print(inline("cli.nothing_to_simulate"))
        raise typer.Exit(1)
    end = end_day or max(p.scheduled_at for p in scan.posts) + timedelta(hours=1)
    try:
        asyncio.run(run_simulation(cfg, start, end, speed=speed, approved=approved, console=out,
                                   approvals_from=cfg.database_url))
    except LoaError as exc:
        _fail(exc)


@app.command(help=command_help("cli.cmd.audit"))
def audit(
    config: ConfigOpt = None,
    content: ContentOpt = None,
    post: Annotated[str | None, typer.Option("--post", help=inline("cli.opt.post"))] = None,
    since: Annotated[str | None, typer.Option("--since", help=inline("cli.opt.since"))] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help=inline("cli.opt.csv"))] = False,
) -> None:
    """Reads the audit trail; --csv for a spreadsheet."""
    import csv

    from campaign.review import find_post
    from campaign.store import repo

    cfg = load(config, content)
    store = open_store(cfg)
    start = _local_day(since, cfg, "--since")
    with store.session() as s:
        try:
            post_id = find_post(s, post).id if post else None
        except LoaError as exc:
            _fail(exc)
        events = repo.audit_events(s, post_id=post_id, since=start)
    rows = [(e.at.astimezone(cfg.tz).isoformat(), e.actor, e.action, e.post_id or "", e.ref or "",
             json.dumps(e.detail, ensure_ascii=False)) for e in events]
    header = ("at", "actor", "action", "post_id", "ref", "detail")  # CSV: machine names
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(rows)
        return
    table = Table(*(inline(f"audit.{name}") for name in header))
    for row in rows:
        table.add_row(*(str(x) for x in row))
    out.print(table)


def _warning_line(w: Problem) -> str:
    where = printable(f"{w.path}{f':{w.line}' if w.line else ''}")
    return f"{where}: {inline('cli.warning')}: {w.message}"


def _with_web(cfg: Config, web: str | None, no_web: bool) -> Config:
    """``--web HOST:PORT`` / ``--no-web`` over ``[web] listen``."""
    if no_web:
        return dataclasses.replace(cfg, web=dataclasses.replace(cfg.web, listen=""))
    if web is None:
        return cfg
    try:
        parse_listen(web)
    except ValueError:
        err.print(inline("web.bad_option", value=repr(web)), markup=False)
        raise typer.Exit(1) from None
    return dataclasses.replace(cfg, web=dataclasses.replace(cfg.web, listen=web))


def _webhook(url: str | None, listen: str, secret_env: str) -> Webhook | None:
    from bot.telegram_bot import Webhook

    if not url:
        return None
    secret = os.environ.get(secret_env, "")
    if len(secret) < 8:
        raise ChannelSetupError(inline("cli.webhook_secret", env=secret_env))
    host, _, port = listen.rpartition(":")
    if not port.isdigit():
        raise ChannelSetupError(inline("cli.host_port", value=listen))
    return Webhook(url, secret, host or "127.0.0.1", int(port))


def _existing_store(cfg: Config) -> Store | None:
    """The store if there is one (check reads it, never creates it); None when absent or unreadable."""
    url = cfg.database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if not path or path == ":memory:" or not Path(path).exists():
            return None
    try:
        return Store(url)
    except Exception as exc:  # check validates files; an unreachable database is for `loa run` to report
        out.print(inline("cli.store_unreadable", error=type(exc).__name__), markup=False)
        return None


def open_store(cfg: Config) -> Store:
    try:
        return Store(cfg.database_url)
    except Exception as exc:  # the driver's own error says what is wrong; keep the URL's password out
        err.print(inline("cli.cannot_open_db", error=f"{type(exc).__name__}: {exc}"), markup=False)
        raise typer.Exit(2) from None


def _local_day(text: str | None, cfg: Config, option: str) -> datetime | None:
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m"):
        try:
            d = datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar day, zone attached below
        except ValueError:
            continue
        if fmt == "%d/%m":
            d = date(_default_year(cfg), d.month, d.day)
        return datetime.combine(d, time(0), tzinfo=cfg.tz)
    _usage("cli.bad_date", option=option, text=text)


def _window(from_: str | None, to: str | None, cfg: Config) -> tuple[datetime | None, datetime | None]:
    """--from/--to as local [start, end): the end day is included; a reversed range is a usage error."""
    start = _local_day(from_, cfg, "--from")
    last = _local_day(to, cfg, "--to")
    if start is not None and last is not None and last < start:
        _usage("cli.reversed", start=f"{start:%d/%m/%Y}", end=f"{last:%d/%m/%Y}")
    return start, last + timedelta(days=1) if last is not None else None


def _known(values: list[str] | None, known: Any, key: str) -> None:
    """Unknown --channel/--milestone/--person values are errors (exit 2), not an empty answer."""
    names = list(known)
    for value in values or ():
        if value not in names:
            _usage(key, value=value, known=", ".join(names))


def _default_year(cfg: Config) -> int:
    return cfg.milestones[0].span.first_day.year if cfg.milestones else SystemClock().now().astimezone(cfg.tz).year


app.add_typer(zalo_app, name="zalo")
app.add_typer(facebook_app, name="facebook")


def main() -> None:
    try:
        app()
    except LoaError as exc:
        err.print(str(exc), markup=False)
        sys.exit(1)
