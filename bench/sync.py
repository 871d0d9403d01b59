"""Benchmark ``campaign.sync.sync`` against a generated campaign of N posts.

    python -m bench.sync --posts 1000 10000 --breakdown
    python -m bench.sync --posts 1000 10000 --breakdown --db postgresql+psycopg://postgres@127.0.0.1:5432/loa_bench_sync

For each N a fresh campaign is generated in a temporary folder (config.toml as in
tests/conftest.py plus one "after" milestone, N Markdown posts in a few sub-folders, 100-200
Vietnamese-ish words each, every post at a distinct minute), the files are left to age past
``campaign.sync.STAMP_SETTLED_NS`` (3 s: an admin's folder is older than that, and only then does
sync trust a file's stat stamp), and these are timed:

  floor      read every file + ``frontmatter.loads`` (python-frontmatter's default handler)
  scan       ``campaign.content.scan_content`` (our parse + validate + render, no database)
  cold       ``sync()`` into a fresh, migrated, empty store
  resync     ``sync()`` again with nothing changed
  resync-1   ``sync()`` after editing the body of one file

Targets: cold <= 2x floor; no-change resync < 10% of cold (the issue's); resync-1 is held to the
same 10% here.

Each N runs in its own child process so that the reported peak RSS (``getrusage``) belongs to
that N alone. With PostgreSQL, schema ``public`` is DROPPED and recreated before every fresh
store: point ``--db`` at a throw-away database only.

After the timed runs (so the figures are not distorted), ``--breakdown`` times the parts of one
more cold sync and of the resyncs with perf_counter wrappers (cheap, so the shares are honest),
and ``--profile DIR`` profiles one cold sync and one no-change resync (pyinstrument if installed,
else cProfile; both slow this code ~2.5x and over-weight call-heavy parts), written to DIR and
summarised on stdout. Results: docs/benchmarks.md, section "Sync".
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from tests.campaign_config import CONFIG as TEST_CONFIG

DEFAULT_REPEAT = 3
# what campaign.sync.sync runs (for the "code:" stamp)
SYNC_CODE = ("campaign/sync.py", "campaign/content.py", "campaign/render.py", "campaign/timeexpr.py",
             "campaign/config.py", "campaign/errors.py", "campaign/clock.py", "campaign/store/db.py",
             "campaign/store/models.py", "campaign/store/repo.py", "campaign/store/migrations")

# The tests' campaign, plus a third ("after") milestone so 10,000+ posts fit at distinct
# minutes between 06:00 and 22:00.
CONFIG = TEST_CONFIG.replace("test campaign", "benchmark campaign").replace("\n[channels.tg]", """
[[milestones]]
id = "sau-dai-hoi"
title = "Sau đại hội"
phase = "after"
start = "khai_mac +1d"
end = "khai_mac +14d"

