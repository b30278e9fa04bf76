"""The profiles page (``tools.profiler_page``): the kept call trees and the merged aggregate.

At the section where it is on (``/_profiler``, say) it answers:

- ``/_profiler``: the list of kept call trees, newest first, and the
  aggregate's costliest functions (every worker process's file merged);
- ``/_profiler/<id>.html``: one call tree, pyinstrument's own page, served
  in a sandbox (``Content-Security-Policy: sandbox allow-scripts``) so its
  scripts run in an origin of their own;
- ``/_profiler/aggregate.pstats``: the merged aggregate, for ``python -m
  pstats``, snakeviz or gprof2dot.

Every value shown is escaped; the page loads nothing from elsewhere.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import marshal
import pstats
from collections.abc import Iterable
from pathlib import Path

import pegboard

from .access import AccessRule
from .store import ProfileInfo, Stores

__all__ = ["ProfilesPage", "merged_stats"]

_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'"
_ALLOW = "GET, HEAD"
_STYLE = (
    "body{font:14px system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse}td,th{padding:.25em .75em;text-align:left;"
    "border-bottom:1px solid #ddd}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "pre{background:#f6f6f6;padding:1em;overflow:auto}"
)


def merged_stats(files: Iterable[Path]) -> pstats.Stats | None:
    """The aggregates of every process merged (files that cannot be read are skipped)."""
    merged: pstats.Stats | None = None
    for path in files:
        try:
            if merged is None:
                merged = pstats.Stats(str(path), stream=io.StringIO())
            else:
                merged.add(str(path))
        except (OSError, EOFError, ValueError, TypeError):
            continue  # being replaced, or not a pstats file
    return merged


def _section_of(req: pegboard.Request) -> str:
    """The section where ``tools.profiler_page`` was switched on, for this request's path."""
    path = req.path
    candidates = [
        section
        for section, keys in req.app.config.sections.items()
        if keys.get("tools.profiler_page.on") and _covers(section, path)
    ]
    route = req.route
    if route is not None and route.code_config().get("tools.profiler_page.on"):
        candidates.append(route.template.rstrip("/") or "/")
    if not candidates:
        return "/"
    return max(candidates, key=lambda s: 0 if s == "/" else s.count("/")).rstrip("/") or "/"


def _covers(section: str, path: str) -> bool:
    return section == "/" or path == section or path.startswith(section.rstrip("/") + "/")


class ProfilesPage:
    """Answers the page's requests at before_handler, for one compiled plan."""

    __slots__ = ("rule", "section", "stores", "top")

    def __init__(self, stores: Stores, rule: AccessRule, top: int) -> None:
        self.stores = stores
        self.rule = rule
        self.top = top
        self.section: str | None = None

    def serve(self, req: pegboard.Request, resp: pegboard.Response) -> None:
        if req.handler is None:  # an earlier handler tool answered
            return
        section = self.section
        if section is None:
            section = self.section = _section_of(req)
        rest = req.path if section == "/" else req.path[len(section) :]
        self.rule.check(req)
        if req.method not in ("GET", "HEAD"):
            raise pegboard.HTTPError(
                405, f"{req.method} is not allowed here.", headers={"Allow": _ALLOW}
            )
        base = req.script_name + (section if section != "/" else "")
        if rest in ("", "/"):
            body = self._listing(base).encode("utf-8")
            resp.headers["Content-Type"] = "text/html; charset=utf-8"
            resp.headers["Content-Security-Policy"] = _PAGE_CSP
        elif rest == "/aggregate.pstats":
            stats = merged_stats(self._aggregate_files())
            if stats is None:
                raise pegboard.HTTPError(404, "No request has been profiled with cProfile yet.")
            body = marshal.dumps(stats.stats)  # type: ignore[attr-defined]
            resp.headers["Content-Type"] = "application/octet-stream"
            resp.headers["Content-Disposition"] = 'attachment; filename="aggregate.pstats"'
        elif rest.startswith("/") and rest.endswith(".html"):
            found = self._call_tree(rest[1:-5])
            if found is None:
                raise pegboard.HTTPError(404, "No such profile (it may have been pruned).")
            body = found
            resp.headers["Content-Type"] = "text/html; charset=utf-8"
            resp.headers["Content-Security-Policy"] = "sandbox allow-scripts"
        else:
            raise pegboard.NotFound(req.path)
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.set_body(body)
        req.handler = None

    def _aggregate_files(self) -> list[Path]:
        files: list[Path] = []
        for store in self.stores.all():
            files.extend(store.aggregate_files())
        return files

    def _call_tree(self, profile_id: str) -> bytes | None:
        for store in self.stores.all():
            found = store.html_of(profile_id)
            if found is not None:
                return found
        return None

    def _profiles(self) -> list[ProfileInfo]:
        found: list[ProfileInfo] = []
        for store in self.stores.all():
            found.extend(store.profiles())
        found.sort(key=lambda p: p.id, reverse=True)
        return found

    def _listing(self, base: str) -> str:
        esc = html.escape
        stores = self.stores.all()
        folders = ", ".join(esc(str(s.folder)) for s in stores) or "none"
        rows = []
        for p in self._profiles():
            when = dt.datetime.fromtimestamp(p.time, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
            rows.append(
                "<tr>"
                f'<td><a href="{esc(base)}/{esc(p.id)}.html">{esc(when)} UTC</a></td>'
                f"<td>{esc(p.method)}</td><td>{esc(p.path)}</td><td>{esc(p.route)}</td>"
                f'<td class="n">{p.status}</td><td class="n">{p.duration_ms:.1f}</td>'
                f"<td>{esc(p.trigger)}</td><td class=n>{p.pid}</td>"
                "</tr>"
            )
        table = (
            "<table><tr><th>when</th><th>method</th><th>path</th><th>route</th><th>status</th>"
            "<th>ms</th><th>why</th><th>process</th></tr>" + "".join(rows) + "</table>"
            if rows
            else "<p>No request has been profiled with pyinstrument yet.</p>"
        )
        files = self._aggregate_files()
        stats = merged_stats(files)
        if stats is None:
            aggregate = "<p>No request has been profiled with cProfile yet.</p>"
        else:
            out = io.StringIO()
            stats.stream = out  # type: ignore[attr-defined]
            stats.sort_stats("cumulative").print_stats(self.top)
            aggregate = (
                f"<p>{len(files)} process(es). "
                f'<a href="{esc(base)}/aggregate.pstats">Download the merged aggregate</a> '
                "(<code>python -m pstats aggregate.pstats</code>, snakeviz).</p>"
                f"<pre>{esc(out.getvalue().strip())}</pre>"
            )
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Profiles</title><style>{_STYLE}</style></head><body>"
            "<h1>Profiles</h1>"
            f"<p>Kept in {folders}.</p>"
            f"<h2>Call trees (pyinstrument)</h2>{table}"
            f"<h2>Aggregate (cProfile), by cumulative time</h2>{aggregate}"
            "</body></html>"
        )
