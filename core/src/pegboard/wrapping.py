"""``pegboard.wrap``: pegboard's tools, configured per path, around any WSGI application.

The wrapped app is a ``pegboard.App`` whose catch-all route hands each request
to the foreign app (see ``wsgi_handler``), so the hook lifecycle, compiled
plans, quick answers, ``pegboard serve`` and ``pegboard routes`` work as they
do for pegboard's own handlers. docs/any-app.md is the user guide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .app import App
from .config import Config
from .wsgi_handler import WSGIApp, route_to_wsgi_app

__all__ = ["wrap"]


def wrap(
    wsgi_app: WSGIApp,
    config: Config | Mapping[str, Any] | str | Path | None = None,
    *,
    plugins: Iterable[Any] = (),
    discover: bool = True,
) -> App:
    """A pegboard App that runs the tools configured for each path around ``wsgi_app``.

    ``config`` is what ``pegboard.App`` takes (a dict, a TOML or INI file);
    its path sections apply by path as for any pegboard app. The result is a
    ``pegboard.App``: serve it with ``pegboard serve module:app``, list its
    plans with ``pegboard routes``, and add pegboard routes to it, which
    answer before the wrapped app.
    """
    app = App(config, plugins=plugins, discover=discover)
    route_to_wsgi_app(app, wsgi_app, "")
    return app