[channels.tg]""", 1)

# (id, first day, number of days) -- must agree with CONFIG above.
KHAI_MAC = date(2021, 1, 26)
MILESTONES = (("cao-diem", 6), ("khai-mac", 1), ("sau-dai-hoi", 14))
DAY_START, DAY_END = 6 * 60, 22 * 60  # posts go out between 06:00 and 22:00 local

FOLDERS = ("tuyen-truyen", "tin-tuc/tinh", "tin-tuc/co-so", "guong-dien-hinh", "hoi-dap")

WORDS = ["đại", "hội", "đảng", "bộ", "tỉnh", "nhiệm", "kỳ", "phát", "triển", "kinh", "tế", "xã", "hội", "nhân", "dân", "cán", "bộ", "đảng", "viên", "tuyên", "truyền", "chào", "mừng", "thành", "công", "văn", "kiện", "nghị", "quyết", "đoàn", "kết", "dân", "chủ", "kỷ", "cương", "đổi", "mới", "sáng", "tạo", "quê", "hương", "xây", "dựng", "chỉnh", "đốn", "chính", "quyền", "mặt", "trận", "tổ", "quốc", "đoàn", "thể", "thanh", "niên", "phụ", "nữ", "nông", "dân", "cựu", "chiến", "binh", "huyện", "thành", "phố", "phường", "thị", "trấn", "thôn", "bản", "khu", "phố", "biên", "giới", "cửa", "khẩu", "du", "lịch", "nông", "nghiệp", "công", "nghiệp", "hạ", "tầng", "giao", "thông", "giáo", "dục", "y", "tế", "văn", "hóa", "an", "ninh", "quốc", "phòng", "môi", "trường", "chuyển", "đổi", "số", "hiệu", "quả", "thiết", "thực", "tiết", "kiệm", "trang", "trọng", "niềm", "tin", "khát", "vọng", "vững", "bước", "tương", "lai", "hội", "nhập", "bền", "vững", "mục", "tiêu", "nhiệm", "vụ", "giải", "pháp", "đột", "phá", "chiến", "lược", "nguồn", "lực", "con", "người", "đời", "sống", "thu", "nhập", "việc", "làm", "an", "sinh", "hoạt", "động", "phong", "trào", "thi", "đua", "lập", "thành", "tích", "chào", "mừng", "sự", "kiện", "chính", "trị", "quan", "trọng", "toàn", "dân"]
NAMES = ("Lạng Sơn", "Cao Lộc", "Văn Lãng", "Tràng Định", "Bắc Sơn", "Hữu Lũng", "Chi Lăng", "Lộc Bình", "Đình Lập")


# --- campaign generation -----------------------------------------------------------------------


def _sentence(rng: random.Random, lo: int = 8, hi: int = 18) -> list[str]:
    words = rng.choices(WORDS, k=rng.randint(lo, hi))
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), rng.choice(NAMES))
    words[0] = words[0][:1].upper() + words[0][1:]
    i = rng.randrange(len(words))
    r = rng.random()
    if r < 0.25:
        words[i] = f"**{words[i]}**"
    elif r < 0.4:
        words[i] = f"*{words[i]}*"
    return words


def _body(rng: random.Random) -> str:
    """100-200 words of Markdown: paragraphs, emphasis, sometimes a list, a link, a quote, hashtags."""
    target = rng.randint(100, 200)
    blocks: list[str] = []
    count = 0
    while count < target:
        kind = rng.random()
        if kind < 0.15 and count + 20 < target:
            items = [_sentence(rng, 4, 8) for _ in range(rng.randint(2, 4))]
            blocks.append("\n".join("- " + " ".join(w) + ";" for w in items))
            count += sum(len(w) for w in items)
        elif kind < 0.22:
            s = _sentence(rng, 8, 14)
            blocks.append("> " + " ".join(s) + ".")
            count += len(s)
        else:
            para: list[str] = []
            for _ in range(rng.randint(2, 4)):
                s = _sentence(rng)
                para.append(" ".join(s) + ".")
                count += len(s)
            if rng.random() < 0.3:
                para.append(f"Xem thêm tại [Báo {rng.choice(NAMES)}](https://baolangson.vn/tin/{rng.randrange(10**6)}).")
                count += 4
            blocks.append(" ".join(para))
    blocks.append(" ".join(f"#{w.capitalize()}" for w in rng.sample(WORDS, 2)))
    return "\n\n".join(blocks)


def _slots(n: int) -> list[tuple[str, int, int]]:
    """n distinct (milestone, day 1.., minute-of-day) slots spread evenly over all milestones."""
    per_day = DAY_END - DAY_START
    total = sum(days for _, days in MILESTONES) * per_day
    if n > total:
        raise SystemExit(f"at most {total} posts fit at distinct minutes")
    out = []
    for k in range(n):
        idx = k * total // n
        for mid, days in MILESTONES:
            if idx < days * per_day:
                out.append((mid, idx // per_day + 1, DAY_START + idx % per_day))
                break
            idx -= days * per_day
    return out


def _time_text(rng: random.Random, day: int, minute: int) -> str:
    """The same instant written in the forms authors use: "HH:MM", "day D HH:MM", "start +..."."""
    hh, mm = divmod(minute, 60)
    r = rng.random()
    if day == 1 and r < 0.5:
        return f"{hh:02d}:{mm:02d}"
    if r < 0.15:
        return f"start +{day - 1}d{hh}h{mm}m" if day > 1 else f"start +{hh}h{mm}m"
    return f"day {day} {hh:02d}:{mm:02d}"


def post_file(rng: random.Random, i: int, milestone: str, day: int, minute: int) -> str:
    title = " ".join(_sentence(rng, 5, 10)).replace("*", "")
    lines = [f'title: "{title}"', f"milestone: {milestone}", f'time: "{_time_text(rng, day, minute)}"']
    r = rng.random()
    if r < 0.2:
        lines.append("channels: [tg, zalo]")
    elif r < 0.3:
        lines.append("channels: [tg, nhom]")
    if rng.random() < 0.3:
        lines.append(f"author: {rng.choice(('lan', 'minh'))}")
    if rng.random() < 0.05:
        lines.append("pin: true")
    if rng.random() < 0.05:
        lines.append('approvals: "2"')
    return "---\n" + "\n".join(lines) + "\n---\n" + _body(rng) + "\n"


def generate(root: Path, n: int, seed: int = 20210126, *, same_minute: bool = False) -> tuple[Path, list[Path]]:
    """Write config.toml and n posts under root; returns (config path, post paths). ``same_minute``: every
    post at 08:30 on the khai-mac day (all on channel tg, some on zalo or nhom too), as bench.check needs."""
    rng = random.Random(seed)
    (root / "content").mkdir(parents=True)
    config_path = root / "config.toml"
    config_path.write_text(CONFIG, encoding="utf-8")
    paths = []
    slots = [("khai-mac", 1, 8 * 60 + 30)] * n if same_minute else _slots(n)
    for i, (mid, day, minute) in enumerate(slots):
        folder = root / "content" / FOLDERS[i % len(FOLDERS)]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{i:05d}-{mid}-ngay-{day}.md"
        path.write_text(post_file(rng, i, mid, day, minute), encoding="utf-8")
        paths.append(path)
    return config_path, paths


# --- measurements --------------------------------------------------------------------------------


def best_of(repeat: int, fn: Callable[[], Any], before: Callable[[int], Any] | None = None) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls (``before(i)`` runs untimed first); returns (seconds, last result)."""
    best, result = float("inf"), None
    for i in range(repeat):
        if before is not None:
            before(i)
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def parse_floor(content_dir: Path) -> int:
    """Walk content/, read every .md and parse it with python-frontmatter's default (YAML) handler."""
    import frontmatter

    n = 0
    for root, dirs, files in os.walk(content_dir):
        dirs.sort()
        for f in sorted(files):
            if f.endswith(".md"):
                post = frontmatter.loads((Path(root) / f).read_bytes().decode("utf-8"))
                n += bool(post.metadata)
    return n


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_one(n: int, db: str | None, repeat: int, workdir: Path, profile_dir: Path | None,
            do_breakdown: bool = False) -> dict[str, Any]:
    from campaign.clock import SystemClock
    from campaign.config import load_config
    from campaign.content import scan_content
    from campaign.store.db import Store
    from campaign.sync import STAMP_SETTLED_NS, sync

    rss_start = peak_rss_mib()
    root = workdir / f"camp-{n}"
    t0 = time.perf_counter()
    config_path, paths = generate(root, n)
    gen_s = time.perf_counter() - t0
    config = load_config(config_path, env={})
    clock = SystemClock()
    size = sum(p.stat().st_size for p in paths)
    print(f"[{n}] generated {n} posts ({size / 1e6:.1f} MB) in {gen_s:.1f}s under {root}", file=sys.stderr, flush=True)
    # As with an admin's content folder, the files are older than a few seconds: sync trusts their
    # stat stamp (campaign.sync.STAMP_SETTLED_NS) instead of reading and hashing them again.
    time.sleep(max(0.0, STAMP_SETTLED_NS / 1e9 - (time.perf_counter() - t0 - gen_s)))

    floor_s, parsed = best_of(repeat, lambda: parse_floor(config.content_dir))
    assert parsed == n, (parsed, n)
    rss_before_sync = peak_rss_mib()
    print(f"[{n}] floor {floor_s:.3f}s", file=sys.stderr, flush=True)

    fresh_count = 0

    def fresh_store() -> Any:
        nonlocal fresh_count
        fresh_count += 1
        if db and db.startswith("postgresql"):
            from bench._common import reset_postgres  # lazily: it imports campaign (see run_one)

            reset_postgres(db)
            return Store(db)
        return Store(f"sqlite:///{workdir / f'loa-{n}-{fresh_count}.db'}")

    # cold: best of 2, each into a fresh, migrated store (migration not timed)
    cold_s, store = float("inf"), None
    for _ in range(2):
        if store is not None:
            store.close()
        store = fresh_store()
        gc.collect()
        t0 = time.perf_counter()
        report = sync(store, config, clock)
        cold_s = min(cold_s, time.perf_counter() - t0)
        assert len(report.added) == n and not report.problems, (len(report.added), report.problems[:3])
    assert store is not None
    print(f"[{n}] cold {cold_s:.3f}s ({store.dialect})", file=sys.stderr, flush=True)

    resync_s, report = best_of(repeat, lambda: sync(store, config, clock))
    assert report.unchanged == n and report.changes == 0, report

    edited = paths[len(paths) // 2]
    original = edited.read_text(encoding="utf-8")

    def edit(i: int) -> None:
        edited.write_text(original.rstrip("\n") + f"\n\nCập nhật lần {i + 1}.\n", encoding="utf-8")

    resync1_s, report = best_of(repeat, lambda: sync(store, config, clock), before=edit)
    assert report.changed == [edited.relative_to(config.content_dir).with_suffix("").as_posix()], report.changed
    assert report.unchanged == n - 1
    edited.write_text(original, encoding="utf-8")
    sync(store, config, clock)
    print(f"[{n}] resync {resync_s:.3f}s  resync-1 {resync1_s:.3f}s", file=sys.stderr, flush=True)
    store.close()
    rss_sync = peak_rss_mib()  # before the scan below, which holds every PostSource at once

    # informational: our parse + validate + render alone, no database
    scan_s, scan = best_of(repeat, lambda: scan_content(config))
    assert len(scan.posts) == n and not scan.problems, scan.problems[:3]
    del scan
    print(f"[{n}] scan {scan_s:.3f}s", file=sys.stderr, flush=True)

    result = {
        "n": n, "db": "postgresql" if db and db.startswith("postgresql") else "sqlite", "bytes": size,
        "floor": floor_s, "scan": scan_s, "cold": cold_s, "resync": resync_s, "resync1": resync1_s,
        "rss_start": rss_start, "rss_before_sync": rss_before_sync, "rss_peak": rss_sync,
    }

    if do_breakdown:
        store = fresh_store()
        result["breakdown_cold"] = breakdown(f"cold sync, {result['db']}, {n} posts", lambda: sync(store, config, clock))
        result["breakdown_resync"] = breakdown(f"no-change resync, {result['db']}, {n} posts",
                                               lambda: sync(store, config, clock))
        edit(99)
        result["breakdown_resync1"] = breakdown(f"one-file-changed resync, {result['db']}, {n} posts",
                                                lambda: sync(store, config, clock))
        edited.write_text(original, encoding="utf-8")
        store.close()

    if profile_dir is not None:
        tag = f"{result['db']}-{n}"
        store = fresh_store()
        profile(profile_dir, f"cold-{tag}", lambda: sync(store, config, clock))
        profile(profile_dir, f"resync-{tag}", lambda: sync(store, config, clock))
        store.close()
    return result


def breakdown(label: str, fn: Callable[[], Any]) -> dict[str, float]:
    """Run ``fn`` (a sync) once with perf_counter timers around its parts; inclusive seconds per part.

    Wrappers cost about a microsecond a call, so unlike a profiler the shares are not skewed
    towards call-heavy code. Nested parts are listed under their parent and included in it.
    """
    import frontmatter
    from sqlalchemy.orm import Session

    import campaign.content as content
    import campaign.render as render
    import campaign.store.repo as repo
    import campaign.sync as sync_mod

    totals: dict[str, float] = {}
    patched: list[tuple[Any, str, Any]] = []

    def wrap(owner: Any, attr: str, name: str) -> None:
        orig = getattr(owner, attr)
        depth = 0

        def timed(*a: Any, **kw: Any) -> Any:
            nonlocal depth
            if depth:  # a recursive call: already inside the outermost one's timer
                return orig(*a, **kw)
            depth += 1
            t0 = time.perf_counter()
            try:
                return orig(*a, **kw)
            finally:
                depth -= 1
                totals[name] = totals.get(name, 0.0) + time.perf_counter() - t0

        patched.append((owner, attr, orig))
        setattr(owner, attr, timed)

    # Parts of the code before and after the sync speed-up (2026-11-22): whichever exist are timed.
    parts = [
        (sync_mod, "iter_post_files", "iter_post_files (os.walk + Path objects)"),
        (sync_mod, "iter_post_entries", "iter_post_entries (os.walk, strings)"),
        (sync_mod, "post_key", "post_key (pathlib relative_to)"),
        (sync_mod, "_media_unchanged", "_media_unchanged"),
        (sync_mod, "_process", "_process (batches of files to parse)"),
        (sync_mod, "load_post", "load_post"),
        (frontmatter, "parse", "  frontmatter.parse (CBaseLoader)"),
        (content, "simple_front_matter", "    simple_front_matter (no PyYAML)"),
        (content, "_front_matter_lines", "  _front_matter_lines"),
        (content, "resolve_post_time", "  resolve_post_time"),
        (content, "_media", "  _media (stat + limits)"),
        (content, "render_markdown", "  render_markdown"),
        (render, "_blocks", "    event walk (HTML + plain, one pass)"),
        (render, "_own_html_visible_length", "    Telegram visible length (own HTML)"),
        (content, "check_fits", "  check_fits"),
        (render, "telegram_visible_length", "    telegram_visible_length (HTMLParser)"),
        (content, "json.dumps", "  content hash (json.dumps)"),  # no such attribute: wrapped below
        (sync_mod, "_new_post", "_new_post"),
        (sync_mod, "_new_row", "_new_row (dict of a new post's columns)"),
        (sync_mod, "_fill", "_fill (attribute sets; part of _new_post/_apply)"),
        (sync_mod, "_apply", "_apply"),
        (sync_mod, "PostVersion", "PostVersion(...) objects"),
        (repo, "posts_by_key", "repo.posts_by_key (SELECT all posts, all columns)"),
        (repo, "post_sync_states", "repo.post_sync_states (SELECT 6 columns)"),
        (repo, "posts_for_keys", "repo.posts_for_keys (full rows needing work)"),
        (repo, "insert_posts", "repo.insert_posts (executemany; COPY on PostgreSQL)"),
        (repo, "post_ids_by_key", "repo.post_ids_by_key (SELECT key, id)"),
        (repo, "post_ids_after", "repo.post_ids_after (SELECT key, id WHERE id > last)"),
        (repo, "insert_audit_events", "repo.insert_audit_events (executemany; COPY on PostgreSQL)"),
        (repo, "insert_versions", "repo.insert_versions (Core executemany)"),
        (repo, "audit", "repo.audit (AuditEvent objects)"),
        (repo, "add_version", "repo.add_version"),
        (repo, "keep_version", "repo.keep_version"),
        (repo, "set_file_stamps", "repo.set_file_stamps"),
        (Session, "add", "Session.add"),
        (Session, "flush", "Session.flush (INSERT/UPDATE; also autoflush)"),
        (Session, "commit", "Session.commit"),
    ]
    # json.dumps is timed only as campaign.content calls it (content hash), not where SQLAlchemy's
    # JSON columns call it: campaign.content's ``json`` is swapped for a proxy while timing.
    json_proxy = types.SimpleNamespace(dumps=content.json.dumps, loads=content.json.loads)
    patched.append((content, "json", content.json))
    content.json = json_proxy
    wrap(json_proxy, "dumps", "  content hash (json.dumps)")
    content_render = content.render_markdown
    for owner, attr, name in parts:
        if hasattr(owner, attr):
            wrap(owner, attr, name)
    if hasattr(render, "_MD"):  # markdown-it-py, before 2026-11-22
        wrap(render._MD, "parse", "    MarkdownIt.parse")
    if hasattr(render, "pyromark"):
        wrap(render.pyromark, "events", "    pyromark.events (pulldown-cmark)")
    try:
        gc.collect()
        t0 = time.perf_counter()
        fn()
        total = time.perf_counter() - t0
    finally:
        for owner, attr, orig in reversed(patched):
            setattr(owner, attr, orig)
        assert content.render_markdown is content_render
    order = [name for _, _, name in parts]
    order[order.index("  render_markdown") + 1:order.index("  render_markdown") + 1] = [
        "    MarkdownIt.parse", "    pyromark.events (pulldown-cmark)"]
    print(f"\n----- breakdown of one {label}: {total * 1000:,.0f} ms wall (inclusive times; indented = part of the line above)")
    for name in sorted(totals, key=order.index):
        print(f"  {name:<55} {totals[name] * 1000:>9,.0f} ms  {totals[name] / total:6.1%}")
    return {"total": total, **totals}


def profile(profile_dir: Path, tag: str, fn: Callable[[], Any]) -> None:
    """Profile one call: pyinstrument (sampling, low overhead) if installed, else cProfile."""
    profile_dir.mkdir(parents=True, exist_ok=True)
    try:
        from pyinstrument import Profiler
    except ImportError:
        prof = cProfile.Profile()
        prof.runcall(fn)
        out = profile_dir / f"sync-{tag}.prof"
        prof.dump_stats(str(out))
        buf = io.StringIO()
        st = pstats.Stats(prof, stream=buf).sort_stats("cumulative")
        st.print_stats(r"campaign|sqlalchemy/orm/session|frontmatter|markdown_it|yaml", 30)
        st.sort_stats("tottime").print_stats(20)
        print(f"\n===== cProfile sync {tag} -> {out}\n{buf.getvalue()}")
        return
    prof = Profiler(interval=0.0005)
    prof.start()
    fn()
    prof.stop()
    out = profile_dir / f"sync-{tag}.html"
    out.write_text(prof.output_html(), encoding="utf-8")
    print(f"\n===== pyinstrument sync {tag} -> {out}")
    print(prof.output_text(time="percent_of_total", short_mode=False))
    print(f"----- flat (total time per function), {tag}")
    print("\n".join(prof.output_text(flat=True, flat_time="total", time="percent_of_total").splitlines()[:45]))


def code_fingerprint() -> str:
    """Hash of the code sync runs, as it is on disk (commits made meanwhile do not change it)."""
    import hashlib

    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for rel in SYNC_CODE:
        p = root / rel
        for f in sorted(p.rglob("*.py")) if p.is_dir() else [p]:
            h.update(str(f.relative_to(root)).encode() + b"\0" + (f.read_bytes() if f.exists() else b""))
    return h.hexdigest()[:12]


def code_state() -> str:
    """HEAD commit and a hash of uncommitted changes to the code sync runs: what is being measured."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        diff = subprocess.run(["git", "diff", "HEAD", "--", *SYNC_CODE], cwd=root, capture_output=True, check=True).stdout
        untracked = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", *SYNC_CODE], cwd=root,
                                   capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    if not diff and not untracked:
        return f"{head} (sync code clean)"
    import hashlib

    h = hashlib.sha256(diff + untracked)
    for rel in untracked.decode().split():
        h.update((root / rel).read_bytes())
    return f"{head} + uncommitted changes to sync code (sha256 {h.hexdigest()[:12]})"


# --- report ---------------------------------------------------------------------------------------


def table(results: list[dict[str, Any]]) -> str:
    def ms(s: float) -> str:
        return f"{s * 1000:,.0f} ms" if s >= 1 else f"{s * 1000:,.1f} ms"

    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    head = ["db", "posts", "MB", "floor", "scan (no DB)", "cold", "cold/floor", "resync", "resync/cold",
            "resync-1", "resync-1/cold", "peak RSS (sync)"]
    rows = []
    for r in results:
        cf, rc, r1 = r["cold"] / r["floor"], r["resync"] / r["cold"], r["resync1"] / r["cold"]
        rows.append([
            r["db"], f"{r['n']:,}", f"{r['bytes'] / 1e6:.1f}", ms(r["floor"]), ms(r["scan"]), ms(r["cold"]),
            f"{cf:.1f}x {mark(cf <= 2)}", ms(r["resync"]), f"{rc:.1%} {mark(rc < 0.10)}", ms(r["resync1"]),
            f"{r1:.1%} {mark(r1 < 0.10)}", f"{r['rss_peak']:.0f} MiB",
        ])
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))) + " |"
              for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, nargs="+", default=[1000, 10000], help="campaign sizes (default: 1000 10000)")
    ap.add_argument("--db", help="SQLAlchemy URL; postgresql+psycopg://... DROPS schema public. Default: SQLite in a temp dir")
    ap.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="runs per figure, best kept (default 3)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary campaigns and databases")
    ap.add_argument("--profile", type=Path, metavar="DIR",
                    help="also profile one cold and one no-change sync (pyinstrument if installed, else cProfile)")
    ap.add_argument("--breakdown", action="store_true",
                    help="also time the parts of one cold sync and one resync (perf_counter wrappers, after the timed runs)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON too")
    ap.add_argument("--in-process", action="store_true", help="run every size in this process (peak RSS then accumulates)")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)  # internal: write one result to this file
    args = ap.parse_args(argv)

    if args.child:
        workdir = Path(tempfile.mkdtemp(prefix="loa-bench-"))
        try:
            result = run_one(args.posts[0], args.db, args.repeat, workdir, args.profile, args.breakdown)
        finally:
            if args.keep:
                print(f"kept {workdir}", file=sys.stderr)
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        args.child.write_text(json.dumps(result))
        return 0

    state, fingerprint = code_state(), code_fingerprint()
    results = []
    for n in args.posts:
        if args.in_process:
            workdir = Path(tempfile.mkdtemp(prefix="loa-bench-"))
            try:
                results.append(run_one(n, args.db, args.repeat, workdir, args.profile, args.breakdown))
            finally:
                if not args.keep:
                    shutil.rmtree(workdir, ignore_errors=True)
            continue
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            cmd = [sys.executable, "-m", "bench.sync", "--posts", str(n), "--repeat", str(args.repeat), "--child", out.name]
            cmd += ["--db", args.db] if args.db else []
            cmd += ["--keep"] if args.keep else []
            cmd += ["--profile", str(args.profile)] if args.profile else []
            cmd += ["--breakdown"] if args.breakdown else []
            subprocess.run(cmd, check=True, cwd=Path(__file__).resolve().parents[1])
            results.append(json.loads(Path(out.name).read_text()))

    db = results[0]["db"] if results else "?"
    print(f"\nLoa sync benchmark: {db}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, best of {args.repeat} "
          f"(cold: best of 2 fresh stores)\ncode: {state}\n")
    print(table(results))
    if code_fingerprint() != fingerprint:
        print(f"\nWARNING: sync code changed while measuring (now {code_state()}); figures mix two versions")
    print("\ntargets: cold <= 2x floor; resync < 10% of cold (resync-1 held to the same bar here)")
    print("peak RSS (sync) = child process's ru_maxrss after generation, floor, cold syncs and resyncs "
          f"(baseline after imports: {results[0]['rss_start']:.0f} MiB)" if results else "")
    print("floor = os.walk + read + frontmatter.loads (default handler); scan = campaign.content.scan_content "
          "(parse, validate, render; no DB)")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
