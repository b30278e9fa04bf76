"""Real clients over a real socket: curl --compressed, httpx and requests decode every coding."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import threading

import httpx
import pytest
import requests
from urllib3.util.request import ACCEPT_ENCODING

import pegboard
import pegboard_etags
import pegboard_gzip
import pegboard_json
from pegboard.testing import LiveServer

DATA = {"numbers": list(range(400)), "note": "decoded by a real client"}
CODINGS = ["gzip", "deflate", "br", "zstd"]
# What requests (urllib3) asks for and can decode here; zstd needs urllib3[zstd]
# on Python < 3.14, so it is tested when urllib3 advertises it.
REQUESTS_CODINGS = [c.strip() for c in ACCEPT_ENCODING.split(",")]


@pytest.fixture(scope="module")
def server():
    """One live server for the module: starting and stopping one costs about a second."""
    app = pegboard.App(
        {
            "/": {
                "tools.gzip.on": True,
                "tools.etags.on": True,
                "tools.etags.autotags": True,
                "tools.json_out.on": True,
            },
            "/upload": {"tools.gzip.decompress_requests": True, "tools.json_in.on": True},
        },
        plugins=[pegboard_gzip, pegboard_etags, pegboard_json],
        discover=False,
    )
    app.route("/data", lambda req, resp: DATA)
    app.route("/upload", lambda req, resp: {"received": req.json}, methods=["POST"])
    release = threading.Event()

    @app.route("/stream")
    def stream(req, resp):
        resp.headers["Content-Type"] = "text/plain; charset=utf-8"

        def lines():
            yield b"first line\n"
            # The client must have decoded the first line before the rest is produced.
            release.wait(5)
            yield b"second line\n"

        return lines()

    with LiveServer(app) as srv:
        srv.release = release
        yield srv


@pytest.mark.parametrize("coding", CODINGS)
def test_httpx_decodes(server, coding):
    result = httpx.get(f"{server.url}/data", headers={"Accept-Encoding": coding}, timeout=5)
    assert result.status_code == 200
    assert result.headers["content-encoding"] == coding
    assert result.json() == DATA


@pytest.mark.parametrize("coding", REQUESTS_CODINGS)
def test_requests_decodes(server, coding):
    result = requests.get(f"{server.url}/data", headers={"Accept-Encoding": coding}, timeout=5)
    assert result.status_code == 200
    assert result.headers["Content-Encoding"] == coding
    assert result.json() == DATA


@pytest.mark.parametrize("coding", CODINGS)
def test_curl_compressed_decodes(server, coding):
    curl = shutil.which("curl")
    assert curl is not None, "curl is one of the real clients CI installs"
    done = subprocess.run(
        [
            curl,
            "--silent",
            "--show-error",
            "--compressed",
            "--max-time",
            "5",
            "--header",
            f"Accept-Encoding: {coding}",
            "--dump-header",
            "-",
            f"{server.url}/data",
        ],
        capture_output=True,
        check=True,
    )
    head, _, body = done.stdout.partition(b"\r\n\r\n")
    assert f"content-encoding: {coding}".encode() in head.lower()
    assert json.loads(body) == DATA


def test_curl_default_compressed_request(server):
    """curl's own Accept-Encoding (every coding it was built with)."""
    done = subprocess.run(
        [
            shutil.which("curl") or "curl",
            "--silent",
            "--compressed",
            "--max-time",
            "5",
            "--write-out",
            "\n%{size_download}",
            f"{server.url}/data",
        ],
        capture_output=True,
        check=True,
    )
    body, _, downloaded = done.stdout.rpartition(b"\n")
    assert json.loads(body) == DATA
    assert int(downloaded) < len(json.dumps(DATA))  # it came compressed


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_304_round_trip_with_if_none_match(server, coding):
    with httpx.Client(base_url=server.url, timeout=5) as client:
        first = client.get("/data", headers={"Accept-Encoding": coding})
        etag = first.headers["etag"]
        assert etag.endswith(f'-{coding}"')
        again = client.get("/data", headers={"Accept-Encoding": coding, "If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert "accept-encoding" in again.headers["vary"].lower()
        # The same tag does not validate a different coding's representation.
        other = client.get("/data", headers={"Accept-Encoding": "identity", "If-None-Match": etag})
        assert other.status_code == 200
        assert other.json() == DATA


def test_requests_default_accept_encoding_decodes(server):
    result = requests.get(f"{server.url}/data", timeout=5)
    assert result.headers["Content-Encoding"] in REQUESTS_CODINGS
    assert result.json() == DATA


def test_requests_304_round_trip(server):
    session = requests.Session()
    first = session.get(f"{server.url}/data", timeout=5)
    etag = first.headers["ETag"]
    again = session.get(f"{server.url}/data", headers={"If-None-Match": etag}, timeout=5)
    assert again.status_code == 304
    assert again.headers["ETag"] == etag


def test_stream_reaches_the_client_chunk_by_chunk(server):
    with (
        httpx.Client(timeout=5) as client,
        client.stream("GET", f"{server.url}/stream", headers={"Accept-Encoding": "gzip"}) as result,
    ):
        assert result.headers["content-encoding"] == "gzip"
        lines = result.iter_lines()
        assert next(lines) == "first line"  # decoded before the handler went on
        server.release.set()
        assert next(lines) == "second line"


def test_gzipped_upload_with_curl(server):
    compressed = gzip.compress(json.dumps(DATA).encode())
    done = subprocess.run(
        [
            shutil.which("curl") or "curl",
            "--silent",
            "--max-time",
            "5",
            "--compressed",
            "--data-binary",
            "@-",
            "--header",
            "Content-Encoding: gzip",
            "--header",
            "Content-Type: application/json",
            f"{server.url}/upload",
        ],
        input=compressed,
        capture_output=True,
        check=True,
    )
    assert json.loads(done.stdout) == {"received": DATA}


def test_zip_bomb_upload_is_refused_over_the_socket(server):
    bomb = gzip.compress(b"[" + b" " * (30 * 1024 * 1024) + b"]")  # 30 MB of JSON, ~30 KB sent
    result = httpx.post(
        f"{server.url}/upload",
        content=bomb,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        timeout=5,
    )
    assert result.status_code == 413
