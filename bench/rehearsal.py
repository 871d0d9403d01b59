"""The first run a newcomer sees: the README's rehearsal of the sample, as a real process.

    python -m bench.rehearsal
    python -m bench.rehearsal --args "--rehearse --approved --milestone tinh-trong --start-in 5s --speed 7200 --for 45s"

Copies the sample (``config.toml``, ``content/``) into a temporary folder (a fresh machine: no
store yet), runs ``loa run`` with the README's options (the web server on a free port, so the bench
never collides with a running ``loa run``) and reads its output line by line as it comes. Printed:
seconds until the banner's first line and until the first post reaches a console channel, how many
posts went out (``→`` lines to the public channel ``tg_tinh``), the output's lines, "missed" lines,
alerts printed more than once, and the exit status. Exits 1 when a target is missed: banner first,
at least 4 posts within 60 s of the start, no "missed" line, no alert twice, exit status 0.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README_ARGS = "--rehearse --approved --milestone tinh-trong --start-in 5s --speed 7200 --for 45s"
PUBLIC = "[tg_tinh]:"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--args", default=README_ARGS, help="the options of loa run (default: the README's)")
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="loa-rehearsal-bench-") as tmp:
        work = Path(tmp)
        shutil.copy(ROOT / "config.toml", work / "config.toml")
        shutil.copytree(ROOT / "content", work / "content")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LOA_", "TELEGRAM_", "ZALO_", "FACEBOOK_"))}
        cmd = [sys.executable, "-m", "bot", "run", "--config", str(work / "config.toml"), *shlex.split(opts.args),
               "--web", "127.0.0.1:0"]
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=work,
                                env={**env, "COLUMNS": "200"})
        assert proc.stdout is not None
        lines: list[tuple[float, str]] = [(time.monotonic() - started, line.rstrip("\n")) for line in proc.stdout]
        status = proc.wait()
    first_post = next((at for at, line in lines if PUBLIC in line), None)
    posts = sum(PUBLIC in line for _, line in lines)
    in_a_minute = sum(PUBLIC in line for at, line in lines if at <= 60)
    missed = sum("lỡ giờ" in line or "missed its time" in line for _, line in lines)
    alerts = Counter(line.split(" → ", 1)[1] for _, line in lines if " → " in line and "[tg_admin]" in line)
    twice = sum(n > 1 for n in alerts.values())
    banner_first = bool(lines) and lines[0][1].startswith("Loa — ")
    print(f"loa run {opts.args}")
    print(f"banner first: {banner_first} (after {lines[0][0]:.1f} s)" if lines else "no output")
    print(f"first post on the console after {first_post:.1f} s" if first_post is not None else "no post went out")
    print(f"posts out (tg_tinh): {posts}, {in_a_minute} within 60 s; output lines: {len(lines)}; 'missed' lines: {missed}; alerts printed twice: {twice}")
    print(f"exit status {status}; total {lines[-1][0] if lines else 0:.1f} s")
    ok = banner_first and in_a_minute >= 4 and not missed and not twice and status == 0
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
