"""Conditional requests for pegboard (RFC 9110 §13): ETags, Last-Modified, 304 and 412.

``tools.etags`` validates If-Match/If-None-Match (and tags bodies with
``autotags``); ``tools.last_modified`` validates If-Modified-Since and
If-Unmodified-Since; ``@validator`` answers before the handler runs. Parsing
and comparing tags and dates is :mod:`pegboard.httputil`'s.
"""

from __future__ import annotations

from typing import Any

import pegboard
from pegboard.httputil import parse_http_date

from .conditions import evaluate
from .decorators import validator
from .tools import (
    EtagsOptions,
    EtagsTool,
    LastModifiedOptions,
    LastModifiedTool,
    Validator,
    validate_etags,
    validate_since,
)
from .validators import body_tag, http_date, to_entity_tag

__all__ = [
    "EtagsOptions",
    "EtagsTool",
    "LastModifiedOptions",
    "LastModifiedTool",
    "Validator",
    "body_tag",
    "evaluate",
    "http_date",
    "parse_http_date",
    "pegboard_tools",
    "to_entity_tag",
    "validate_etags",
    "validate_since",
    "validator",
]

# Parsers this package had before pegboard.httputil; they return its types now.
_MOVED = {
    "parse_entity_tag": "pegboard.httputil.parse_entity_tag (it returns an EntityTag)",
    "parse_tag_list": "pegboard.httputil.parse_entity_tag_list (it returns EntityTag objects)",
}


def __getattr__(name: str) -> Any:
    moved = _MOVED.get(name)
    if moved is not None:
        raise AttributeError(f"pegboard_etags.{name} is gone: use {moved}")
    raise AttributeError(f"module 'pegboard_etags' has no attribute {name!r}")


@pegboard.hookimpl
def pegboard_tools() -> list[Any]:
    return [EtagsTool(), LastModifiedTool()]
