"""XML-RPC for pegboard: ``tools.xmlrpc``, the successor of CherryPy's ``XMLRPCController``.

Switched on for a path section (``["/rpc"] tools.xmlrpc.on = true``), it
answers calls POSTed there: the method ``math.add`` runs the handler routed
at ``/rpc/math/add`` with the call's params as arguments after ``(req,
resp)``; its return value is the response, an exception a fault.
``system.listMethods`` lists the methods. The XML is parsed with
``defusedxml`` (no DTD, no entities) within ``request.max_body_size``.
"""

from __future__ import annotations

import pegboard

from .dispatch import INTROSPECTION, Endpoint, Fault, method_of
from .tool import XmlRpcOptions, XmlRpcTool
from .wire import decode_body, fault_body, parse_call, result_body

__all__ = [
    "INTROSPECTION",
    "Endpoint",
    "Fault",
    "XmlRpcOptions",
    "XmlRpcTool",
    "decode_body",
    "fault_body",
    "method_of",
    "parse_call",
    "pegboard_tools",
    "result_body",
]


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    return [XmlRpcTool()]
