"""``pegboard leaks URL``: run requests against a live site and show which objects grew.

It talks to the site's statistics page (``tools.stats_page``, at ``/stats``
unless ``--stats`` says otherwise) over one kept-alive connection, so that
every request reaches the same worker process: warm-up requests first (caches
fill, lazy imports happen), a snapshot of the objects by type, N requests,
then the growth since the snapshot, counted by that worker after a full
collection. A type that grew by at least ``--threshold`` objects per request
is a leak suspect, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import sys
from typing import Any
from urllib.parse import urlsplit

__all__ = ["add_command", "run"]


class _LeakError(Exception):
    """A problem with the site or the command line: one line, exit status 2."""


def add_command(subparsers: Any) -> None:
    """Add ``pegboard leaks`` to the command line (``subparsers``: argparse's sub-parsers)."""
    leaks = subparsers.add_parser(
        "leaks",
        help="run requests against a live site and show which objects grew (needs stats_page)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    leaks.add_argument("url", help="the URL to request, e.g. http://127.0.0.1:8080/api/notes")
    leaks.add_argument("-n", "--requests", type=int, default=500, help="requests (default 500)")
    leaks.add_argument(
        "--warmup", type=int, default=20, help="requests before the snapshot (default 20)"
    )
    leaks.add_argument(
        "--stats", help="the statistics page's URL (default: /stats on the same site)"
    )
    leaks.add_argument("--user", help="USER:PASSWORD for HTTP Basic, when auth guards the pages")
    leaks.add_argument(
        "--threshold",
        type=float,
        default=1.0,
        help="objects per request that make a type a suspect (default 1.0)",
    )
    leaks.add_argument("--top", type=int, default=15, help="types to show (default 15)")
    leaks.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    leaks.set_defaults(func=run)


class _Site:
    """One kept-alive connection to the site (so that one worker answers everything)."""

    def __init__(self, url: str, timeout: float, user: str | None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _LeakError(f"{url!r} is not an http:// or https:// URL")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        secure = parts.scheme == "https"
        kind = http.client.HTTPSConnection if secure else http.client.HTTPConnection
        self.connection = kind(parts.hostname, parts.port, timeout=timeout)
        self.headers = {"User-Agent": "pegboard-leaks"}
        if user is not None:
            token = base64.b64encode(user.encode("utf-8")).decode("ascii")
            self.headers["Authorization"] = f"Basic {token}"

    def request(
        self, method: str, target: str, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        try:
            self.connection.request(method, target, headers={**self.headers, **(headers or {})})
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise _LeakError(f"{method} {self.origin}{target} failed: {exc}") from None

    def json(self, method: str, target: str, headers: dict[str, str]) -> dict[str, Any]:
        status, body = self.request(method, target, {"Accept": "application/json", **headers})
        if status != 200:
            text = body.decode("utf-8", "replace").strip()[:200]
            raise _LeakError(f"{method} {self.origin}{target} answered {status}: {text}")
        data = json.loads(body)
        if not isinstance(data, dict):
            raise _LeakError(f"{self.origin}{target} did not answer a JSON object")
        return data


def _target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def run(args: argparse.Namespace) -> int:
    """The command: 0 when nothing grew per request, 1 for a suspect, 2 for an error."""
    try:
        return _run(args)
    except _LeakError as exc:
        print(f"pegboard leaks: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.requests < 1 or args.warmup < 0:
        raise _LeakError("--requests must be at least 1 and --warmup not negative")
    site = _Site(args.url, args.timeout, args.user)
    stats_url = args.stats or f"{site.origin}/stats"
    if not stats_url.startswith(site.origin + "/"):
        raise _LeakError(f"--stats must be on the same site as the URL ({site.origin})")
    stats = _target(stats_url).rstrip("/")
    target = _target(args.url)
    for _ in range(args.warmup):
        _fetch(site, target)
    post = {"Origin": site.origin, "Content-Length": "0"}
    taken = site.json("POST", f"{stats}/gc/snapshot", post)
    for _ in range(args.requests):
        _fetch(site, target)
    report = site.json("GET", f"{stats}/gc/data", {})
    if report.get("pid") != taken.get("pid"):
        raise _LeakError(
            "another worker process answered after the snapshot (the connection was not "
            "kept alive); run the site with one worker to look for leaks"
        )
    grown = report.get("growth") or []
    limit = args.threshold * args.requests
    print(
        f"{args.requests} requests to {target} (after {args.warmup} to warm up), "
        f"worker process {report['pid']}:"
    )
    if not grown:
        print("no type has more objects than at the snapshot")
        return 0
    print(f"{'type':<50}{'before':>10}{'after':>10}{'growth':>10}{'per request':>13}")
    suspects = 0
    for row in grown[: args.top]:
        per_request = row["Growth"] / args.requests
        flag = "  <- suspect" if row["Growth"] >= limit else ""
        suspects += bool(flag)
        print(
            f"{row['Type'][:49]:<50}{row['Before']:>10}{row['After']:>10}"
            f"{row['Growth']:>10}{per_request:>13.2f}{flag}"
        )
    if suspects:
        print(f"{suspects} type(s) grew by {args.threshold:g} object(s) or more per request")
        return 1
    print(f"nothing grew by {args.threshold:g} object(s) per request: no leak found")
    return 0


def _fetch(site: _Site, target: str) -> None:
    status, _ = site.request("GET", target)
    if status >= 500:
        raise _LeakError(f"GET {site.origin}{target} answered {status}")
