"""The ``request_id`` tool: one id per request, for logs and for the client to quote."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import pegboard
import pegboard.httputil as httputil

from ._config import Networks, parse_networks

__all__ = ["ENVIRON_KEY", "RequestIdOptions", "RequestIdTool", "request_id_of"]

#: Where the id is kept in the WSGI environ (an internal redirect keeps it).
ENVIRON_KEY = "pegboard.request_id"
#: What an incoming id may look like; anything else is replaced by a fresh id.
_VALID = re.compile(r"^[A-Za-z0-9._:/+=@-]{1,200}$")


def request_id_of(req: pegboard.Request) -> str | None:
    """The id given to ``req`` by the request_id tool, or None when it is not on."""
    value: str | None = req.environ.get(ENVIRON_KEY)
    return value


class RequestIdOptions(pegboard.ToolOptions):
    """Options of the ``request_id`` tool."""

    header: str = pegboard.option(
        default="X-Request-Id", doc="the header an incoming id is read from and the id echoed in"
    )
    trusted: list[str] | None = pegboard.option(
        default=None,
        doc="networks (your load balancer) whose incoming id is kept; by default none is",
    )
    echo: bool = pegboard.option(default=True, doc="send the id back in `header`, on 500 pages too")

    def __post_init__(self) -> None:
        if not httputil.is_token(self.header):
            raise pegboard.OptionError("header", f"{self.header!r} is not a header name")
        parse_networks(self.trusted or [], "trusted")


@dataclass(frozen=True, slots=True)
class _Settings:
    header: str
    trusted: Networks


class RequestIdTool(pegboard.Tool[RequestIdOptions]):
    """Give each request an id (``req.request_id``) and echo it in ``header``.

    An id sent by the client in ``header`` is only kept when the connection
    comes from a ``trusted`` network (your proxy or load balancer, which set
    it) and looks like an id (at most 200 of ``A-Z a-z 0-9 . _ : / + = @ -``);
    otherwise a fresh 128-bit random id is made.
    """

    hooks = (
        pegboard.HookDoc(
            "on_start_resource", 1, "assigns the id (a trusted peer's, else 128 random bits)"
        ),
        pegboard.HookDoc(
            "before_finalize",
            95,
            "echoes the id, after caching stores so no cached answer carries an old id",
            failsafe=True,
        ),
        pegboard.HookDoc(
            "after_error_response", 90, "echoes the id on the 500 page", failsafe=True
        ),
    )

    def __init__(self) -> None:
        super().__init__("request_id", point="on_start_resource", priority=1)

    def attach(self, plan: pegboard.PlanBuilder, options: RequestIdOptions) -> None:
        settings = _Settings(options.header, parse_networks(options.trusted or [], "trusted"))
        plan.add("on_start_resource", _assign, self.priority, args=(settings,))
        if options.echo:
            # The header goes on late (after caching stores at 90), so a stored
            # response never carries one request's id into another's cache hit.
            plan.add("before_finalize", _echo, 95, True, args=(settings,))
            # A 500 page starts from empty headers: say the id there too.
            plan.add("after_error_response", _echo, 90, True, args=(settings,))


def _assign(req: pegboard.Request, resp: pegboard.Response, settings: _Settings) -> None:
    environ = req.environ
    request_id: str | None = environ.get(ENVIRON_KEY)
    if request_id is None:
        trusted = settings.trusted
        incoming = (
            req.headers.get(settings.header) if trusted and req.remote.ip in trusted else None
        )
        request_id = incoming if incoming and _VALID.fullmatch(incoming) else _fresh_id()
        environ[ENVIRON_KEY] = request_id
    req.state.request_id = request_id
    vars(req)["request_id"] = request_id  # the attribute older code reads


#: Fresh ids made ahead from one read of the system's random source (os.urandom,
#: what ``secrets`` uses), 128 bits each. PERF: one system call per 256 ids.
_POOL: list[str] = []
_POOL_SIZE = 256
# A forked worker must not hand out ids its parent or a sibling also holds.
os.register_at_fork(after_in_child=_POOL.clear)


def _fresh_id() -> str:
    """A new random id: 32 hex digits (128 bits from os.urandom)."""
    try:
        return _POOL.pop()  # list.pop is atomic: threads never share an id
    except IndexError:
        digits = os.urandom(16 * _POOL_SIZE).hex()
        _POOL.extend(digits[i : i + 32] for i in range(32, len(digits), 32))
        return digits[:32]


def _echo(req: pegboard.Request, resp: pegboard.Response, settings: _Settings) -> None:
    request_id = req.environ.get(ENVIRON_KEY)
    if request_id:
        resp.headers[settings.header] = request_id
