"""staticdir: types, methods, index files, listings, sections, config, composition."""

from __future__ import annotations

import pytest

import pegboard
import pegboard_static


@pytest.mark.parametrize(
    ("path", "ctype"),
    [
        ("/static/style.css", "text/css; charset=utf-8"),
        ("/static/a.txt", "text/plain; charset=utf-8"),
        ("/static/app.3f9a0c1be2.js", "text/javascript; charset=utf-8"),
        ("/static/photo.PNG", "image/png"),
        ("/static/big.bin", "application/octet-stream"),
        ("/static/noext", "application/octet-stream"),
        ("/static/sub/index.html", "text/html; charset=utf-8"),
    ],
)
def test_content_type_from_the_extension(static_client, path, ctype):
    result = static_client.get(path)
    assert result.status == 200
    assert result.headers["Content-Type"] == ctype
    assert result.headers["X-Content-Type-Options"] == "nosniff"


def test_content_types_and_charset_options(static_app, make_client):
    client = make_client(
        static_app(content_types={".txt": "text/x-notes", "bin": "application/x-blob"})
    )
    assert client.get("/static/a.txt").headers["Content-Type"] == "text/x-notes; charset=utf-8"
    assert client.get("/static/big.bin").headers["Content-Type"] == "application/x-blob"
    plain = make_client(static_app(charset=None))
    assert plain.get("/static/a.txt").headers["Content-Type"] == "text/plain"
    latin = make_client(static_app(charset="iso-8859-1"))
    assert latin.get("/static/style.css").headers["Content-Type"] == "text/css; charset=iso-8859-1"


def test_head_sends_the_headers_of_get_without_a_body(static_client):
    get = static_client.get("/static/a.txt")
    head = static_client.head("/static/a.txt")
    assert head.status == 200
    assert head.body == b""
    for name in ("Content-Length", "Content-Type", "ETag", "Last-Modified", "Accept-Ranges"):
        assert head.headers[name] == get.headers[name]


def test_other_methods_get_405_with_allow_where_no_handler_exists(static_client):
    result = static_client.post("/static/a.txt", body=b"x")
    assert result.status == 405
    assert result.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert static_client.delete("/static/a.txt").status == 405
    options = static_client.options("/static/a.txt")
    assert options.status == 204
    assert options.headers["Allow"] == "GET, HEAD, OPTIONS"
    # No file there: nothing static to refuse, the path is simply not found.
    assert static_client.put("/static/nope.txt", body=b"x").status == 404


def test_other_methods_fall_through_to_a_handler(static_app, make_client):
    app = static_app()

    @app.route("/static/a.txt", methods=["POST"])
    def upload(req, resp):
        return "handled " + req.body.read().decode()

    client = make_client(app)
    assert client.post("/static/a.txt", body=b"it").text == "handled it"
    assert client.get("/static/a.txt").body == b"hello, static world\n"


def test_index_file_and_trailing_slash_redirect(static_app, make_client):
    client = make_client(static_app(index="index.html"))
    result = client.get("/static/sub/")
    assert result.status == 200
    assert result.body == b"<h1>sub index</h1>\n"
    assert result.headers["Content-Type"] == "text/html; charset=utf-8"
    moved = client.get("/static/sub?x=1")
    assert moved.status == 301
    assert moved.headers["Location"] == "http://localhost/static/sub/?x=1"
    assert client.get("/static/sub/deep/").status == 404  # no index there, no listing
    assert client.post("/static/sub/").status == 405


def test_listing_escapes_names_and_hides_what_is_not_served(static_app, make_client, site):
    (site.public / 'we<i>rd&"name.txt').write_bytes(b"x")
    client = make_client(static_app(listing=True))
    result = client.get("/static/")
    assert result.status == 200
    assert result.headers["Content-Type"] == "text/html; charset=utf-8"
    page = result.text
    assert '<a href="a.txt">a.txt</a>' in page
    assert '<a href="sub/">sub/</a>' in page
    assert '<a href="in-link.txt">in-link.txt</a>' in page
    assert '<a href="we%3Ci%3Erd%26%22name.txt">we&lt;i&gt;rd&amp;&quot;name.txt</a>' in page
    assert "<i>" not in page
    for hidden in (".env", ".git", "out-link.txt", "out-dir", "up-dir", "env-link.txt"):
        assert hidden not in page
    assert "../" not in page  # at the root of the section there is no parent link
    assert '<a href="../">../</a>' in client.get("/static/sub/").text
    assert client.get("/static").status == 301


def test_index_wins_over_listing(static_app, make_client):
    client = make_client(static_app(index="index.html", listing=True))
    assert client.get("/static/sub/").body == b"<h1>sub index</h1>\n"
    assert "a.txt" in client.get("/static/").text


def test_match_limits_what_is_served(static_app, make_client):
    client = make_client(static_app(match=r"\.css$"))
    assert client.get("/static/style.css").status == 200
    assert client.get("/static/a.txt").status == 404


