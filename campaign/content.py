"""content/**.md -> validated ``PostSource`` objects with resolved times, renderings and hashes.

Front matter is read with python-frontmatter, but through YAML's *base* loader: every scalar stays
a string, so ``time: 20:00`` is not YAML 1.1's sexagesimal 1200 and ``no`` is not ``False``.
Types are then checked here, where the error can name the file and line.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import frontmatter
import yaml

from campaign.config import Config
from campaign.errors import CONTROL_RE, Problem, TimeExpressionError, printable
from campaign.kinds import IMAGE_SUFFIXES, SPECS, KindSpec, MediaKind, media_kind
from campaign.render import Rendered, check_fits, render_markdown
from campaign.texts import inline, pair, t
from campaign.timeexpr import resolve_post_time

FRONT_MATTER_KEYS = ("title", "milestone", "time", "channels", "media", "approvals", "author", "pin", "silent", "preview",
                     "source")  # source: where a draft's text came from (campaign.drafts), for the reviewers
# A media file, whatever its channels (Zalo Bot and console have no tighter limit of their own): its
# hash reads it whole, so a stray video or disk image must not be read at every change.
MEDIA_MAX_BYTES = 200 * 1024 * 1024
# A post file: its body must fit a message (4096 characters at most), so a megabyte is plenty.
POST_FILE_MAX_BYTES = 1024 * 1024
KEY_MAX_CHARS = 300  # posts.key is VARCHAR(300)
_TRUE = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
_Loader: type = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_FENCE_RE = re.compile(r"^-{3,}\s*$")
_KEY_RE = re.compile(r"^([A-Za-z_][\w-]*)\s*:")


class _Report(Protocol):
    """Where a field check reports a problem: the message and the front-matter key it is about."""

    def __call__(self, message: str, key: str | None = None, /) -> None: ...


class _StringsYAML(frontmatter.YAMLHandler):  # type: ignore[misc, name-defined]  # python-frontmatter has no stubs
    def load(self, fm: str, **kwargs: object) -> Any:
        simple = simple_front_matter(fm)
        if simple is not None:
            return simple
        return yaml.load(fm, Loader=_Loader)  # noqa: S506 - the base loader builds only str/list/dict


# The front matter authors write is a flat list of `key: value` lines with plain, quoted or [a, b]
# values. For exactly those lines YAML's meaning is fixed, so they are read here, ten times faster
# than PyYAML (whose constructor is Python even with libyaml); anything else -- escapes, comments,
# blocks, anchors, nesting, a stray ": " -- goes to PyYAML, which has the last word.
_FLOW_ITEM = r'(?:"[^"\\\n,]*"|[\w./][^,?\[\]{}#:"\'\n]*?)'  # "quoted" (no comma) or plain
_SIMPLE_LINE = re.compile(rf"""
    ([A-Za-z_][\w-]*):[ ]+
    (?: "([^"\\\n]*)"                                       # "double-quoted", no escapes
      | '([^'\n]*)'                                         # 'single-quoted', no '' inside
      | \[[ ]*((?:{_FLOW_ITEM}(?:[ ]*,[ ]*{_FLOW_ITEM})*)?)[ ]*\]   # [a, "b"]
      | ([^\s\-?:,\[\]{{}}\#&*!|>'"%@`][^\n]*?)               # plain
    )[ ]*""", re.VERBOSE)
# characters PyYAML refuses, and tabs (which YAML treats specially in places): left to PyYAML
_NOT_SIMPLE_CHARS = re.compile("[^\x0A\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]")
_PLAIN_ENDS = re.compile(r": |:$| #")  # a plain value would end (or break) here


def simple_front_matter(fm: str) -> dict[str, str | list[str]] | None:
    """The mapping YAML's base loader would build from ``fm``, or None when ``fm`` is not that simple."""
    if _NOT_SIMPLE_CHARS.search(fm):
        return None
    out: dict[str, str | list[str]] = {}
    for line in fm.split("\n"):
        if not line:
            continue
        m = _SIMPLE_LINE.fullmatch(line)
        if m is None:
            return None
        key, double, single, items, plain = m.groups()
        if plain is not None:
            if _PLAIN_ENDS.search(plain):
                return None
            out[key] = plain
        elif items is not None:
            out[key] = [item.strip(" ").removeprefix('"').removesuffix('"') for item in items.split(",")] if items else []
        else:
            out[key] = double if double is not None else single
    return out or None


_HANDLER = _StringsYAML()


@dataclass(frozen=True)
class MediaFile:
    path: str  # relative to content/, POSIX
    size: int
    mtime_ns: int

    @property
    def is_image(self) -> bool:
        return self.path.lower().endswith(IMAGE_SUFFIXES)


@dataclass(frozen=True)
class PostSource:
    key: str
    path: Path
    title: str
    milestone: str | None
    time_text: str
    scheduled_at: datetime  # aware UTC
    channels: tuple[str, ...]
    media: tuple[MediaFile, ...]
    approvals: int
    author: str | None
    pin: bool
    silent: bool
    preview: bool
    body: str
    rendered: Rendered
    content_hash: str
    file_hash: str
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    def options(self) -> dict[str, Any]:
        return {"pin": self.pin, "silent": self.silent, "preview": self.preview}


@dataclass
class ContentScan:
    posts: list[PostSource]
    problems: list[Problem]
    files: dict[str, Path]  # key -> path for every .md seen, broken or not

    @property
    def warnings(self) -> list[Problem]:
        """Warnings of the valid posts (severity "warning"): worth showing, not a reason to fail."""
        return [w for p in self.posts for w in p.warnings]


def post_key(path: Path, content_dir: Path) -> str:
    return path.relative_to(content_dir).with_suffix("").as_posix()


def iter_post_files(content_dir: Path) -> list[Path]:
    """Every Markdown file under content/, in a stable order (hidden folders skipped)."""
    return [Path(p) for p, _ in iter_post_entries(content_dir)]


def iter_post_entries(content_dir: Path) -> list[tuple[str, str]]:
    """``(path, key)`` of every post file, as ``iter_post_files`` and ``post_key`` give them, but as
    plain strings: no ``Path`` object is built per file (the no-change resync walks every file)."""
    top = os.fspath(content_dir)
    out: list[tuple[str, str]] = []
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = root[len(top):].lstrip(os.sep)
        prefix = rel.replace(os.sep, "/") + "/" if rel else ""
        join = os.path.join
        out.extend((join(root, f), prefix + f[:-3]) for f in sorted(files) if f.endswith(".md") and not f.startswith("."))
    return out


def scan_content(config: Config) -> ContentScan:
    posts: list[PostSource] = []
    problems: list[Problem] = []
    files: dict[str, Path] = {}
    if not config.content_dir.is_dir():
        return ContentScan([], [Problem(config.content_dir, None, inline("content.no_folder"))], {})
    for name, key in iter_post_entries(config.content_dir):
        files[key] = path = Path(name)
        raw = read_post_file(name, config.content_dir)
        if isinstance(raw, Problem):
            problems.append(raw)
            continue
        post, found = load_post(path, raw, config, key=key)
        problems.extend(found)
        if post is not None:
            posts.append(post)
    return ContentScan(posts, problems, files)


def read_post_file(name: str, content_dir: Path) -> bytes | Problem:
    """The bytes of one post file, or the reason it cannot be one: a symlink leaving ``content_dir``
    (resolved), anything but a regular file (a FIFO would block the reader forever), a file too large.
    Opened non-blocking and checked with ``fstat``, so nothing swapped in after the walk can hang us."""
    path = Path(name)
    try:
        if os.path.islink(name) and not Path(os.path.realpath(name)).is_relative_to(content_dir):
            return Problem(path, None, inline("content.symlink_out"))
        return _read_regular(name, POST_FILE_MAX_BYTES)
    except _NotRegular as exc:
        return Problem(path, None, str(exc))
    except OSError as exc:
        return Problem(path, None, f"{inline('content.cannot_read')}: {exc.strerror}")


class _NotRegular(Exception):
    """A path that is not a regular file, or is larger than allowed: the message says which, vi / en."""


_FILE_TYPES = ((stat.S_ISDIR, pair("content.kind.folder")), (stat.S_ISFIFO, pair("content.kind.fifo")),
               (stat.S_ISSOCK, pair("content.kind.socket")), (stat.S_ISCHR, pair("content.kind.device")),
               (stat.S_ISBLK, pair("content.kind.device")))


def not_regular(st: os.stat_result) -> tuple[str, str] | None:
    """What a non-regular file is, (vi, en), or None for a regular file."""
    if stat.S_ISREG(st.st_mode):
        return None
    return next((names for test, names in _FILE_TYPES if test(st.st_mode)), pair("content.kind.other"))


def _read_regular(name: str | Path, limit: int) -> bytes:
    fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if (kind := not_regular(st)) is not None:
            raise _NotRegular(inline("content.not_regular", kind=kind))
        if st.st_size > limit:
            raise _NotRegular(inline("content.too_large", size=st.st_size, limit=limit))
        data = f.read(limit + 1)
    if len(data) > limit:
        raise _NotRegular(inline("content.too_large_read", limit=limit))
    return data


def load_post(path: Path, raw: bytes, config: Config, *, key: str | None = None) -> tuple[PostSource | None, list[Problem]]:
    """Parse one post file; returns the post (or None) and every problem found in it.

    Warnings (severity "warning") never reject a post: they travel in ``PostSource.warnings``.
    ``key`` saves recomputing ``post_key(path, config.content_dir)`` when the caller has it.
    Nothing raised while reading one file escapes: a bug of ours becomes that file's problem too,
    so every other post still syncs (the fuzz tests check that this last resort is never reached).
    """
    try:
        return _load_post(path, raw, config, key)
    except RecursionError:
        return None, [Problem(path, 1, inline("content.nested"))]
    except Exception as exc:  # noqa: BLE001 - the last resort of per-file isolation, see above
        return None, [Problem(path, None, f"{inline('content.unexpected')}: {type(exc).__name__}: {exc}")]


UNEXPECTED = t("content.unexpected", "vi")


def _load_post(path: Path, raw: bytes, config: Config, key: str | None) -> tuple[PostSource | None, list[Problem]]:
    """The steps of ``load_post``: the file's text, its front matter, then each field, then the body."""
    if key is None:
        key = post_key(path, config.content_dir)
    text = _decode(path, raw, key)
    if isinstance(text, list):
        return None, text
    parsed = _split_front_matter(path, text)
    if isinstance(parsed, list):
        return None, parsed
    meta, body = parsed
    r = _PostReader(path, text, config)
    if not r.check_keys(meta):
        return None, r.problems
    title, milestone_id, time_text, scheduled = r.timing(meta)
    channels, kinds, media = r.destinations(meta)
    approvals, author, flags = r.options(meta)
    body, rendered = r.body(body, title, kinds, len(media))
    if r.problems or scheduled is None:
        return None, r.problems
    post = PostSource(
        key=key, path=path, title=title, milestone=milestone_id, time_text=time_text or "", scheduled_at=scheduled,
        channels=tuple(dict.fromkeys(channels)), media=tuple(media), approvals=approvals, author=author,
        pin=flags["pin"], silent=flags["silent"], preview=flags["preview"], body=body, rendered=rendered,
        content_hash=_content_hash(meta, channels, body, media, config), file_hash=hashlib.sha256(raw).hexdigest(),
        warnings=tuple(r.warnings),
    )
    return post, []


def _decode(path: Path, raw: bytes, key: str) -> str | list[Problem]:
    """The file's text, or why it cannot be a post (its name, its encoding, control characters)."""
    if (bad_name := _key_problem(key)) is not None:
        return [Problem(path, None, bad_name)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [Problem(path, raw[: exc.start].count(b"\n") + 1, inline("content.not_utf8"))]
    text = text.removeprefix("\ufeff")  # a BOM, as some Windows editors write, is fine
    return _control_characters(path, text) or text


def _split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str] | list[Problem]:
    """(front matter, body), or where the front matter is broken."""
    try:
        meta, body = frontmatter.parse(text, handler=_HANDLER)
    except yaml.YAMLError as exc:
        # where an unclosed [, { or quote began (YAML notices only further on), else where YAML gave up;
        # the front matter YAML sees starts with the rest of the opening --- line: its line 0 is line 1
        context, problem = getattr(exc, "context", None), getattr(exc, "problem", None) or exc
        unclosed = context is not None and ("flow" in context or "scalar" in context)
        mark = getattr(exc, "context_mark" if unclosed else "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        detail = f"{context}: {problem}" if context else f"{problem}"
        return [Problem(path, line, f"{inline('content.bad_yaml')}: {detail}")]
    if not isinstance(meta, dict):
        return [Problem(path, 1, inline("content.not_pairs"))]
    if not text.startswith("---"):
        return [Problem(path, 1, inline("content.no_front_matter"))]
    return meta, str(body)


def _content_hash(meta: dict[str, Any], channels: list[str], body: str, media: list[MediaFile], config: Config) -> str:
    """What approvals are given to: the front matter, the effective channels, the body and the media bytes."""
    # the effective channels count too: a changed [defaults] sends the post somewhere else, which needs a new approval
    normalized = {**meta, "channels": list(dict.fromkeys(channels))}
    h = hashlib.sha256(json.dumps(normalized, ensure_ascii=False, sort_keys=True).encode())
    h.update(b"\0" + body.encode())
    for m in media:
        h.update(b"\0" + m.path.encode() + b"\0" + _read_regular(config.content_dir / m.path, MEDIA_MAX_BYTES))
    return h.hexdigest()


class _PostReader:
    """Checks one post's fields, collecting every problem (with its front-matter line) and warning."""

    def __init__(self, path: Path, text: str, config: Config) -> None:
        self.path, self.text, self.config = path, text, config
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self._lines: dict[str, int] = {}  # line of each front-matter key, looked up only when there is something to report

    def line_of(self, key: str | None) -> int:
        if not self._lines:
            self._lines.update(_front_matter_lines(self.text))
        return self._lines.get(key or "", 1)

    def err(self, message: str, key: str | None = None, *, line: int | None = None) -> None:
        self.problems.append(Problem(self.path, line or self.line_of(key), message))

    def warn(self, message: str, key: str | None = None) -> None:
        self.warnings.append(Problem(self.path, self.line_of(key), message, severity="warning"))

    def check_keys(self, meta: dict[str, Any]) -> bool:
        """False when a key or value holds a control character (nothing else is read then); unknown keys
        are reported and reading goes on."""
        for k, v in meta.items():  # YAML escapes ("\0") make control characters the text check cannot see
            for item in [k, *(v if isinstance(v, list) else [v])]:
                if isinstance(item, str) and (m := CONTROL_RE.search(item)):
                    self.err(inline("content.key_control", key=printable(k), code=f"{ord(m.group()):04X}"), printable(k))
        if self.problems:
            return False
        for k in meta:
            if k not in FRONT_MATTER_KEYS:
                self.err(inline("content.unknown_key", key=k, allowed=", ".join(FRONT_MATTER_KEYS)), k)
        return True

    def timing(self, meta: dict[str, Any]) -> tuple[str, str | None, str | None, datetime | None]:
        """Title, milestone, time expression and the time it resolves to (None if it does not)."""
        config, err = self.config, self.err
        title = _scalar(meta, "title", err) or ""
        if not title:
            err(inline("content.no_title"), line=1)
        milestone_id = _scalar(meta, "milestone", err)
        milestone = config.milestone(milestone_id) if milestone_id else None
        if milestone_id and milestone is None:
            err(inline("content.unknown_milestone", milestone=milestone_id,
                       known=", ".join(m.id for m in config.milestones)), "milestone")
        time_text = _scalar(meta, "time", err)
        scheduled: datetime | None = None
        if time_text is None:
            err(inline("content.no_time"), line=1)
        elif milestone is not None or not milestone_id:
            try:
                scheduled = resolve_post_time(time_text, milestone.span if milestone else None, config.tz).astimezone(UTC)
            except TimeExpressionError as exc:
                err(str(exc), "time")
        return title, milestone_id, time_text, scheduled

    def destinations(self, meta: dict[str, Any]) -> tuple[list[str], set[str], list[MediaFile]]:
        """The channels (or the defaults), their kinds, and the media checked against those kinds."""
        config, err = self.config, self.err
        channels = _str_list(meta, "channels", err)
        if channels is None:
            channels = list(config.default_channels)
        for ch in channels:
            if ch not in config.channels:
                err(inline("content.unknown_channel", channel=ch, known=", ".join(config.channels)), "channels")
        if not channels:
            err(inline("content.no_channels"), "channels")
        kinds = {config.channels[c].kind for c in channels if c in config.channels}
        media = _media(self.path, config, _str_list(meta, "media", err) or [], lambda m: err(m, "media"), kinds)
        _zalo_urls(config, kinds, media, err, self.warn)
        return channels, kinds, media

    def options(self, meta: dict[str, Any]) -> tuple[int, str | None, dict[str, bool]]:
        """Approvals needed, author, and the pin / silent / preview flags."""
        config, err = self.config, self.err
        approvals = config.approval.required
        if (a := _scalar(meta, "approvals", err)) is not None:
            if re.fullmatch(r"[0-9]{1,6}", a) and int(a) >= 1:
                approvals = int(a)
            else:
                err(inline("content.bad_approvals", got=a[:40]), "approvals")
        if approvals > config.approver_count:
            err(inline("content.held_forever", approvals=approvals, count=config.approver_count), "approvals")
        author = _scalar(meta, "author", err)
        if author is not None and author not in config.people:
            err(inline("content.unknown_author", author=author), "author")
        _scalar(meta, "source", err)  # free text, but one value
        flags = {k: _flag(meta, k, d, err) for k, d in (("pin", False), ("silent", False), ("preview", True))}
        return approvals, author, flags

    def body(self, body: str, title: str, kinds: set[str], media_count: int) -> tuple[str, Rendered]:
        """The body, rendered, and whether it fits every channel it goes to."""
        text = self.text
        body = body.strip()
        if not body:
            self.err(inline("content.empty_body"), line=len(text.splitlines()))
        rendered = render_markdown(body, title=title or None)
        if misfits := check_fits(rendered, kinds=kinds, media_count=media_count):
            body_line = len(text[: text.find(body)].splitlines()) + 1 if body else len(text.splitlines())
            for message in misfits:
                self.err(message, line=body_line)
        return body, rendered


def _key_problem(key: str) -> str | None:
    """A post's key (its path under content/) goes into the store: it must be text the database takes."""
    shown = printable(key)
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return f"{inline('content.name_not_utf8')}: '{shown}'"
    if CONTROL_RE.search(key):
        return f"{inline('content.name_control')}: '{shown}'"
    if len(key) > KEY_MAX_CHARS:
        return inline("content.path_too_long", length=len(key), limit=KEY_MAX_CHARS)
    return None


def _control_characters(path: Path, text: str) -> list[Problem]:
    """NUL and other control characters (never typed on purpose; PostgreSQL refuses NUL), each line once."""
    out: list[Problem] = []
    for m in CONTROL_RE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        if out and out[-1].line == line:
            continue
        out.append(Problem(path, line, inline("content.control_char", code=f"{ord(m.group()):04X}")))
        if len(out) >= 10:
            break
    return out


def _front_matter_lines(text: str) -> dict[str, int]:
    """Line of each top-level front-matter key (the YAML base loader keeps no positions we can map cheaply)."""
    out: dict[str, int] = {}
    for no, line in enumerate(text.splitlines()[1:], start=2):
        if _FENCE_RE.match(line):
            break
        if m := _KEY_RE.match(line):
            out.setdefault(m.group(1), no)
    return out


def _scalar(meta: dict[str, Any], key: str, err: _Report) -> str | None:
    v = meta.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        err(inline("content.not_scalar", key=key), key)
        return None
    return v.strip() or None


def _str_list(meta: dict[str, Any], key: str, err: _Report) -> list[str] | None:
    v = meta.get(key)
    if v is None:
        return None
    if isinstance(v, str):
        return [v.strip()] if v.strip() else []
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        err(inline("content.not_list", key=key), key)
        return []
    return [x.strip() for x in v]


def _flag(meta: dict[str, Any], key: str, default: bool, err: _Report) -> bool:
    v = _scalar(meta, key, err)
    if v is None:
        return default
    if v.lower() not in _TRUE:
        err(inline("content.not_flag", key=key), key)
        return default
    return _TRUE[v.lower()]


def _media(path: Path, config: Config, items: list[str], err: Callable[[str], None], kinds: set[str] | frozenset[str] = frozenset()) -> list[MediaFile]:
    """Resolve, stat and check each media file against the limits of the post's channel kinds."""
    root = config.content_dir
    specs = [s for k, s in SPECS.items() if k in kinds]
    out: list[MediaFile] = []
    for item in items:
        try:
            target = (path.parent / item).resolve()  # symlinks followed: one leaving content/ is refused below
        except (OSError, RuntimeError, ValueError):  # a symlink loop
            err(inline("content.media_missing", item=item))
            continue
        if not target.is_relative_to(root):
            err(inline("content.media_outside", item=item))
            continue
        try:
            st = target.stat()
        except (OSError, ValueError):
            err(inline("content.media_missing", item=item))
            continue
        if (kind := not_regular(st)) is not None:  # checked before anything opens it: a FIFO would block forever
            err(inline("content.media_not_regular", item=item, kind=kind))
            continue
        rel = target.relative_to(root).as_posix()
        if st.st_size > MEDIA_MAX_BYTES:
            err(inline("content.media_too_large", item=item, size=st.st_size, limit=MEDIA_MAX_BYTES))
            continue
        for problem in _media_misfits(specs, config, item, rel, st.st_size):
            err(problem)
        out.append(MediaFile(rel, st.st_size, st.st_mtime_ns))
    return out


def _media_misfits(specs: list[KindSpec], config: Config, item: str, rel: str, size: int) -> list[str]:
    """What the post's channel kinds refuse in one media file (each message once)."""
    out: list[str] = []
    for spec in specs:
        rule = spec.media_rule(rel)
        if rule is None or not rule.takes(rel):
            accepted = spec.media.get(MediaKind.IMAGE)
            suffixes = "/".join(accepted.suffixes or IMAGE_SUFFIXES) if accepted else "-"
            problem = inline("media.refused", label=spec.label, suffixes=suffixes, item=item)
        elif spec.image_limit_setting and media_kind(rel) is MediaKind.IMAGE:
            limit = int(getattr(config.zalo, spec.image_limit_setting))
            problem = (inline("media.too_large_setting", item=item, label=spec.label, size=size, limit=limit,
                             setting=spec.image_limit_setting) if size > limit else "")
        else:
            limit = rule.max_bytes or size
            problem = inline("media.too_large", item=item, size=size, limit=limit) if size > limit else ""
        if problem and problem not in out:
            out.append(problem)
    return out


def _zalo_urls(config: Config, kinds: set[str], media: list[MediaFile], err: _Report, warn: _Report) -> None:
    """Zalo takes article covers and bot images only by public URL: check the settings that provide one."""
    media_base_url = getattr(config.zalo, "media_base_url", "") or ""
    if "zalo_oa_broadcast" in kinds:
        if media and not media_base_url:
            err(inline("content.zalo_oa_images"), "media")
        elif not media and not (getattr(config.zalo, "default_cover_url", "") or ""):
            err(inline("content.zalo_oa_cover"), "channels")
    if "zalo_bot" in kinds and not media_base_url:
        images = [m.path for m in media if m.is_image]
        if images:
            warn(inline("content.zalo_bot_images", count=len(images), images=", ".join(images)), "media")
