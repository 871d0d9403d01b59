"""The ``loa`` command line (also ``python -m bot``)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from dotenv import load_dotenv
from rich.console import Console
from rich.table import Table

from bot.zalo_cli import zalo_app
from campaign import chats
from campaign.clock import SystemClock
from campaign.config import Config, load_config, parse_listen
from campaign.content import scan_content
from campaign.errors import ChannelSetupError, InputError, LoaError, Problem, printable
from campaign.plan import PlanRow, build_plan, plan_warnings
from campaign.publishing import raise_alert
from campaign.queries import stored_states
from campaign.store.db import Store
from campaign.store.repo import delivery_counts
from campaign.sync import sync as run_sync
from campaign.texts import both
from campaign.timeexpr import parse_duration

if TYPE_CHECKING:  # python-telegram-bot takes a second to import: `loa check` does without it
    from bot.telegram_bot import Webhook

app = typer.Typer(
    help="Loa — lịch truyền thông chiến dịch cho Telegram và Zalo / campaign communications scheduler.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # path:line: lines stay whole for editors

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="Tệp cấu hình / config file.", envvar="LOA_CONFIG")]
ContentOpt = Annotated[
    Path | None, typer.Option("--content", help="Thư mục bài viết (mặc định theo config) / content folder.")
]


def load(config: Path, content: Path | None) -> Config:
    load_dotenv(config.parent / ".env")
    try:
        return load_config(config, content_dir=content)
    except InputError as exc:
        _fail(exc)
        raise


def _fail(exc: LoaError) -> None:
    problems = getattr(exc, "problems", None)
    for line in [str(p) for p in problems] if problems else [str(exc)]:
        err.print(line, markup=False)
    raise typer.Exit(1)


MAX_WARNINGS_SHOWN = 200  # `loa check` stays readable (and fast) however many warnings 10,000 posts bring


@app.command()
def check(config: ConfigOpt = Path("config.toml"), content: ContentOpt = None) -> None:
    """Kiểm tra config và mọi bài viết / validate config and every post (exit 1 on errors).

    Cảnh báo nhóm Telegram đã nâng cấp (theo kho dữ liệu) / warns about upgraded Telegram groups (from the store).
    """
    cfg = load(config, content)
    scan = scan_content(cfg)
    for p in scan.problems:
        err.print(str(p), markup=False)
    rows = build_plan(cfg, scan.posts, {}, SystemClock().now())
    warnings = [*scan.warnings, *(w for w in plan_warnings(rows) if "deadline" not in w.message),
                *_store_warnings(cfg)]
    for w in warnings[:MAX_WARNINGS_SHOWN]:
        out.print(_warning_line(w), style="yellow", markup=False, soft_wrap=True)
    if len(warnings) > MAX_WARNINGS_SHOWN:
        out.print(f"… và {len(warnings) - MAX_WARNINGS_SHOWN} cảnh báo khác / and {len(warnings) - MAX_WARNINGS_SHOWN} "
                  "more warnings (loa plan --json lists them all)", style="yellow", markup=False)
    if scan.problems:
        err.print(f"{len(scan.problems)} lỗi / errors in {len(scan.files)} tệp / files")
        raise typer.Exit(1)
    out.print(
        f"[green]OK[/] {len(scan.posts)} bài / posts, {len(cfg.milestones)} mốc / milestones, "
        f"{len(cfg.channels)} kênh / channels, {len(warnings)} cảnh báo / warnings — {cfg.name}"
    )


@app.command()
def plan(
    config: ConfigOpt = Path("config.toml"),
    content: ContentOpt = None,
    from_: Annotated[str | None, typer.Option("--from", help="Từ ngày / from date YYYY-MM-DD or DD/MM/YYYY.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Đến hết ngày / to date (inclusive).")] = None,
    channel: Annotated[list[str] | None, typer.Option("--channel", help="Chỉ kênh này / only this channel (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In JSON / print JSON.")] = False,
    svg: Annotated[Path | None, typer.Option("--svg", help="Ghi dòng thời gian ra tệp SVG (như trang web) / write the timeline to this SVG file (as the dashboard draws it).")] = None,
) -> None:
    """Lịch đăng theo mốc / the timeline grouped by milestone, with approval state and warnings."""
    cfg = load(config, content)
    scan = scan_content(cfg)
    store = open_store(cfg)
    rows = build_plan(cfg, scan.posts, stored_states(store), SystemClock().now())
    start = _local_day(from_, cfg, "--from")
    end = _local_day(to, cfg, "--to")
    rows = [
        r for r in rows
        if (start is None or r.at >= start) and (end is None or r.at < end + timedelta(days=1))
        and (not channel or set(channel) & set(r.channels))
    ]
    if svg is not None:
        _write_svg(svg, cfg, rows, start, end)
    if as_json:
        out.print_json(json.dumps({"campaign": cfg.name, "timezone": cfg.zone_name, "posts": [r.as_json() for r in rows],
                                   "problems": [str(p) for p in scan.problems]}, ensure_ascii=False))
        return
    titles = {m.id: f"{m.title} ({m.span.first_day:%d/%m}–{m.span.last_day:%d/%m/%Y})" for m in cfg.milestones}
    groups: dict[str | None, list] = {}
    for r in rows:
        groups.setdefault(r.milestone, []).append(r)
    for mid, items in groups.items():
        table = Table(title=titles.get(mid or "", "Không thuộc mốc / no milestone"), title_justify="left", expand=False)
        for col in ("Giờ / time", "Bài / post", "Kênh / channels", "Duyệt / approval", "Trạng thái / status"):
            table.add_column(col)
        for r in items:
            title = r.title + "".join(f"\n[yellow]⚠ {w}[/]" for w in r.warnings)
            table.add_row(f"{r.at:%d/%m %H:%M}", title, ", ".join(r.channels), r.approval, r.status)
        out.print(table)
    for p in scan.problems:
        err.print(str(p), markup=False)
    out.print(f"{len(rows)} bài / posts ({cfg.zone_name})")


@app.command()
def sync(config: ConfigOpt = Path("config.toml"), content: ContentOpt = None) -> None:
    """Nạp bài viết vào kho dữ liệu / load content files into the store and print what changed."""
    cfg = load(config, content)
    report = run_sync(open_store(cfg), cfg, SystemClock())
    for label, keys in (("thêm / added", report.added), ("sửa / changed", report.changed),
                        ("đổi giờ / rescheduled", report.rescheduled), ("rút / withdrawn", report.withdrawn),
                        ("khôi phục / restored", report.restored),
                        ("sửa sau khi đăng / changed after publishing", report.changed_after_publish)):
        for key in keys:
            out.print(f"{label}: {key}")
    for w in report.warnings:
        out.print(_warning_line(w), style="yellow", markup=False, soft_wrap=True)
    for p in report.problems:
        err.print(str(p), markup=False)
    out.print(f"{report.changes} thay đổi / changes, {report.unchanged} không đổi / unchanged, {len(report.problems)} lỗi / errors")
    if report.problems:
        raise typer.Exit(1)


@app.command()
def run(
    config: ConfigOpt = Path("config.toml"),
    content: ContentOpt = None,
    offline: Annotated[bool, typer.Option("--offline", help="Mọi kênh in ra màn hình, không cần token / every channel prints to the console; no token needed.")] = False,
    run_for: Annotated[str | None, typer.Option("--for", help="Dừng sau khoảng này, ví dụ 30s, 2h / stop after this long.")] = None,
    watch: Annotated[bool, typer.Option("--watch/--no-watch", help="Theo dõi content/ và đồng bộ lại / watch content/ and resync.")] = True,
    webhook: Annotated[str | None, typer.Option("--webhook", help="Nhận cập nhật Telegram qua webhook URL thay vì long polling / receive Telegram updates at this URL instead of long polling.")] = None,
    listen: Annotated[str, typer.Option("--listen", help="Địa chỉ:cổng cho webhook / host:port the webhook server listens on.")] = "127.0.0.1:8443",
    zalo_webhook: Annotated[str | None, typer.Option("--zalo-webhook", help="Nhận tin Zalo Bot qua webhook URL thay vì getUpdates / receive Zalo Bot updates at this URL instead of polling.")] = None,
    zalo_listen: Annotated[str, typer.Option("--zalo-listen", help="Địa chỉ:cổng cho webhook Zalo / host:port of the Zalo webhook server.")] = "127.0.0.1:8444",
    web: Annotated[str | None, typer.Option("--web", help="Máy chủ web (trang quản lý, feed, LED, /healthz, /metrics) ở địa chỉ:cổng này thay cho [web] listen / serve the web server (dashboard, feeds, LED, /healthz, /metrics) on this host:port instead of [web] listen.")] = None,
    no_web: Annotated[bool, typer.Option("--no-web", help="Không chạy máy chủ web / do not run the web server.")] = False,
) -> None:
    """Chạy lịch đăng / run: sync, schedule, publish, watch content/ (Ctrl-C stops cleanly).

    Exit status 0 only after a clean stop (a signal, or --for elapsed); 1 with a one-line reason when it
    fails; 2 when another loa run holds the SQLite file; 3 when it stopped to keep delivery exactly-once
    (database unreachable past record_patience, or the lead lost).
    """
    from bot.app import Runner, build_adapters, single_runner
    from bot.logs import setup_logging
    from campaign.store.leader import AnotherRunner, Leadership

    cfg = _with_web(load(config, content), web, no_web)
    setup_logging(cfg)
    try:
        lock = single_runner(cfg.database_url)  # SQLite: one process; held until this run ends (or the process dies)
    except AnotherRunner as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    try:
        store, clock = open_store(cfg), SystemClock()
        leadership = None if lock is not None or store.dialect != "postgresql" else Leadership(cfg.database_url)
        try:
            adapters = build_adapters(cfg, offline=offline, store=store, clock=clock, on_zalo_stop=lambda reason: raise_alert(
                store, cfg, clock, f"zalo_auth:{clock.now():%Y%m%d%H%M}", both("alert.zalo_auth", reason=reason)))
            duration = parse_duration(run_for) if run_for else None
            token = None if offline else os.environ.get(cfg.telegram.token_env) or None
            has_zalo_bot = any(ch.kind == "zalo_bot" for ch in cfg.channels.values())
            zalo_token = None if offline or not has_zalo_bot else os.environ.get(cfg.zalo.bot_token_env) or None
            runner = Runner(cfg, store, adapters, clock=clock, run_for=duration, watch=watch, chat_token=token,
                            webhook=_webhook(webhook, listen, cfg.telegram.webhook_secret_env),
                            zalo_token=zalo_token, zalo_webhook=_webhook(zalo_webhook, zalo_listen, cfg.zalo.bot_webhook_secret_env),
                            console=out, leadership=leadership, serve_web=cfg.web.address is not None)
            asyncio.run(runner.run())
        except LoaError as exc:  # a setup problem, or a part of the service that died (bot.app.ServiceFailed)
            _fail(exc)
        except Exception as exc:  # anything else: the traceback in the log once, one line to say why, non-zero
            logging.getLogger("loa").critical("loa run failed", exc_info=exc)
            err.print(f"Loa dừng vì lỗi / Loa stopped on an error: {type(exc).__name__}: {exc}", markup=False)
            raise typer.Exit(1) from None
    finally:
        if lock is not None:
            lock.release()  # the process may go on (tests, an embedding program)
    if runner.exit_status:
        raise typer.Exit(runner.exit_status)


def _write_svg(path: Path, cfg: Config, rows: list[PlanRow], start: datetime | None, end: datetime | None) -> None:
    """The plan as the dashboard's timeline (``campaign.drawing``): milestone bands, posts on channel lanes."""
    from campaign import board, drawing

    def state(r: PlanRow) -> str:
        if r.status in ("published", "missed", "held"):
            return r.status
        if r.status in ("retracted", "withdrawn"):
            return "retracted"
        return "rejected" if "rejected" in r.approval else "approved" if "approved" in r.approval else "waiting"

    marks = [drawing.Mark(0, r.title, board.lane(cfg, ch), r.at, state(r)) for r in rows for ch in r.channels]
    first, last = board.campaign_span(cfg)
    if rows:
        first, last = min(first, rows[0].at), max(last, rows[-1].at)
    lo, hi = drawing.window("campaign", first.date(), cfg.tz, (start or first, end + timedelta(days=1) if end else last))
    text = drawing.timeline_svg(board.bands(cfg), board.lanes(cfg, marks), marks, lo, hi, SystemClock().now(), cfg.tz,
                                lang=cfg.language, title=cfg.name)
    path.write_text(text, encoding="utf-8")
    err.print(f"SVG: {path}", markup=False)


