"""staticdir and staticfile on the tool-author API: declared hooks, typed options and their checks."""

from __future__ import annotations

import pytest

import pegboard
import pegboard_static
from pegboard_static import StaticDirOptions, StaticFileOptions


def attached(app, tool):
    """``{(point, priority, failsafe)}`` of every hook ``tool`` attached to ``app``'s plans."""
    app.compile()
    return {
        (point, hook.priority, hook.failsafe)
        for plan in app.plans()
        for point, hooks in plan.hooks.items()
        for hook in hooks
        if hook.source == tool
    }


def declared(tool):
    return {(h.point, h.priority, h.failsafe) for h in tool.hooks if not h.per_request}


@pytest.fixture
def tools():
    return {tool.name: tool for tool in pegboard_static.pegboard_tools()}


def test_the_declared_hooks_are_exactly_the_attached_ones(make_app, site, tools):
    config = {
        "/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(site.public)},
        "/favicon.ico": {
            "tools.staticfile.on": True,
            "tools.staticfile.filename": str(site.public / "a.txt"),
        },
    }
    app = make_app(config, discover=False, plugins=[pegboard_static])
    for name in ("staticdir", "staticfile"):
        assert attached(app, name) == declared(tools[name]) == {("before_handler", 30, False)}


def test_the_options_classes_are_the_schemas(tools):
    assert tools["staticdir"].options_type is StaticDirOptions
    assert tools["staticfile"].options_type is StaticFileOptions
    for tool in tools.values():
        assert all(option.doc for option in tool.options.values())
        assert tool.options["max_age"].unit == "seconds"
    assert tools["staticdir"].options["dir"].required
    assert tools["staticfile"].options["filename"].required
    assert set(tools["staticdir"].options) == {
        "dir",
        "root",
        "match",
        "content_types",
        "index",
        "section",
        "listing",
        "show_hidden",
        "follow_symlinks",
        "precompressed",
        "max_age",
        "immutable_pattern",
        "charset",
    }


@pytest.mark.parametrize(
    ("options", "key", "fragment"),
    [
        ({"filename": ""}, "tools.staticfile.filename", "must name a file"),
        ({"max_age": -5}, "tools.staticfile.max_age", "0 or more"),
        ({"match": "(unclosed"}, "tools.staticfile.match", "regular expression"),
        ({"charset": "utf-8\r\nX-Injected: 1"}, "tools.staticfile.charset", "charset"),
        ({"charset": "a:b"}, "tools.staticfile.charset", "charset"),
        (
            {"content_types": {"txt": "text/plain\r\nX-Injected: 1"}},
            "tools.staticfile.content_types",
            "media type",
        ),
        ({"content_types": {"txt": "text/*"}}, "tools.staticfile.content_types", "media type"),
    ],
)
def test_bad_staticfile_config_is_an_error_at_start(make_app, site, options, key, fragment):
    keys = {"tools.staticfile.on": True, "tools.staticfile.filename": str(site.public / "a.txt")}
    keys.update({f"tools.staticfile.{name}": value for name, value in options.items()})
    app = make_app({"/f": keys}, discover=False, plugins=[pegboard_static])
    with pytest.raises(pegboard.ConfigError) as info:
        app.start()
    assert info.value.key == key
    assert fragment in str(info.value)


def test_an_empty_dir_is_an_error_at_start(make_app):
    keys = {"tools.staticdir.on": True, "tools.staticdir.dir": ""}
    app = make_app({"/static": keys}, discover=False, plugins=[pegboard_static])
    with pytest.raises(pegboard.ConfigError, match="dir must name a folder"):
        app.start()


def test_the_options_check_themselves_when_built_from_code(site):
    options = StaticDirOptions(dir=str(site.public), max_age=60)
    assert (options.dir, options.max_age, options.precompressed) == (str(site.public), 60, True)
    with pytest.raises(pegboard.OptionError) as info:
        StaticDirOptions(dir="public", section="static")
    assert info.value.key == "section"


def test_a_relative_dir_is_taken_from_the_config_files_folder(make_client, site, tmp_path):
    config = tmp_path / "conf" / "site.toml"
    config.parent.mkdir()
    config.write_text(
        '["/static"]\n'
        "tools.staticdir.on = true\n"
        'tools.staticdir.dir = "../public"\n'
        '["/one"]\n'
        "tools.staticfile.on = true\n"
        'tools.staticfile.root = ".."\n'
        'tools.staticfile.filename = "public/sub/page.txt"\n'
    )
    app = pegboard.App(str(config), discover=False, plugins=[pegboard_static])
    client = make_client(app)
    assert client.get("/static/a.txt").body == b"hello, static world\n"
    assert client.get("/one").body == b"page\n"


def test_media_types_with_a_charset_of_their_own_keep_it(static_app, make_client):
    app = static_app(content_types={"txt": "text/plain; charset=latin-1", "css": "text/css"})
    client = make_client(app)
    assert client.get("/static/a.txt").headers["Content-Type"] == "text/plain; charset=latin-1"
    assert client.get("/static/style.css").headers["Content-Type"] == "text/css; charset=utf-8"
