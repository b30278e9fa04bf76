"""The ``pegboard`` command: serve, tools, routes, check (and plugin commands)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .app import App
from .config import load_config
from .errors import ConfigError
from .hooks import HOOKPOINTS
from .loading import LoadError, load_target
from .plugins import build_plugin_manager, disabled_plugins

__all__ = ["main"]


class UsageError(Exception):
    """A mistake on the command line (a target or file that is not there): one line, exit 2."""


def _load_app(target: str, config: str | None) -> App:
    try:
        app = load_target(target)
    except LoadError as exc:
        raise UsageError(str(exc)) from None
    except ConfigError as exc:
        raise _with_folder_hint(exc, target) from None
    if not isinstance(app, App):
        raise UsageError(
            f"{target} is a {type(app).__name__}, not a pegboard.App; for any other WSGI app "
            "(Flask, Django, Falcon), serve pegboard.wrap(app, config=...)"
        )
    if config:
        app.config.update(load_config(config))
    return app


def _with_folder_hint(exc: ConfigError, target: str) -> ConfigError:
    """A missing relative config file that exists beside the app: say where to run from."""
    from pathlib import Path

    location = target.partition(":")[0]
    source = exc.source
    if source is None or Path(source).is_absolute() or not location.endswith(".py"):
        return exc
    folder = Path(location).resolve().parent
    if Path(source).exists() or not (folder / source).is_file():
        return exc
    return ConfigError(
        f"{exc.message}; it is in {folder}: run pegboard from there, or build the path "
        "from the module (Path(__file__).parent / ...)",
        source=source,
    )


def _worker_app(target: str, config: str | None, debug: bool = False) -> App:
    """Load the app in a server worker process (module level, so it pickles)."""
    app = _load_app(target, config)
    app.debug = debug
    return app


def _report(app: App, *, served: bool) -> None:
    """Print the config warnings (and, for a served config, the unset allowed_hosts)."""
    for warning in app.config_warnings:
        print(f"warning: {warning.line()}", file=sys.stderr)
    if served and app.config.globals.get("request", {}).get("allowed_hosts") is None:
        print(
            "warning: request.allowed_hosts is not set, so any Host header is served; "
            'set it, e.g. [request] allowed_hosts = ["example.com"]',
            file=sys.stderr,
        )


def _cmd_serve(args: argparse.Namespace) -> int:
    if args.reload:
        return _serve_with_reload(args)
    import functools

    from . import serving

    app = _load_app(args.target, args.config)
    app.compile()  # fail fast on bad config, before any worker starts
    _report(app, served=True)
    server = app.config.globals.get("server", {})
    host = args.host or server.get("host", "127.0.0.1")
    port = args.port if args.port is not None else server.get("port", 8080)
    workers = args.workers if args.workers is not None else server.get("workers", 1)
    threads = args.threads if args.threads is not None else server.get("threads", 8)
    name = args.server or server.get("name")
    body_timeout = server.get("body_timeout", serving.BODY_TIMEOUT)
    readers = server.get("body_readers")
    cpu_affinity = (
        args.cpu_affinity if args.cpu_affinity is not None else server.get("cpu_affinity", False)
    )
    if workers < 1 or threads < 1:
        raise UsageError(
            f"workers and threads must be 1 or more, got {workers} and {threads}; "
            "set --workers/--threads (or server.workers/server.threads) to at least 1"
        )
    if readers is not None and readers < 1:
        raise UsageError(f"server.body_readers must be 1 or more, got {readers}; set it to 1+")
    if readers is not None and (name or next(iter(serving.available_servers()), None)) == (
        "waitress"
    ):
        raise UsageError(
            "server.body_readers is granian's; waitress reads every body in its own loop: "
            "remove the setting, or serve with granian"
        )
    if args.debug:
        print(
            "pegboard: debug mode: tracebacks are shown to loopback clients; "
            "never use it where others can reach the site",
            file=sys.stderr,
        )
    print(
        f"pegboard: serving {args.target} on http://{host}:{port} ({workers} worker(s))",
        file=sys.stderr,
    )
    if cpu_affinity and serving.affinity_supported():
        print(f"pegboard: server.cpu_affinity: {_worker_cpus(workers)}", file=sys.stderr)
    # Each worker loads its own app: granian may start workers fresh, not forked.
    load = functools.partial(_worker_app, args.target, args.config, args.debug)
    try:
        serving.serve(
            load,
            host=host,
            port=port,
            workers=workers,
            threads=threads,
            server=name,
            body_timeout=body_timeout,
            readers=readers,
            cpu_affinity=cpu_affinity,
        )
    except ValueError as exc:  # settings the server cannot honour
        raise UsageError(str(exc)) from None
    return 0


def _worker_cpus(workers: int) -> str:
    """Which CPU each worker keeps to, for the start-up line."""
    from .serving._affinity import worker_cpu

    return ", ".join(f"worker {n} on CPU {worker_cpu(n)}" for n in range(1, workers + 1))


def _serve_with_reload(args: argparse.Namespace) -> int:
    """Serve in a child process and start it again whenever code or config changes."""
    from pathlib import Path

    import watchfiles

    location = args.target.partition(":")[0]
    watched = {Path.cwd()}
    if location.endswith(".py") or "/" in location:
        watched = {Path(location).resolve().parent}
    if args.config:
        watched.add(Path(args.config).resolve().parent)
    argv = [a for a in sys.argv[1:] if a != "--reload"]
    print(
        f"pegboard: reloading on changes in {', '.join(map(str, sorted(watched)))}", file=sys.stderr
    )
    watchfiles.run_process(
        *sorted(watched),
        target=_reload_child,
        args=(argv,),
        watch_filter=_ReloadFilter(),
        callback=_reloaded,
    )
    return 0


class _ReloadFilter:
    """Code, config and templates; not caches, VCS folders or editors' temporary files."""

    def __init__(self) -> None:
        import watchfiles

        self._default = watchfiles.DefaultFilter()

    def __call__(self, change: Any, path: str) -> bool:
        suffixes = (".py", ".toml", ".ini", ".conf", ".cfg", ".html", ".json", ".txt")
        return bool(self._default(change, path)) and path.endswith(suffixes)


