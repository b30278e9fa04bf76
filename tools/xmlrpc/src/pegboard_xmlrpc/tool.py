"""The ``xmlrpc`` tool: answers XML-RPC calls POSTed to the path section where it is on."""

from __future__ import annotations

import pegboard
from pegboard import HTTPError, option
from pegboard.httputil import HeaderError, parse_media_type

from .dispatch import Endpoint
from .wire import CONTENT_TYPE, decode_body

__all__ = ["PRIORITY", "XmlRpcOptions", "XmlRpcTool"]

#: before_handler: after the auth tools (1) and sessions (10), like staticdir (30).
PRIORITY = 30
_XML_TYPES = frozenset(("text/xml", "application/xml"))


class XmlRpcOptions(pegboard.ToolOptions):
    """The options of ``tools.xmlrpc``: each field is one config key."""

    allow_none: bool = option(
        default=False,
        doc="accept and send `<nil/>` (None), the common extension; off: a None param is a "
        "400 and a None result a fault",
    )
    introspection: bool = option(
        default=True,
        doc="answer `system.listMethods`, `system.methodHelp` (the handler's docstring) and "
        "`system.methodSignature`",
    )


class XmlRpcTool(pegboard.Tool[XmlRpcOptions]):
    """An XML-RPC endpoint where it is on: the method ``a.b`` runs the route ``<path>/a/b``."""

    hooks = (
        pegboard.HookDoc(
            "before_handler",
            PRIORITY,
            does="answers a POST to the endpoint: parses the call, runs the method's handler, "
            "writes the response or fault",
        ),
    )

    def __init__(self) -> None:
        super().__init__("xmlrpc", point="before_handler", priority=PRIORITY)

    def attach(self, plan: pegboard.PlanBuilder, options: XmlRpcOptions) -> None:
        endpoint = Endpoint(options.allow_none, options.introspection)
        plan.add("before_handler", _serve, self.priority, args=(endpoint,))


def _serve(req: pegboard.Request, resp: pegboard.Response, endpoint: Endpoint) -> None:
    if req.handler is None:  # an earlier handler tool answered
        return
    root = endpoint.root_of(req)
    if root is None:
        return  # a method's own path, or anything else below the endpoint: plain HTTP
    if req.method != "POST":
        if req.route is not None:
            return  # the application's own page at the endpoint's path answers other methods
        raise HTTPError(405, "XML-RPC calls are POSTed.", headers={"Allow": "POST"})
    _check_content_type(req.environ.get("CONTENT_TYPE", ""))
    limit = req.plan.max_body_size
    data = decode_body(req.body.bytes, req.environ.get("HTTP_CONTENT_ENCODING"), limit)
    body = endpoint.call_with(req, resp, root, data)
    resp.status = 200
    resp.headers["Content-Type"] = CONTENT_TYPE
    resp.set_body(body)
    req.handler = None


def _check_content_type(value: str) -> None:
    """415 unless the body is XML: a form or text/plain cannot be an XML-RPC call.

    This is also what keeps another site's page from posting calls with the
    visitor's cookies: a cross-site form can send only urlencoded, multipart
    or text/plain bodies, and a text/xml POST needs a CORS preflight.
    """
    try:
        media = parse_media_type(value).essence if value else ""
    except (HeaderError, ValueError):
        media = ""
    if media not in _XML_TYPES:
        raise HTTPError(415, "An XML-RPC call is sent as text/xml.", headers={"Accept": "text/xml"})
