"""gzip with etags and last_modified under hostile Accept-Encoding and conditional headers.

The handler's own validators (its ETag and Last-Modified) are fuzzed too,
when a header may carry them. Invariants: the answer is 200, 304 or 412,
never a 500; a compressed 200 uses a coding the client accepts, decodes to
the body and carries that coding's ETag suffix on a strong tag; a 304 has
no body, and an ETag where its 200 has one; every 200 and 304 says
``Vary: Accept-Encoding`` (a 412 is an error page raised before gzip's
hook, always sent as it is).

    uv run python fuzz/run.py gzip_headers --seconds 60

Long run (libFuzzer through atheris 3.0, Python 3.11, on a 2-core machine
shared with other jobs): 418,258 executions (one run of 4 minutes), no
failure.
"""

from __future__ import annotations

import fuzzlib

import pegboard
import pegboard_etags
import pegboard_gzip
from pegboard import httputil

INSTRUMENT = ["pegboard_gzip", "pegboard"]

SEEDS = [
    b'gzip, br;q=0.5\n"abc-gzip"\n\n\n\n"abc"\nSun, 06 Nov 1994 08:49:37 GMT',
    b'*;q=0.1, identity;q=0\nW/"abc-br", "x"\n*\nSun, 06 Nov 1994 08:49:37 GMT\n\n\n',
    b'x-gzip;q=1.000\n"v-gzip-gzip"\n"v"\n\nMon, 01 Jan 2001 00:00:00 +0100\nW/"v"\n',
]
BODY = b"compressible text, compressible text, compressible text. " * 20
HEADERS = (
    "accept_encoding",
    "if_none_match",
    "if_match",
    "if_modified_since",
    "if_unmodified_since",
    "etag",
    "last_modified",
)

app = pegboard.App(
    {
        "/": {
            "tools.gzip.on": True,
            "tools.etags.on": True,
            "tools.last_modified.on": True,
        },
        "/auto": {"tools.etags.autotags": True},
    },
    plugins=[pegboard_gzip, pegboard_etags],
    discover=False,
)


def page(req: pegboard.Request, resp: pegboard.Response) -> bytes:
    resp.headers["Content-Type"] = "text/plain; charset=utf-8"
    for name in ("ETag", "Last-Modified"):
        value = req.environ.get(f"HTTP_X_{name.upper().replace('-', '_')}")
        if value and httputil.is_valid_field_value(value):
            resp.headers[name] = value
    return BODY


app.route("/", page)
app.route("/auto", page)
app.start()


def fuzz_one(data: bytes) -> None:
    if not data:
        return
    path = "/auto" if data[0] & 1 else "/"
    given = dict(zip(HEADERS, fuzzlib.values(data[1:], len(HEADERS)), strict=True))
    sent = {name: value for name, value in given.items() if value}
    for name in ("etag", "last_modified"):
        if name in sent:
            sent[f"x_{name}"] = sent.pop(name)
    status, headers, body = fuzzlib.call(app, fuzzlib.environ(path, **sent))
    assert status in (200, 304, 412), status
    if status == 412:
        return  # an error page, raised before gzip's hook: never compressed, so no Vary
    assert "accept-encoding" in headers.get("vary", "").lower()
    if status == 304:
        assert body == b""
        if path == "/auto":  # its 200 always has a tag, so its 304 has one too
            assert headers.get("etag")
        assert "content-encoding" not in headers
        return
    coding = headers.get("content-encoding")
    if coding is not None:
        accept = sent.get("accept_encoding")
        assert accept is not None
        assert httputil.parse_accept_encoding(accept, strict=False).acceptable(coding)
        tag = httputil.parse_entity_tag(headers.get("etag", ""))
        if tag is not None and not tag.weak:
            assert tag.opaque.endswith(f"-{coding}"), (tag, coding)
    assert fuzzlib.decode(coding, body) == BODY
