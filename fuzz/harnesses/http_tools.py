"""The proxy, decode, encode and accept tools in an app: any header or body is a 2xx or their 4xx.

Each input becomes forwarding headers (X-Forwarded-*, Forwarded), Accept,
Accept-Charset, a form Content-Type and a body, sent through an app with the
tools on (X-Forwarded-* and Forwarded set-ups, two hops). A 500, or any
status the tools do not document, is a finding.

Run alone: ``uv run python fuzz/harnesses/http_tools.py -max_total_time=60``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _http_text

INSTRUMENT = ["pegboard", "pegboard_http"]
SEEDS = [
    b"\x00198.51.100.7, 10.0.0.2\nexample.com\nhttps\nfor=198.51.100.7;proto=https\n"
    b"text/html\niso-8859-1\napplication/x-www-form-urlencoded; charset=cp1252\nname=J%FCrgen",
    b'\x00198.51.100.7:\xb2\nexample.com:\xb9\nftp\nfor="[::1]:\xb3"\n*/html;q=2\nrot13;q=x\n'
    b"multipart/form-data; boundary=x; charset=hex\n--x\r\nContent-Disposition: form-data; "
    b'name="a"\r\nContent-Type: text/plain; charset=zlib\r\n\r\nb\r\n--x--\r\n',
]
#: What each response may be: the tools' own answers, never a 5xx.
ALLOWED = {200, 400, 406, 413, 415}

_apps: list[Any] = []


def _build() -> list[Any]:
    import pegboard

    common = {
        "tools.decode.on": True,
        "tools.decode.default_encoding": ["utf-8", "cp1252"],
        "tools.encode.on": True,
        "tools.accept.on": True,
        "tools.accept.media": ["text/html", "application/json"],
        "tools.proxy.on": True,
        "tools.proxy.hops": 2,
        "tools.proxy.trusted": ["127.0.0.0/8", "10.0.0.0/8"],
    }
    x_forwarded = {
        "tools.proxy.remote": "X-Forwarded-For",
        "tools.proxy.local": "X-Forwarded-Host",
        "tools.proxy.scheme": "X-Forwarded-Proto",
    }
    apps = []
    for family in (x_forwarded, {"tools.proxy.forwarded": True}):
        app = pegboard.App({"/": {**common, **family}})

        @app.route("/form", methods=["GET", "POST"])
        def form(req: Any, resp: Any) -> str:
            return f"{req.remote.ip} {req.base} {dict(req.form)!r}"

        app.start()
        apps.append(app)
    return apps


def fuzz_one(data: bytes) -> None:
    from pegboard.testing import Client

    if not _apps:
        _apps.extend(_build())
    xff, xfh, xfp, forwarded, accept, accept_charset, ctype, _ = _http_text.fields(data, 8)
    headers = {
        "X-Forwarded-For": xff,
        "X-Forwarded-Host": xfh,
        "X-Forwarded-Proto": xfp,
        "Forwarded": forwarded,
        "Accept": accept,
        "Accept-Charset": accept_charset,
        "Content-Type": ctype,
    }
    parts = data[1:].split(b"\n", 7)
    raw = parts[7] if len(parts) == 8 else b""  # the body as bytes, whatever the text mode
    app = _apps[data[0] % 2 if data else 0]
    result = Client(app, validate=False).post(
        "/form", headers={k: v for k, v in headers.items() if v}, body=raw
    )
    assert result.status in ALLOWED, (result.status, result.text[:300])


def test_one_input(data: bytes) -> None:
    fuzz_one(data)


if __name__ == "__main__":
    import atheris

    with atheris.instrument_imports(include=INSTRUMENT):
        import pegboard_http  # noqa: F401
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
