"""``serve_file``, ``serve_fileobj`` and ``serve_download`` for use inside a handler.

Same names and arguments as CherryPy's ``cherrypy.lib.static``. Each fills
in the current response (status, headers, a streamed body) and returns the
body for the handler to return::

    @app.route("/report")
    def report(req, resp):
        return serve_download("/srv/reports/2024.pdf")

The request and response default to ``pegboard.request``/``pegboard.response``;
pass ``req``/``resp`` explicitly where those are not bound.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import IO

import pegboard
from pegboard import Request, Response

from .mediatypes import MediaTypes
from .responder import ServeSettings, content_disposition, send_file, send_fileobj

__all__ = ["serve_download", "serve_file", "serve_fileobj"]

_SETTINGS = ServeSettings(media_types=MediaTypes())


def _pair(req: Request | None, resp: Response | None) -> tuple[Request, Response]:
    if req is not None and resp is not None:
        return req, resp
    pair = pegboard.current_exchange()
    if pair is None:
        raise RuntimeError("serve_file() needs req/resp outside of a pegboard request")
    return req or pair[0], resp or pair[1]


def _body(resp: Response) -> Iterable[bytes] | bytes:
    stream: Iterable[bytes] | None = resp.stream
    if stream is not None:
        return stream
    body: bytes = resp.body
    return body


def _disposition(disposition: str | None, name: str | None, default_name: str) -> str | None:
    if disposition is None:
        return None
    return content_disposition(disposition, name or default_name)


def serve_file(
    path: str | os.PathLike[str],
    content_type: str | None = None,
    disposition: str | None = None,
    name: str | None = None,
    *,
    req: Request | None = None,
    resp: Response | None = None,
) -> Iterable[bytes] | bytes:
    """Answer with the file at the absolute ``path``: validators, ranges, 304/412/416.

    ``content_type`` defaults to the type of the file's extension;
    ``disposition`` (``"inline"``/``"attachment"``) adds Content-Disposition
    with ``name`` (default: the file's name). A missing file is a 404. No
    root check is made: the caller chose the path.
    """
    path = os.fspath(path)
    if not os.path.isabs(path):
        raise ValueError(f"serve_file needs an absolute path, not {path!r}")
    req, resp = _pair(req, resp)
    send_file(
        req,
        resp,
        path,
        _SETTINGS,
        content_type=content_type,
        disposition=_disposition(disposition, name, os.path.basename(path)),
    )
    return _body(resp)


def serve_fileobj(
    fileobj: IO[bytes],
    content_type: str | None = None,
    disposition: str | None = None,
    name: str | None = None,
    *,
    req: Request | None = None,
    resp: Response | None = None,
) -> Iterable[bytes] | bytes:
    """Answer with an open binary file object (read from its current position, then closed).

    Ranges work when it is seekable; ETag/Last-Modified when it is a real
    file read from its start. ``content_type`` defaults to the type of
    ``name``'s extension, else application/octet-stream.
    """
    req, resp = _pair(req, resp)
    ctype = content_type or _SETTINGS.media_types.for_name(name or "")
    send_fileobj(
        req,
        resp,
        fileobj,
        content_type=ctype,
        disposition=_disposition(disposition, name, "download"),
    )
    return _body(resp)


def serve_download(
    path: str | os.PathLike[str],
    name: str | None = None,
    *,
    req: Request | None = None,
    resp: Response | None = None,
) -> Iterable[bytes] | bytes:
    """Answer with ``path`` as a download: ``attachment``, application/octet-stream."""
    return serve_file(path, "application/octet-stream", "attachment", name, req=req, resp=resp)
