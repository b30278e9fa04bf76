"""What json_in, json_out, auth_basic, auth_digest and response_time cost per request,
in this tree and in another revision, side by side in one run.

Each scenario is an in-process app with one tool on, fed copies of a prepared
environ (a POST with a JSON body for json_in, right credentials for the auth
tools: a fresh nonce count per request for Digest); ``bare`` is the same app
with no tool. Every request is checked (status 200, and the header or login
the tool produces) before timing.

``--against REV`` (default ``main``) exports that revision's tool packages
with ``git archive`` and imports them beside this tree's under other names
(``base_pegboard_json``...; the core is this tree's for both), so both run in
one process. Timed batches alternate between the two trees, scenario by
scenario, and each keeps its best batch, as ``replay.best_of`` does: a burst
of load on the shared machine slows a batch of both rather than every batch
of one.

    uv run python bench/tool_costs.py [--against main] [--rounds 40] [--requests 2000] [--calls]

``--calls`` also counts the function calls of 200 requests of each scenario with
cProfile: a figure that the load on the machine does not change, so a
difference in work shows even when timings are noisy.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import gc
import hashlib
import importlib
import importlib.util
import io
import json
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("tools/json", "tools/auth_basic", "tools/auth_digest", "examples/response_time")
DIGEST_KEY = "bench-key-0123456789abcdef"
Environ = dict[str, Any]
#: the tool packages of one tree, by their import name
Tree = dict[str, Any]
#: an app, the environ of its i-th request, and the response header that proves the tool ran
Scenario = tuple[Any, Callable[[int], Environ], str]
NAMES = ("pegboard_json", "pegboard_auth_basic", "pegboard_auth_digest", "pegboard_response_time")


def _environ(method: str = "GET", body: bytes = b"", **headers: str) -> Environ:
    environ: Environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in headers.items():
        key = name.upper()
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    return environ


class _Answer:
    status = ""
    headers: dict[str, str] = {}

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        self.status, self.headers = status, dict(headers)
        return lambda data: None


def _request(app: Any, environ: Environ, answer: Any) -> bytes:
    env = environ.copy()  # servers hand every request a fresh environ
    body = env.get("_body")
    if body is not None:
        env["wsgi.input"] = io.BytesIO(body)
    result = app(env, answer)
    try:
        return b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


# -- scenarios: (app, environ source, check) -------------------------------------------------


def _app(config: dict[str, Any], plugins: list[Any], handler: Callable[..., Any]) -> Any:
    import pegboard

    app = pegboard.App({"/": config}, plugins=plugins, discover=False)
    app.route("/", handler, methods=["GET", "POST"])
    app.start()
    return app


def bare(tree: Tree) -> Scenario:
    environ = _environ()
    return _app({}, [], lambda req, resp: b"ok"), lambda i: environ, ""


DOCUMENT = {"id": 7, "name": "item number 7", "tags": ["alpha", "beta"], "price": 8.75}


def json_in(tree: Tree) -> Scenario:
    pegboard_json = tree["pegboard_json"]

    def handler(req: Any, resp: Any) -> bytes:
        return b"ok" if req.json == DOCUMENT else b"wrong"

    body = json.dumps(DOCUMENT).encode()
    environ = _environ("POST", body, content_type="application/json")
    environ["_body"] = body
    app = _app({"tools.json_in.on": True}, [pegboard_json], handler)
    return app, lambda i: environ, ""


def json_out(tree: Tree) -> Scenario:
    pegboard_json = tree["pegboard_json"]

    app = _app({"tools.json_out.on": True}, [pegboard_json], lambda req, resp: DOCUMENT)
    environ = _environ()
    return app, lambda i: environ, "Content-Type"


def json_out_problem_details(tree: Tree) -> Scenario:
    pegboard_json = tree["pegboard_json"]

    config = {"tools.json_out.on": True, "tools.json_out.problem_details": True}
    app = _app(config, [pegboard_json], lambda req, resp: DOCUMENT)
    environ = _environ()
    return app, lambda i: environ, "Content-Type"


def _whoami(req: Any, resp: Any) -> bytes:
    return b"ok" if req.login == "alice" else b"wrong"


def auth_basic_users(tree: Tree) -> Scenario:
    pegboard_auth_basic = tree["pegboard_auth_basic"]

    config = {
        "tools.auth_basic.on": True,
        "tools.auth_basic.realm": "bench",
        "tools.auth_basic.users": {"alice": "wonderland"},
    }
    app = _app(config, [pegboard_auth_basic], _whoami)
    token = base64.b64encode(b"alice:wonderland").decode()
    environ = _environ(authorization=f"Basic {token}")
    return app, lambda i: environ, "Vary"


def auth_basic_htpasswd(tree: Tree) -> Scenario:
    import bcrypt

    pegboard_auth_basic = tree["pegboard_auth_basic"]

    folder = Path(tempfile.mkdtemp(prefix="bench-htpasswd-"))
    path = folder / "htpasswd"
    hashed = bcrypt.hashpw(b"wonderland", bcrypt.gensalt(rounds=10)).decode()
    path.write_text(f"alice:{hashed}\n", encoding="utf-8")
    config = {
        "tools.auth_basic.on": True,
        "tools.auth_basic.realm": "bench",
        "tools.auth_basic.htpasswd": str(path),
    }
    app = _app(config, [pegboard_auth_basic], _whoami)
    token = base64.b64encode(b"alice:wonderland").decode()
    environ = _environ(authorization=f"Basic {token}")
    return app, lambda i: environ, "Vary"


def auth_digest(tree: Tree) -> Scenario:
    pegboard_auth_digest = tree["pegboard_auth_digest"]

    config = {
        "tools.auth_digest.on": True,
        "tools.auth_digest.realm": "bench",
        "tools.auth_digest.key": DIGEST_KEY,
        "tools.auth_digest.users": {"alice": "wonderland"},
    }
    app = _app(config, [pegboard_auth_digest], _whoami)
    nonces: list[str] = []

    def environ_for(index: int) -> Environ:
        # A nonce takes 4096 counts; a fresh challenge every 4000 requests.
        while len(nonces) <= index // 4000:
            answer = _Answer()
            _request(app, _environ(), answer)
            challenge = answer.headers["WWW-Authenticate"]
            nonces.append(challenge.split('nonce="', 1)[1].split('"', 1)[0])
        nonce, nc = nonces[index // 4000], f"{index % 4000 + 1:08x}"

        def h(text: str) -> str:
            return hashlib.sha256(text.encode()).hexdigest()

        ha1, ha2 = h("alice:bench:wonderland"), h("GET:/")
        response = h(f"{ha1}:{nonce}:{nc}:c0ffee:auth:{ha2}")
        header = (
            f'Digest username="alice", realm="bench", nonce="{nonce}", uri="/", '
            f'algorithm=SHA-256, response="{response}", qop=auth, nc={nc}, cnonce="c0ffee"'
        )
        return _environ(authorization=header)

    return app, environ_for, "Authentication-Info"


def response_time(tree: Tree) -> Scenario:
    pegboard_response_time = tree["pegboard_response_time"]

    app = _app({"tools.response_time.on": True}, [pegboard_response_time], lambda r, s: b"ok")
    environ = _environ()
    return app, lambda i: environ, "X-Response-Time"


SCENARIOS: dict[str, Callable[[Tree], Scenario]] = {
    "bare": bare,
    "json_in": json_in,
    "json_out": json_out,
    "json_out + problem_details": json_out_problem_details,
    "auth_basic (users)": auth_basic_users,
    "auth_basic (htpasswd, cached)": auth_basic_htpasswd,
    "auth_digest (memory)": auth_digest,
    "response_time": response_time,
}


def _check(name: str, app: Any, environ: Environ, header: str) -> None:
    answer = _Answer()
    body = _request(app, environ, answer)
    if not answer.status.startswith("200") or (header and header not in answer.headers):
        raise SystemExit(f"{name}: {answer.status} {answer.headers} {body[:200]!r}")


def _export(revision: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="bench-tools-"))
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, *PACKAGES],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def _load_tree(folder: Path) -> Tree:
    """The tool packages under ``folder``, imported as ``base_<name>`` beside this tree's."""
    tree: Tree = {}
    for package, name in zip(PACKAGES, NAMES, strict=True):
        source = folder / package / "src" / name
        alias = f"base_{name}"
        spec = importlib.util.spec_from_file_location(
            alias, source / "__init__.py", submodule_search_locations=[str(source)]
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[alias] = module
        spec.loader.exec_module(module)
        tree[name] = module
    return tree


def _calls_per_request(app: Any, environ_for: Callable[[int], Environ], first: int) -> float:
    """Python and C function calls per request, counted by cProfile (load does not change it)."""
    batch = [environ_for(first + i) for i in range(200)]
    profile = cProfile.Profile()
    profile.enable()
    for environ in batch:
        _request(app, environ, _Answer())
    profile.disable()
    counts = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    return sum(entry[1] for entry in counts.values()) / len(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", default="main", help="the revision to compare with")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--requests", type=int, default=2000, help="requests per timed batch")
    parser.add_argument("--only", nargs="*", choices=list(SCENARIOS), help="scenarios to run")
    parser.add_argument(
        "--calls", action="store_true", help="also count function calls per request (cProfile)"
    )
    args = parser.parse_args()
    scenarios = {name: SCENARIOS[name] for name in ["bare", *(args.only or SCENARIOS)]}
    trees = {
        args.against: _load_tree(_export(args.against)),
        "this tree": {name: importlib.import_module(name) for name in NAMES},
    }
    prepared: dict[tuple[str, str], tuple[Any, Callable[[int], Environ]]] = {}
    for name, factory in scenarios.items():
        for label, tree in trees.items():
            app, environ_for, header = factory(tree)
            _check(f"{name} ({label})", app, environ_for(0), header)
            for index in range(1, 301):  # warm-up
                _request(app, environ_for(index), _Answer())
            prepared[name, label] = (app, environ_for)
    # What was built for the run is never garbage; keep the collector off it.
    gc.collect()
    gc.freeze()
    best = dict.fromkeys(prepared, float("inf"))
    counter = 301
    labels = list(trees)
    for round_index in range(args.rounds):
        for name in scenarios:
            # Alternate which tree goes first, so neither always meets the same load.
            for label in labels if round_index % 2 == 0 else labels[::-1]:
                app, environ_for = prepared[name, label]
                batch = [environ_for(counter + i) for i in range(args.requests)]
                answer = _Answer()
                started = time.perf_counter()
                for environ in batch:
                    _request(app, environ, answer)
                elapsed = (time.perf_counter() - started) / len(batch) * 1e6
                if not answer.status.startswith("200"):
                    raise SystemExit(f"{name} ({label}): {answer.status} during the timed run")
                best[name, label] = min(best[name, label], elapsed)
            counter += args.requests
    before, after = labels
    if args.calls:
        print(f"function calls per request (cProfile, 200 requests): {before} -> {after}")
        for name in scenarios:
            counted = [
                _calls_per_request(*prepared[name, label], counter + 400 * index)
                for index, label in enumerate(labels)
            ]
            print(f"  {name:<32}{counted[0]:>8.2f} -> {counted[1]:.2f}")
    print(f"µs per request, best of {args.rounds} batches of {args.requests} requests each")
    print(f"{'scenario':<32}{before:>10}{after:>11}{'change':>9}   tool's own cost (- bare)")
    for name in scenarios:
        b, a = best[name, before], best[name, after]
        own = ""
        if name != "bare":
            own = f"{b - best['bare', before]:6.2f} -> {a - best['bare', after]:6.2f}"
        print(f"{name:<32}{b:>10.2f}{a:>11.2f}{(a - b) / b:>+9.1%}   {own}")


if __name__ == "__main__":
    main()
