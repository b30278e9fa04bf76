"""The ``staticfile`` tool: serve one configured file for a path."""

from __future__ import annotations

import os
import re
import stat

from pegboard import HookDoc, PlanBuilder, Request, Response, Tool

from .options import StaticFileOptions, compiled, resolve_path, serve_settings
from .responder import ServeSettings, send_file
from .staticdir import PRIORITY, answer_other_method

__all__ = ["StaticFile"]


class _FileServer:
    """One configured staticfile: answers at before_handler when the file exists."""

    __slots__ = ("_match", "_path", "_settings")

    def __init__(self, path: str, settings: ServeSettings, match: re.Pattern[str] | None) -> None:
        self._path = path
        self._settings = settings
        self._match = match

    def serve(self, req: Request, resp: Response) -> None:
        """Answer with the file; if it does not exist, leave the request to its handler."""
        if req.handler is None:  # an earlier handler tool (a cache hit) answered
            return
        if self._match is not None and self._match.search(req.path) is None:
            return
        path = self._path
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return
        if not stat.S_ISREG(mode):
            return
        if req.method not in ("GET", "HEAD"):
            answer_other_method(req, resp)
            return
        send_file(req, resp, path, self._settings)
        req.handler = None

    def __repr__(self) -> str:
        return f"<staticfile {self._path!r}>"


class StaticFile(Tool[StaticFileOptions]):
    """Serve the file ``filename`` for the path where the tool is on (``/favicon.ico``)."""

    hooks = (
        HookDoc(
            "before_handler",
            PRIORITY,
            does="answers instead of the handler with the configured file (200/206, "
            "304/412/416); 405 for other methods; a missing file is left to the handler",
        ),
    )

    def __init__(self) -> None:
        super().__init__("staticfile", point="before_handler", priority=PRIORITY)

    def attach(self, plan: PlanBuilder, options: StaticFileOptions) -> None:
        # Resolved now, once: against the config file's folder or the working directory.
        path = resolve_path(options.filename, options.root, plan.base_dir)
        settings = serve_settings(options, follow_symlinks=True, root=None)
        server = _FileServer(path, settings, compiled(options.match))
        plan.add("before_handler", server.serve, self.priority)
