"""Writers of the report against the plan (campaign.report counts): XLSX, self-contained HTML, CSV.

The XLSX opens on a summary shaped like the report table units send up (numbered phases and
milestones, a total row), then one sheet per detail; headers frozen, columns fitted to their text.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from xlsxwriter import Workbook

from campaign.config import Config
from campaign.report import Report, Tally
from campaign.sharekit import percent
from campaign.texts import t

ROMAN = ("I", "II", "III", "IV", "V")
TALLY_COLS = ("col.planned", "col.approved", "col.on_time", "col.late", "col.late_worst", "col.missed", "col.failed",
              "col.retracted", "col.corrected", "col.turn_median", "col.turn_worst")

Cell = str | int | float | None  # what a report cell holds: text, a count, a ratio, or nothing
Row = list[Cell]


def _day(d: datetime | None) -> str:
    return f"{d:%d/%m/%Y}" if d else ""


def _hours(d: timedelta | None) -> float | str:
    return round(d.total_seconds() / 3600, 1) if d is not None else ""


def tally_cells(tl: Tally) -> list[Cell]:
    return [tl.planned, tl.approved, tl.on_time, tl.late, int(tl.late_worst.total_seconds() // 60) if tl.late else "",
            tl.missed, tl.failed, tl.retracted, tl.corrected, _hours(tl.turnaround_median), _hours(tl.turnaround_worst)]


def period(report: Report, lang: str) -> str:
    start = _day(report.start) or (_day(min(p.at for p in report.posts)) if report.posts else "…")
    end = _day(report.end - timedelta(days=1)) if report.end else (_day(max(p.at for p in report.posts)) if report.posts else "…")
    return t("report.period", lang, start=start, end=end)


def summary_rows(report: Report, config: Config, lang: str) -> list[Row]:
    """The official table: phases numbered I, II, III with their milestones 1, 2, … under each, then the total."""
    rows: list[Row] = []
    for i, (phase, tally) in enumerate(report.by_phase.items()):
        rows.append([ROMAN[i], t(f"phase.{phase}", lang), *tally_cells(tally)])
        n = 0
        for m in config.milestones:
            if m.phase == phase and m.id in report.by_milestone:
                n += 1
                rows.append([n, m.title, *tally_cells(report.by_milestone[m.id])])
    rows.append(["", t("report.total", lang), *tally_cells(report.total)])
    return rows


def detail_tables(report: Report, config: Config, lang: str) -> list[tuple[str, list[str], list[Row]]]:
    """(sheet name, headers, rows) of each detail sheet."""
    h = [t(k, lang) for k in TALLY_COLS]
    titles = {m.id: m.title for m in config.milestones}
    label = {k: c.label for k, c in config.channels.items()}
    phases = {m.id: t(f"phase.{m.phase}", lang) for m in config.milestones}
    milestones: list[Row] = [[titles.get(mid, t("phase.none", lang)), phases.get(mid, ""), *tally_cells(tl)]
                                      for mid, tl in report.by_milestone.items()]
    channels: list[Row] = [[label.get(k, k), k, *tally_cells(tl)] for k, tl in report.by_channel.items()]
    names = {k: p.name for k, p in config.people.items()}
    authors: list[Row] = [[names.get(a, a), *tally_cells(tl)] for a, tl in report.by_author.items()]
    posts: list[Row] = [[p.number, p.key, p.title, _day(p.at), f"{p.at:%H:%M}", titles.get(p.milestone or "", ""),
              ", ".join(label.get(c, c) for c in p.channels), names.get(p.author, p.author), t(f"outcome.{p.outcome}", lang),
              "✓" if p.approved else "", int(p.late.total_seconds() // 60) if p.late else "",
              ", ".join(label.get(c, c) for c in p.failed_channels), "✓" if p.corrected else "", _hours(p.turnaround)]
             for p in report.posts]
    incidents: list[Row] = [[f"{i.at:%d/%m/%Y %H:%M}", t(f"incident.{i.kind}", lang), i.post_key, i.title,
                  label.get(i.channel or "", i.channel or ""), i.detail] for i in report.incidents]
    return [
        (t("sheet.milestones", lang), [t("col.milestone", lang), t("col.phase", lang), *h], milestones),
        (t("sheet.channels", lang), [t("col.channel", lang), "key", *h], channels),
        (t("sheet.authors", lang), [t("col.author", lang), *h], authors),
        (t("sheet.posts", lang), [t(k, lang) for k in ("col.post_no", "col.key", "col.title", "col.date", "col.time",
                                                       "col.milestone", "col.channel", "col.author", "col.status",
                                                       "col.approved", "col.late_min", "col.failed", "col.corrected",
                                                       "col.turnaround")], posts),
        (t("sheet.incidents", lang), [t(k, lang) for k in ("col.at", "col.kind", "col.key", "col.title", "col.channel",
                                                           "col.detail")], incidents),
        *share_tables(report, config, lang),
    ]


def share_tables(report: Report, config: Config, lang: str) -> list[tuple[str, list[str], list[Row]]]:
    """One table per unit: each post it got a kit for, how many of its members shared it and who."""
    names = {k: p.name for k, p in config.people.items()}
    head = [t(k, lang) for k in ("col.post_no", "col.title", "col.kit_at", "col.shares", "col.members", "col.rate", "col.sharers")]
    out: list[tuple[str, list[str], list[Row]]] = []
    for unit in config.units:
        rows: list[Row] = [[ln.post_id, ln.title, f"{ln.kit_at.astimezone(config.tz):%H:%M %d/%m/%Y}", len(ln.sharers),
                                  ln.members or "", percent(ln.rate) if ln.members else "",
                                  ", ".join(names.get(p, p) for p in ln.sharers)] for ln in report.shares.get(unit.id, [])]
        out.append((t("sheet.shares", lang, unit=unit.id)[:31], head, rows))
    return out


def _widths(headers: list[str], rows: list[Row], at_least: dict[int, int] | None = None) -> dict[int, int]:
    """Each column as wide as its longest value (headers wrap, so they count up to 18 characters); a column at
    a time, so the 140,000 values of the detail sheet are measured in C loops."""
    widths = {c: min(len(text), 18) for c, text in enumerate(headers, 1)}
    for c, column in enumerate(itertools.zip_longest(*rows, fillvalue=""), 1):
        widths[c] = max(widths.get(c, 0), max(map(len, map(str, column))))
    for c, n in (at_least or {}).items():
        widths[c] = max(widths.get(c, 0), n)
    return widths


def _sheet(wb: Workbook, fmt: _Formats, name: str, headers: list[str], rows: list[Row], *, top: list[Row] | None = None,
           boxed: bool = False, at_least: dict[int, int] | None = None) -> None:
    """One sheet: ``top`` lines, the header row, the rows; widths fitted, panes frozen below the header.
    Plain rows go out a row at a time (``write_row``: no object per cell); only the small summary has formats."""
    ws = wb.add_worksheet(name)
    for c, width in _widths(headers, rows, at_least).items():
        ws.set_column(c - 1, c - 1, min(60, max(6, width + 2)))
    top = top or []
    ws.freeze_panes(len(top) + 1, 0)
    for r, line in enumerate(top):
        if line:
            ws.write_row(r, 0, line, fmt.bold if line[0] else None)
    base = len(top)
    ws.write_row(base, 0, headers, fmt.header)
    for r, row in enumerate(rows, base + 1):
        if boxed:  # the summary: a small table, boxed like the paper one, phase and total rows in bold
            ws.write_row(r, 0, row, fmt.bold_box if isinstance(row[0], str) else fmt.box)
        else:
            ws.write_row(r, 0, row)


class _Formats:
    """The workbook's few cell formats, made once (XlsxWriter keeps each format it is given)."""

    def __init__(self, wb: Workbook) -> None:
        self.bold = wb.add_format({"bold": True})
        self.header = wb.add_format({"bold": True, "border": 1, "text_wrap": True, "align": "center", "valign": "vcenter"})
        self.box = wb.add_format({"border": 1})
        self.bold_box = wb.add_format({"bold": True, "border": 1})


