"""Two versions of the static, gzip and etags tools, side by side in one run.

For a change to those packages: the same scenarios run against the tools of
this checkout and against the tools of another git revision, whose packages
are loaded into the same process under other names (``baseline_pegboard_gzip``
...); the core and every other package are this checkout's for both. The two
versions' apps take turns, round after round, and each keeps its best round
per scenario (``replay.best_of``'s reasoning: the machine is shared, and
noise only ever slows a round down); the median round is shown too. Times are
the process's CPU time, so waiting for a busy core is not counted.

    uv run python bench/tool_versions.py --baseline main [--rounds 15] [--requests 2000]
    uv run python bench/tool_versions.py --baseline main --instructions --requests 300

``--instructions`` counts the instructions a request executes with
valgrind's callgrind instead of timing it (one child process per version,
scenario and request count): the count does not move with the load of the
machine, but it does not see cache misses either; it takes about half an hour.

Scenarios (microseconds per request):

- ``transforms 200``/``transforms 304``: bench/transforms.py's pegboard app
  (gzip + etags autotags + json_out), a fresh gzipped answer and its 304;
- ``stack``: bench/run.py's tool stack (sessions + gzip + etags; the body,
  so its tag, changes with every request);
- ``static 1 KiB``: staticdir, a 1 KiB file, no Accept-Encoding;
- ``static br sibling``: a 20 KiB stylesheet with a ``.br`` sibling, sent
  to ``Accept-Encoding: gzip, deflate, br, zstd``;
- ``static 304``: the stylesheet again with its ETag in If-None-Match;
- ``static range``: ``Range: bytes=100-1099`` of a 64 KiB file;
- ``serve_file``: a handler answering with ``serve_file`` (1 KiB).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
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
THIS, BASELINE = "this checkout", "baseline"
Scenario = tuple[Any, dict[str, Any], Callable[[Any], None]]


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


def _status(expected: str, **headers: str) -> Callable[[Any], None]:
    def check(answer: Any) -> None:
        assert answer.status.startswith(expected), answer.status
        for name, value in headers.items():
            assert answer.headers.get(name) == value, (name, answer.headers)

    return check


def _scenarios(site: Path, tools: dict[str, ModuleType]) -> dict[str, Scenario]:
    """name -> (app, environ, check of one answer), with the tool packages ``tools``."""
    sys.path.insert(0, str(HERE))
    import replay
    import scenarios
    import transforms

    import pegboard
    import pegboard_json
    import pegboard_sessions

    made: dict[str, Scenario] = {}
    data = pegboard.App(
        {
            "/": {
                "tools.gzip.on": True,
                "tools.gzip.compress_level": transforms.LEVEL,
                "tools.etags.on": True,
                "tools.etags.autotags": True,
                "tools.json_out.on": True,
            }
        },
        plugins=[tools["gzip"], tools["etags"], pegboard_json],
        discover=False,
    )
    data.route("/data", lambda req, resp: transforms.PAYLOAD)
    data.start()
    environs = transforms.prepare(data)
    made["transforms 200"] = (data, environs["200 gzip"], _status("200"))
    made["transforms 304"] = (data, environs["304"], _status("304"))

    stack = pegboard.App(
        {
            "/": {
                "tools.sessions.on": True,
                "tools.gzip.on": True,
                "tools.gzip.compress_level": scenarios.LEVEL,
                "tools.etags.on": True,
                "tools.etags.autotags": True,
            }
        },
        plugins=[pegboard_sessions, tools["gzip"], tools["etags"]],
        discover=False,
    )

    @stack.route("/stack")
    def stack_page(req: Any, resp: Any) -> str:
        visits = req.session.get("visits", 0) + 1
        req.session["visits"] = visits
        resp.headers["Content-Type"] = "text/plain; charset=utf-8"
        return scenarios._stack_body(visits)

    stack.start()
    made["stack"] = (stack, scenarios.stack_environ(stack), scenarios.check_stack)

    static = pegboard.App(
        {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(site)}},
        plugins=[tools["static"]],
        discover=False,
    )
    serve_file = tools["static"].serve_file

    @static.route("/download")
    def download(req: Any, resp: Any) -> Any:
        return serve_file(site / "small.txt", req=req, resp=resp)

    static.start()
    everything = "gzip, deflate, br, zstd"
    css = replay.make_environ("/static/site.css", accept_encoding=everything)
    tag = replay.call(static, css).headers["Etag"]
    made["static 1 KiB"] = (static, replay.make_environ("/static/small.txt"), _status("200"))
    made["static br sibling"] = (static, css, _status("200", **{"Content-Encoding": "br"}))
    made["static 304"] = (
        static,
        replay.make_environ("/static/site.css", accept_encoding=everything, if_none_match=tag),
        _status("304"),
    )
    made["static range"] = (
        static,
        replay.make_environ("/static/range.bin", range="bytes=100-1099"),
        _status("206", **{"Content-Range": "bytes 100-1099/65536"}),
    )
    made["serve_file"] = (static, replay.make_environ("/download"), _status("200"))
    return made


def _current_tools() -> dict[str, ModuleType]:
    import pegboard_etags
    import pegboard_gzip
    import pegboard_static

    return {"static": pegboard_static, "gzip": pegboard_gzip, "etags": pegboard_etags}


def _load_baseline(tree: Path) -> dict[str, ModuleType]:
    """The baseline's packages, imported as ``baseline_pegboard_<name>`` from ``tree``."""
    loaded = {}
    for name in PACKAGES:
        folder = tree / "tools" / name / "src" / f"pegboard_{name}"
        alias = f"baseline_pegboard_{name}"
        spec = importlib.util.spec_from_file_location(
            alias, folder / "__init__.py", submodule_search_locations=[str(folder)]
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[alias] = module
        spec.loader.exec_module(module)
        loaded[name] = module
    return loaded


def _cpu_micros(app: Any, environ: dict[str, Any], requests: int) -> float:
    """CPU microseconds per request over ``requests`` replays (as ``replay.replay`` does them)."""
    import replay

    start = time.process_time()
    replay.replay(app, environ, requests)
    return (time.process_time() - start) / requests * 1e6


def _timed(args: argparse.Namespace, site: Path, tree: Path) -> None:
    sys.path.insert(0, str(HERE))
    import replay

    versions = {
        BASELINE: _scenarios(site, _load_baseline(tree)),
        THIS: _scenarios(site, _current_tools()),
    }
    for made in versions.values():
        for app, environ, check in made.values():
            check(replay.call(app, environ))
            replay.replay(app, environ, 300)  # warm up
    runs: dict[str, dict[str, list[float]]] = {v: {s: [] for s in SCENARIOS} for v in versions}
    for round_number in range(args.rounds):
        order = [BASELINE, THIS] if round_number % 2 == 0 else [THIS, BASELINE]
        for name in SCENARIOS:
            for version in order:
                app, environ, _check = versions[version][name]
                runs[version][name].append(_cpu_micros(app, environ, args.requests))
    print(
        f"static, gzip, etags: {args.baseline} vs this checkout, in one process; "
        f"{args.requests} requests x {args.rounds} rounds; CPU us per request, best (median)"
    )
    print(f"{'scenario':<20}{args.baseline[:16]:>18}{THIS:>18}{'change':>9}")
    for name in SCENARIOS:
        before, after = runs[BASELINE][name], runs[THIS][name]
        change = (min(after) / min(before) - 1) * 100
        print(
            f"{name:<20}{min(before):>8.1f} ({statistics.median(before):>5.1f})"
            f"{min(after):>10.1f} ({statistics.median(after):>5.1f}){change:>+8.1f}%"
        )


# -- instruction counts --------------------------------------------------------


def _child_one(site: Path, scenario: str, requests: int, tree: str | None) -> None:
    """Build every scenario, then replay ``scenario`` ``requests`` times (under callgrind)."""
    sys.path.insert(0, str(HERE))
    import replay

    tools = _load_baseline(Path(tree)) if tree else _current_tools()
    app, environ, check = _scenarios(site, tools)[scenario]
    check(replay.call(app, environ))
    replay.replay(app, environ, requests)


def _instructions(site: Path, scenario: str, requests: int, tree: Path | None) -> int:
    """Instructions callgrind counts for a child replaying ``scenario`` ``requests`` times."""
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
    if tree is not None:
        command += ["--tree", str(tree)]
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    found = re.search(r"Collected : ([0-9]+)", done.stderr)
    if done.returncode or found is None:
        raise SystemExit(f"a callgrind child failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def _count_instructions(args: argparse.Namespace, site: Path, tree: Path) -> None:
    """Instructions per request: (count for N + R requests - count for N) / R, per version."""
    few, requests = 50, args.requests
    print(
        f"static, gzip, etags: {args.baseline} vs this checkout; instructions per request "
        f"(callgrind, {requests} requests counted beyond a run of {few})"
    )
    print(f"{'scenario':<20}{args.baseline[:12]:>14}{THIS:>16}{'change':>10}")
    for name in SCENARIOS:
        counts = []
        for version_tree in (tree, None):
            low = _instructions(site, name, few, version_tree)
            high = _instructions(site, name, few + requests, version_tree)
            counts.append((high - low) / requests)
        before, after = counts
        print(f"{name:<20}{before:>14,.0f}{after:>16,.0f}{(after / before - 1) * 100:>+9.1f}%")


def _extract(revision: str, into: Path) -> Path:
    """The packages' ``src`` folders of ``revision`` (git archive) under ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    archive = into / "tools.tar"
    paths = [f"tools/{name}/src" for name in PACKAGES]
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", revision, *paths], cwd=REPO, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git revision to compare against")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=2000, help="per scenario and round")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions per request with valgrind (callgrind) instead of timing",
    )
    parser.add_argument("--child-one", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_one:
        _child_one(Path(args.child_one[0]), args.child_one[1], args.requests, args.tree)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tree = _extract(args.baseline, Path(tmp) / "baseline")
        site = Path(tmp) / "site"
        site.mkdir()
        _make_site(site)
        if args.instructions:
            _count_instructions(args, site, tree)
        else:
            _timed(args, site, tree)


if __name__ == "__main__":
    main()
