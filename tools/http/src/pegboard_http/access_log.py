"""The ``access_log`` tool: one line per request, in Common/Combined Log Format or JSON.

Lines go to a ``logging`` logger (``pegboard.access``) at INFO, so the
application's logging setup decides where they are written. Each record
also carries the fields as ``record.access`` (a dict) for structured
handlers.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import pegboard
import pegboard.httputil as httputil

from .redirects import REDIRECT_CHAIN_KEY
from .request_id import request_id_of

__all__ = ["AccessLogOptions", "AccessLogTool", "escape_field"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NO_BODY = httputil.NO_BODY_STATUSES


def escape_field(text: str) -> str:
    """Escape a log field like Apache, so that no value can forge a field or a line.

    ``"`` and ``\\`` get a backslash; control and non-ASCII characters become
    ``\\xHH`` (the byte as received; UTF-8 bytes for characters above U+00FF).
    """
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return text  # PERF: the common case
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif " " <= char <= "~":
            out.append(char)
        elif ord(char) < 256:  # WSGI header strings hold raw bytes as latin-1 characters
            out.append(f"\\x{ord(char):02x}")
        else:
            out.extend(f"\\x{byte:02x}" for byte in char.encode("utf-8", "surrogatepass"))
    return "".join(out)


@functools.lru_cache(maxsize=4)
def _times(second: int) -> tuple[str, str]:
    """A UTC second as ISO 8601 (JSON) and as Common Log Format's ``[day/Mon/year:...]``.

    PERF: every request of the same second shares the two strings.
    """
    t = time.gmtime(second)
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", t)
    day = f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}"
    return iso, f"[{day}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000]"


class _Counted:
    """A response stream that counts the bytes the server took from it."""

    __slots__ = ("_iterator", "_stream", "sent")

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream
        self._iterator = iter(stream)
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        chunk = next(self._iterator)
        self.sent += len(chunk)
        return chunk

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class AccessLogOptions(pegboard.ToolOptions):
    """Options of the ``access_log`` tool."""

    format: Literal["combined", "common", "json"] = pegboard.option(
        default="combined", doc="the line format: Combined or Common Log Format, or JSON"
    )
    logger: str = pegboard.option(
        default="pegboard.access", doc="the logger the lines go to (records at INFO)"
    )
    request_id: bool = pegboard.option(
        default=True, doc="append the request id (from the request_id tool)"
    )


@dataclass(frozen=True, slots=True)
class _Settings:
    style: str
    log: logging.Logger
    with_id: bool


class AccessLogTool(pegboard.Tool[AccessLogOptions]):
    """Log each request once it has ended: ``combined`` (default), ``common`` or ``json``.

    ``request_id`` appends the request id (from the request_id tool) as a
    last quoted field in the text formats and as a key in JSON. An internal
    redirect is logged once, as the client saw it.
    """

    hooks = (
        pegboard.HookDoc("on_start_resource", 0, "notes the time the request started"),
        pegboard.HookDoc("before_finalize", 100, "counts the bytes of a streamed body as sent"),
        pegboard.HookDoc(
            "on_end_request", 90, "writes the line once the body was sent", failsafe=True
        ),
    )

    def __init__(self) -> None:
        super().__init__("access_log", point="on_end_request", priority=90, failsafe=True)

    def attach(self, plan: pegboard.PlanBuilder, options: AccessLogOptions) -> None:
        settings = _Settings(options.format, logging.getLogger(options.logger), options.request_id)
        plan.add("on_start_resource", _started, 0)
        plan.add("before_finalize", _count_stream, 100)
        plan.add("on_end_request", _log_access, self.priority, True, args=(settings,))


def _started(req: pegboard.Request, resp: pegboard.Response) -> None:
    req.state.access_log = (time.time(), time.perf_counter())


def _count_stream(req: pegboard.Request, resp: pegboard.Response) -> None:
    if resp.stream is not None and not isinstance(resp.stream, _Counted):
        resp.stream = _Counted(resp.stream)


def _bytes_sent(req: pegboard.Request, resp: pegboard.Response) -> int | None:
    if req.method == "HEAD" or resp.status in _NO_BODY:
        return 0
    stream = resp.stream
    if stream is not None:
        return stream.sent if isinstance(stream, _Counted) else None
    return len(resp.body)


def _log_access(req: pegboard.Request, resp: pegboard.Response, settings: _Settings) -> None:
    log, style, with_id = settings.log, settings.style, settings.with_id
    if not log.isEnabledFor(logging.INFO) or REDIRECT_CHAIN_KEY in req.environ:
        return
    environ = req.environ
    # PERF: the state's own dict, read directly (State.get is one more Python call).
    started: tuple[float, float] | None = vars(req.state).get("access_log")
    wall, mono = started if started else (time.time(), time.perf_counter())
    sent = _bytes_sent(req, resp)
    target = quote(req.script_name + req.path)
    if req.query_string:
        target = f"{target}?{req.query_string}"
    iso_time, clf_time = _times(int(wall))
    fields: dict[str, Any] = {
        "time": iso_time,
        "remote": req.remote.ip,
        "user": req.login,
        "method": req.method,
        "target": target,
        "protocol": environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        "status": resp.status,
        "bytes": sent,
        "referer": environ.get("HTTP_REFERER"),
        "user_agent": environ.get("HTTP_USER_AGENT"),
        "duration_ms": round((time.perf_counter() - mono) * 1000.0, 3),
    }
    if with_id:
        fields["request_id"] = request_id_of(req)
    if style == "json":
        line = json.dumps(fields, separators=(",", ":"))
    else:
        request_line = f"{fields['method']} {fields['target']} {fields['protocol']}"
        parts = [
            escape_field(fields["remote"] or "-"),
            "-",
            escape_field(fields["user"] or "-").replace(" ", "\\x20"),
            clf_time,
            f'"{escape_field(request_line)}"',
            str(fields["status"]),
            str(sent) if sent else "-",
        ]
        if style == "combined":
            parts.append(f'"{escape_field(fields["referer"] or "-")}"')
            parts.append(f'"{escape_field(fields["user_agent"] or "-")}"')
        if with_id:
            parts.append(f'"{escape_field(fields["request_id"] or "-")}"')
        line = " ".join(parts)
    log.info("%s", line, extra={"access": fields})
