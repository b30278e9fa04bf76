"""XML-RPC on the wire: a call parsed safely, a response or fault written.

Parsing uses the standard library's unmarshaller behind defusedxml's expat
parser with document type declarations refused outright: an XML-RPC call
never needs one, and without a DTD there is no entity to expand (billion
laughs, quadratic blowup) and no external entity to fetch. The body's size is
bounded by ``request.max_body_size`` before it is parsed, a gzip body's
inflated size by the same limit.
"""

from __future__ import annotations

import xmlrpc.client
from typing import Any
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException
from defusedxml.xmlrpc import DefusedExpatParser, defused_gzip_decode

from pegboard import HTTPError

__all__ = ["CONTENT_TYPE", "decode_body", "fault_body", "parse_call", "result_body"]

CONTENT_TYPE = "text/xml; charset=utf-8"


def decode_body(data: bytes, encoding: str | None, limit: int) -> bytes:
    """The body with its Content-Encoding undone (gzip only); 413 past ``limit`` inflated."""
    if not encoding or encoding.strip().lower() == "identity":
        return data
    if encoding.strip().lower() != "gzip":
        raise HTTPError(415, f"The Content-Encoding {encoding[:40]!r} is not supported; use gzip.")
    try:
        inflated: bytes = defused_gzip_decode(data, limit=limit)
    except ValueError as exc:
        if "exceeded" in str(exc):
            raise HTTPError(413, f"The inflated call is larger than {limit} bytes.") from None
        raise HTTPError(400, "The gzip body is corrupt.") from None
    return inflated


def parse_call(data: bytes, allow_none: bool) -> tuple[str, tuple[Any, ...]]:
    """``(method name, params)`` of a ``methodCall`` document; 400 for anything else."""
    unmarshaller = xmlrpc.client.Unmarshaller(use_datetime=False, use_builtin_types=True)
    parser = DefusedExpatParser(unmarshaller, forbid_dtd=True)
    try:
        parser.feed(data)
        parser.close()
        params = unmarshaller.close()
    except DefusedXmlException:
        raise HTTPError(
            400, "Document type declarations and entities are refused in XML-RPC calls."
        ) from None
    except ExpatError as exc:
        raise HTTPError(400, f"The call is not well-formed XML: {exc}.") from None
    except (xmlrpc.client.ResponseError, ValueError, TypeError, OverflowError, IndexError) as exc:
        raise HTTPError(400, f"The call is not valid XML-RPC: {str(exc)[:200]}") from None
    method = unmarshaller.getmethodname()
    if method is None:
        raise HTTPError(400, "The document is not an XML-RPC methodCall.")
    if not allow_none and _has_none(params):
        raise HTTPError(400, "The call sends <nil/>, which this endpoint does not accept.")
    return method, tuple(params)


def _has_none(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if item is None:
            return True
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False


def result_body(result: Any, allow_none: bool) -> bytes:
    """A methodResponse carrying ``result``; TypeError/OverflowError if it cannot be marshalled."""
    text = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=allow_none)
    return text.encode("utf-8")


def fault_body(code: int, message: str) -> bytes:
    """A methodResponse carrying a fault."""
    fault = xmlrpc.client.Fault(code, message)
    return xmlrpc.client.dumps(fault, methodresponse=True).encode("utf-8")