def test_the_section_is_where_dir_was_set(make_app, make_client, site):
    config = {
        "/assets": {"tools.staticdir.on": True, "tools.staticdir.dir": str(site.public)},
        "/assets/sub": {"tools.staticdir.max_age": 5},
    }
    client = make_client(make_app(config, discover=False, plugins=[pegboard_static]))
    result = client.get("/assets/sub/page.txt")
    assert result.body == b"page\n"
    assert result.headers["Cache-Control"] == "max-age=5"
    assert client.get("/assets/a.txt").status == 200


def test_an_explicit_section(make_app, make_client, site):
    config = {
        "/": {"tools.staticdir.dir": str(site.public), "tools.staticdir.section": "/files"},
        "/files": {"tools.staticdir.on": True},
    }
    client = make_client(make_app(config, discover=False, plugins=[pegboard_static]))
    assert client.get("/files/a.txt").body == b"hello, static world\n"


def test_staticdir_from_route_config(make_app, make_client, site):
    app = make_app(discover=False, plugins=[pegboard_static])

    @app.route(
        "/files/{rest:path}",
        config={"tools.staticdir.on": True, "tools.staticdir.dir": str(site.public)},
    )
    def fallback(req, resp, rest):
        return f"no file {rest}"

    client = make_client(app)
    assert client.get("/files/sub/page.txt").body == b"page\n"
    assert client.get("/files/missing").text == "no file missing"


def test_relative_dir_is_taken_from_the_config_files_folder(
    make_app, make_client, site, monkeypatch, tmp_path
):
    config_file = site.base / "site.toml"
    config_file.write_text(
        '["/static"]\ntools.staticdir.on = true\ntools.staticdir.dir = "public"\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    client = make_client(make_app(str(config_file), discover=False, plugins=[pegboard_static]))
    assert client.get("/static/a.txt").body == b"hello, static world\n"


def test_relative_dir_with_root(make_app, make_client, site):
    config = {
        "/static": {
            "tools.staticdir.on": True,
            "tools.staticdir.root": str(site.base),
            "tools.staticdir.dir": "public/sub",
        }
    }
    client = make_client(make_app(config, discover=False, plugins=[pegboard_static]))
    assert client.get("/static/page.txt").body == b"page\n"
    assert client.get("/static/../a.txt").status == 400


@pytest.mark.parametrize(
    ("options", "key", "fragment"),
    [
        ({"max_age": "long"}, "tools.staticdir.max_age", "expected int"),
        ({"max_age": -1}, "tools.staticdir.max_age", "0 or more"),
        ({"match": "(unclosed"}, "tools.staticdir.match", "regular expression"),
        ({"immutable_pattern": "[z-a]"}, "tools.staticdir.immutable_pattern", "regular expression"),
        ({"index": "../index.html"}, "tools.staticdir.index", "plain file name"),
        ({"content_types": {"x": "not a type"}}, "tools.staticdir.content_types", "media type"),
        ({"charset": "utf 8"}, "tools.staticdir.charset", "charset"),
        ({"section": "static"}, "tools.staticdir.section", "path like"),
        ({"listing": "yes"}, "tools.staticdir.listing", "expected bool"),
        ({"indx": "index.html"}, "tools.staticdir.indx", "did you mean 'index'"),
    ],
)
def test_bad_config_is_an_error_at_start(make_app, site, options, key, fragment):
    keys = {"tools.staticdir.on": True, "tools.staticdir.dir": str(site.public)}
    keys.update({f"tools.staticdir.{name}": value for name, value in options.items()})
    app = make_app({"/static": keys}, discover=False, plugins=[pegboard_static])
    with pytest.raises(pegboard.ConfigError) as info:
        app.start()
    assert info.value.key == key
    assert fragment in str(info.value)


def test_dir_is_required(make_app):
    app = make_app(
        {"/static": {"tools.staticdir.on": True}}, discover=False, plugins=[pegboard_static]
    )
    with pytest.raises(pegboard.ConfigError, match="needs option 'dir'"):
        app.start()


def test_an_earlier_handler_tool_keeps_its_answer(static_app, make_client):
    def cache_hit(req, resp):
        resp.set_body(b"from the cache")
        req.handler = None

    app = static_app()
    app.add_tool(pegboard.Tool("fake_cache", cache_hit, point="before_handler", priority=20))
    app.config.sections["/static"]["tools.fake_cache.on"] = True
    assert make_client(app).get("/static/a.txt").body == b"from the cache"


def test_the_tools_are_found_through_the_entry_point():
    from importlib.metadata import entry_points

    found = {ep.name: ep.value for ep in entry_points(group="pegboard")}
    assert found["static"] == "pegboard_static"
    tools = {tool.name: tool for tool in pegboard_static.pegboard_tools()}
    assert {name: (t.point, t.priority) for name, t in tools.items()} == {
        "staticdir": ("before_handler", 30),
        "staticfile": ("before_handler", 30),
    }
