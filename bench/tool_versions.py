"""Two versions of the static, gzip and etags tools, side by side in one run, in-process.

For a change to those packages: the same scenarios run against the tools of
this checkout and against the tools of another git revision (the core and
every other package are this checkout's in both). Each round starts one
child process per version, in turn, and each child replays every scenario
three times, interleaved; each version keeps its best run per scenario, as ``replay.best_of``
does, because the machine is shared and noise only ever slows a round down.
Times are the process's CPU time, so that waiting for a busy core is not
counted.

    uv run python bench/tool_versions.py --baseline main [--rounds 7] [--requests 1000]
    uv run python bench/tool_versions.py --baseline main --instructions --requests 300

``--instructions`` counts the instructions each request executes with
valgrind's callgrind instead of timing it: the count does not move with the
load of the machine, so a small change shows; it takes about half an hour.

Scenarios (microseconds per request):

- ``transforms 200``/``transforms 304``: bench/transforms.py's pegboard app
  (gzip + etags autotags + json_out), a fresh gzipped answer and its 304;
- ``stack``: bench/run.py's tool stack (sessions + gzip + etags);
- ``static 1 KiB``: staticdir, a 1 KiB file, no Accept-Encoding;
- ``static br sibling``: a 20 KiB stylesheet with a ``.br`` sibling, sent
  to ``Accept-Encoding: gzip, deflate, br, zstd``;
- ``static 304``: the stylesheet again with its ETag in If-None-Match;
- ``static range``: ``Range: bytes=100-1099`` of a 64 KiB file;
- ``serve_file``: a handler answering with ``serve_file`` (1 KiB).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
#: runs of every scenario per child process, interleaved
_INNER = 3
REPO = HERE.parent
PACKAGES = ("static", "gzip", "etags")
SCENARIOS = (
    "transforms 200",
    "transforms 304",
    "stack",
    "static 1 KiB",
    "static br sibling",
    "static 304",
    "static range",
    "serve_file",
)


def _make_site(folder: Path) -> None:
    import brotli  # the bench dependencies include it (pegboard-static[brotli])

    (folder / "small.txt").write_bytes(b"x" * 1024)
    (folder / "range.bin").write_bytes(bytes(range(256)) * 256)
    css = b"".join(
        b".rule-%d { color: #%06x; margin: %dpx }\n" % (i, i * 77, i % 40) for i in range(600)
    )
    (folder / "site.css").write_bytes(css[: 20 * 1024])
    sibling = folder / "site.css.br"
    sibling.write_bytes(brotli.compress((folder / "site.css").read_bytes()))
    stat = (folder / "site.css").stat()
    os.utime(sibling, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _scenarios(site: Path) -> dict[str, tuple[Any, dict[str, Any], Callable[[Any], None]]]:
    """name -> (app, environ, check of one answer), built in the child."""
    sys.path.insert(0, str(HERE))
    import replay
    import scenarios
    import transforms

    import pegboard
    import pegboard_static

    def status(expected: str, **headers: str) -> Callable[[Any], None]:
        def check(answer: Any) -> None:
            assert answer.status.startswith(expected), answer.status
            for name, value in headers.items():
                assert answer.headers.get(name) == value, (name, answer.headers)

        return check

    made: dict[str, tuple[Any, dict[str, Any], Callable[[Any], None]]] = {}
    app = transforms.pegboard_app()
    environs = transforms.prepare(app)
    made["transforms 200"] = (
        app,
        environs["200 gzip"],
        status("200", **{"Content-Encoding": "gzip"}),
    )
    made["transforms 304"] = (app, environs["304"], status("304"))
    stack = scenarios.pegboard_stack()
    made["stack"] = (stack, scenarios.stack_environ(stack), scenarios.check_stack)

    static = pegboard.App(
        {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(site)}},
        plugins=[pegboard_static],
        discover=False,
    )

    @static.route("/download")
    def download(req: Any, resp: Any) -> Any:
        return pegboard_static.serve_file(site / "small.txt", req=req, resp=resp)

    static.start()
    everything = "gzip, deflate, br, zstd"
    css = replay.make_environ("/static/site.css", accept_encoding=everything)
    tag = replay.call(static, css).headers["Etag"]
    made["static 1 KiB"] = (static, replay.make_environ("/static/small.txt"), status("200"))
    made["static br sibling"] = (static, css, status("200", **{"Content-Encoding": "br"}))
    made["static 304"] = (
        static,
        replay.make_environ("/static/site.css", accept_encoding=everything, if_none_match=tag),
        status("304"),
    )
    made["static range"] = (
        static,
        replay.make_environ("/static/range.bin", range="bytes=100-1099"),
        status("206", **{"Content-Range": "bytes 100-1099/65536"}),
    )
    made["serve_file"] = (static, replay.make_environ("/download"), status("200"))
    return made


def child(site: Path, requests: int) -> None:
    """One round of every scenario; prints {scenario: microseconds per request}."""
    sys.path.insert(0, str(HERE))
    import replay

    made = _scenarios(site)
    for app, environ, check in made.values():
        check(replay.call(app, environ))
        replay.replay(app, environ, 300)  # warm up
    figures = {name: float("inf") for name in made}
    for _ in range(_INNER):  # interleaved inside the child too; the best run counts
        for name, (app, environ, _check) in made.items():
            micros = _cpu_seconds(app, environ, requests) / requests * 1e6
            figures[name] = min(figures[name], micros)
    print(json.dumps(figures))


def _cpu_seconds(app: Any, environ: dict[str, Any], requests: int) -> float:
    """CPU time of ``requests`` replays (as ``replay.replay`` does them).

    Process CPU time rather than wall time: on a shared machine a process
    waiting for a core is not charged for the wait.
    """
    import time

    sys.path.insert(0, str(HERE))
    import replay

    start = time.process_time()
    replay.replay(app, environ, requests)
    return time.process_time() - start


def child_one(site: Path, scenario: str, requests: int) -> None:
    """Build every scenario, then replay ``scenario`` ``requests`` times (under callgrind)."""
    sys.path.insert(0, str(HERE))
    import replay

    app, environ, check = _scenarios(site)[scenario]
    check(replay.call(app, environ))
    replay.replay(app, environ, requests)


def _instructions(site: Path, scenario: str, requests: int, pythonpath: str | None) -> int:
    """Instructions callgrind counts for a child replaying ``scenario`` ``requests`` times."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    if pythonpath:
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child-one",
        str(site),
        scenario,
        "--requests",
        str(requests),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    found = re.search(r"Collected : ([0-9]+)", done.stderr)
    if done.returncode or found is None:
        raise SystemExit(f"a callgrind child failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def _extract(revision: str, into: Path) -> Path:
    """The packages' ``src`` folders of ``revision`` (git archive), ready for PYTHONPATH."""
    into.mkdir(parents=True, exist_ok=True)
    archive = into / "tools.tar"
    paths = [f"tools/{name}/src" for name in PACKAGES]
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", revision, *paths], cwd=REPO, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


def _run(site: Path, requests: int, pythonpath: str | None) -> dict[str, float]:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(site), "--requests", str(requests)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode:
        raise SystemExit(f"a child failed:\n{done.stderr}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git revision to compare against")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=1000, help="per scenario and run")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions per request with valgrind (callgrind) instead of timing: "
        "exact and unaffected by other load, but slow (minutes per scenario)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), args.requests)
        return
    if args.child_one:
        child_one(Path(args.child_one[0]), args.child_one[1], args.requests)
        return
    with tempfile.TemporaryDirectory() as tmp:
        base = _extract(args.baseline, Path(tmp) / "baseline")
        site = Path(tmp) / "site"
        site.mkdir()
        _make_site(site)
        baseline_path = os.pathsep.join(str(base / "tools" / p / "src") for p in PACKAGES)
        if args.instructions:
            _count_instructions(args, site, baseline_path)
            return
        best: dict[str, dict[str, float]] = {"baseline": {}, "this checkout": {}}
        versions: list[tuple[str, str | None]] = [
            ("baseline", baseline_path),
            ("this checkout", None),
        ]
        for round_number in range(args.rounds):
            # Who goes first alternates, so a slow start of the round hits both alike.
            for label, path in versions[:: 1 if round_number % 2 == 0 else -1]:
                for name, micros in _run(site, args.requests, path).items():
                    best[label][name] = min(best[label].get(name, float("inf")), micros)
    print(
        f"static, gzip, etags: {args.baseline} vs this checkout; {args.requests} requests x "
        f"{args.rounds} rounds, best round; us per request"
    )
    print(f"{'scenario':<20}{args.baseline[:12]:>14}{'this checkout':>16}{'change':>10}")
    for name in SCENARIOS:
        before, after = best["baseline"][name], best["this checkout"][name]
        print(f"{name:<20}{before:>14.1f}{after:>16.1f}{(after / before - 1) * 100:>+9.1f}%")


def _count_instructions(args: argparse.Namespace, site: Path, baseline_path: str) -> None:
    """Instructions per request: (count for N + R requests - count for N) / R, per version."""
    few, requests = 50, args.requests
    print(
        f"static, gzip, etags: {args.baseline} vs this checkout; instructions per request "
        f"(callgrind, {requests} requests counted beyond a run of {few})"
    )
    print(f"{'scenario':<20}{args.baseline[:12]:>14}{'this checkout':>16}{'change':>10}")
    for name in SCENARIOS:
        counts = []
        for path in (baseline_path, None):
            low = _instructions(site, name, few, path)
            high = _instructions(site, name, few + requests, path)
            counts.append((high - low) / requests)
        before, after = counts
        print(f"{name:<20}{before:>14,.0f}{after:>16,.0f}{(after / before - 1) * 100:>+9.1f}%")


if __name__ == "__main__":
    main()
