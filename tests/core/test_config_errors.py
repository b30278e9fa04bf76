"""Every config mistake at once, each on one line where it was written; warnings; exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pegboard
from pegboard import ConfigError
from pegboard.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line]


def test_every_error_in_one_run_each_where_it_was_written(tmp_path, capsys):
    config = _write(
        tmp_path / "site.toml",
        """
        [server]
        prot = 8080

        ["/"]
        tools.response_time.on = true
        tools.response_time.heder = "X"
        request.max_body_size = "big"

        ["/admin"]
        tools.nope.on = true
        hooks.before_handlr = "os:getcwd"
        """,
    )
    assert main(["check", str(config)]) == 2
    lines = _lines(capsys)
    expected = [
        f"pegboard: {config}: [server] server.prot: unknown key; did you mean 'port'?",
        f"pegboard: {config}: [/] tools.response_time.heder: tool 'response_time' has no "
        "option 'heder'; did you mean 'header'?",
        f"pegboard: {config}: [/] request.max_body_size: expected int, got str 'big'",
        f"pegboard: {config}: [/admin] tools.nope.on: unknown tool 'nope'",
        f"pegboard: {config}: [/admin] hooks.before_handlr: unknown hookpoint; "
        "did you mean 'before_handler'?",
    ]
    for line in expected:
        assert any(got.startswith(line) for got in lines), (line, lines)
    assert len(lines) == len(expected), lines
    assert not any("Traceback" in line for line in lines)


def test_a_merged_option_is_blamed_on_the_section_that_wrote_it(make_app):
    """A wrong value set in ["/"] is reported in ["/"], not in each section that inherits it."""
    greet_tool = pegboard.Tool("greet", lambda req, resp, *, word: None)

    class Plugin:
        @pegboard.hookimpl
        def pegboard_tools(self):
            return [greet_tool]

    app = make_app(
        {
            "/": {"tools.greet.on": True},
            "/admin": {"response.headers": {"X-A": "1"}},
            "/static": {"response.headers": {"X-S": "1"}},
        },
        plugins=[Plugin()],
    )
    app.route("/admin/x", lambda req, resp: "")
    with pytest.raises(ConfigError) as caught:
        app.compile()
    assert [e.line() for e in caught.value.errors] == [
        "[/] tools.greet.word: tool 'greet' needs option 'word'"
    ]


def test_an_overlay_file_is_named_for_the_keys_it_set(tmp_path, capsys):
    app_file = _write(
        tmp_path / "app.py",
        """
        import pegboard
        app = pegboard.App({"/": {"tools.response_time.on": True}})
        app.route("/", lambda req, resp: "")
        """,
    )
    overlay = _write(tmp_path / "prod.toml", '["/"]\ntools.response_time.header = 3\n')
    assert main(["routes", str(app_file), "--config", str(overlay)]) == 2
    assert _lines(capsys) == [
        f"pegboard: {overlay}: [/] tools.response_time.header: expected str, got int 3"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[/static]\ntools.gzip.on = true\n",
            'path sections must be quoted in TOML: write ["/static"], not [/static]',
        ),
        ('["/"]\ntools.gzip.on = tru\n', "TOML syntax error: Invalid value (at line 2, column 17)"),
    ],
)
def test_toml_syntax_errors_are_one_line_with_a_hint(tmp_path, capsys, text, message):
    config = _write(tmp_path / "site.toml", text)
    assert main(["check", str(config)]) == 2
    lines = _lines(capsys)
    assert len(lines) == 1 and message in lines[0] and str(config) in lines[0]


def test_a_missing_config_file_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["check", "nothere.toml"]) == 2
    assert _lines(capsys) == [
        f"pegboard: nothere.toml: does not exist: no such config file 'nothere.toml' "
        f"(relative paths start from {tmp_path})"
    ]
    (tmp_path / "folder.toml").mkdir()
    assert main(["check", "folder.toml"]) == 2
    assert "is a folder, not a config file" in _lines(capsys)[0]


def test_a_relative_config_path_beside_the_app_gets_a_hint(tmp_path, capsys, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    _write(site / "site.toml", '["/"]\n')
    _write(site / "app.py", 'import pegboard\napp = pegboard.App(config="site.toml")\n')
    monkeypatch.chdir(tmp_path)
    assert main(["check", str(site / "site.toml"), "--app", "site/app.py"]) == 2
    line = _lines(capsys)[0]
    assert "no such config file 'site.toml'" in line
    assert f"it is in {site}: run pegboard from there" in line


def test_app_config_errors_name_the_file(tmp_path):
    config = _write(tmp_path / "bad.toml", "[/x]\n")
    with pytest.raises(ConfigError) as caught:
        pegboard.App(config=config)
    assert str(caught.value).count("\n") == 0
    assert str(caught.value).startswith(f"{config}: TOML syntax error")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["routes", "nothere.py"], "pegboard: no such file: nothere.py"),
        (["routes", "no_such_module_x:app"], "pegboard: no module named 'no_such_module_x'"),
        (["routes", "pegboard:nothing"], "pegboard: pegboard has no attribute 'nothing'"),
        (["routes", "pegboard:Tool"], "pegboard: pegboard:Tool is a type, not a pegboard.App"),
    ],
)
def test_a_wrong_target_is_one_line(capsys, argv, message):
    assert main(argv) == 2
    lines = _lines(capsys)
    assert len(lines) == 1 and lines[0].startswith(message), lines


def test_options_of_a_tool_on_nowhere_are_a_warning(tmp_path, capsys):
    config = _write(
        tmp_path / "site.toml",
        """
        [request]
        allowed_hosts = ["example.com"]

        ["/"]
        tools.response_time.header = "X-Time"
        """,
    )
    assert main(["check", str(config)]) == 0
    assert _lines(capsys) == [
        f"warning: {config}: [/] tools.response_time.header: tools.response_time is on for "
        "no path, so this option does nothing; add tools.response_time.on = true here or remove it"
    ]


def test_check_warns_when_allowed_hosts_is_unset(tmp_path, capsys):
    config = _write(tmp_path / "site.toml", '["/"]\ntools.response_time.on = true\n')
    assert main(["check", str(config)]) == 0
    assert _lines(capsys) == [
        "warning: request.allowed_hosts is not set, so any Host header is served; "
        'set it, e.g. [request] allowed_hosts = ["example.com"]'
    ]


def test_warnings_are_logged_when_the_app_starts(make_app, caplog):
    app = make_app({"/": {"tools.response_time.header": "X"}})
    with caplog.at_level("WARNING", logger="pegboard.config"):
        app.start()
    assert [r.getMessage() for r in caplog.records] == [
        "[/] tools.response_time.header: tools.response_time is on for no path, so this "
        "option does nothing; add tools.response_time.on = true here or remove it"
    ]


def test_tools_can_raise_warnings_placed_where_the_key_was_written(make_app):
    class Warny(pegboard.Tool):
        def __init__(self):
            super().__init__("warny")

        def attach(self, plan, *, files: list[str] | None = None):  # type: ignore[override]
            if not files:
                plan.warn("lists no file; nothing will be served", key="tools.warny.files")

    class Plugin:
        @pegboard.hookimpl
        def pegboard_tools(self):
            return [Warny()]

    app = make_app({"/": {"tools.warny.on": True, "tools.warny.files": []}}, plugins=[Plugin()])
    app.route("/a", lambda req, resp: "")
    app.route("/b", lambda req, resp: "")
    assert [w.line() for w in app.config_warnings] == [
        "[/] tools.warny.files: lists no file; nothing will be served"
    ]


def test_pegboard_tools_into_a_closed_pipe_ends_quietly():
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        f"{sys.executable} -m pegboard.cli tools -v | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0
    assert result.stdout.count("\n") == 1
    assert "BrokenPipeError" not in result.stderr and "Traceback" not in result.stderr


def test_cherrypy_names_get_their_pegboard_equivalent(tmp_path, capsys):
    config = _write(
        tmp_path / "site.toml",
        """
        [server]
        socket_port = 8080

        ["/"]
        tools.sessions.on = true
        tools.sessions.storage_class = "FileSession"
        log.screen = true
        """,
    )
    assert main(["check", str(config)]) == 2
    lines = _lines(capsys)
    assert (
        f"pegboard: {config}: [server] server.socket_port: CherryPy's server.socket_port is server.port in pegboard"
        in lines
    )
    assert any(
        "tools.sessions.storage_class: CherryPy's tools.sessions.storage_class is "
        "tools.sessions.storage_type in pegboard" in line
        for line in lines
    )
    assert any(
        "log.screen: CherryPy's log.screen has no pegboard equivalent" in line for line in lines
    )
    assert not any("did you mean" in line for line in lines)
