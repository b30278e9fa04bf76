"""``pegboard new-tool NAME``: a ready-to-publish third-party tool package."""

from __future__ import annotations

import re
from pathlib import Path

from ._version import __version__

__all__ = ["new_tool"]

_PYPROJECT = """\
[project]
name = "pegboard-{dash}"
version = "0.1.0"
description = "The {name} tool for pegboard."
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["pegboard-core>={core_version}"]

[project.optional-dependencies]
test = ["pytest>=8"]

# pegboard finds the tool through this entry point; no code change is needed.
[project.entry-points.pegboard]
{name} = "pegboard_{name}"

[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["src/pegboard_{name}"]
"""

_MODULE = '''\
"""The ``{name}`` tool: adds a header to every response where it is on."""

from __future__ import annotations

import pegboard

__all__ = ["{title_class}Options", "pegboard_tools"]


class {title_class}Options(pegboard.ToolOptions):
    """The options of ``tools.{name}``: each field is one config key."""

    header: str = pegboard.option(default="X-{title}", doc="the response header to set")
    value: str = pegboard.option(default="on", doc="the value it gets")

    def __post_init__(self) -> None:
        # Checks run when the app starts: a bad value is a config error naming its key.
        if not self.header.isascii() or ":" in self.header:
            raise pegboard.OptionError("header", f"{{self.header!r}} is not a header name")


def add_header(
    req: pegboard.Request, resp: pegboard.Response, options: {title_class}Options
) -> None:
    """Set the configured header."""
    resp.headers[options.header] = options.value


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    return [
        pegboard.Tool(
            "{name}",
            add_header,
            point="before_finalize",
            priority=60,
            options_type={title_class}Options,
        )
    ]
'''

_TEST = '''\
"""Tests for the {name} tool, using pegboard's pytest plugin fixtures."""

import pytest

import pegboard


@pytest.fixture
def app(make_app):
    app = make_app({{"/": {{"tools.{name}.on": True}}, "/off": {{"tools.{name}.on": False}}}})
    app.route("/", lambda req, resp: "hello")
    app.route("/off", lambda req, resp: "hello")
    return app


def test_header_is_added_where_the_tool_is_on(app, make_client):
    client = make_client(app)
    assert client.get("/").headers["X-{title}"] == "on"
    assert "X-{title}" not in client.get("/off").headers


def test_options_come_from_config(make_app, make_client):
    app = make_app({{"/": {{"tools.{name}.on": True, "tools.{name}.value": "custom"}}}})
    app.route("/", lambda req, resp: "")
    assert make_client(app).get("/").headers["X-{title}"] == "custom"


def test_a_wrong_option_type_fails_at_start(make_app):
    app = make_app({{"/": {{"tools.{name}.on": True, "tools.{name}.value": 3}}}})
    with pytest.raises(pegboard.ConfigError, match="expected str"):
        app.start()
'''

_README = """\
# pegboard-{dash}

The `{name}` tool for [pegboard](https://pypi.org/project/pegboard-core/).

```toml
["/"]
tools.{name}.on = true
tools.{name}.value = "on"      # default "on"
tools.{name}.header = "X-{title}"
```

| hookpoint | priority | what it does |
|---|---|---|
| `before_finalize` | 60 | sets the header |

## Develop

```sh
pip install -e ".[test]"
pytest
```

## Publish

```sh
python -m build            # or: uv build
twine upload dist/*        # or: uv publish
```

Once installed next to pegboard, `pegboard tools` lists it and
`tools.{name}.on = true` turns it on; no code change in the app.
"""


def new_tool(name: str, parent: Path) -> Path:
    """Write ``pegboard-<name>/`` under ``parent`` and return its path."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"a tool name is lower-case letters, digits and '_', not {name!r}")
    dash = name.replace("_", "-")
    title = "-".join(part.capitalize() for part in name.split("_"))
    root = parent / f"pegboard-{dash}"
    if root.exists():
        raise FileExistsError(f"{root} already exists")
    fields = {
        "name": name,
        "dash": dash,
        "title": title,
        "title_class": title.replace("-", ""),
        "core_version": __version__,
    }
    files = {
        "pyproject.toml": _PYPROJECT,
        f"src/pegboard_{name}/__init__.py": _MODULE,
        f"src/pegboard_{name}/py.typed": "",
        f"tests/test_{name}.py": _TEST,
        "README.md": _README,
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**fields), encoding="utf-8")
    return root
