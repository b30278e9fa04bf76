"""Small request/response tools for pegboard, after CherryPy's toolbox.

Every tool keeps CherryPy's name and options; where CherryPy's behaviour is
unsafe the default here is safe (see the package README for the list).

What a tool finds out for a request is in ``req.state`` under the tool's
name (the proxy's result, which internal redirects reuse, in the environ);
these typed functions read it for handlers (the older attributes,
``req.request_id``, ``req.accept_media`` and ``req.autovary_read``, still
work): :func:`request_id_of`, :func:`accept_media_of`,
:func:`autovary_read_of`, :func:`proxy_info_of`.
"""

from __future__ import annotations

from typing import Any

import pegboard

from .accept import AcceptOptions, AcceptTool, accept_media_of
from .access_log import AccessLogOptions, AccessLogTool
from .autovary import AutovaryOptions, AutovaryTool, autovary_read_of
from .debug_logs import (
    LogHeadersOptions,
    LogHeadersTool,
    LogHooksOptions,
    LogHooksTool,
    LogOptions,
    LogTracebacksTool,
)
from .decode import DecodeOptions, DecodeTool
from .encode import EncodeOptions, EncodeTool
from .flatten import FlattenOptions, FlattenTool
from .methods import AllowOptions, AllowTool
from .params import ParamsOptions, ParamsTool
from .proxy import ProxyInfo, ProxyOptions, ProxyTool, proxy_info_of
from .redirects import (
    ErrRedirectTool,
    RedirectOptions,
    RedirectTool,
    TrailingSlashOptions,
    TrailingSlashTool,
    internal_redirect,
)
from .referer import RefererOptions, RefererTool
from .request_id import RequestIdOptions, RequestIdTool, request_id_of
from .response_headers import ResponseHeadersOptions, ResponseHeadersTool

__all__ = [
    "TOOLS",
    "AcceptOptions",
    "AccessLogOptions",
    "AllowOptions",
    "AutovaryOptions",
    "DecodeOptions",
    "EncodeOptions",
    "FlattenOptions",
    "LogHeadersOptions",
    "LogHooksOptions",
    "LogOptions",
    "ParamsOptions",
    "ProxyInfo",
    "ProxyOptions",
    "RedirectOptions",
    "RefererOptions",
    "RequestIdOptions",
    "ResponseHeadersOptions",
    "TrailingSlashOptions",
    "accept_media_of",
    "autovary_read_of",
    "internal_redirect",
    "pegboard_tools",
    "proxy_info_of",
    "request_id_of",
]

#: Every tool of this package, in the order ``pegboard tools`` lists them.
TOOLS: tuple[pegboard.Tool[Any], ...] = (
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
def pegboard_tools() -> list[pegboard.Tool[Any]]:
    return list(TOOLS)
