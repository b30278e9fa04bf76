"""``pegboard migrate-config`` on real CherryPy configs, and ``cherrypy_hint``.

The configs are copied from CherryPy's own documentation and tutorials
(CherryPy 18, github.com/cherrypy/cherrypy: ``docs/*.rst`` and
``cherrypy/tutorial/``); each says where it comes from. Paths in them that
must exist for ``pegboard check`` are pointed at a temporary folder, and
said so. Each migrated file must load with ``pegboard.load_config``, pass
``pegboard check`` when every tool it names is installed, and keep each value.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from pegboard import Config, load_config
from pegboard.cherrypy_names import (
    CHERRYPY_TOOLS,
    cherrypy_equivalent,
    cherrypy_hint,
)
from pegboard.cli import main


def migrate(tmp_path: Path, text: str, name: str = "site.conf") -> tuple[Config, str, Path]:
    """Write ``text`` as a CherryPy config, migrate it; the loaded result, the TOML and its path."""
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    return migrate_target(tmp_path, str(source))


def migrate_target(tmp_path: Path, target: str) -> tuple[Config, str, Path]:
    out = tmp_path / "migrated.toml"
    assert main(["migrate-config", target, "-o", str(out)]) == 0
    toml_text = out.read_text(encoding="utf-8")
    tomllib.loads(toml_text)  # valid TOML
    return load_config(out), toml_text, out


def check_passes(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code = main(["check", str(path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "OK" in captured.out


def comment_for(toml_text: str, key: str) -> str:
    """The comment line that explains why ``key`` was not mapped."""
    lines = [line for line in toml_text.splitlines() if line.startswith(f"# {key} = ")]
    assert len(lines) == 1, f"no single comment for {key} in:\n{toml_text}"
    return lines[0]


# -- INI files from CherryPy's docs ------------------------------------------------

# cherrypy/tutorial/tutorial.conf
TUTORIAL_CONF = """\
[global]
server.socket_host = "127.0.0.1"
server.socket_port = 8080
server.thread_pool = 10
"""


def test_tutorial_conf_server_keys(tmp_path, capsys):
    config, _toml_text, out = migrate(tmp_path, TUTORIAL_CONF)
    assert config.globals["server"] == {"host": "127.0.0.1", "port": 8080, "threads": 10}
    check_passes(out, capsys)


# docs/basics.rst, "Global server configuration" (server.conf)
SERVER_CONF = """\
[global]
server.socket_port: 9090
"""


def test_basics_server_conf(tmp_path, capsys):
    config, _, out = migrate(tmp_path, SERVER_CONF, "server.conf")
    assert config.globals["server"] == {"port": 9090}
    check_passes(out, capsys)


# docs/basics.rst, "Per-application configuration" (gzip for the whole app)
GZIP_CONF = """\
[/]
tools.gzip.on: True
"""


def test_basics_gzip(tmp_path, capsys):
    config, toml_text, out = migrate(tmp_path, GZIP_CONF)
    assert config.sections["/"]["tools.gzip.on"] is True
    assert '["/"]' in toml_text  # path sections are quoted TOML tables
    check_passes(out, capsys)


def test_trailing_slash_redirect_is_kept_explicit(tmp_path):
    # CherryPy's default (tools.trailing_slash.on) becomes explicit; a config
    # that sets it keeps its own value.
    config, toml_text, _ = migrate(tmp_path, GZIP_CONF)
    assert config.sections["/"]["tools.trailing_slash.on"] is True
    assert "# note: CherryPy redirects /admin to /admin/" in toml_text


# docs/basics.rst, "Using sessions" / "Filesystem backend" and "Memcached backend"
FILE_SESSIONS = """\
[/]
tools.sessions.on: True
tools.sessions.storage_class = cherrypy.lib.sessions.FileSession
tools.sessions.storage_path = "/some/directory"
"""
MEMCACHED_SESSIONS = """\
[/]
tools.sessions.on: True
tools.sessions.storage_class = cherrypy.lib.sessions.MemcachedSession
"""


def test_basics_file_sessions(tmp_path, capsys):
    folder = tmp_path / "sessions"
    folder.mkdir()
    # "/some/directory" is pointed at a folder that exists, for pegboard check
    config, _, out = migrate(tmp_path, FILE_SESSIONS.replace("/some/directory", str(folder)))
    root = config.sections["/"]
    assert root["tools.sessions.on"] is True
    assert root["tools.sessions.storage_type"] == "file"
    assert root["tools.sessions.storage_path"] == str(folder)
    assert "tools.sessions.storage_class" not in root
    check_passes(out, capsys)


def test_basics_memcached_sessions(tmp_path, capsys):
    config, _, out = migrate(tmp_path, MEMCACHED_SESSIONS)
    assert config.sections["/"]["tools.sessions.storage_type"] == "memcached"
    check_passes(out, capsys)


# docs/basics.rst, "Static content serving": a single file, a directory, a
# directory with a root, a directory with an index
STATICFILE = """\
[/style.css]
tools.staticfile.on = True
tools.staticfile.filename = "/home/site/style.css"
"""
STATICDIR = """\
[/static]
tools.staticdir.on = True
tools.staticdir.dir = "/home/site/static"
"""
STATICDIR_ROOT = """\
[/]
tools.staticdir.root = "/home/site"

