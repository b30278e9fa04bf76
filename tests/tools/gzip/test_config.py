"""Wrong gzip options are ConfigErrors when the app starts, naming the key."""

from __future__ import annotations

import pytest

import pegboard


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("compress_level", 10, "between 0 and 9"),
        ("compress_level", "5", "expected int"),
        ("br_quality", 12, "between 0 and 11"),
        ("zstd_level", 0, "between 1 and 22"),
        ("min_size", -1, "must not be negative"),
        ("max_decompressed_size", -5, "must not be negative"),
        ("mime_types", ["text html"], "not a media type pattern"),
        ("mime_types", "text/html", "expected"),
        ("encodings", ["gzip", "lzma"], "'zstd', 'br', 'gzip', 'deflate'"),
        ("encodings", [], "lists no coding"),
        ("decompress_requests", "yes", "expected bool"),
        ("compress_levle", 5, "did you mean 'compress_level'"),
    ],
)
def test_bad_option(make_app, option, value, message):
    app = make_app({"/api": {"tools.gzip.on": True, f"tools.gzip.{option}": value}})
    with pytest.raises(pegboard.ConfigError) as info:
        app.start()
    assert f"tools.gzip.{option}" in str(info.value)
    assert message in str(info.value)


def test_options_from_a_toml_file(make_app, make_client, tmp_path, decode):
    site = tmp_path / "site.toml"
    site.write_text(
        '["/"]\n'
        "tools.gzip.on = true\n"
        'tools.gzip.encodings = ["gzip"]\n'
        'tools.gzip.mime_types = ["text/*"]\n'
        "tools.gzip.min_size = 10\n"
    )
    app = make_app(str(site))
    app.route("/", lambda req, resp: "from toml " * 10)
    result = make_client(app).get("/", headers={"Accept-Encoding": "br, gzip;q=0.5"})
    assert result.headers["Content-Encoding"] == "gzip"
    assert decode("gzip", result.body) == b"from toml " * 10


def test_decorator_turns_gzip_on_for_one_handler(make_app, make_client):
    app = make_app()

    @app.route("/on")
    @pegboard.tools.gzip(min_size=0)
    def on(req, resp):
        return "x" * 500

    app.route("/off", lambda req, resp: "x" * 500)
    client = make_client(app)
    assert (
        client.get("/on", headers={"Accept-Encoding": "gzip"}).headers["Content-Encoding"] == "gzip"
    )
    assert "Content-Encoding" not in client.get("/off", headers={"Accept-Encoding": "gzip"}).headers


def test_missing_extra_is_named_and_left_out_of_the_defaults(make_app, make_client, monkeypatch):
    """Without brotli installed, br is not offered, and asking for it says what to install."""
    from pegboard_gzip import codings

    monkeypatch.setattr(codings, "_installed", lambda module: module != "brotli")
    named = make_app({"/": {"tools.gzip.on": True, "tools.gzip.encodings": ["br", "gzip"]}})
    with pytest.raises(pegboard.ConfigError, match=r"pegboard-gzip\[brotli\]"):
        named.start()
    default = make_app({"/": {"tools.gzip.on": True}})
    default.route("/", lambda req, resp: "text " * 200)
    client = make_client(default)
    assert "Content-Encoding" not in client.get("/", headers={"Accept-Encoding": "br"}).headers
    both = client.get("/", headers={"Accept-Encoding": "br, gzip"})
    assert both.headers["Content-Encoding"] == "gzip"
