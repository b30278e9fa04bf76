"""gzip, etags and json_out together, every combination on and off.

Each response is decoded as a client would and checked by httplint; the
ETag of a 304 is the ETag of the 200 for the same coding; ETags differ
between codings; Vary names Accept-Encoding wherever gzip could compress.
"""

from __future__ import annotations

import itertools
import json
import sys

import pytest

import pegboard

DATA = {"title": "composition", "rows": [{"n": i, "even": i % 2 == 0} for i in range(60)]}
TEXT = json.dumps(DATA)
ENCODINGS = [None, "identity", "gzip", "br", "zstd", "deflate"]
COMBINATIONS = [
    dict(zip(("gzip", "etags", "json_out"), flags, strict=True))
    for flags in itertools.product([False, True], repeat=3)
]


def _ids(combo):
    return "+".join(name for name, on in combo.items() if on) or "none"


def build(make_app, combo):
    config = {f"tools.{name}.on": on for name, on in combo.items()}
    if combo["etags"]:
        config["tools.etags.autotags"] = True
    app = make_app({"/": config})

    @app.route("/")
    def index(req, resp):
        if combo["json_out"]:
            return DATA
        resp.headers["Content-Type"] = "application/json"
        return TEXT

    return app


@pytest.mark.parametrize("combo", COMBINATIONS, ids=_ids)
def test_matrix(make_app, make_client, decode, lint, combo):
    client = make_client(build(make_app, combo))
    tags = {}
    for encoding in ENCODINGS:
        headers = {"Accept-Encoding": encoding} if encoding is not None else {}
        result = client.get("/", headers=headers)
        assert result.status == 200
        coding = result.headers.get("Content-Encoding")
        assert json.loads(decode(coding, result.body)) == DATA
        assert result.headers["Content-Type"].startswith("application/json")
        assert lint(result, request_headers=headers.items()) == []
        if combo["gzip"]:
            assert "Accept-Encoding" in result.headers["Vary"]
            if encoding not in (None, "identity"):
                assert coding == encoding
        else:
            assert coding is None and "Vary" not in result.headers
        if not combo["etags"]:
            assert "ETag" not in result.headers
            continue
        etag = result.headers["ETag"]
        tags[coding] = etag
        revalidated = client.get("/", headers={**headers, "If-None-Match": etag})
        assert revalidated.status == 304, (encoding, etag)
        assert revalidated.body == b""
        assert revalidated.headers["ETag"] == etag  # the same tag as the 200
        assert lint(revalidated, request_headers=headers.items()) == []
        if combo["gzip"]:
            assert "Accept-Encoding" in revalidated.headers["Vary"]
    if combo["etags"] and combo["gzip"]:
        # One tag per representation: identity, and one per coding.
        assert len(set(tags.values())) == len(tags) == 5


def test_a_tag_validates_only_its_own_coding(make_app, make_client):
    client = make_client(build(make_app, {"gzip": True, "etags": True, "json_out": True}))
    gzip_tag = client.get("/", headers={"Accept-Encoding": "gzip"}).headers["ETag"]
    for other in ("br", "zstd", "identity"):
        result = client.get("/", headers={"Accept-Encoding": other, "If-None-Match": gzip_tag})
        assert result.status == 200, other
    # A list naming several tags still finds the right one.
    listed = client.get(
        "/", headers={"Accept-Encoding": "gzip", "If-None-Match": f'"nope", {gzip_tag}'}
    )
    assert listed.status == 304 and listed.headers["ETag"] == gzip_tag


def test_identity_tag_still_validates_for_a_gzip_client(make_app, make_client):
    """A client holding the identity copy ("abc") keeps it valid: 304 with "abc"."""
    client = make_client(build(make_app, {"gzip": True, "etags": True, "json_out": False}))
    plain_tag = client.get("/").headers["ETag"]
    result = client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": plain_tag})
    assert result.status == 304 and result.headers["ETag"] == plain_tag


def test_if_match_with_a_suffixed_tag_passes(make_app, make_client):
    client = make_client(build(make_app, {"gzip": True, "etags": True, "json_out": True}))
    tag = client.get("/", headers={"Accept-Encoding": "br"}).headers["ETag"]
    ok = client.get("/", headers={"Accept-Encoding": "br", "If-Match": tag})
    failed = client.get("/", headers={"Accept-Encoding": "br", "If-Match": '"other-br"'})
    assert ok.status == 200 and failed.status == 412


def test_compressed_answer_from_a_handler_tool_revalidates(make_app, make_client, decode):
    """A handler tool (like a cache hit) may answer with a stored gzip body and tag."""
    import gzip as gzip_module

    stored = gzip_module.compress(TEXT.encode())

    def replay(req, resp):
        resp.headers["Content-Type"] = "application/json"
        resp.headers["Content-Encoding"] = "gzip"
        resp.headers["ETag"] = '"stored-gzip"'
        resp.headers["Vary"] = "Accept-Encoding"
        resp.body = stored
        req.handler = None

    app = make_app(
        {
            "/": {
                "tools.gzip.on": True,
                "tools.etags.on": True,
                "tools.json_out.on": True,
                "tools.replay.on": True,
            }
        }
    )
    app.add_tool(pegboard.Tool("replay", replay, priority=20))
    app.route("/", lambda req, resp: {"never": "called"})
    client = make_client(app)
    first = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"  # not compressed twice
    assert json.loads(decode("gzip", first.body)) == DATA  # json_out left it alone
    again = client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": '"stored-gzip"'})
    assert again.status == 304 and again.headers["ETag"] == '"stored-gzip"'