[/static]
tools.staticdir.on = True
tools.staticdir.dir = "static"
"""
STATICDIR_INDEX = """\
[/static]
tools.staticdir.on = True
tools.staticdir.dir = "/home/site/static"
tools.staticdir.index = "index.html"
"""


@pytest.fixture
def site(tmp_path):
    """A stand-in for the docs' /home/site: static/index.html and style.css."""
    home = tmp_path / "home-site"
    (home / "static").mkdir(parents=True)
    (home / "static" / "index.html").write_text("<p>hi</p>")
    (home / "style.css").write_text("body {}")
    return home


def test_basics_staticfile(tmp_path, site, capsys):
    config, _, out = migrate(tmp_path, STATICFILE.replace("/home/site", str(site)))
    section = config.sections["/style.css"]
    assert section["tools.staticfile.on"] is True
    assert section["tools.staticfile.filename"] == str(site / "style.css")
    check_passes(out, capsys)


def test_basics_staticdir(tmp_path, site, capsys):
    config, _, out = migrate(tmp_path, STATICDIR_INDEX.replace("/home/site", str(site)))
    section = config.sections["/static"]
    assert section["tools.staticdir.dir"] == str(site / "static")
    assert section["tools.staticdir.index"] == "index.html"
    check_passes(out, capsys)
    config, _, _ = migrate(tmp_path, STATICDIR.replace("/home/site", str(site)))
    assert config.sections["/static"]["tools.staticdir.dir"] == str(site / "static")


def test_basics_staticdir_root_is_joined_into_dir(tmp_path, site, capsys):
    config, toml_text, out = migrate(tmp_path, STATICDIR_ROOT.replace("/home/site", str(site)))
    # The root set in [/] applies to the dir set in [/static], as in CherryPy.
    assert config.sections["/static"]["tools.staticdir.dir"] == str(site / "static")
    assert "tools.staticdir.root" not in config.sections.get("/", {})
    assert "joined into tools.staticdir.dir" in comment_for(toml_text, "tools.staticdir.root")
    check_passes(out, capsys)


