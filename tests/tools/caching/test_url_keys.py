"""Distinct URLs never share a cache entry; equivalent URLs (RFC 3986 section 6.2.2) do.

Every pair of ``url_pairs.txt`` (labelled same or different) goes through the real cache: the first
target is requested (a miss, stored), then the second; it shares the entry
when it is a hit with the first one's body. In process, the environ carries
the target as sent in ``REQUEST_URI`` (as waitress, gunicorn, uWSGI and
cheroot give it), or does not (as granian and wsgiref do not); over a live
server each target is written on a raw socket, byte for byte.
"""

from __future__ import annotations

import itertools
import socket
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

import pytest

from pegboard import HTTPRedirect

SAME, DIFFERENT = "same", "different"


def _pairs():
    lines = Path(__file__).with_name("url_pairs.txt").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines if line and not line.startswith("#")]


#: (label, first target, second target)
PAIRS = _pairs()
_numbers = itertools.count()


def _site(make_app, store, config=None):
    """An app that answers every path under /p/ with a new number, and counts its calls."""
    app = make_app({"/": {**store, **(config or {})}})
    calls = []

    @app.route("/p/{rest:path}")
    def page(req, resp, rest):
        calls.append(req.environ["PATH_INFO"])
        return f"answer {next(_numbers)} for {req.environ['PATH_INFO']!r}"

    return app, calls


def _latin1(target):
    """A target as a server hands it over: the Latin-1 characters of its UTF-8 bytes."""
    return target.encode("utf-8").decode("latin-1")


def _app_view(target):
    """What a server without a raw target shows the app: (PATH_INFO, QUERY_STRING)."""
    parts = urlsplit(target)
    return unquote_to_bytes(parts.path).decode("latin-1"), parts.query


def _shared(first, second):
    """Whether ``second`` was answered from the entry ``first`` stored."""
    assert first.headers["Cache-Status"] == "pegboard; fwd=uri-miss; stored", first.headers
    hit = second.headers["Cache-Status"].startswith("pegboard; hit")
    if hit:
        assert second.body == first.body
    else:
        assert second.headers["Cache-Status"] == "pegboard; fwd=uri-miss; stored"
        assert second.body != first.body
    return hit


def test_the_corpus_is_large_and_labelled_both_ways():
    labels = [label for label, _, _ in PAIRS]
    assert len(PAIRS) >= 200
    assert labels.count(SAME) >= 80 and labels.count(DIFFERENT) >= 80
    assert {label for label, _, _ in PAIRS} == {SAME, DIFFERENT}
    assert len({(a, b) for _, a, b in PAIRS}) == len(PAIRS)


@pytest.mark.parametrize("path", ["quick", "lifecycle"])
def test_with_the_raw_target_the_cache_follows_the_labels(
    make_app, make_client, memory_store, path
):
    # "lifecycle": a no-op hook turns quick answers off, so lookup() keys every request.
    config = {"hooks.on_end_request": lambda req, resp: None} if path == "lifecycle" else {}
    app, _ = _site(make_app, memory_store, config)
    client = make_client(app)
    wrong = []
    for number, (label, a, b) in enumerate(PAIRS):
        first, second = (f"/p/{number}{target}" for target in (a, b))
        results = [
            client.get(target, environ={"REQUEST_URI": _latin1(target)})
            for target in (first, second)
        ]
        if _shared(*results) != (label == SAME):
            wrong.append((a, b, label))
    assert wrong == []


def test_without_a_raw_target_only_what_the_app_cannot_tell_apart_is_shared(
    make_app, make_client, memory_store
):
    """No REQUEST_URI: the key comes from PATH_INFO (decoded) and QUERY_STRING, injectively.

    Two different URLs then share an entry only when the app is handed the
    very same path and query for both (``/a%2Fb`` and ``/a/b`` here), so it
    could not have answered them differently.
    """
    app, _ = _site(make_app, memory_store)
    client = make_client(app)
    wrong = []
    for number, (label, a, b) in enumerate(PAIRS):
        first, second = (f"/p/{number}{target}" for target in (a, b))
        shared = _shared(client.get(first), client.get(second))
        expected = label == SAME or _app_view(first) == _app_view(second)
        if shared != expected:
            wrong.append((a, b, label))
    assert wrong == []


