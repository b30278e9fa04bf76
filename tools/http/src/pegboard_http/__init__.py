"""Small request/response tools for pegboard, after CherryPy's toolbox.

Every tool keeps CherryPy's name and options; where CherryPy's behaviour is
unsafe the default here is safe (see the package README for the list).
"""

from __future__ import annotations

import pegboard

from .access_log import AccessLogTool
from .autovary import AutovaryTool
from .charsets import DecodeTool, EncodeTool
from .debug_logs import LogHeadersTool, LogHooksTool, LogTracebacksTool
from .flatten import FlattenTool
from .methods import AllowTool
from .negotiation import AcceptTool
from .params import ParamsTool
from .proxy import ProxyTool
from .redirects import ErrRedirectTool, RedirectTool, TrailingSlashTool, internal_redirect
from .referer import RefererTool
from .request_id import RequestIdTool, request_id_of
from .response_headers import ResponseHeadersTool

__all__ = ["TOOLS", "internal_redirect", "pegboard_tools", "request_id_of"]

#: Every tool of this package, in the order ``pegboard tools`` lists them.
TOOLS: tuple[pegboard.Tool, ...] = (
    RequestIdTool(),
    ProxyTool(),
    ResponseHeadersTool(),
    AllowTool(),
    RefererTool(),
    TrailingSlashTool(),
    RedirectTool(),
    ErrRedirectTool(),
    DecodeTool(),
    AutovaryTool(),
    AcceptTool(),
    ParamsTool(),
    FlattenTool(),
    EncodeTool(),
    LogHeadersTool(),
    LogTracebacksTool(),
    LogHooksTool(),
    AccessLogTool(),
)


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    return list(TOOLS)
