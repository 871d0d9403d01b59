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
from campaign.texts import command_help, inline
from channels.zalo.http import ZaloOAClient
from channels.zalo.tokens import Consent, exchange

zalo_app = typer.Typer(
    help=inline("cli.zalo.app") + ".",
    no_args_is_help=True,
)

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help=inline("cli.opt.config_file") + ".", envvar="LOA_CONFIG")]


def _local(cfg: Config, when: datetime) -> str:
    return f"{when.astimezone(cfg.tz):%d/%m/%Y %H:%M} ({cfg.zone_name})"


@zalo_app.command(help=command_help("cli.cmd.zalo_login"))
def login(
    config: ConfigOpt = Path("config.toml"),
    code: Annotated[str | None, typer.Option(
        "--code", help=inline("cli.zalo.opt.code") + ".")] = None,
    refresh_token: Annotated[str | None, typer.Option(
        "--refresh-token", help=inline("cli.zalo.opt.refresh_token") + ".")] = None,
    code_verifier: Annotated[str | None, typer.Option(
        "--code-verifier", help=inline("cli.zalo.opt.code_verifier") + ".")] = None,
    redirect_uri: Annotated[str | None, typer.Option(
        "--redirect-uri", help=inline("cli.zalo.opt.redirect_uri") + ".")] = None,
) -> None:
    """The OA token pair is kept in the store (campaign.store.zalo_tokens), never printed."""
    from bot.cli import err, load, open_store, out

    if code is not None and refresh_token is not None:
        err.print(inline("cli.zalo.code_or_refresh"))
        raise typer.Exit(2)
    if refresh_token == "-":
        refresh_token = sys.stdin.readline().strip()
    cfg = load(config, None)
    app_id, secret = os.environ.get(cfg.zalo.app_id_env, ""), os.environ.get(cfg.zalo.secret_key_env, "")
    missing = [n for n, v in ((cfg.zalo.app_id_env, app_id), (cfg.zalo.secret_key_env, secret)) if not v]
    if missing:
        err.print(inline("cli.zalo.missing_env", names=", ".join(missing)))
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
        err.print(f"{inline('cli.zalo.login_failed')}: {exc.reason}", markup=False)
        raise typer.Exit(1) from None
    finally:
        client.close()
        store.close()
    out.print("[green]OK[/] " + inline("cli.zalo.stored", generation=pair.generation,
                                       expires=_local(cfg, pair.expires_at)))


def _consent(cfg: Config, app_id: str, redirect_uri: str) -> tuple[str, str]:
    """Print the permission page, read the redirect address back, check its state: (code, verifier)."""
    from bot.cli import err, out

    if not redirect_uri:
        err.print(inline("cli.zalo.no_redirect"), markup=False)
        raise typer.Exit(2)
    consent = Consent.new(cfg.zalo.oauth_base, app_id, redirect_uri)
    out.print(inline("cli.zalo.step_open"))
    out.print(consent.url, markup=False, soft_wrap=True)
    out.print(inline("cli.zalo.step_paste"))
    try:
        return consent.code_from(sys.stdin.readline()), consent.code_verifier
    except ChannelError as exc:
        err.print(exc.reason, markup=False)
        raise typer.Exit(1) from None


@zalo_app.command(help=command_help("cli.cmd.zalo_status"))
def status(config: ConfigOpt = Path("config.toml")) -> None:
    from bot.cli import load, open_store, out

    cfg = load(config, None)
    store = open_store(cfg)
    try:
        pair = zalo_tokens.load(store)
    finally:
        store.close()
    if pair is None:
        out.print(inline("cli.zalo.no_token"))
        raise typer.Exit(1)
    now = SystemClock().now()
    left = pair.expires_at - now
    if left.total_seconds() > 0:
        hours = left.total_seconds() / 3600
        state = inline("cli.zalo.valid_for", hours=hours)
    else:
        state = inline("cli.zalo.expired")
    out.print(f"Zalo OA token: {inline('cli.zalo.generation')} {pair.generation}; "
              f"{inline('cli.zalo.expires')} {_local(cfg, pair.expires_at)} ({state}); "
              f"{inline('cli.zalo.updated')} {_local(cfg, pair.updated_at)}")
    for name in (cfg.zalo.app_id_env, cfg.zalo.secret_key_env):
        if not os.environ.get(name):
            out.print(f"[yellow]{inline('cli.zalo.warning')}:[/] {inline('cli.zalo.env_unset', name=name)}")