def _raw_get(port, target, host="127.0.0.1", method="GET"):
    """``method`` (GET) ``target`` written byte for byte; (status, headers, body)."""
    length = "Content-Length: 0\r\n" if method == "POST" else ""
    request = f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n{length}Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request.encode("utf-8"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def test_over_a_live_server_the_cache_follows_the_labels(make_app, live_server, memory_store):
    app, _ = _site(make_app, memory_store)
    server = live_server(app)
    wrong = []
    for number, (label, a, b) in enumerate(PAIRS):
        if not (a + b).isascii():
            continue  # waitress refuses a request line with raw bytes beyond ASCII (400)
        answers = [_raw_get(server.port, f"/p/{number}{target}") for target in (a, b)]
        (status_a, first, body_a), (status_b, second, body_b) = answers
        assert (status_a, status_b) == (200, 200), (a, b)
        assert first["cache-status"] == "pegboard; fwd=uri-miss; stored", (a, first)
        shared = second["cache-status"].startswith("pegboard; hit")
        assert shared == (body_a == body_b)
        if shared != (label == SAME):
            wrong.append((a, b, label))
    assert wrong == []


def test_a_primed_double_encoded_url_never_answers_the_victims_url(
    make_app, make_client, live_server, memory_store
):
    """The attack of issue 14: prime ``/a%2520b`` (path ``/a%20b``); the victim asks ``/a%20b``."""
    app, calls = _site(make_app, memory_store)
    server = live_server(app)
    _, _, primed = _raw_get(server.port, "/p/a%2520b")
    status, headers, body = _raw_get(server.port, "/p/a%20b")
    assert primed == b"answer %d for '/p/a%%20b'" % int(primed.split()[1])
    assert status == 200 and headers["cache-status"] == "pegboard; fwd=uri-miss; stored"
    assert body.endswith(b"for '/p/a b'")
    assert calls == ["/p/a%20b", "/p/a b"]
    # The same in process, with the environ a server without REQUEST_URI gives.
    client = make_client(app)
    client.get("/p/x%2520y")
    victim = client.get("/p/x%20y")
    assert victim.text.endswith("for '/p/x y'")
    assert victim.headers["Cache-Status"] == "pegboard; fwd=uri-miss; stored"


def test_a_rewritten_path_is_keyed_by_what_the_app_sees(make_app, make_client, memory_store):
    """A middleware that rewrites PATH_INFO leaves REQUEST_URI behind: it is not trusted then."""
    app, calls = _site(make_app, memory_store)

    def rewrite(environ, start_response):
        language = environ.get("HTTP_ACCEPT_LANGUAGE", "en")
        environ["PATH_INFO"] = f"/p/{language}{environ['PATH_INFO'][2:]}"
        return app(environ, start_response)

    client = make_client(rewrite)
    english = client.get("/p/home", environ={"REQUEST_URI": "/p/home"})
    french = client.get(
        "/p/home", headers={"Accept-Language": "fr"}, environ={"REQUEST_URI": "/p/home"}
    )
    assert english.text.endswith("for '/p/en/home'")
    assert french.text.endswith("for '/p/fr/home'")
    assert calls == ["/p/en/home", "/p/fr/home"]


def test_an_unsafe_method_drops_the_entries_of_its_location_however_it_was_asked(
    make_app, make_client, live_server, memory_store
):
    app, calls = _site(make_app, memory_store)

    @app.route("/edit", methods=["POST"])
    def edit(req, resp):
        raise HTTPRedirect("/p/caf%C3%A9/a%2Cb?v=%2f", 303)

    server = live_server(app)
    client = make_client(app, base_url="http://127.0.0.1")  # the origin the socket requests use
    # A browser escapes; curl sends the bytes beyond ASCII raw (waitress refuses those, so
    # that one is in process with the REQUEST_URI such a server gives); and a server
    # without a raw target shows the app the decoded path only.
    raw = "/p/café/a%2Cb?v=%2F"

    def escaped():
        return _raw_get(server.port, "/p/caf%c3%a9/a%2Cb?v=%2F")[1]["cache-status"]

    def curl():
        return client.get(raw, environ={"REQUEST_URI": _latin1(raw)}).headers["Cache-Status"]

    def plain():
        return client.get("/p/café/a,b?v=%2F").headers["Cache-Status"]

    for ask in (escaped, curl, plain):
        assert ask() == "pegboard; fwd=uri-miss; stored"
        assert ask().startswith("pegboard; hit")
    assert len(calls) == 3
    assert _raw_get(server.port, "/edit", method="POST")[0] == 303
    for ask in (escaped, curl, plain):
        assert ask() == "pegboard; fwd=uri-miss; stored"
    assert len(calls) == 6


def test_purge_by_prefix_reaches_every_way_a_path_was_asked(make_app, make_client, memory_store):
    from pegboard_caching import purge_prefix

    app, _ = _site(make_app, memory_store)
    client = make_client(app)
    raw = "/p/café/x"
    asked = [
        lambda: client.get("/p/caf%C3%A9/x", environ={"REQUEST_URI": "/p/caf%C3%A9/x"}),
        lambda: client.get(raw, environ={"REQUEST_URI": _latin1(raw)}),
        lambda: client.get("/p/caf%c3%a9/y"),
        lambda: client.get("/p/cafe/x"),
    ]
    for ask in asked:
        assert ask().headers["Cache-Status"] == "pegboard; fwd=uri-miss; stored"
    assert purge_prefix(app, "/p/café/") == 3
    assert [ask().headers["Cache-Status"].split(";")[1].strip() for ask in asked] == [
        "fwd=uri-miss",
        "fwd=uri-miss",
        "fwd=uri-miss",
        "hit",
    ]
