"""``loa zalo …``: authorise the Zalo OA (store a token pair) and show the pair's state.

The pair is written to the store, never printed: refresh tokens are single-use, and a copy in a
terminal scroll-back or a shell history is a copy someone might use and so lock Loa out.
Mounted by ``bot.cli`` as ``app.add_typer(zalo_app, name="zalo")``; ``bot.cli`` is imported lazily
here so that mounting cannot make an import cycle.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from campaign.clock import SystemClock
from campaign.config import Config
from campaign.errors import ChannelError
from campaign.store import zalo_tokens
from channels.zalo.http import ZaloOAClient
from channels.zalo.tokens import Consent, exchange

zalo_app = typer.Typer(
    help="Zalo OA: ủy quyền và trạng thái token / authorisation and token status.",
    no_args_is_help=True,
)

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="Tệp cấu hình / config file.", envvar="LOA_CONFIG")]


def _local(cfg: Config, when: datetime) -> str:
    return f"{when.astimezone(cfg.tz):%d/%m/%Y %H:%M} ({cfg.zone_name})"


@zalo_app.command()
def login(
    config: ConfigOpt = Path("config.toml"),
    code: Annotated[str | None, typer.Option(
        "--code", help="Mã ủy quyền từ trang cấp quyền của Zalo / authorization code from Zalo's permission page.")] = None,
    refresh_token: Annotated[str | None, typer.Option(
        "--refresh-token", help="Refresh token (dùng '-' để nhập từ stdin) / refresh token ('-' reads it from stdin).")] = None,
    code_verifier: Annotated[str | None, typer.Option(
        "--code-verifier", help="PKCE code_verifier nếu đã dùng khi xin mã / if the code was requested with PKCE.")] = None,
    redirect_uri: Annotated[str | None, typer.Option(
        "--redirect-uri", help="Callback URL của ứng dụng (mặc định \\[zalo] redirect_uri) / the app's callback URL "
                               "(default \\[zalo] redirect_uri).")] = None,
) -> None:
    """Ủy quyền OA và lưu token vào kho / authorise the OA and store the token pair.

    Không có --code/--refresh-token: in trang cấp quyền của Zalo (PKCE, state), rồi đọc lại địa chỉ Zalo chuyển tới.

    Without --code or --refresh-token: print Zalo's permission page (PKCE, state), then read back the address Zalo redirected to.
    """
    from bot.cli import err, load, open_store, out

    if code is not None and refresh_token is not None:
        err.print("dùng đúng một trong --code hoặc --refresh-token / give exactly one of --code or --refresh-token")
        raise typer.Exit(2)
    if refresh_token == "-":
        refresh_token = sys.stdin.readline().strip()
    cfg = load(config, None)
    app_id, secret = os.environ.get(cfg.zalo.app_id_env, ""), os.environ.get(cfg.zalo.secret_key_env, "")
    missing = [n for n, v in ((cfg.zalo.app_id_env, app_id), (cfg.zalo.secret_key_env, secret)) if not v]
    if missing:
        err.print(f"thiếu biến môi trường {', '.join(missing)} / environment variable(s) not set: {', '.join(missing)}")
        raise typer.Exit(1)
    if code is None and refresh_token is None:
        code, code_verifier = _consent(cfg, app_id, redirect_uri or cfg.zalo.redirect_uri)
    if code is not None:
        form = {"grant_type": "authorization_code", "code": code}
        if code_verifier:
            form["code_verifier"] = code_verifier
    else:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token or ""}
    store = open_store(cfg)
    client = ZaloOAClient(cfg.zalo.oa_api_base, cfg.zalo.oauth_base)
    try:
        pair = exchange(client, app_id, secret, form, store, SystemClock().now())
    except ChannelError as exc:
        err.print(f"không lấy được token Zalo OA / could not get a Zalo OA token: {exc.reason}", markup=False)
        raise typer.Exit(1) from None
    finally:
        client.close()
        store.close()
    out.print(
        f"[green]OK[/] đã lưu token Zalo OA (thế hệ {pair.generation}), hết hạn {_local(cfg, pair.expires_at)}; "
        f"Loa tự làm mới trước khi hết hạn / Zalo OA token pair stored (generation {pair.generation}), "
        f"expires {_local(cfg, pair.expires_at)}; Loa refreshes it ahead of expiry."
    )


def _consent(cfg: Config, app_id: str, redirect_uri: str) -> tuple[str, str]:
    """Print the permission page, read the redirect address back, check its state: (code, verifier)."""
    from bot.cli import err, out

    if not redirect_uri:
        err.print("cần callback URL của ứng dụng: --redirect-uri hoặc [zalo] redirect_uri (hoặc dùng --code / "
                  "--refresh-token) / the app's callback URL is needed: --redirect-uri or [zalo] redirect_uri "
                  "(or use --code / --refresh-token)", markup=False)
        raise typer.Exit(2)
    consent = Consent.new(cfg.zalo.oauth_base, app_id, redirect_uri)
    out.print("1. Mở trang này, đăng nhập bằng tài khoản quản trị OA và đồng ý / open this page, log in as an OA "
              "admin and accept:")
    out.print(consent.url, markup=False, soft_wrap=True)
    out.print("2. Dán địa chỉ Zalo chuyển tới (có code và state) rồi Enter / paste the address Zalo redirected to "
              "(with code and state), then Enter:")
    try:
        return consent.code_from(sys.stdin.readline()), consent.code_verifier
    except ChannelError as exc:
        err.print(exc.reason, markup=False)
        raise typer.Exit(1) from None


@zalo_app.command()
def status(config: ConfigOpt = Path("config.toml")) -> None:
    """Hạn và thế hệ của token (không in token) / token expiry and generation (never the tokens)."""
    from bot.cli import load, open_store, out

    cfg = load(config, None)
    store = open_store(cfg)
    try:
        pair = zalo_tokens.load(store)
    finally:
        store.close()
    if pair is None:
        out.print("chưa có token Zalo OA; chạy `loa zalo login --code <mã>` / no Zalo OA token yet; "
                  "run `loa zalo login --code <code>`")
        raise typer.Exit(1)
    now = SystemClock().now()
    left = pair.expires_at - now
    if left.total_seconds() > 0:
        hours = left.total_seconds() / 3600
        state = f"còn hạn {hours:.1f} giờ / valid for {hours:.1f} h"
    else:
        state = "đã hết hạn — sẽ làm mới ở lần gửi tới / expired — refreshed at the next send"
    out.print(f"Zalo OA token: thế hệ / generation {pair.generation}; hết hạn / expires {_local(cfg, pair.expires_at)} "
              f"({state}); cập nhật / updated {_local(cfg, pair.updated_at)}")
    for name in (cfg.zalo.app_id_env, cfg.zalo.secret_key_env):
        if not os.environ.get(name):
            out.print(f"[yellow]cảnh báo / warning:[/] biến môi trường {name} chưa đặt — không làm mới được / "
                      f"{name} is not set — the token cannot be refreshed")
