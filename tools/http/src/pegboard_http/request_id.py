"""The ``request_id`` tool: one id per request, for logs and for the client to quote."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pegboard

from ._config import Networks, parse_networks, with_defaults

__all__ = ["ENVIRON_KEY", "RequestIdTool", "request_id_of"]

#: Where the id is kept in the WSGI environ (an internal redirect keeps it).
ENVIRON_KEY = "pegboard.request_id"
#: What an incoming id may look like; anything else is replaced by a fresh id.
_VALID = re.compile(r"^[A-Za-z0-9._:/+=@-]{1,200}$")
_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def request_id_of(req: pegboard.Request) -> str | None:
    """The id given to ``req`` by the request_id tool, or None when it is not on."""
    value: str | None = req.environ.get(ENVIRON_KEY)
    return value


class RequestIdTool(pegboard.Tool):
    """Give each request an id (``req.request_id``) and echo it in ``header``.

    An id sent by the client in ``header`` is only kept when the connection
    comes from a ``trusted`` network (your proxy or load balancer, which set
    it) and looks like an id (at most 200 of ``A-Z a-z 0-9 . _ : / + = @ -``);
    otherwise a fresh 128-bit random id is made.
    """

    points = ("on_start_resource", "before_finalize", "after_error_response")

    def __init__(self) -> None:
        super().__init__("request_id", point="on_start_resource", priority=1)

    def check(self, options: dict[str, Any], section: str) -> None:
        values = with_defaults(self, options)
        if not _NAME.match(values["header"]):
            raise pegboard.ConfigError(
                f"{values['header']!r} is not a header name",
                section=section,
                key="tools.request_id.header",
            )
        parse_networks(values["trusted"] or [], section, "tools.request_id.trusted")

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: pegboard.PlanBuilder,
        header: str = "X-Request-Id",
        trusted: list[str] | None = None,
        echo: bool = True,
    ) -> None:
        networks = parse_networks(trusted or [], "", "")
        plan.add("on_start_resource", _assign, self.priority, header=header, trusted=networks)
        if echo:
            # The header goes on late (after caching stores at 90), so a stored
            # response never carries one request's id into another's cache hit.
            plan.add("before_finalize", _echo, 95, True, header=header)
            # A 500 page starts from empty headers: say the id there too.
            plan.add("after_error_response", _echo, 90, True, header=header)


def _assign(
    req: pegboard.Request,
    resp: pegboard.Response,
    header: str,
    trusted: Networks,
) -> None:
    environ = req.environ
    request_id: str | None = environ.get(ENVIRON_KEY)
    if request_id is None:
        incoming = req.headers.get(header) if trusted and req.remote.ip in trusted else None
        request_id = incoming if incoming and _VALID.match(incoming) else secrets.token_hex(16)
        environ[ENVIRON_KEY] = request_id
    req.__dict__["request_id"] = request_id


def _echo(req: pegboard.Request, resp: pegboard.Response, header: str) -> None:
    request_id = req.environ.get(ENVIRON_KEY)
    if request_id:
        resp.headers[header] = request_id