def test_unquoted_favicon_path_is_one_clear_error(tmp_path, capsys):
    # docs/basics.rst, "SO_PEERCRED": this example's socket_file is not quoted,
    # so CherryPy cannot read it either; the command says so in one line.
    text = """\
[global]
server.peercreds: True
server.peercreds_resolve: True
server.socket_file: /var/run/cherrypy.sock
"""
    source = tmp_path / "peercreds.conf"
    source.write_text(text)
    capsys.readouterr()
    assert main(["migrate-config", str(source)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "[global] server.socket_file: '/var/run/cherrypy.sock' is not a Python value" in err


def test_basics_peercreds_quoted(tmp_path, capsys):
    # The same example with the path quoted: nothing in it maps, every key says why.
    text = """\
[global]
server.peercreds: True
server.peercreds_resolve: True
server.socket_file: "/var/run/cherrypy.sock"
"""
    config, toml_text, out = migrate(tmp_path, text)
    assert "needs a Unix socket" in comment_for(toml_text, "server.peercreds")
    assert "needs a Unix socket" in comment_for(toml_text, "server.peercreds_resolve")
    assert "not a Unix socket" in comment_for(toml_text, "server.socket_file")
    assert "server" not in config.globals
    check_passes(out, capsys)


# docs/basics.rst, "Serve the favicon" (the INI form)
FAVICON = """\
[/favicon.ico]
tools.staticfile.on: True
tools.staticfile.filename: "/path/to/myfavicon.ico"
"""


def test_basics_favicon(tmp_path, capsys):
    icon = tmp_path / "myfavicon.ico"
    icon.write_bytes(b"\0")
    config, _, out = migrate(tmp_path, FAVICON.replace("/path/to/myfavicon.ico", str(icon)))
    assert config.sections["/favicon.ico"]["tools.staticfile.filename"] == str(icon)
    check_passes(out, capsys)


# docs/config.rst, "Application config" and "Values in config files use Python syntax"
METHOD_DISPATCHER = """\
[/]
tools.trailing_slash.on = False
request.dispatch: cherrypy.dispatch.MethodDispatcher()
"""
EXTENDED = """\
[global]
log.error_file: "/home/fumanchu/myapp.log"
environment = 'production'
server.max_request_body_size: 1200

[/myapp]
tools.trailing_slash.on = False
request.dispatch: cherrypy.dispatch.MethodDispatcher()
"""


def test_config_method_dispatcher(tmp_path, capsys):
    config, toml_text, out = migrate(tmp_path, METHOD_DISPATCHER)
    assert config.sections["/"] == {"tools.trailing_slash.on": False}
    line = comment_for(toml_text, "request.dispatch")
    assert "cherrypy.dispatch.MethodDispatcher()" in line
    assert "on_get/on_post" in line
    check_passes(out, capsys)


def test_config_extended_example(tmp_path, capsys):
    config, toml_text, out = migrate(tmp_path, EXTENDED)
    assert config.sections["/"]["request.max_body_size"] == 1200
    assert config.sections["/myapp"] == {"tools.trailing_slash.on": False}
    assert "'pegboard.error' logger" in comment_for(toml_text, "log.error_file")
    assert "defaults are production's" in comment_for(toml_text, "environment")
    assert "MethodDispatcher" in comment_for(toml_text, "request.dispatch")
    check_passes(out, capsys)


# docs/config.rst, "Application config": a section that is not a path
DATABASES = """\
[global]
server.socket_host: "0.0.0.0"

[Databases]
driver: "postgres"
host: "localhost"
port: 5432

[/path]
response.timeout: 6000
"""


def test_config_custom_section_and_response_timeout(tmp_path, capsys):
    config, toml_text, out = migrate(tmp_path, DATABASES)
    assert config.globals["server"] == {"host": "0.0.0.0"}
    assert "# [Databases]: CherryPy keeps sections that are not paths" in toml_text
    assert "#   driver = 'postgres'" in toml_text
    assert "#   port = 5432" in toml_text
    assert "timeout monitor" in comment_for(toml_text, "response.timeout")
    check_passes(out, capsys)


# docs/config.rst, "Configuration files" and "_cp_config" (a key without namespace)
STREAM = """\
[/path/to/my/page]
response.stream: True
tools.trailing_slash.extra = False

[/path/to/page]
methods_with_bodies = ("POST", "PUT", "PROPPATCH")
"""


def test_config_stream_and_bare_key(tmp_path, capsys):
    config, toml_text, out = migrate(tmp_path, STREAM)
    assert config.sections["/path/to/my/page"] == {"tools.trailing_slash.extra": False}
    assert "iterable or a generator streams" in comment_for(toml_text, "response.stream")
    assert "not in a namespace" in comment_for(toml_text, "methods_with_bodies")
    check_passes(out, capsys)


# docs/config.rst, "hooks": a function named by its module path
HOOKS = """\
[/]
hooks.before_handler = myapp.my_hook_func
"""


def test_config_hook_becomes_import_string(tmp_path, monkeypatch, capsys):
    (tmp_path / "myapp.py").write_text("def my_hook_func(req, resp):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "myapp", raising=False)  # another test's myapp
    config, toml_text, out = migrate(tmp_path, HOOKS)
    assert config.sections["/"]["hooks.before_handler"] == "myapp:my_hook_func"
    assert "# note: a pegboard hook is called as hook(req, resp)" in toml_text
    check_passes(out, capsys)


# docs/advanced.rst, "Securing your application": the secureheaders custom tool
# and the session cookie settings
SECUREHEADERS = """\
[/]
tools.secureheaders.on = True
"""
SECURE_SESSIONS = """\
[/]
tools.sessions.on = True
# increase security on sessions
tools.sessions.secure = True
tools.sessions.httponly = True
"""


def test_advanced_secure_sessions(tmp_path, capsys):
    config, _, out = migrate(tmp_path, SECURE_SESSIONS)
    root = config.sections["/"]
    assert root["tools.sessions.secure"] is True
    assert root["tools.sessions.httponly"] is True
    check_passes(out, capsys)


def test_advanced_custom_tool_is_kept_and_named(tmp_path, capsys):
    config, toml_text, out = migrate(tmp_path, SECUREHEADERS)
    assert config.sections["/"]["tools.secureheaders.on"] is True
    assert "# note: secureheaders is not a CherryPy tool: port it as a pegboard.Tool" in toml_text
    capsys.readouterr()
    assert main(["check", str(out)]) != 0  # until the tool is ported and installed
    assert "unknown tool 'secureheaders'" in capsys.readouterr().err


def test_ini_interpolation_and_arithmetic_as_cherrypy_reads_them(tmp_path, capsys):
    # CherryPy's reprconf.Parser interpolates %(name)s and its unrepr knows + and *.
    text = """\
[DEFAULT]
realm = "example.com"

[global]
server.max_request_body_size: 100 * 1024 * 1024

[/admin]
tools.auth_basic.on = True
tools.auth_basic.realm = %(realm)s
tools.auth_basic.checkpassword = cherrypy.lib.auth_basic.checkpassword_dict({"ann": "50%%"})
tools.gzip.mime_types = ['text/html', 'text/plain', 'application/json']
"""
    config, toml_text, out = migrate(tmp_path, text)
    # [DEFAULT] keys are in every section, as configparser reads them for CherryPy
    assert toml_text.count("# realm = 'example.com': not in a namespace") == 2
    assert config.sections["/"]["request.max_body_size"] == 100 * 1024 * 1024
    admin = config.sections["/admin"]
    assert admin["tools.auth_basic.realm"] == "example.com"
    assert admin["tools.auth_basic.users"] == {"ann": "50%"}
    assert admin["tools.gzip.mime_types"] == ["text/html", "text/plain", "application/json"]
    check_passes(out, capsys)


def test_every_cherrypy_tool_option_is_mapped_or_explained(tmp_path, capsys):
    # All of CherryPy 18's tool options with a plain value: each comes out
    # as a pegboard key or a comment, never dropped.
    lines = ["[/]"]
    for tool, options in CHERRYPY_TOOLS.items():
        for option in options:
            lines.append(f"tools.{tool}.{option} = 1")
        lines.append(f"tools.{tool}.debug = True")
    config, toml_text, _ = migrate(tmp_path, "\n".join(lines) + "\n")
    written = config.sections["/"]
    for tool, options in CHERRYPY_TOOLS.items():
        for option in (*options, "debug"):
            key = f"tools.{tool}.{option}"
            found = cherrypy_equivalent(key)
            assert found is not None, key
            if found.key is None:
                assert comment_for(toml_text, key)
            else:
                assert found.key in written or f"# {key} = " in toml_text, key


# -- Python dict configs from CherryPy's docs and tutorials ------------------------


def write_module(tmp_path: Path, name: str, source: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A config module in tmp_path, importable as ``name`` (as pegboard will import it)."""
    (tmp_path / f"{name}.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return f"{tmp_path / name}.py"


# docs/basics.rst, "Basic" (authentication)
AUTH_BASIC_PY = """\
from cherrypy.lib import auth_basic

USERS = {'jon': 'secret'}

def validate_password(realm, username, password):
    if username in USERS and USERS[username] == password:
       return True
    return False

conf = {
   '/protected/area': {
       'tools.auth_basic.on': True,
       'tools.auth_basic.realm': 'localhost',
       'tools.auth_basic.checkpassword': validate_password,
       'tools.auth_basic.accept_charset': 'UTF-8',
    }
}
"""

# docs/basics.rst, "Digest" (authentication)
AUTH_DIGEST_PY = """\
from cherrypy.lib import auth_digest

USERS = {'jon': 'secret'}

conf = {
   '/protected/area': {
        'tools.auth_digest.on': True,
        'tools.auth_digest.realm': 'localhost',
        'tools.auth_digest.get_ha1': auth_digest.get_ha1_dict_plain(USERS),
        'tools.auth_digest.key': 'a565c27146791cfb',
        'tools.auth_digest.accept_charset': 'UTF-8',
   }
}
"""


def test_basics_auth_basic_function(tmp_path, monkeypatch, capsys):
    module = write_module(tmp_path, "cp_auth_basic", AUTH_BASIC_PY, monkeypatch)
    config, _, out = migrate_target(tmp_path, f"{module}:conf")
    area = config.sections["/protected/area"]
    assert area["tools.auth_basic.checkpassword"] == "cp_auth_basic:validate_password"
    assert area["tools.auth_basic.accept_charset"] == "UTF-8"
    assert area["tools.auth_basic.realm"] == "localhost"
    check_passes(out, capsys)


def test_basics_auth_basic_checkpassword_dict(tmp_path, monkeypatch, capsys):
    source = AUTH_BASIC_PY.replace("validate_password,", "auth_basic.checkpassword_dict(USERS),")
    module = write_module(tmp_path, "cp_auth_basic_dict", source, monkeypatch)
    config, _, out = migrate_target(tmp_path, f"{module}:conf")
    area = config.sections["/protected/area"]
    assert area["tools.auth_basic.users"] == {"jon": "secret"}
    assert "tools.auth_basic.checkpassword" not in area
    check_passes(out, capsys)


def test_basics_auth_digest_plain_dict(tmp_path, monkeypatch, capsys):
    module = write_module(tmp_path, "cp_auth_digest", AUTH_DIGEST_PY, monkeypatch)
    config, toml_text, out = migrate_target(tmp_path, f"{module}:conf")
    area = config.sections["/protected/area"]
    assert area["tools.auth_digest.users"] == {"jon": "secret"}
    assert area["tools.auth_digest.key"] == "a565c27146791cfb"
    assert "UTF-8" in comment_for(toml_text, "tools.auth_digest.accept_charset")
    check_passes(out, capsys)


# docs/deploy.rst, "Reverse-proxying": a flat global dict for cherrypy.config.update
PROXY_PY = """\
settings = {
    'server.socket_port': 8080,
    'tools.proxy.on': True,
    'tools.proxy.base': 'http://www.example.com'
}
"""
# docs/deploy.rst, "Run as a daemon / supervisord"
DAEMON_PY = """\
settings = {'server.socket_port': 8090,
            'engine.autoreload.on': False,
            'log.access_file': './access.log',
            'log.error_file': './error.log'}
"""
# docs/basics.rst, "Disable logging"
NO_LOGGING_PY = """\
settings = {'log.screen': False,
            'log.access_file': '',
            'log.error_file': ''}
"""


def test_deploy_proxy_global_dict(tmp_path, monkeypatch, capsys):
    module = write_module(tmp_path, "cp_proxy", PROXY_PY, monkeypatch)
    config, toml_text, out = migrate_target(tmp_path, f"{module}:settings")
    assert config.globals["server"] == {"port": 8080}
    root = config.sections["/"]  # global tools apply to every path
    assert root["tools.proxy.on"] is True
    assert root["tools.proxy.base"] == "http://www.example.com"
    assert "# note: pegboard believes forwarding headers only from tools.proxy.trusted" in (
        toml_text
    )
    check_passes(out, capsys)


def test_deploy_daemon_logging(tmp_path, monkeypatch, capsys):
    module = write_module(tmp_path, "cp_daemon", DAEMON_PY, monkeypatch)
    config, toml_text, out = migrate_target(tmp_path, f"{module}:settings")
    assert config.globals["server"] == {"port": 8090}
    assert config.sections["/"]["tools.access_log.on"] is True
    assert "'pegboard.access' logger" in toml_text
    assert "--reload" in comment_for(toml_text, "engine.autoreload.on")
    assert "FileHandler" in comment_for(toml_text, "log.error_file")
    check_passes(out, capsys)


def test_basics_no_logging(tmp_path, monkeypatch, capsys):
    module = write_module(tmp_path, "cp_nolog", NO_LOGGING_PY, monkeypatch)
    config, toml_text, out = migrate_target(tmp_path, f"{module}:settings")
    assert "tools.access_log.on" not in config.sections.get("/", {})
    assert "no access log" in comment_for(toml_text, "log.access_file")
    assert "logging" in comment_for(toml_text, "log.screen")
    check_passes(out, capsys)


# docs/tutorials.rst, Tutorials 5, 6 and 8 (the conf dicts of their __main__ blocks)
TUT05_PY = """\
conf = {
    '/': {
        'tools.sessions.on': True
    }
}
"""
TUT06_PY = """\
import os, os.path

conf = {
    '/': {
        'tools.sessions.on': True,
        'tools.staticdir.root': os.path.abspath(os.getcwd())
    },
    '/static': {
        'tools.staticdir.on': True,
        'tools.staticdir.dir': './public'
    }
}
"""
TUT08_PY = """\
import os, os.path

import cherrypy

conf = {
    '/': {
        'tools.sessions.on': True,
        'tools.staticdir.root': os.path.abspath(os.getcwd())
    },
    '/generator': {
        'request.dispatch': cherrypy.dispatch.MethodDispatcher(),
        'tools.response_headers.on': True,
        'tools.response_headers.headers': [('Content-Type', 'text/plain')],
    },
    '/static': {
        'tools.staticdir.on': True,
        'tools.staticdir.dir': './public'
    }
}
"""


def test_tutorial_5_sessions(tmp_path, monkeypatch, capsys):
    module = write_module(tmp_path, "cp_tut05", TUT05_PY, monkeypatch)
    config, _, out = migrate_target(tmp_path, f"{module}:conf")
    assert config.sections["/"]["tools.sessions.on"] is True
    check_passes(out, capsys)


def test_tutorial_6_static_root_from_cwd(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "public" / "css").mkdir(parents=True)
    module = write_module(tmp_path, "cp_tut06", TUT06_PY, monkeypatch)
    config, _, out = migrate_target(tmp_path, f"{module}:conf")
    assert config.sections["/static"]["tools.staticdir.dir"] == str(tmp_path / "public")
    assert config.sections["/"]["tools.sessions.on"] is True
    check_passes(out, capsys)


def test_tutorial_8_rest_generator(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "public").mkdir()
    module = write_module(tmp_path, "cp_tut08", TUT08_PY, monkeypatch)
    config, toml_text, out = migrate_target(tmp_path, f"{module}:conf")
    generator = config.sections["/generator"]
    assert generator["tools.response_headers.on"] is True
    assert generator["tools.response_headers.headers"] == [["Content-Type", "text/plain"]]
    assert "MethodDispatcher" in comment_for(toml_text, "request.dispatch")
    assert config.sections["/static"]["tools.staticdir.dir"] == str(tmp_path / "public")
    check_passes(out, capsys)


def test_values_a_config_file_cannot_hold_become_comments(tmp_path, monkeypatch, capsys):
    # A dict config may hold any Python object; what TOML cannot hold is explained.
    source = """\
import cherrypy

def my_hook(req, resp):
    pass

conf = {
    '/': {
        'hooks.before_handler': lambda: None,
        'hooks.before_finalize': my_hook,
        'tools.json_out.on': True,
        'tools.json_out.handler': cherrypy.lib.jsontools.json_handler,
        'tools.caching.on': True,
        'tools.caching.maxobj_size': None,
    }
}
"""
    module = write_module(tmp_path, "cp_objects", source, monkeypatch)
    config, toml_text, out = migrate_target(tmp_path, f"{module}:conf")
    root = config.sections["/"]
    assert root["hooks.before_finalize"] == "cp_objects:my_hook"
    assert "make it a named function" in comment_for(toml_text, "hooks.before_handler")
    assert "is CherryPy code" in comment_for(toml_text, "tools.json_out.handler")
    assert "leave the key out" in comment_for(toml_text, "tools.caching.maxobj_size")
    assert root["tools.json_out.on"] is True and root["tools.caching.on"] is True
    check_passes(out, capsys)


def test_python_config_errors_are_one_line(tmp_path, capsys):
    (tmp_path / "cp_broken.py").write_text("conf = ['not', 'a', 'dict']\n")
    for target, message in [
        (f"{tmp_path}/cp_broken.py:conf", "is a list, not a CherryPy config dict"),
        (f"{tmp_path}/cp_broken.py:missing", "has no attribute 'missing'"),
        (f"{tmp_path}/cp_broken.py", "name the config dict"),
        (f"{tmp_path}/nowhere.conf", "does not exist"),
    ]:
        capsys.readouterr()
        assert main(["migrate-config", target]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err


def test_output_goes_to_stdout_by_default(tmp_path, capsys):
    source = tmp_path / "server.conf"
    source.write_text(SERVER_CONF)
    capsys.readouterr()
    assert main(["migrate-config", str(source)]) == 0
    data: dict[str, Any] = tomllib.loads(capsys.readouterr().out)
    assert data["server"] == {"port": 9090}


def test_the_guides_example_is_what_the_command_writes(tmp_path, monkeypatch, capsys):
    guide = (Path(__file__).resolve().parents[2] / "docs" / "cherrypy-migration.md").read_text()
    section = guide.split("## Moving the config", 1)[1]
    ini = section.split("```ini\n", 1)[1].split("```", 1)[0]
    toml_text = section.split("```toml\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    Path("site.conf").write_text(ini)
    capsys.readouterr()
    assert main(["migrate-config", "site.conf"]) == 0
    assert capsys.readouterr().out == toml_text


# -- hints for pegboard check ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("server.socket_port", "CherryPy's server.socket_port is server.port in pegboard"),
        ("server.socket_host", "CherryPy's server.socket_host is server.host in pegboard"),
        ("server.thread_pool", "CherryPy's server.thread_pool is server.threads in pegboard"),
        (
            "tools.sessions.storage_class",
            "CherryPy's tools.sessions.storage_class is tools.sessions.storage_type in pegboard",
        ),
        ("checkpassword_dict", "is tools.auth_basic.users = {user = password} in pegboard"),
        (
            "cherrypy.lib.auth_digest.get_ha1_dict_plain",
            "is tools.auth_digest.users = {user = password} in pegboard",
        ),
        ("engine.autoreload.on", "has no pegboard equivalent: run `pegboard serve --reload`"),
        ("server.ssl_certificate", "terminate TLS at a reverse proxy"),
        ("tools.gzip.debug", "pegboard tools have no debug switch"),
    ],
)
def test_cherrypy_hint_names_the_equivalent(name, hint):
    found = cherrypy_hint(name)
    assert found is not None and hint in found
    assert "\n" not in found


@pytest.mark.parametrize(
    "name",
    ["server.port", "server.host", "tools.sessions.timeout", "request.max_body_size", "x.y"],
)
def test_cherrypy_hint_is_silent_for_pegboard_names(name):
    assert cherrypy_hint(name) is None