def _reloaded(changes: Any) -> None:
    names = sorted({path for _, path in changes})
    print(f"pegboard: {', '.join(names[:3])} changed; restarting", file=sys.stderr)


def _reload_child(argv: list[str]) -> None:
    sys.exit(main(argv))


def _cmd_tools(args: argparse.Namespace) -> int:
    _, registry, infos = build_plugin_manager((), disabled_plugins(), True)
    versions = {info.distribution: info.version for info in infos}
    if not len(registry):
        print("no tools installed")
        return 0
    for tool in registry:
        dist = tool.distribution or "<app code>"
        print(f"{tool.name}  ({dist} {versions.get(dist, '')})".rstrip())
        print(f"    hookpoints: {', '.join(tool.points)}; priority {tool.priority} at {tool.point}")
        for option in tool.options.values():
            print(f"    {option.describe()}")
        if args.verbose and tool.doc:
            print("    " + tool.doc.strip().splitlines()[0])
    return 0


def _print_plan(plan: Any, indent: str = "    ") -> None:
    lines = plan.describe()
    settings = f"max_body_size={plan.max_body_size} show_tracebacks={plan.show_tracebacks}"
    print(f"{indent}tools: {', '.join(plan.tools) or '-'}; {settings}")
    for line in lines or ["(no hooks)"]:
        print(indent + line)


def _cmd_routes(args: argparse.Namespace) -> int:
    app = _load_app(args.target, args.config)
    app.compile()
    for route in app.router.routes():
        methods = "*" if route.any_method else route.allow
        if route.fallback:
            where = route.static_prefix.rstrip("/")
            print(f"{where}/*  [*]  -> WSGI app {route.target.name}, tools around it")
        else:
            print(f"{route.template}  [{methods}]  -> {_handler_name(route.target)}")
        _print_plan(route.default_plan)
        for method, plan in route.plans.items():
            print(f"  {method} only:")
            _print_plan(plan)
        for section, (plan, _) in route.section_plans.items():
            print(f"  under section {section}:")
            _print_plan(plan)
    for path, plan in sorted(app.section_plans().items()):
        print(f"section {path} (paths without a route)")
        _print_plan(plan)
    for prefix, _, mounted in app._mounts:
        print(f"{prefix}/*  mounted WSGI app {_handler_name(mounted)}")
    return 0


def _handler_name(target: Any) -> str:
    name = getattr(target, "__qualname__", None) or type(target).__qualname__
    return f"{getattr(target, '__module__', '') or type(target).__module__}.{name}"


def _cmd_check(args: argparse.Namespace) -> int:
    app = _load_app(args.app, None) if args.app else App()
    app.config.update(load_config(args.config))
    app.compile()
    _report(app, served=True)
    sections = len(app.config.sections)
    print(f"{args.config}: OK ({sections} path section(s), hookpoints known: {len(HOOKPOINTS)})")
    return 0


