"""The pegboard example site: every installed tool, configured by site.toml.

Run it with ``uv run pegboard serve examples/site/app.py`` and open
http://127.0.0.1:8080/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pegboard

HERE = Path(__file__).resolve().parent

app = pegboard.App(HERE / "site.toml")


@app.route("/")
def home(req: pegboard.Request, resp: pegboard.Response) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>pegboard example</title></head><body>"
        "<h1>pegboard example site</h1>"
        "<p>Hello from pegboard. See <a href='/hello/you'>/hello/you</a>.</p>"
        "</body></html>"
    )


@app.route("/hello/{name}")
def hello(req: pegboard.Request, resp: pegboard.Response, name: str) -> str:
    resp.headers["Content-Type"] = "text/plain"
    return f"Hello, {name}!"


def main() -> Any:  # pragma: no cover - convenience for `python examples/site/app.py`
    from pegboard.cli import main as cli

    return cli(["serve", __file__])


if __name__ == "__main__":  # pragma: no cover
    main()