@app.command()
def status(config: ConfigOpt = Path("config.toml"), content: ContentOpt = None) -> None:
    """Tiến trình nào đang chạy lịch, và các lượt gửi / which loa run leads, and the deliveries by state."""
    from bot.app import runners_text

    cfg = load(config, content)
    for line in runners_text(cfg.database_url):
        out.print(line, markup=False)
    with open_store(cfg).session() as s:
        counts = delivery_counts(s)
    out.print("lượt gửi / deliveries: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "0"), markup=False)
    if counts.get("unknown") or counts.get("failed"):
        out.print("cần quản trị viên xử lý / need an admin: /retry hoặc / or /skip", markup=False)


@app.command()
def simulate(
    config: ConfigOpt = Path("config.toml"),
    content: ContentOpt = None,
    from_: Annotated[str, typer.Option("--from", help="Ngày bắt đầu / start date YYYY-MM-DD or DD/MM/YYYY.")] = "",
    to: Annotated[str, typer.Option("--to", help="Ngày kết thúc (hết ngày) / end date (inclusive).")] = "",
    speed: Annotated[float, typer.Option("--speed", help="Giây ảo mỗi giây thật; 0 = nhanh nhất / virtual seconds per real second; 0 = as fast as possible.")] = 0,
    approved: Annotated[bool, typer.Option("--approved", help="Coi mọi bài là đã duyệt / treat every post as approved.")] = False,
) -> None:
    """Chạy thử chiến dịch trên đồng hồ ảo / replay the campaign on a virtual clock (console output, nothing is sent)."""
    import logging

    from bot.simulation import simulate as run_simulation

    cfg = load(config, content)
    logging.getLogger().setLevel(logging.ERROR)  # alerts show up as console messages already
    scan = scan_content(cfg)
    first = min((p.scheduled_at for p in scan.posts), default=None)
    start = _local_day(from_, cfg, "--from") or (first.astimezone(cfg.tz).replace(hour=0, minute=0) if first else None)
    end_day = _local_day(to, cfg, "--to")
    if start is None:
        err.print("không có bài nào để chạy thử / nothing to simulate")
        raise typer.Exit(1)
    end = end_day + timedelta(days=1) if end_day else max(p.scheduled_at for p in scan.posts) + timedelta(hours=1)
    try:
        asyncio.run(run_simulation(cfg, start, end, speed=speed, approved=approved, console=out,
                                   approvals_from=cfg.database_url))
    except LoaError as exc:
        _fail(exc)


@app.command()
def audit(
    config: ConfigOpt = Path("config.toml"),
    content: ContentOpt = None,
    post: Annotated[str | None, typer.Option("--post", help="Số hoặc khóa của bài / post id or key.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Từ ngày / from date YYYY-MM-DD or DD/MM/YYYY.")] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Xuất CSV / write CSV to stdout.")] = False,
) -> None:
    """Nhật ký: ai làm gì, khi nào / the audit trail: who did what, when."""
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
    header = ("at", "actor", "action", "post_id", "ref", "detail")
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(rows)
        return
    table = Table(*header)
    for row in rows:
        table.add_row(*(str(x) for x in row))
    out.print(table)


def _warning_line(w: Problem) -> str:
    where = printable(f"{w.path}{f':{w.line}' if w.line else ''}")
    return f"{where}: cảnh báo / warning: {w.message}"


def _with_web(cfg: Config, web: str | None, no_web: bool) -> Config:
    """``--web HOST:PORT`` / ``--no-web`` over ``[web] listen``."""
    if no_web:
        return dataclasses.replace(cfg, web=dataclasses.replace(cfg.web, listen=""))
    if web is None:
        return cfg
    try:
        parse_listen(web)
    except ValueError:
        err.print(f"--web {web!r}: cần địa_chỉ:cổng, ví dụ 127.0.0.1:8080 / expected host:port, e.g. 127.0.0.1:8080", markup=False)
        raise typer.Exit(1) from None
    return dataclasses.replace(cfg, web=dataclasses.replace(cfg.web, listen=web))


def _webhook(url: str | None, listen: str, secret_env: str) -> Webhook | None:
    from bot.telegram_bot import Webhook

    if not url:
        return None
    secret = os.environ.get(secret_env, "")
    if len(secret) < 8:
        raise ChannelSetupError(f"webhook cần chuỗi bí mật ≥ 8 ký tự trong biến môi trường {secret_env} / "
                                f"webhook mode needs a secret of 8+ characters in {secret_env}")
    host, _, port = listen.rpartition(":")
    if not port.isdigit():
        raise ChannelSetupError(f"'{listen}': cần host:port / expected host:port")
    return Webhook(url, secret, host or "127.0.0.1", int(port))


def _store_warnings(cfg: Config) -> list[Problem]:
    """What only the store knows (a group upgraded since config.toml was written); nothing if there is no store yet."""
    url = cfg.database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if not path or path == ":memory:" or not Path(path).exists():
            return []
    try:
        store = Store(url)
    except Exception as exc:  # check validates files; an unreachable database is for `loa run` to report
        out.print(f"(không đọc được kho dữ liệu, bỏ qua kiểm tra theo kho / store not readable, its checks skipped: "
                  f"{type(exc).__name__})", markup=False)
        return []
    try:
        return chats.config_warnings(store, cfg)
    finally:
        store.close()


def open_store(cfg: Config) -> Store:
    try:
        return Store(cfg.database_url)
    except Exception as exc:  # the driver's own error says what is wrong; keep the URL's password out
        err.print(f"không mở được cơ sở dữ liệu / cannot open the database: {type(exc).__name__}: {exc}", markup=False)
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
    err.print(f"{option} '{text}': dùng YYYY-MM-DD hoặc DD/MM/YYYY / use YYYY-MM-DD or DD/MM/YYYY")
    raise typer.Exit(2)


def _default_year(cfg: Config) -> int:
    return cfg.milestones[0].span.first_day.year if cfg.milestones else SystemClock().now().astimezone(cfg.tz).year


app.add_typer(zalo_app, name="zalo")


def main() -> None:
    try:
        app()
    except LoaError as exc:
        err.print(str(exc), markup=False)
        sys.exit(1)
