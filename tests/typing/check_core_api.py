"""Type-checked, not run: mypy (strict, in CI) fails if the public API loses types.

``assert_type`` fails the mypy run when an expression's type is not exactly
the one given, so a decorator that returned ``Any`` would be caught here.
"""

from __future__ import annotations

from typing import assert_type

import pegboard
from pegboard import Request, Response

app = pegboard.App()


@app.route("/hello/{name}")
def hello(req: Request, resp: Response, name: str) -> str:
    return f"Hello, {name}!"


@pegboard.tools.gzip(level=5)
def compressed(req: Request, resp: Response) -> bytes:
    return b"x"


class Items:
    def on_get(self, req: Request, resp: Response, id: int) -> dict[str, int]:
        return {"id": id}


items = app.route("/items/{id:int}", Items())


def uses(req: Request, resp: Response) -> None:
    assert_type(hello(req, resp, "x"), str)
    assert_type(compressed(req, resp), bytes)
    assert_type(items, Items)
    assert_type(items.on_get(req, resp, 1), dict[str, int])
    assert_type(req.state, pegboard.State)
    assert_type(req.app.state, pegboard.State)


class Greeting(pegboard.ToolOptions):
    word: str = pegboard.option(default="hi", doc="the word")
    ttl: float = pegboard.option(default=1.0, doc="how long", unit="seconds")


class GreetingTool(pegboard.Tool[Greeting]):
    def attach(self, plan: pegboard.PlanBuilder, options: Greeting) -> None:
        assert_type(options.word, str)
        assert_type(options.ttl, float)
        assert_type(plan.app, pegboard.App | None)


def typed_callback(req: Request, resp: Response, options: Greeting) -> None:
    resp.headers["X-Word"] = options.word


tool = pegboard.Tool("greeting", typed_callback, options_type=Greeting)
assert_type(tool, pegboard.Tool[Greeting])
assert_type(GreetingTool("greeting").build_options({}, "/"), Greeting)
options = Greeting(word="yo")
