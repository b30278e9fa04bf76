"""serve_file, serve_fileobj, serve_download from handlers, and the staticfile tool."""

from __future__ import annotations

import contextvars
import io
import os
from urllib.parse import quote

import pytest

import pegboard
import pegboard_static
from pegboard_static import serve_download, serve_file, serve_fileobj


@pytest.fixture
def app(make_app):
    return make_app(discover=False, plugins=[pegboard_static])


def test_serve_file_with_validators_and_ranges(app, make_client, site):
    @app.route("/doc")
    def doc(req, resp):
        return serve_file(site.public / "a.txt")

    client = make_client(app)
    result = client.get("/doc")
    assert result.status == 200
    assert result.body == b"hello, static world\n"
    assert result.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "Content-Disposition" not in result.headers
    assert client.get("/doc", headers={"If-None-Match": result.headers["ETag"]}).status == 304
    part = client.get("/doc", headers={"Range": "bytes=7-12"})
    assert (part.status, part.body) == (206, b"static")


def test_serve_file_options(app, make_client, site):
    @app.route("/inline")
    def inline(req, resp):
        return serve_file(str(site.public / "a.txt"), "text/x-special", "inline", "notes.txt")

    result = make_client(app).get("/inline")
    assert result.headers["Content-Type"] == "text/x-special"
    assert result.headers["Content-Disposition"] == 'inline; filename="notes.txt"'


def test_serve_file_missing_is_404_and_relative_is_an_error(app, make_client, site):
    @app.route("/missing")
    def missing(req, resp):
        return serve_file(site.public / "nope.txt")

    @app.route("/relative")
    def relative(req, resp):
        return serve_file("a.txt")

    client = make_client(app)
    assert client.get("/missing").status == 404
    assert client.get("/relative").status == 500


def test_serve_download_uses_rfc_6266_filename_star(app, make_client, site):
    @app.route("/download")
    def download(req, resp):
        return serve_download(site.public / "a.txt", name="résumé «final».txt")

    result = make_client(app).get("/download")
    assert result.headers["Content-Type"] == "application/octet-stream"
    disposition = result.headers["Content-Disposition"]
    encoded = quote("résumé «final».txt", safe="")
    assert disposition == f"attachment; filename=\"resume _final_.txt\"; filename*=UTF-8''{encoded}"
    assert result.body == b"hello, static world\n"


def test_serve_download_plain_names_and_quotes(app, make_client, site):
    @app.route("/plain")
    def plain(req, resp):
        return serve_download(site.public / "a.txt")

    @app.route("/quoted")
    def quoted(req, resp):
        return serve_download(site.public / "a.txt", name='say "hi"\\.txt')

    client = make_client(app)
    assert client.get("/plain").headers["Content-Disposition"] == 'attachment; filename="a.txt"'
    tricky = client.get("/quoted").headers["Content-Disposition"]
    assert tricky.startswith(
        "attachment; filename=\"say _hi__.txt\"; filename*=UTF-8''say%20%22hi%22%5C.txt"
    )


def test_serve_fileobj_from_a_real_file(app, make_client, site):
    @app.route("/obj")
    def obj(req, resp):
        return serve_fileobj(open(site.public / "big.bin", "rb"), name="big.bin")

    client = make_client(app)
    result = client.get("/obj")
    assert result.body == site.big
    assert result.headers["Content-Type"] == "application/octet-stream"
    assert "ETag" in result.headers
    part = client.get("/obj", headers={"Range": "bytes=-3"})
    assert (part.status, part.body) == (206, site.big[-3:])


def test_serve_fileobj_from_memory_and_from_a_position(app, make_client):
    @app.route("/memory")
    def memory(req, resp):
        return serve_fileobj(io.BytesIO(b"0123456789"), "text/plain", "attachment", "digits.txt")

    @app.route("/tail")
    def tail(req, resp):
        data = io.BytesIO(b"header|payload")
        data.seek(7)
        return serve_fileobj(data, "text/plain")

    client = make_client(app)
    result = client.get("/memory")
    assert result.body == b"0123456789"
    assert result.headers["Content-Disposition"] == 'attachment; filename="digits.txt"'
    assert result.headers["Content-Length"] == "10"
    assert "ETag" not in result.headers
    part = client.get("/memory", headers={"Range": "bytes=2-4"})
    assert (part.status, part.body) == (206, b"234")
    assert client.get("/tail").body == b"payload"
    assert client.get("/tail", headers={"Range": "bytes=0-2"}).body == b"pay"


def test_serve_fileobj_that_cannot_seek_streams_without_ranges(app, make_client):
    class Pipe(io.RawIOBase):
        def __init__(self):
            self._data = io.BytesIO(b"streamed bytes")

        def readable(self):
            return True

        def readinto(self, buffer):
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    @app.route("/pipe")
    def pipe(req, resp):
        return serve_fileobj(Pipe(), "application/x-stream")

    result = make_client(app).get("/pipe", headers={"Range": "bytes=0-1"})
    assert result.status == 200
    assert result.body == b"streamed bytes"
    assert result.headers["Accept-Ranges"] == "none"


def test_serve_file_needs_a_request_outside_handlers(site):
    # A fresh context: no request is bound there.
    with pytest.raises(RuntimeError, match="req/resp"):
        contextvars.Context().run(serve_file, site.public / "a.txt")


def test_staticfile(make_app, make_client, site):
    config = {
        "/favicon.ico": {
            "tools.staticfile.on": True,
            "tools.staticfile.filename": str(site.public / "a.txt"),
        },
        "/logo": {
            "tools.staticfile.on": True,
            "tools.staticfile.root": str(site.public),
            "tools.staticfile.filename": "photo.PNG",
            "tools.staticfile.max_age": 60,
        },
        "/gone": {
            "tools.staticfile.on": True,
            "tools.staticfile.filename": str(site.public / "nope"),
        },
    }
    client = make_client(make_app(config, discover=False, plugins=[pegboard_static]))
    icon = client.get("/favicon.ico")
    assert icon.body == b"hello, static world\n"
    assert icon.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert client.get("/favicon.ico", headers={"Range": "bytes=0-4"}).body == b"hello"
    logo = client.get("/logo")
    assert (logo.headers["Content-Type"], logo.headers["Cache-Control"]) == (
        "image/png",
        "max-age=60",
    )
    assert client.get("/gone").status == 404
    assert client.post("/favicon.ico").status == 405


def test_staticfile_relative_to_the_working_directory(make_app, make_client, site, monkeypatch):
    monkeypatch.chdir(site.public)
    config = {"/f": {"tools.staticfile.on": True, "tools.staticfile.filename": "sub/page.txt"}}
    client = make_client(make_app(config, discover=False, plugins=[pegboard_static]))
    assert client.get("/f").body == b"page\n"


def test_staticfile_needs_a_filename(make_app):
    app = make_app({"/f": {"tools.staticfile.on": True}}, discover=False, plugins=[pegboard_static])
    with pytest.raises(pegboard.ConfigError, match="filename"):
        app.start()


def test_serve_file_path_like(app, make_client, site):
    @app.route("/pathlike")
    def pathlike(req, resp):
        return serve_file(os.fspath(site.public / "sub" / "page.txt"))

    assert make_client(app).get("/pathlike").body == b"page\n"
