"""Quick answers: a tool that owns every hook of a plan may answer from the environ alone."""

import logging

from pegboard import Tool


class _Canned(Tool):
    """Answers ``/canned`` requests quickly when asked to; counts what ran."""

    def __init__(self, answer=(200, [("Content-Type", "text/plain"), ("Content-Length", "6")])):
        super().__init__("canned", point="before_handler", priority=20)
        self.answer = answer
        self.quick_calls = 0
        self.hook_calls = 0

    def attach(self, plan, **options):  # type: ignore[override]
        plan.add("before_handler", self._hook, self.priority)
        plan.offer_quick_answer(self._quick)

    def _hook(self, req, resp):
        self.hook_calls += 1

    def _quick(self, environ):
        self.quick_calls += 1
        if environ.get("QUERY_STRING") == "fail":
            raise RuntimeError("broken quick answer")
        if environ.get("QUERY_STRING") == "pass":
            return None
        status, headers = self.answer
        return status, list(headers), b"canned"


class _Other(Tool):
    def __init__(self):
        super().__init__("other", self._hook, point="before_finalize")

    @staticmethod
    def _hook(req, resp):
        resp.headers["X-Other"] = "ran"


def _app(make_app, config=None, tools=()):
    canned = _Canned()
    app = make_app({"/": {"tools.canned.on": True, **(config or {})}}, discover=False)
    app.add_tool(canned)
    for tool in tools:
        app.add_tool(tool)
    handled = []

    @app.route("/canned", methods=["GET", "HEAD", "POST"])
    def handler(req, resp):
        handled.append(req.method)
        return "handled"

    return app, canned, handled


def test_a_quick_answer_skips_request_hooks_and_handler(make_app, make_client):
    app, canned, handled = _app(make_app)
    result = make_client(app).get("/canned")
    assert (result.status, result.text) == (200, "canned")
    assert result.headers["Content-Type"] == "text/plain"
    assert (canned.quick_calls, canned.hook_calls, handled) == (1, 0, [])


def test_head_gets_the_headers_without_the_body(make_app, make_client):
    app, canned, _ = _app(make_app)
    result = make_client(app).head("/canned")
    assert (result.status, canned.quick_calls) == (200, 1)
    assert result.body == b""
    assert result.headers["Content-Length"] == "6"


def test_none_runs_the_whole_lifecycle(make_app, make_client):
    app, canned, handled = _app(make_app)
    result = make_client(app).get("/canned?pass")
    assert result.text == "handled"
    assert (canned.quick_calls, canned.hook_calls, handled) == (1, 1, ["GET"])


def test_a_failing_quick_answer_is_logged_and_the_request_still_answered(
    make_app, make_client, caplog
):
    app, canned, handled = _app(make_app)
    with caplog.at_level(logging.ERROR, "pegboard.error"):
        result = make_client(app).get("/canned?fail")
    assert result.text == "handled"
    assert (canned.quick_calls, handled) == (1, ["GET"])
    assert "quick answer" in caplog.text and "broken quick answer" in caplog.text


def test_another_tool_on_the_path_turns_quick_answers_off(make_app, make_client):
    app, canned, handled = _app(make_app, {"tools.other.on": True}, tools=[_Other()])
    result = make_client(app).get("/canned")
    assert result.text == "handled"
    assert result.headers["X-Other"] == "ran"
    assert (canned.quick_calls, handled) == (0, ["GET"])


def test_a_config_hook_turns_quick_answers_off(make_app, make_client):
    seen = []
    app, canned, _ = _app(make_app, {"hooks.on_end_request": lambda req, resp: seen.append(1)})
    make_client(app).get("/canned")
    assert canned.quick_calls == 0
    assert seen == [1]


def test_configured_response_headers_turn_quick_answers_off(make_app, make_client):
    app, canned, _ = _app(make_app, {"response.headers.X-Frame-Options": "DENY"})
    result = make_client(app).get("/canned")
    assert result.headers["X-Frame-Options"] == "DENY"
    assert canned.quick_calls == 0


def test_a_request_with_a_body_runs_the_lifecycle(make_app, make_client):
    app, canned, handled = _app(make_app, {"request.max_body_size": 4})
    result = make_client(app).post("/canned", body=b"too long")
    assert result.status == 413
    assert (canned.quick_calls, handled) == (0, [])


def test_unrouted_and_disallowed_requests_are_not_answered_quickly(make_app, make_client):
    app, canned, _ = _app(make_app)
    client = make_client(app)
    assert client.get("/elsewhere").status == 404
    assert client.delete("/canned").status == 405
    assert canned.quick_calls == 0


def test_the_plan_shows_the_quick_answer(make_app):
    app, _, _ = _app(make_app)
    app.start()
    lines = [line for plan in app.plans() for line in plan.describe()]
    assert any(line.startswith("quick_answer") and "_Canned._quick" in line for line in lines)
    other, _, _ = _app(make_app, {"tools.other.on": True}, tools=[_Other()])
    other.start()
    lines = [line for plan in other.plans() for line in plan.describe()]
    assert not any(line.startswith("quick_answer") for line in lines)


def test_the_status_line_comes_from_the_core(make_app, make_client):
    canned = _Canned(answer=(404, [("Content-Type", "text/plain"), ("Content-Length", "6")]))
    app = make_app({"/": {"tools.canned.on": True}}, discover=False)
    app.add_tool(canned)
    app.route("/canned", lambda req, resp: "handled")
    result = make_client(app).get("/canned")
    assert result.status_line == "404 Not Found"
