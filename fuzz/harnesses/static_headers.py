"""staticdir and serve_file under hostile Range, If-Range, If-*, Accept-Encoding headers.

Invariants: the answer is 200, 206, 304, 412 or 416, never a 500; a 200 is
the whole representation (the file, or the precompressed sibling named by
Content-Encoding, which the client must accept); a 206 is exactly the bytes
Content-Range names, with a Content-Length to match; a 416 names the size;
a 304 has no body and carries an ETag; a stale sibling is never sent.

    uv run python fuzz/run.py static_headers --seconds 60

Long run (libFuzzer through atheris 3.0, Python 3.11, on a 2-core machine
shared with other jobs): 47,652 executions (two runs of 4-5 minutes, inputs
up to 12,000 bytes, 80-110 a second), no failure.
"""

from __future__ import annotations

import gzip
import re

import fuzzlib

import pegboard
import pegboard_static
from pegboard import httputil

INSTRUMENT = ["pegboard_static", "pegboard"]

SEEDS = [
    b"bytes=0-9\n\n\n\n\n\ngzip",
    b'bytes=-5, 3-4, 900-\n"x"\n\n\n\n\nbr;q=0.5, gzip',
    b"bytes=0-99999999999999999999999999999999\nSun, 06 Nov 1994 08:49:37 GMT\n*\n*\n\n\n*",
    b'\n\n"a", W/"b"\nW/"a"\nSun, 06 Nov 1994 08:49:37 GMT\nMon, 01 Jan 2001 00:00:00 GMT\n',
    b"\x01bytes=0-" + b"9" * 5000,  # past Python's int-string limit (issue 14)
    b"\x02bytes=" + b"9" * 5000 + b"-\n" + b"9" * 5000,
]
PUBLIC = fuzzlib.make_site()
FILES = {"/static/a.txt": PUBLIC / "a.txt", "/static/site.css": PUBLIC / "site.css"}
PATHS = [*FILES, "/file"]
CONTENT_RANGE = re.compile(r"bytes ([0-9]+)-([0-9]+)/([0-9]+)").fullmatch

app = pegboard.App(
    {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(PUBLIC)}},
    plugins=[pegboard_static],
    discover=False,
)


@app.route("/file")
def file(req: pegboard.Request, resp: pegboard.Response) -> object:
    return pegboard_static.serve_file(PUBLIC / "site.css", req=req, resp=resp)


app.start()
HEADERS = (
    "range",
    "if_range",
    "if_match",
    "if_none_match",
    "if_modified_since",
    "if_unmodified_since",
    "accept_encoding",
)


def fuzz_one(data: bytes) -> None:
    if not data:
        return
    path = PATHS[data[0] % len(PATHS)]
    method = "HEAD" if data[0] & 0x80 else "GET"
    given = dict(zip(HEADERS, fuzzlib.values(data[1:], len(HEADERS)), strict=True))
    sent = {name: value for name, value in given.items() if value}
    status, headers, body = fuzzlib.call(app, fuzzlib.environ(path, method, **sent))
    assert status in (200, 206, 304, 412, 416), status
    source = FILES.get(path, PUBLIC / "site.css").read_bytes()
    coding = headers.get("content-encoding")
    whole = gzip.decompress(body) if coding == "gzip" and status == 200 else body
    if coding is not None:
        assert coding == "gzip", coding  # the only sibling there is (a.txt's is stale)
        accept = sent.get("accept_encoding")
        assert accept is not None
        assert httputil.parse_accept_encoding(accept, strict=False).acceptable("gzip")
        source = (PUBLIC / "site.css.gz").read_bytes()
    if method == "HEAD" or status == 304:
        assert body == b""
    elif status == 200:
        assert (whole if coding else body) == (gzip.decompress(source) if coding else source)
        assert int(headers["content-length"]) == len(body)
    elif status == 206:
        assert int(headers["content-length"]) == len(body)
        found = CONTENT_RANGE(headers.get("content-range", ""))
        if found is not None:  # a single range (else multipart/byteranges)
            first, last, size = (int(n) for n in found.groups())
            assert size == len(source) and body == source[first : last + 1]
        else:
            assert headers["content-type"].startswith("multipart/byteranges; boundary=")
    elif status == 416:
        assert headers["content-range"] == f"bytes */{len(source)}"
    if status == 304:
        assert headers.get("etag")
    assert fuzzlib.SECRET not in body
