"""JSON in and out for pegboard: ``json_in``, ``json_out`` and RFC 9457 problem details.

``tools.json_in`` parses JSON request bodies (``json_of(req)``, or ``req.json``);
``tools.json_out`` encodes what handlers return (orjson when installed);
``tools.json_out.problem_details`` turns errors into application/problem+json.
"""

from __future__ import annotations

import pegboard

from .decoding import DecodeError, decode, decode_stdlib
from .encoding import HAVE_ORJSON, encode, encode_stdlib, json_default
from .json_in import (
    DEFAULT_CONTENT_TYPES,
    JsonInOptions,
    JsonInTool,
    decode_body,
    json_of,
    parse_json_body,
)
from .json_out import JsonOutOptions, JsonOutTool
from .problems import PROBLEM_TYPE, problem_body

__all__ = [
    "DEFAULT_CONTENT_TYPES",
    "HAVE_ORJSON",
    "PROBLEM_TYPE",
    "DecodeError",
    "JsonInOptions",
    "JsonInTool",
    "JsonOutOptions",
    "JsonOutTool",
    "decode",
    "decode_body",
    "decode_stdlib",
    "encode",
    "encode_stdlib",
    "json_default",
    "json_of",
    "parse_json_body",
    "pegboard_tools",
    "problem_body",
]


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    return [JsonInTool(), JsonOutTool()]
