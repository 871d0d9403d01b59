"""Benchmark ``loa check`` on big campaigns: wall time, peak memory and lines printed.

    python -m bench.check --posts 10000 --same-minute

Each case generates a campaign with ``bench.sync.generate`` (realistic 100-200-word Vietnamese posts)
in a temporary folder and runs ``python -m bot check`` on it as a child process, timed from start to
exit; peak memory is that child's own ``ru_maxrss`` (``os.wait4``), so the figures are those of the
command an admin runs. Cases:

  spread       N posts at distinct minutes over the campaign's three milestones
  same-minute  (with --same-minute) N posts all at 08:30 on the khai-mac day, every one on channel tg:
               the case whose pairwise same-slot warnings once took 22 s for 500 posts and 17.5 GB for
               10,000, printing a line per pair

Targets (issue 9): under 10 s wall time, under 300 MiB peak, at most a few hundred lines printed (300
here). The child's CPU time (user + system) is printed too: on a machine shared with other work the
wall time varies more than it does.
Exits 1 when a target is missed; the verdict is the last line. Results: docs/benchmarks.md, "loa check".
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.sync import generate

TARGET_SECONDS = 10.0
TARGET_MIB = 300.0
TARGET_LINES = 300
ROOT = Path(__file__).resolve().parents[1]


def run_check(config_path: Path) -> dict[str, float | int]:
    """``loa check`` in a child process: seconds, its peak RSS (MiB), lines printed, exit code."""
    env = {**os.environ, "COLUMNS": "200"}
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "bot", "check", "--config", str(config_path)],
                                 stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024,
            "lines": text.count("\n"),
            "exit": child.returncode, "last": text.strip().splitlines()[-1] if text.strip() else ""}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.check", description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=10000, help="posts per campaign (default 10000)")
    ap.add_argument("--same-minute", action="store_true", help="also the case of every post in one minute on one channel")
    ap.add_argument("--keep", action="store_true", help="keep the generated campaigns")
    args = ap.parse_args(argv)

    cases = [("spread", False)] + ([("same-minute", True)] if args.same_minute else [])
    print(f"loa check benchmark: {args.posts} posts, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"{'case':<12} {'time':>8} {'CPU':>8} {'peak RSS':>10} {'lines':>6}  exit  last line")
    missed: list[str] = []
    for name, same in cases:
        workdir = Path(tempfile.mkdtemp(prefix=f"loa-bench-check-{name}-"))
        try:
            config_path, _ = generate(workdir, args.posts, same_minute=same)
            r = run_check(config_path)
        finally:
            if args.keep:
                print(f"kept {workdir}", file=sys.stderr)
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        print(f"{name:<12} {r['seconds']:>7.2f}s {r['cpu']:>7.2f}s {r['peak_mib']:>7.0f} MiB {r['lines']:>6}  {r['exit']:>4}  {r['last']}")
        if r["exit"] != 0:
            missed.append(f"{name}: loa check exited {r['exit']}")
        if r["seconds"] > TARGET_SECONDS:
            missed.append(f"{name}: {r['seconds']:.1f} s > {TARGET_SECONDS:.0f} s")
        if r["peak_mib"] > TARGET_MIB:
            missed.append(f"{name}: {r['peak_mib']:.0f} MiB > {TARGET_MIB:.0f} MiB")
        if r["lines"] > TARGET_LINES:
            missed.append(f"{name}: {r['lines']} lines > {TARGET_LINES}")
    print(f"targets: < {TARGET_SECONDS:.0f} s, < {TARGET_MIB:.0f} MiB peak RSS, <= {TARGET_LINES} lines printed")
    print("verdict: " + ("MISSED — " + "; ".join(missed) if missed else "all targets met"))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
