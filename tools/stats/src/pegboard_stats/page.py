"""The HTML pages: a table per namespace, the latency chart as SVG, the gc page.

Everything is rendered on the server: no script, no inline style (the
stylesheet is served beside the page, so a strict Content-Security-Policy
such as ``default-src 'self'`` allows it), no CDN. Every value is escaped:
third-party namespaces are shown as they are.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from .hub import NS_REQUESTS

__all__ = ["STYLESHEET", "latency_chart", "render_gc_page", "render_page"]

STYLESHEET = b"""\
body { font: 14px/1.4 system-ui, sans-serif; margin: 1em 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; } h3 { font-size: 1em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { padding: 0.2em 0.6em; border: 1px solid #99a; text-align: left; }
th { background: #dde3ea; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
form.inline { display: inline; margin-left: 1em; }
.chart { max-width: 100%; height: auto; }
.chart .bar { fill: #4a78b0; } .chart .axis { stroke: #666; } .chart text { font-size: 11px; }
.muted { color: #667; }
"""

#: Keys shown as dates (seconds since the epoch) and as durations (seconds).
_DATES = {"Start Time", "Current Time", "Since", "Checked", "Snapshot"}
_SECONDS = {"Uptime", "Total Time", "Avg", "p50", "p90", "p99", "Processing Time", "Time/Request"}


def _format(key: str, value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else ("yes" if value else "no")
    if isinstance(value, (int, float)) and key in _DATES and value > 0:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(value)) + " UTC"
    if isinstance(value, float):
        if key in _SECONDS:
            return f"{value * 1000:.3f} ms" if value < 1 else f"{value:.3f} s"
        return f"{value:.3f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_format(key, v) for v in value)
    return str(value)


def _cell(key: str, value: Any) -> str:
    css = ' class="num"' if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
    return f"<td{css}>{escape(_format(key, value))}</td>"


def _pause_form(base: str, namespace: str, enabled: bool) -> str:
    action, label = ("pause", "Pause") if enabled else ("resume", "Resume")
    return (
        f'<form class="inline" method="post" action="{escape(base)}/{action}">'
        f'<input type="hidden" name="namespace" value="{escape(namespace)}">'
        f'<button type="submit">{label}</button></form>'
    )


def _scalars_table(pairs: list[tuple[str, Any]]) -> str:
    rows = []
    for start in range(0, len(pairs), 3):
        cells = "".join(
            f"<th>{escape(key)}</th>{_cell(key, value)}" for key, value in pairs[start : start + 3]
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table>{''.join(rows)}</table>" if rows else ""


def _records_table(title: str, records: Sequence[Mapping[str, Any]], id_column: bool) -> str:
    headers: list[str] = []
    for record in records:
        for key in record:
            if key not in headers and key != "\0id":
                headers.append(key)
    head = ("<th>ID</th>" if id_column else "") + "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for record in records:
        first = f"<td>{escape(str(record.get(chr(0) + 'id', '')))}</td>" if id_column else ""
        cells = "".join(_cell(h, record.get(h, "")) for h in headers)
        body.append(f"<tr>{first}{cells}</tr>")
    rows = "".join(body) or f'<tr><td class="muted" colspan="{len(headers) + 1}">none</td></tr>'
    return f"<h3>{escape(title)}</h3><table><tr>{head}</tr>{rows}</table>"


def _collection(title: str, value: Any) -> str:
    if isinstance(value, Mapping):
        records = [
            {"\0id": key, **(record if isinstance(record, Mapping) else {"Value": record})}
            for key, record in value.items()
        ]
        return _records_table(title, records, id_column=True)
    rows: list[Mapping[str, Any]] = [r if isinstance(r, Mapping) else {"Value": r} for r in value]
    return _records_table(title, rows, id_column=False)


def latency_chart(buckets: Sequence[float], counts: Sequence[int]) -> str:
    """An SVG bar chart of the requests in each latency bucket (the last one is +Inf)."""
    width, height, left, bottom, top = 720, 220, 48, 40, 12
    bars = len(counts)
    if not bars:
        return ""
    peak = max(max(counts), 1)
    step = (width - left - 8) / bars
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
        "<title>Requests by latency</title>",
        f'<line class="axis" x1="{left}" y1="{height - bottom}" x2="{width - 4}" '
        f'y2="{height - bottom}"/>',
        f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{peak}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end">0</text>',
    ]
    plot = height - bottom - top
    for index, count in enumerate(counts):
        bar = plot * count / peak
        x = left + index * step + 2
        y = height - bottom - bar
        label = _bucket_label(buckets, index)
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(step - 4, 1):.1f}" '
            f'height="{bar:.1f}"><title>{escape(label)}: {count}</title></rect>'
        )
        parts.append(
            f'<text x="{x + step / 2 - 2:.1f}" y="{height - bottom + 14}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    parts.append(
        f'<text x="{width / 2:.0f}" y="{height - 6}" text-anchor="middle">'
        "latency (upper bound of each bucket)</text></svg>"
    )
    return "".join(parts)


def _bucket_label(buckets: Sequence[float], index: int) -> str:
    if index >= len(buckets):
        return f">{_duration(buckets[-1])}" if buckets else "all"
    return f"≤{_duration(buckets[index])}"


def _duration(seconds: float) -> str:
    if seconds < 1:
        milliseconds = seconds * 1000
        return f"{milliseconds:g}ms" if math.isfinite(milliseconds) else "inf"
    return f"{seconds:g}s"


def _document(title: str, base: str, body: str) -> bytes:
    home = base or "/"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{escape(base)}/stats.css"></head><body>'
        f"<h1>{escape(title)}</h1>"
        f'<nav><a href="{escape(home)}">Statistics</a><a href="{escape(base)}/data">JSON</a>'
        f'<a href="{escape(base)}/gc">Objects and gc</a></nav>'
        f"{body}</body></html>\n"
    ).encode()


def render_page(report: Mapping[str, Any], base: str) -> bytes:
    """The statistics page: pegboard's namespaces first, then the others, by name."""
    order = sorted(report, key=lambda name: (not name.startswith("pegboard"), name))
    sections = []
    for name in order:
        namespace = report[name]
        if not isinstance(namespace, Mapping):
            continue
        scalars = []
        collections = []
        for key, value in sorted(namespace.items()):
            if isinstance(value, (Mapping, list)) and key not in (
                "Latency Buckets",
                "Latency Histogram",
            ):
                collections.append(_collection(key, value))
            elif key not in ("Latency Buckets", "Latency Histogram"):
                scalars.append((key, value))
        heading = f"<h2>{escape(name)}"
        if "Enabled" in namespace:
            heading += _pause_form(base, name, bool(namespace["Enabled"]))
        heading += "</h2>"
        chart = ""
        if name == NS_REQUESTS:
            chart = "<h3>Requests by latency</h3>" + latency_chart(
                namespace.get("Latency Buckets", []), namespace.get("Latency Histogram", [])
            )
        sections.append(heading + _scalars_table(scalars) + chart + "".join(collections))
    return _document("Statistics", base, "".join(sections))


def render_gc_page(report: Mapping[str, Any], base: str) -> bytes:
    """The gc page: generations, uncollectable garbage, types by count, growth since a snapshot."""
    snapshot = report.get("snapshot")
    taken = (
        f"Snapshot taken {escape(_format('Snapshot', snapshot))}."
        if snapshot
        else "No snapshot yet: take one, let requests run, then reload to see what grew."
    )
    form = (
        f'<form method="post" action="{escape(base)}/gc/snapshot">'
        '<button type="submit">Take a snapshot</button></form>'
    )
    body = (
        f"<p>Process {int(report['pid'])}: {int(report['objects'])} objects tracked by the "
        f"collector. {taken}</p>{form}"
        + _records_table("Generations", report["generations"], id_column=False)
        + _records_table("Uncollectable garbage (gc.garbage)", report["garbage"], False)
    )
    if snapshot:
        body += _records_table("Growth since the snapshot", report["growth"], False)
    body += _records_table("Objects by type", report["types"], False)
    return _document("Objects and gc", base, body)
