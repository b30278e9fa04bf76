"""Fuzz JSON request bodies with charsets: json_in answers 4xx or parses, never anything else.

Two levels per input:

- ``pegboard_json.decode_body(data, content_type, decoder)`` with both
  decoders (orjson and the standard library): it returns a value or raises
  ``HTTPError`` with a 4xx status, and nothing else;
- a whole app (json_in, json_out with problem details) called as a WSGI
  server would: the status is 200, 400, 413 or 415, never a 5xx.

The Content-Type is either ``application/json`` with a charset from a list of
real, odd and hostile labels (``rot13``, ``zlib``, ``utf-7``...) or fuzzed
text; the body is the rest of the input.

    uv run python fuzz/run.py json_body --seconds 300

Last long run (-max_total_time=240, from the seeds): 454,252 inputs in 241 s
(about 1,900 a second on two shared cores, each input decoded twice and sent
to two apps), 39 corpus entries, nothing found.
"""

from __future__ import annotations

from typing import Any

import atheris
from fuzzlib import status_of, wire_text

import pegboard
import pegboard_json
from pegboard_json import decode, decode_body, decode_stdlib

INSTRUMENT = ["pegboard_json", "pegboard"]

CHARSETS = [
    "utf-8",
    "UTF8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "UTF-16BE",
    "utf-32",
    "utf_32_le",
    "latin-1",
    "ascii",
    "cp1252",
    "cp037",
    "mac-roman",
    "koi8-r",
    "shift_jis",
    "cp932",
    "euc-jp",
    "iso2022_jp",
    "iso2022_jp_2",
    "euc-kr",
    "gb18030",
    "hz",
    "big5",
    "big5hkscs",
    "utf-7",
    "rot13",
    "hex",
    "base64",
    "zlib",
    "bz2",
    "uu",
    "quopri",
    "idna",
    "punycode",
    "unicode_escape",
    "raw_unicode_escape",
    "undefined",
    "klingon",
    '"utf-8"',
    "",
]
DECODERS = [decode, decode_stdlib]
ALLOWED_STATUSES = {200, 400, 413, 415}


def _stdlib(req: pegboard.Request) -> Any:
    return pegboard_json.parse_json_body(req, decoder=decode_stdlib)


def _app(processor: Any) -> pegboard.App:
    config: dict[str, Any] = {
        "tools.json_in.on": True,
        "tools.json_in.max_bytes": 64 * 1024,
        "tools.json_out.on": True,
        "tools.json_out.problem_details": True,
    }
    if processor is not None:
        config["tools.json_in.processor"] = processor
    app = pegboard.App({"/": config}, plugins=[pegboard_json], discover=False)
    app.route("/", lambda req, resp: {"got": pegboard_json.json_of(req)}, methods=["POST"])
    app.start()
    return app


APPS = [_app(None), _app(_stdlib)]


def fuzz_one(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    if fdp.ConsumeBool():
        label = fdp.PickValueInList(CHARSETS)
        content_type = f"application/json; charset={label}" if label else "application/json"
    else:
        content_type = wire_text(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 80)))
    body = fdp.ConsumeBytes(atheris.ALL_REMAINING)
    for decoder in DECODERS:
        try:
            decode_body(body, content_type, decoder)
        except pegboard.HTTPError as exc:
            if not 400 <= exc.status < 500:
                raise
    for app in APPS:
        status = status_of(app, "POST", headers={"Content-Type": content_type}, body=body)
        if status not in ALLOWED_STATUSES:
            raise AssertionError(f"status {status} for {content_type!r} and {body[:200]!r}")


SEEDS = [
    b"\x01\x00{}",
    b'\x01\x03{"a": [1, 2.5, "\xc3\xa9", null, true]}',
    b"\x01\x19{}",
    b"\x01\x05\xff\xfe{\x00}\x00",
    b"\x00\x1fapplication/json; charset=utf-16" + '{"a": 1}'.encode("utf-16"),
    b"\x01\x00" + b"9" * 5000,
    b"\x01\x00" + b"[" * 3000,
]
