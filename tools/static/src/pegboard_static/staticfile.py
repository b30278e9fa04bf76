"""The ``staticfile`` tool: serve one configured file for a path."""

from __future__ import annotations

import os
import stat
from typing import Any

from pegboard import ConfigError, PlanBuilder, Tool

from .common import DEFAULT_IMMUTABLE, BaseDir, check_common, compile_pattern, settings_from
from .responder import ServeSettings, send_file
from .staticdir import PRIORITY, answer_other_method

__all__ = ["StaticFile"]


class _FileServer:
    """One configured staticfile: answers at before_handler when the file exists."""

    __slots__ = ("_file", "_match", "_path", "_settings")

    def __init__(self, file: BaseDir, settings: ServeSettings, match: Any) -> None:
        self._file = file
        self._settings = settings
        self._match = match
        self._path: str | None = None

    def serve(self, req: Any, resp: Any) -> None:
        """Answer with the file; if it does not exist, leave the request to its handler."""
        if req.handler is None:  # an earlier handler tool (a cache hit) answered
            return
        if self._match is not None and self._match.search(req.path) is None:
            return
        path = self._path
        if path is None:
            path = self._path = self._file.get(req.app)
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
        return f"<staticfile {self._path or self._file!r}>"


class StaticFile(Tool):
    """Serve the file ``filename`` for the path where the tool is on (``/favicon.ico``)."""

    points = ("before_handler",)

    def __init__(self) -> None:
        super().__init__("staticfile", point="before_handler", priority=PRIORITY)

    def attach(  # type: ignore[override]  # the options are the schema (tool-authoring.md)
        self,
        plan: PlanBuilder,
        *,
        filename: str,
        root: str | None = None,
        match: str = "",
        content_types: dict[str, str] | None = None,
        precompressed: bool = True,
        max_age: int | None = None,
        immutable_pattern: str | None = DEFAULT_IMMUTABLE,
        charset: str | None = "utf-8",
    ) -> None:
        settings = settings_from(
            content_types=content_types,
            charset=charset,
            max_age=max_age,
            immutable_pattern=immutable_pattern,
            precompressed=precompressed,
            follow_symlinks=True,
            root=None,
        )
        server = _FileServer(BaseDir(filename, root), settings, compile_pattern(match, "", ""))
        plan.add("before_handler", server.serve, self.priority)

    def check(self, options: dict[str, Any], section: str) -> None:
        check_common(self.name, options, section)
        if not options.get("filename"):
            key = "tools.staticfile.filename"
            raise ConfigError("filename must name a file", section=section, key=key)
