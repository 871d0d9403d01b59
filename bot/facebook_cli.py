"""``loa facebook check``: is each fanpage's token accepted, which Page is it, what permission is missing.

Mounted by ``bot.cli`` as ``app.add_typer(facebook_app, name="facebook")``; ``bot.cli`` is imported
lazily so that mounting cannot make an import cycle. The token is read from the variable named by
the channel's ``token_env`` and never printed.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer

from campaign.config import Config
from campaign.errors import ChannelError
from campaign.texts import both, command_help, inline, pair
from channels.facebook import FacebookPageChannel, GraphClient

facebook_app = typer.Typer(help=inline("cli.fb.app") + ".",
                           no_args_is_help=True)

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help=inline("cli.opt.config_file") + ".", envvar="LOA_CONFIG")]


async def check_channels(cfg: Config, env: dict[str, str] | os._Environ[str], only: str | None = None) -> tuple[list[str], bool]:
    """One line (or two) per facebook_page channel; whether every one is ready to post."""
    lines: list[str] = []
    ok = True
    channels = [c for c in cfg.channels.values() if c.kind == "facebook_page" and only in (None, c.key)]
    if not channels:
        return [both("fb.check.none")], False
    for ch in channels:
        words = {"channel": f"{ch.label} [{ch.key}]", "page": ch.target}
        token = env.get(ch.token_env, "")
        if not token:
            lines.append(both("fb.check.fail", **words, reason=pair("fb.no_env", env=ch.token_env, channel=ch.key)))
            ok = False
            continue
        page = FacebookPageChannel(GraphClient(cfg.facebook.api_base, cfg.facebook.graph_version, read_timeout=20),
                                   token, token_env=ch.token_env)
        try:
            name, missing = await page.check(ch.target)
        except ChannelError as exc:
            vi, _, en = exc.reason.partition(" / ")
            lines.append(both("fb.check.fail", **words, reason=(vi, en or vi)))
            ok = False
            continue
        finally:
            await page.close()
        lines.append(both("fb.check.ok", **words, name=name))
        if missing:
            lines.append(both("fb.check.missing", permissions=", ".join(missing)))
            ok = False
    return lines, ok


@facebook_app.command(help=command_help("cli.cmd.facebook_check"))
def check(
    config: ConfigOpt = Path("config.toml"),
    channel: Annotated[str | None, typer.Option("--channel", help=inline("cli.fb.opt.channel") + ".")] = None,
) -> None:
    """Calls the Graph API once per fanpage; changes nothing."""
    from bot.cli import load, out

    cfg = load(config, None)
    lines, ok = asyncio.run(check_channels(cfg, os.environ, channel))
    for line in lines:
        out.print(line, markup=False, soft_wrap=True)
    if not ok:
        raise typer.Exit(1)