def _cmd_migrate_config(args: argparse.Namespace) -> int:
    from .migrate import migrate_source

    try:
        text = migrate_source(args.file).to_toml()
    except ConfigError as exc:
        print(f"pegboard: {exc}", file=sys.stderr)
        return 2
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_reference(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .reference import render_ordering, render_reference, splice_ordering

    _, registry, _ = build_plugin_manager((), disabled_plugins(), True)
    text = render_reference(registry)
    if args.lifecycle:
        page = Path(args.lifecycle)
        page.write_text(
            splice_ordering(page.read_text(encoding="utf-8"), render_ordering(registry)),
            encoding="utf-8",
        )
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    elif not args.lifecycle:
        sys.stdout.write(text)
    return 0


def _cmd_new_tool(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .scaffold import new_tool

    try:
        root = new_tool(args.name, Path(args.dir))
    except (ValueError, FileExistsError) as exc:
        print(f"pegboard: {exc}", file=sys.stderr)
        return 2
    print(f"created {root}; next: cd {root} && pip install -e '.[test]' && pytest")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, with a mistake on the command line reported in one line (exit 2)."""

    def error(self, message: str) -> NoReturn:
        raise _ArgumentError(f"{self.prog}: {message} (see {self.prog} --help)")


class _ArgumentError(UsageError):
    """An argparse mistake, its message already naming the (sub)command."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pegboard", description="pegboard web core")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve an app on the production WSGI server")
    serve.add_argument("target", help="MODULE:APP or FILE.py[:APP] (APP defaults to 'app')")
    serve.add_argument("--config", help="a TOML or INI file laid over the app's config")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1, or server.host)")
    serve.add_argument("--port", type=int, help="port (default 8080, or server.port)")
    serve.add_argument("--workers", type=int, help="processes (default 1, or server.workers)")
    serve.add_argument("--threads", type=int, help="threads per process (default 8)")
    serve.add_argument("--server", help="server adapter to use instead of the default")
    serve.add_argument(
        "--cpu-affinity",
        action=argparse.BooleanOptionalAction,
        help="keep each worker process on one CPU (Linux; or server.cpu_affinity)",
    )
    serve.add_argument(
        "--reload", action="store_true", help="restart when code or config changes (development)"
    )
    serve.add_argument(
        "--debug",
        action="store_true",
        help="show tracebacks in the browser, to loopback clients only (development)",
    )
    serve.set_defaults(func=_cmd_serve)

    tools = sub.add_parser("tools", help="list installed tools, their hookpoints and options")
    tools.add_argument("-v", "--verbose", action="store_true")
    tools.set_defaults(func=_cmd_tools)

    routes = sub.add_parser("routes", help="print each route and its resolved hook plan")
    routes.add_argument("target", help="MODULE:APP or FILE.py[:APP]")
    routes.add_argument("--config", help="a TOML or INI file laid over the app's config")
    routes.set_defaults(func=_cmd_routes)

    check = sub.add_parser("check", help="validate a config file against the installed tools")
    check.add_argument("config", help="the TOML or INI file")
    check.add_argument("--app", help="MODULE:APP whose routes are checked with the file")
    check.set_defaults(func=_cmd_check)

    migrate = sub.add_parser(
        "migrate-config", help="write the pegboard TOML equivalent of a CherryPy config"
    )
    migrate.add_argument(
        "file", help="a CherryPy INI file, or the dict NAME in MODULE:NAME or FILE.py:NAME"
    )
    migrate.add_argument("-o", "--output", help="write to this file instead of stdout")
    migrate.set_defaults(func=_cmd_migrate_config)

    reference = sub.add_parser("reference", help="print the configuration reference (Markdown)")
    reference.add_argument("--output", help="write to this file instead of stdout")
    reference.add_argument(
        "--lifecycle", help="rewrite the ordering table in this page (docs/lifecycle.md)"
    )
    reference.set_defaults(func=_cmd_reference)

    new = sub.add_parser("new-tool", help="scaffold a third-party tool package")
    new.add_argument("name", help="the tool's name, e.g. request_timer")
    new.add_argument("--dir", default=".", help="where to create pegboard-<name>/")
    new.set_defaults(func=_cmd_new_tool)

    pm, _, _ = build_plugin_manager((), disabled_plugins(), True)
    pm.hook.pegboard_cli_commands(subparsers=sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pegboard`` command.

    A mistake in config or on the command line prints one line per error
    (no traceback) and exits with status 2.
    """
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        result: int = args.func(args)
    except ConfigError as exc:
        for error in exc.errors:
            print(f"pegboard: {error.line()}", file=sys.stderr)
        return 2
    except _ArgumentError as exc:
        print(exc, file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"pegboard: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `pegboard tools | head`: the reader left; say nothing more (Python's recipe).
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
