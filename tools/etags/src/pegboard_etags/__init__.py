"""Conditional requests for pegboard (RFC 9110 §13): ETags, Last-Modified, 304 and 412.

``tools.etags`` validates If-Match/If-None-Match (and tags bodies with
``autotags``); ``tools.last_modified`` validates If-Modified-Since and
If-Unmodified-Since; ``@validator`` answers before the handler runs.
"""

from __future__ import annotations

from typing import Any

import pegboard

from .conditions import evaluate
from .dates import http_date, parse_http_date
from .decorators import validator
from .entity_tags import body_tag, parse_entity_tag, parse_tag_list, to_entity_tag
from .tools import EtagsTool, LastModifiedTool, validate_etags, validate_since

__all__ = [
    "EtagsTool",
    "LastModifiedTool",
    "body_tag",
    "evaluate",
    "http_date",
    "parse_entity_tag",
    "parse_http_date",
    "parse_tag_list",
    "pegboard_tools",
    "to_entity_tag",
    "validate_etags",
    "validate_since",
    "validator",
]


@pegboard.hookimpl
def pegboard_tools() -> list[Any]:
    return [EtagsTool(), LastModifiedTool()]