def test_handler_tool_answer_is_left_alone_by_json_out(make_app, make_client):
    def static_like(req, resp):
        resp.headers["Content-Type"] = "text/plain; charset=utf-8"
        resp.body = b"a file, not JSON"
        req.handler = None

    app = make_app({"/": {"tools.json_out.on": True, "tools.static_like.on": True}})
    app.add_tool(pegboard.Tool("static_like", static_like, priority=30))
    app.route("/", lambda req, resp: {"not": "this"})
    result = make_client(app).get("/")
    assert result.body == b"a file, not JSON"
    assert result.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_routes_shows_the_declared_order(make_app, tmp_path, monkeypatch, capsys):
    """``pegboard routes`` prints every hook of the three tools in priority order."""
    from pegboard import cli

    module = tmp_path / "composed_site.py"
    module.write_text(
        "import pegboard, pegboard_gzip, pegboard_etags, pegboard_json\n"
        "app = pegboard.App({'/': {'tools.gzip.on': True, 'tools.etags.on': True,\n"
        "    'tools.etags.validator': lambda req: 'v1', 'tools.json_in.on': True,\n"
        "    'tools.json_out.on': True, 'tools.json_out.problem_details': True}},\n"
        "    plugins=[pegboard_gzip, pegboard_etags, pegboard_json], discover=False)\n"
        "app.route('/', lambda req, resp: {})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "composed_site", raising=False)
    assert cli.main(["routes", "composed_site:app"]) == 0
    output = capsys.readouterr().out
    route_block = output.split("section /")[0]  # the route's plan, before the section's
    hooks = [
        (words[0], int(words[1]), words[2])
        for words in (line.split() for line in route_block.splitlines())
        if len(words) >= 3 and words[0] in pegboard.HOOKPOINTS
    ]
    assert hooks == [
        ("on_start_resource", 0, "tools.json_out:"),
        ("on_start_resource", 40, "tools.gzip:"),
        ("before_handler", 15, "tools.etags:"),
        ("before_handler", 30, "tools.json_in:"),
        ("before_handler", 70, "tools.json_out:"),
        ("before_finalize", 70, "tools.etags:"),
        ("before_finalize", 80, "tools.gzip:"),
        ("after_error_response", 80, "tools.gzip:"),
    ]


def test_lint_reports_a_broken_response(lint):
    """The httplint check above can fail: a wrong Content-Length is an error."""
    from pegboard.testing.client import Result

    broken = Result("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "99")], b"abc")
    assert any("Content-Length" in note for note in lint(broken))


def test_validator_304_for_a_gzip_client_skips_the_handler(make_app, make_client):
    from pegboard_etags import validator

    calls = []
    app = make_app({"/": {"tools.gzip.on": True, "tools.json_out.on": True}})

    @app.route("/")
    @validator(lambda req: "v7")
    def index(req, resp):
        calls.append(1)
        return DATA

    client = make_client(app)
    first = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert first.headers["ETag"] == '"v7-gzip"' and calls == [1]
    again = client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": '"v7-gzip"'})
    assert again.status == 304 and again.headers["ETag"] == '"v7-gzip"'
    assert again.headers["Vary"] == "Accept-Encoding"
    assert calls == [1]


def test_gzipped_json_request_reaches_json_in(make_app, make_client, decode):
    import gzip as gzip_module

    app = make_app(
        {
            "/": {
                "tools.gzip.on": True,
                "tools.gzip.decompress_requests": True,
                "tools.json_in.on": True,
                "tools.json_out.on": True,
            }
        }
    )
    app.route("/echo", lambda req, resp: {"got": req.json}, methods=["POST"])
    result = make_client(app).post(
        "/echo",
        body=gzip_module.compress(TEXT.encode()),
        headers={
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "Accept-Encoding": "gzip",
        },
    )
    assert result.status == 200
    assert json.loads(decode("gzip", result.body)) == {"got": DATA}


def test_problem_details_are_compressed_and_vary(make_app, make_client, decode, lint):
    app = make_app(
        {
            "/": {
                "tools.gzip.on": True,
                "tools.gzip.min_size": 0,
                "tools.json_out.on": True,
                "tools.json_out.problem_details": True,
            }
        }
    )
    result = make_client(app).get("/missing", headers={"Accept-Encoding": "br"})
    assert result.status == 404
    assert result.headers["Content-Type"] == "application/problem+json"
    assert result.headers["Content-Encoding"] == "br"
    assert json.loads(decode("br", result.body))["status"] == 404
    assert lint(result, request_headers=[("Accept-Encoding", "br")]) == []
