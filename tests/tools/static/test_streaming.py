"""Files stream: the server's wsgi.file_wrapper when offered, else 64 KiB reads; always closed."""

from __future__ import annotations

import gc
import os
import tracemalloc
from wsgiref.util import FileWrapper, setup_testing_defaults

import pytest

import pegboard_static


def _open_fds() -> int:
    gc.collect()  # files leaked by unrelated code must not close in the middle of a count
    return len(os.listdir("/proc/self/fd"))


def _call(app, path, **extra):
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path}
    setup_testing_defaults(environ)
    environ.update(extra)
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, dict(headers)

    body = app(environ, start_response)
    return captured["status"], captured["headers"], body


def test_the_servers_file_wrapper_is_handed_back_untouched(static_app, site):
    app = static_app()
    status, headers, body = _call(app, "/static/big.bin", **{"wsgi.file_wrapper": FileWrapper})
    assert status == "200 OK"
    assert isinstance(body, FileWrapper)
    assert headers["Content-Length"] == "300000"
    before = _open_fds()
    assert b"".join(body) == site.big
    body.close()
    assert _open_fds() == before - 1


def test_without_a_file_wrapper_the_file_is_read_in_64_kib_chunks(static_app, site):
    app = static_app()
    before = _open_fds()
    _status, _, body = _call(app, "/static/big.bin")
    chunks = list(body)
    assert max(len(c) for c in chunks) == 65536
    assert len(chunks) == 5
    assert b"".join(chunks) == site.big
    body.close()
    assert _open_fds() == before


def test_a_client_that_leaves_early_does_not_leak_the_file(static_app):
    app = static_app()
    before = _open_fds()
    _, _, body = _call(app, "/static/big.bin")
    next(iter(body))
    body.close()
    assert _open_fds() == before


def test_ranges_never_use_the_file_wrapper(static_app, site):
    # Not every server stops a file wrapper at Content-Length; a generator does.
    app = static_app()
    extra = {"wsgi.file_wrapper": FileWrapper, "HTTP_RANGE": "bytes=10-19"}
    status, _headers, body = _call(app, "/static/big.bin", **extra)
    assert status == "206 Partial Content"
    assert not isinstance(body, FileWrapper)
    assert b"".join(body) == site.big[10:20]
    body.close()


def test_file_wrapper_with_end_request_hooks(make_app, make_client, site):
    ended = []

    def on_end(req, resp):
        ended.append(req.path)

    config = {
        "/static": {
            "tools.staticdir.on": True,
            "tools.staticdir.dir": str(site.public),
            "hooks.on_end_request": on_end,
        }
    }
    app = make_app(config, discover=False, plugins=[pegboard_static])
    result = make_client(app).get("/static/big.bin", environ={"wsgi.file_wrapper": FileWrapper})
    assert result.body == site.big
    assert ended == ["/static/big.bin"]


def test_a_10_mb_file_is_never_held_in_memory(static_app, site):
    with open(site.public / "ten.bin", "wb") as fh:
        fh.truncate(10 * 1024 * 1024)
    app = static_app()
    tracemalloc.start()
    try:
        _, headers, body = _call(app, "/static/ten.bin")
        total = 0
        for chunk in body:
            total += len(chunk)
        body.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert headers["Content-Length"] == str(10 * 1024 * 1024)
    assert total == 10 * 1024 * 1024
    assert peak < 1024 * 1024


def test_a_file_that_shrinks_while_sent_aborts_the_response(static_app, site):
    app = static_app()
    _, _, body = _call(app, "/static/big.bin")
    iterator = iter(body)
    next(iterator)
    os.truncate(site.public / "big.bin", 70_000)
    with pytest.raises(OSError, match="shrank"):
        for _ in iterator:
            pass
    body.close()


def test_a_file_of_one_chunk_is_read_at_once_and_closed_at_once(static_app, site):
    (site.public / "chunk.bin").write_bytes(site.big[:65536])
    (site.public / "chunk1.bin").write_bytes(site.big[:65537])
    app = static_app()
    before = _open_fds()
    _, _, body = _call(app, "/static/chunk.bin", **{"wsgi.file_wrapper": FileWrapper})
    assert _open_fds() == before  # closed before the server sees the body
    assert not isinstance(body, FileWrapper)
    assert b"".join(body) == site.big[:65536]
    _, _, body = _call(app, "/static/chunk1.bin", **{"wsgi.file_wrapper": FileWrapper})
    assert isinstance(body, FileWrapper)
    assert b"".join(body) == site.big[:65537]
    body.close()
