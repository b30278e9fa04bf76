"""Hostile Range and conditional headers get a 2xx, 304, 412 or 416, never a 500 (issue 14).

A Range number longer than Python's int-string limit (4300 digits) made
``int()`` raise, a 500 with a traceback in the log; Unicode digits were read
as numbers. Both ``staticdir`` and ``serve_file`` go through the same code,
and both are checked, in-process and over a socket with httpx.
"""

from __future__ import annotations

import logging
import sys

import httpx
import pytest

import pegboard_static

HUGE = "9" * (sys.get_int_max_str_digits() + 700)  # past the int-string limit
SIZE = 300_000


@pytest.fixture
def app(static_app, site):
    """staticdir on /static, and a handler answering with serve_file on /file."""
    app = static_app()

    @app.route("/file")
    def file(req, resp):
        return pegboard_static.serve_file(site.public / "big.bin")

    return app


@pytest.fixture(params=["/static/big.bin", "/file"], ids=["staticdir", "serve_file"])
def path(request):
    return request.param


# (Range header, status, Content-Range or None, first and last byte sent)
CASES = [
    (f"bytes=0-{HUGE}", 206, f"bytes 0-{SIZE - 1}/{SIZE}", (0, SIZE - 1)),
    (f"bytes=-{HUGE}", 206, f"bytes 0-{SIZE - 1}/{SIZE}", (0, SIZE - 1)),
    (f"bytes=10-19, 0-{HUGE}", 206, f"bytes 0-{SIZE - 1}/{SIZE}", (0, SIZE - 1)),
    (f"bytes={HUGE}-", 416, f"bytes */{SIZE}", None),
    (f"bytes={HUGE}-{HUGE}", 416, f"bytes */{SIZE}", None),
    (f"bytes={HUGE}-{'9' * 5}", 200, None, None),  # last before first: the header is invalid
    (f"bytes=0{HUGE}-1", 200, None, None),
    ("bytes=0000000000000000000000000000000000000000007-9", 206, f"bytes 7-9/{SIZE}", (7, 9)),
    ("bytes=\u0661-\u0669", 200, None, None),  # Arabic-Indic digits are not digits here
    ("bytes=\uff11-\uff19", 200, None, None),  # nor are fullwidth ones
]


@pytest.mark.parametrize(("header", "status", "content_range", "sent"), CASES)
def test_ranges_with_numbers_of_any_length(
    app, make_client, site, caplog, path, header, status, content_range, sent
):
    with caplog.at_level(logging.WARNING):
        result = make_client(app).get(path, headers={"Range": header})
    assert result.status == status
    assert result.headers.get("Content-Range") == content_range
    if status == 200:
        assert result.body == site.big
    elif sent is not None:
        assert result.body == site.big[sent[0] : sent[1] + 1]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize(
    "if_range",
    [
        HUGE,
        f'"{HUGE}"',
        f'W/"{HUGE}"',
        "Sun, 06 Nov 1994 08:49:37 GMT" * 200,
        f"Sun, {HUGE} Nov 1994 08:49:37 GMT",
        '"unterminated',
        "\x00\x01\x7f\xff",
    ],
)
def test_if_range_that_does_not_match_sends_everything(app, make_client, site, path, if_range):
    result = make_client(app).get(path, headers={"Range": "bytes=0-9", "If-Range": if_range})
    assert result.status == 200
    assert result.body == site.big


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("If-None-Match", f'"{HUGE}", W/"x", ,,, "'),
        ("If-Match", f"{HUGE}"),
        ("If-Modified-Since", f"Sun, 06 Nov {HUGE} 08:49:37 GMT"),
        ("If-Unmodified-Since", "Sun, 99 Nov 1994 99:99:99 GMT"),
        ("Accept-Encoding", f"gzip;q={HUGE}, br;q=0.{HUGE}, \x00;;;=,"),
    ],
)
def test_malformed_conditions_and_codings_are_never_a_500(app, make_client, path, name, value):
    result = make_client(app).get(path, headers={name: value})
    assert result.status in (200, 412)


def test_a_huge_range_over_a_socket_with_httpx(app, live_server, site):
    server = live_server(app)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for path in ("/static/big.bin", "/file"):
            whole = client.get(path, headers={"Range": f"bytes=0-{HUGE}"})
            assert whole.status_code == 206
            assert whole.headers["content-range"] == f"bytes 0-{SIZE - 1}/{SIZE}"
            assert whole.content == site.big
            beyond = client.get(path, headers={"Range": f"bytes={HUGE}-"})
            assert beyond.status_code == 416
            assert beyond.headers["content-range"] == f"bytes */{SIZE}"
