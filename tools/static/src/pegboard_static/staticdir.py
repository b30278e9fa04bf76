"""The ``staticdir`` tool: serve the files of a folder below a path section."""

from __future__ import annotations

import os
import re
import stat
from urllib.parse import quote

from pegboard import HookDoc, HTTPError, HTTPRedirect, PlanBuilder, Request, Response, Tool

from .listing import render_listing
from .options import StaticDirOptions, compiled, resolve_path, serve_settings
from .responder import ServeSettings, send_file
from .safepath import request_segments, resolve_inside

__all__ = ["PRIORITY", "StaticDir", "answer_other_method"]

#: before_handler priority of both static tools: after auth (1), sessions (10)
#: and a cache lookup (20), before json_in (30, attached later) and accept (40).
PRIORITY = 30
_ALLOW = "GET, HEAD, OPTIONS"
_DIR_KEY = "tools.staticdir.dir"
#: What a query keeps as it is in a redirect (RFC 3986 query characters, and '%').
_QUERY_SAFE = "!$&'()*+,;=:@/?%-._~"


def answer_other_method(req: Request, resp: Response) -> None:
    """A method other than GET/HEAD on a static file.

    Where a route exists its handler decides (fall through). Where none
    does, OPTIONS gets 204 and anything else 405, both with ``Allow``.
    """
    if req.route is not None:
        return
    if req.method == "OPTIONS":
        resp.status = 204
        resp.headers["Allow"] = _ALLOW
        req.handler = None
        return
    message = f"{req.method} is not allowed for a static file."
    raise HTTPError(405, message, headers={"Allow": _ALLOW})


def _covers(section: str, path: str) -> bool:
    return section == "/" or path == section or path.startswith(section + "/")


def _depth(path: str) -> int:
    return 0 if path == "/" else path.count("/")


class _DirServer:
    """One configured staticdir: answers the requests below its section at before_handler."""

    __slots__ = (
        "_follow",
        "_hidden",
        "_index",
        "_listing",
        "_match",
        "_root",
        "_section",
        "_settings",
    )

    def __init__(
        self,
        root: str,
        settings: ServeSettings,
        *,
        match: re.Pattern[str] | None,
        index: str,
        section: str | None,
        listing: bool,
        show_hidden: bool,
        follow_symlinks: bool,
    ) -> None:
        self._root = root
        self._settings = settings
        self._match = match
        self._index = index
        self._section = (section.rstrip("/") or "/") if section is not None else None
        self._listing = listing
        self._hidden = show_hidden
        self._follow = follow_symlinks

    def _find_section(self, req: Request) -> str:
        """The section whose config set ``tools.staticdir.dir`` (as CherryPy does).

        The deepest such section on the request's path, or the route's
        literal prefix if the route's own config set it; cached per plan.
        """
        path = req.path
        candidates = [
            section
            for section, keys in req.app.config.sections.items()
            if _DIR_KEY in keys and _covers(section, path)
        ]
        route = req.route
        if route is not None and _DIR_KEY in route.code_config():
            candidates.append(route.static_prefix.rstrip("/") or "/")
        section = max(candidates, key=_depth) if candidates else "/"
        self._section = section
        return section

    def serve(self, req: Request, resp: Response) -> None:
        """Answer with a file, an index file or a listing; otherwise leave the request alone."""
        if req.handler is None:  # an earlier handler tool (a cache hit) answered
            return
        path: str = req.path
        if self._match is not None and self._match.search(path) is None:
            return
        section = self._section or self._find_section(req)
        if section != "/":
            if path != section and not path.startswith(section + "/"):
                return
            relative = path[len(section) :]
        else:
            relative = path
        segments = request_segments(relative)
        root = self._root
        found = self._resolve(root, segments)
        if found is None:
            return
        real, st = found
        if stat.S_ISDIR(st.st_mode):
            self._serve_folder(req, resp, real, segments, root)
        elif stat.S_ISREG(st.st_mode):
            if req.method not in ("GET", "HEAD"):
                answer_other_method(req, resp)
                return
            send_file(req, resp, real, self._settings, st=st)
            req.handler = None

    def _resolve(self, root: str, segments: list[str]) -> tuple[str, os.stat_result] | None:
        return resolve_inside(
            root, segments, follow_symlinks=self._follow, show_hidden=self._hidden
        )

    def _listable(
        self, root: str, segments: list[str], name: str
    ) -> tuple[str, os.stat_result] | None:
        # A name a request could not ask for (a backslash, "%2e%2e") is not listed.
        try:
            request_segments(name)
        except HTTPError:
            return None
        return self._resolve(root, [*segments, name])

    def _serve_folder(
        self, req: Request, resp: Response, folder: str, segments: list[str], root: str
    ) -> None:
        index = None
        if self._index:
            index = self._resolve(root, [*segments, self._index])
            if index is not None and not stat.S_ISREG(index[1].st_mode):
                index = None
        if index is None and not self._listing:
            return
        if req.method not in ("GET", "HEAD"):
            answer_other_method(req, resp)
            return
        path: str = req.path
        if not path.endswith("/"):
            # Relative links in the page must resolve inside the folder.
            target = quote(path.rsplit("/", 1)[1]) + "/"
            if req.query_string:
                # as sent, but what no Location may hold (controls, spaces) percent-encoded
                target += "?" + quote(req.query_string, safe=_QUERY_SAFE)
            raise HTTPRedirect(target, 301)
        if index is not None:
            send_file(req, resp, index[0], self._settings, st=index[1])
        else:
            page = render_listing(
                folder,
                req.script_name + path,
                lambda name: self._listable(root, segments, name),
                at_root=not segments,
            )
            resp.status = 200
            resp.headers["Content-Type"] = "text/html; charset=utf-8"
            resp.headers["X-Content-Type-Options"] = "nosniff"
            resp.set_body(page.encode("utf-8"))
        req.handler = None

    def __repr__(self) -> str:
        return f"<staticdir {self._root!r}>"


class StaticDir(Tool[StaticDirOptions]):
    """Serve the files of ``dir`` for the path section where the tool is on.

    ``/static/css/site.css`` with the tool on in ``["/static"]`` serves
    ``<dir>/css/site.css``. Nothing outside ``dir`` is ever served.
    """

    hooks = (
        HookDoc(
            "before_handler",
            PRIORITY,
            does="answers instead of the handler with a file below `dir` (200/206, a "
            "precompressed sibling when the client accepts it; 304/412/416), an index or a "
            "listing; 405 for other methods",
        ),
    )

    def __init__(self) -> None:
        super().__init__("staticdir", point="before_handler", priority=PRIORITY)

    def attach(self, plan: PlanBuilder, options: StaticDirOptions) -> None:
        # The folder is resolved now, once: against the config file's folder
        # (plan.base_dir) or the working directory at start-up.
        root = resolve_path(options.dir, options.root, plan.base_dir)
        server = _DirServer(
            root,
            serve_settings(options, follow_symlinks=options.follow_symlinks, root=root),
            match=compiled(options.match),
            index=options.index,
            section=options.section,
            listing=options.listing,
            show_hidden=options.show_hidden,
            follow_symlinks=options.follow_symlinks,
        )
        plan.add("before_handler", server.serve, self.priority)
