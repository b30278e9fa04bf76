"""The ``pegboard`` command: serve, tools, routes, check (and plugin commands)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from .app import App
from .config import load_config
from .errors import ConfigError
from .hooks import HOOKPOINTS
from .loading import load_target
from .plugins import build_plugin_manager, disabled_plugins

__all__ = ["main"]


def _load_app(target: str, config: str | None) -> App:
    app = load_target(target)
    if not isinstance(app, App):
        raise SystemExit(f"pegboard: {target} is a {type(app).__name__}, not a pegboard.App")
    if config:
        app.config.update(load_config(config))
    return app


def _worker_app(target: str, config: str | None) -> App:
    """Load the app in a server worker process (module level, so it pickles)."""
    return _load_app(target, config)


def _cmd_serve(args: argparse.Namespace) -> int:
    import functools

    from . import serving

    app = _load_app(args.target, args.config)
    try:
        app.compile()  # fail fast on bad config, before any worker starts
    except ConfigError as exc:
        print(f"pegboard: config error: {exc}", file=sys.stderr)
        return 2
    server = app.config.globals.get("server", {})
    host = args.host or server.get("host", "127.0.0.1")
    port = args.port if args.port is not None else server.get("port", 8080)
    workers = args.workers or server.get("workers", 1)
    threads = args.threads or server.get("threads", 8)
    name = args.server or server.get("name")
    print(
        f"pegboard: serving {args.target} on http://{host}:{port} ({workers} worker(s))",
        file=sys.stderr,
    )
    # Each worker loads its own app: granian may start workers fresh, not forked.
    load = functools.partial(_worker_app, args.target, args.config)
    serving.serve(load, host=host, port=port, workers=workers, threads=threads, server=name)
    return 0


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
    try:
        app.compile()
    except ConfigError as exc:
        print(f"pegboard: config error: {exc}", file=sys.stderr)
        return 2
    for route in app.router.routes():
        methods = "*" if route.any_method else route.allow
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
    try:
        app = _load_app(args.app, None) if args.app else App()
        app.config.update(load_config(args.config))
        app.compile()
    except ConfigError as exc:
        print(f"{args.config}: {exc}", file=sys.stderr)
        return 1
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pegboard", description="pegboard web core")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve an app on the production WSGI server")
    serve.add_argument("target", help="MODULE:APP or FILE.py[:APP] (APP defaults to 'app')")
    serve.add_argument("--config", help="a TOML or INI file laid over the app's config")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1, or server.host)")
    serve.add_argument("--port", type=int, help="port (default 8080, or server.port)")
    serve.add_argument("--workers", type=int, help="processes (default 1, or server.workers)")
    serve.add_argument("--threads", type=int, help="threads per process (default 8)")
    serve.add_argument("--server", help="server adapter to use instead of the default")
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
    """Entry point of the ``pegboard`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
