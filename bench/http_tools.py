"""The per-request cost of the pegboard-http tools, and of the same tools at another revision.

Each scenario is one route with some of the http tools on, replayed in-process
(no sockets) with the headers a browser behind a proxy sends. ``--baseline
REV`` loads the package as it was at git revision ``REV`` beside the working
copy (as ``pegboard_http_baseline``) and times both in the same run,
interleaved, best round kept, so a change to the package is measured against
what it replaced on the same machine at the same moment.

    uv run python bench/http_tools.py [--baseline ec88c71] [--rounds 7] [--seconds 0.2]

The ``bare`` row (no tool) is the floor: a tool's cost is its row minus it.
Times are the thread's CPU time (``time.thread_time``), which a busy,
shared machine disturbs far less than wall time; the bare row, the same
code in both columns, shows how much noise is left.
"""

from __future__ import annotations

import argparse
import importlib
import io
import logging
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import replay
from replay import Contender, WSGIApp

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "tools/http/src/pegboard_http"

#: A browser's request as it reaches the app through one trusted proxy.
HEADERS = {
    "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "accept_language": "en-GB,en;q=0.9",
    "cookie": "theme=dark; lang=en",
    "referer": "https://www.example.com/start",
    "x_forwarded_for": "198.51.100.7",
    "x_forwarded_proto": "https",
    "x_forwarded_host": "www.example.com",
}

#: The proxy named the way both the old and the new option sets understand.
PROXY = {
    "tools.proxy.on": True,
    "tools.proxy.remote": "X-Forwarded-For",
    "tools.proxy.scheme": "X-Forwarded-Proto",
    "tools.proxy.local": "X-Forwarded-Host",
    "tools.proxy.forwarded": False,
}

SCENARIOS: dict[str, dict[str, Any]] = {
    "bare": {},
    "request_id + access_log": {"tools.request_id.on": True, "tools.access_log.on": True},
    "proxy": PROXY,
    "response_headers + allow + referer": {
        "tools.response_headers.on": True,
        "tools.response_headers.headers": {"X-Frame-Options": "DENY"},
        "tools.allow.on": True,
        "tools.allow.methods": ["GET", "POST"],
        "tools.referer.on": True,
        "tools.referer.pattern": r"^https://www\.example\.com(/|$)",
    },
    "accept": {"tools.accept.on": True, "tools.accept.media": ["text/html", "application/json"]},
    "encode (Accept-Charset)": {"tools.encode.on": True},
    "autovary": {"tools.autovary.on": True},
    "params": {"tools.params.on": True},
    "all of the above": {
        "tools.request_id.on": True,
        "tools.access_log.on": True,
        **PROXY,
        "tools.response_headers.on": True,
        "tools.response_headers.headers": {"X-Frame-Options": "DENY"},
        "tools.allow.on": True,
        "tools.allow.methods": ["GET", "POST"],
        "tools.referer.on": True,
        "tools.referer.pattern": r"^https://www\.example\.com(/|$)",
        "tools.accept.on": True,
        "tools.accept.media": ["text/html", "application/json"],
        "tools.encode.on": True,
        "tools.autovary.on": True,
        "tools.params.on": True,
    },
}


def page(req: Any, resp: Any, q: str = "", page: int = 1) -> str:
    """Reads a header and a cookie, as a page that picks a language and a theme does."""
    lang = req.headers.get("Accept-Language", "")[:2]
    theme = req.cookies.get("theme", "light")
    return f"<p>Grüße {lang} {theme} {q} {page}</p>"


def build(package: ModuleType, config: dict[str, Any]) -> WSGIApp:
    import pegboard

    app = pegboard.App({"/": dict(config)}, plugins=[package], discover=False)
    app.route("/page", page)
    app.start()
    return app


def environ(scenario: str) -> dict[str, Any]:
    env = replay.make_environ("/page", **HEADERS)
    env["QUERY_STRING"] = "q=shoes&page=2"
    if scenario.startswith("encode") or scenario == "all of the above":
        env["HTTP_ACCEPT_CHARSET"] = "iso-8859-1, utf-8;q=0.5"
    return env


def baseline_package(revision: str, into: Path) -> ModuleType:
    """``pegboard_http`` as it was at ``revision``, imported as ``pegboard_http_baseline``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, PACKAGE],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (into / PACKAGE).rename(into / "pegboard_http_baseline")
    sys.path.insert(0, str(into))
    return importlib.import_module("pegboard_http_baseline")


def check(app: WSGIApp, env: dict[str, Any], name: str) -> None:
    answer = replay.call(app, env)
    if not answer.status.startswith("200"):
        raise SystemExit(f"{name}: answered {answer.status}: {answer.body[:200]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", help="a git revision to time beside the working copy")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.2)
    parser.add_argument("--only", nargs="*", help="scenario names (prefixes) to run")
    args = parser.parse_args()

    access = logging.getLogger("pegboard.access")
    access.addHandler(logging.NullHandler())  # lines are built, then dropped
    access.setLevel(logging.INFO)
    access.propagate = False

    import pegboard_http

    variants: list[tuple[str, ModuleType]] = [("working copy", pegboard_http)]
    with tempfile.TemporaryDirectory() as tmp:
        if args.baseline:
            variants.insert(0, (args.baseline, baseline_package(args.baseline, Path(tmp))))
        rows: list[tuple[str, list[Contender]]] = []
        for scenario, config in SCENARIOS.items():
            if args.only and not any(scenario.startswith(o) for o in args.only):
                continue
            contenders = []
            for label, package in variants:
                app = build(package, config)
                env = environ(scenario)
                check(app, env, f"{scenario} ({label})")
                contenders.append(Contender(label, "pegboard", app, env))
            rows.append((scenario, contenders))
        everyone = [c for _, cs in rows for c in cs]
        for c in everyone:
            replay.calibrate(c, args.seconds)
        _best_of_cpu(everyone, args.rounds)
        _print(rows, [label for label, _ in variants])


def _best_of_cpu(contenders: list[Contender], rounds: int) -> None:
    """replay.best_of, timed in this thread's CPU time rather than wall time.

    The machine is shared: wall time counts the moments another process had
    the core, CPU time does not, so it is the steadier measure of our cost.
    """
    for _ in range(rounds):
        for c in contenders:
            start = time.thread_time()
            replay.replay(c.app, c.environ, c.requests)
            c.best = min(c.best, (time.thread_time() - start) / c.requests)


def _print(rows: list[tuple[str, list[Contender]]], labels: list[str]) -> None:
    heads = "".join(f"{label[:14]:>16}" for label in labels)
    extra = f"{'change':>9}" if len(labels) == 2 else ""
    print(f"{'scenario (us/request, best round)':<38}{heads}{extra}")
    for scenario, contenders in rows:
        cells = "".join(f"{c.micros:16.2f}" for c in contenders)
        change = ""
        if len(contenders) == 2:
            change = f"{100 * (contenders[1].best / contenders[0].best - 1):+8.1f}%"
        print(f"{scenario:<38}{cells}{change}")


if __name__ == "__main__":
    main()
