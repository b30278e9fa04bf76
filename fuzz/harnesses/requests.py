"""A whole request through the core: any path, query, Host, cookies, form or multipart body is
answered 2xx or a 4xx (400, 404, 413, 415), never a 5xx, with the handler reading everything."""

from __future__ import annotations

import fuzzlib

import pegboard

TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=rot13",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data; boundary=xyz; charset=latin-1",
    "multipart/form-data",
    "text/plain",
]
ALLOWED = {200, 400, 404, 413, 415}
SEEDS = [
    b"\x00/echo\na=1&b=2\nexample.com\nsid=abc\na=1&b=%C3%A9",
    b'\x03/echo\n\nexample.com\n\n--xyz\r\nContent-Disposition: form-data; name="f"; '
    b'filename="a.txt"\r\n\r\nhello\r\n--xyz--\r\n',
    b'\x00/%C3%A9\nx=%FF\nevil.test\n"\n%00',
    b"\x02/echo\n\nexample.com\n\n%FF%FEa%00=%FF%FEb%00",
]


def _app() -> pegboard.App:
    app = pegboard.App(
        {"request": {"allowed_hosts": ["example.com"]}, "/": {"request.max_body_size": 4096}},
        discover=False,
    )

    @app.route("/echo")
    def echo(req: pegboard.Request, resp: pegboard.Response) -> str:
        return repr((req.params, req.cookies, sorted(req.files), req.url, req.remote))

    app.start()
    return app


APP = _app()


def fuzz_one(data: bytes) -> None:
    path, query, host, cookie, body = fuzzlib.fields(data, 5)
    kind = TYPES[data[0] % len(TYPES)] if data else TYPES[0]
    raw = body.encode("latin-1", "replace")
    headers = {"Host": host, "Cookie": cookie, "Content-Type": kind}
    status = fuzzlib.status_of(
        APP, "POST", path or "/", headers=headers, body=raw, query=query.replace("\x00", "")
    )
    assert status in ALLOWED, (status, path, query, host, kind)