def write_xlsx(report: Report, config: Config, path: Path | IO[bytes], lang: str = "vi") -> None:
    """The summary (an official report table: title, period, numbered phases and milestones, total), then a
    sheet per detail. XlsxWriter, not openpyxl: a row of plain values costs no cell objects, which made the
    10,000-post report's workbook 1.5x faster (docs/benchmarks.md, "Report")."""
    # in memory (no temporary files); a title starting with "=" stays text, never a formula
    wb = Workbook(str(path) if isinstance(path, Path) else path, {"in_memory": True, "strings_to_formulas": False,
                                                                  "strings_to_numbers": False, "strings_to_urls": False})
    headers = [t("col.no", lang), t("col.item", lang), *(t(k, lang) for k in TALLY_COLS)]
    top: list[Row] = [[report.campaign], [t("report.title", lang)], [period(report, lang)],
           [t("report.made", lang, at=f"{report.made_at:%H:%M %d/%m/%Y}", zone=report.zone)], []]
    fmt = _Formats(wb)
    _sheet(wb, fmt, t("sheet.summary", lang), headers, summary_rows(report, config, lang), top=top, boxed=True,
           at_least={1: 5, 2: 30})
    for name, head, body in detail_tables(report, config, lang):
        _sheet(wb, fmt, name, head, body or [[t("report.none", lang)]])
    wb.close()


def write_csv(report: Report, config: Config, lang: str = "vi") -> str:
    """One row per post (the detail sheet): what a spreadsheet or a script reads back; with [[units]], a
    section per unit follows (a blank row, its name, its table)."""
    name, head, rows = detail_tables(report, config, lang)[3]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(head)
    writer.writerows(rows)
    for name, head, rows in share_tables(report, config, lang):  # then a section per unit, after a blank line
        writer.writerows([[], [name], head, *rows])
    return buf.getvalue()


def write_html(report: Report, config: Config, lang: str = "vi") -> str:
    """One self-contained page (inline style, no network) with every table."""
    def table(headers: list[str], rows: list[Row]) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    parts = [f"<h1>{html.escape(t('report.title', lang))}</h1>", f"<p><b>{html.escape(report.campaign)}</b></p>",
             f"<p>{html.escape(period(report, lang))}<br>"
             f"{html.escape(t('report.made', lang, at=f'{report.made_at:%H:%M %d/%m/%Y}', zone=report.zone))}</p>",
             f"<h2>{html.escape(t('sheet.summary', lang))}</h2>",
             table([t("col.no", lang), t("col.item", lang), *(t(k, lang) for k in TALLY_COLS)],
                   summary_rows(report, config, lang))]
    for name, head, rows in detail_tables(report, config, lang):
        parts += [f"<h2>{html.escape(name)}</h2>", table(head, rows) if rows else f"<p>{t('report.none', lang)}</p>"]
    style = ("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:1.5em}"
             "th,td{border:1px solid #999;padding:.2em .5em;text-align:left}th{background:#eee}")
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(t("report.title", lang))}'
            f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>\n")
