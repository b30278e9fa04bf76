"""Type-checked, not run: the json package's accessors and options keep their types."""

from __future__ import annotations

from typing import Any, assert_type

import pegboard
import pegboard_json
from pegboard import Request, Response
from pegboard_json import JsonInOptions, JsonInTool, JsonOutOptions, JsonOutTool, json_of

app = pegboard.App()


@app.route("/orders", methods=["POST"])
def create(req: Request, resp: Response) -> dict[str, Any]:
    body = json_of(req)
    assert_type(body, Any)
    return {"got": body}


def uses(req: Request, resp: Response) -> None:
    assert_type(create(req, resp), dict[str, Any])
    assert_type(pegboard_json.parse_json_body(req, 1024, pegboard_json.decode_stdlib), Any)
    assert_type(pegboard_json.decode_body(b"{}", "application/json"), Any)
    assert_type(pegboard_json.decode(b"[]"), Any)
    assert_type(pegboard_json.encode({"a": 1}), bytes)
    assert_type(pegboard_json.problem_body(404, "Not Found", "gone"), bytes)


json_in = JsonInOptions(content_type=("application/json",), max_bytes=1_000_000)
assert_type(json_in.content_type, str | tuple[str, ...])
assert_type(json_in.max_bytes, int | None)
assert_type(json_in.force, bool)
json_out = JsonOutOptions(problem_details=True)
assert_type(json_out.problem_details, bool)
json_in_tool: pegboard.Tool[JsonInOptions] = JsonInTool()
assert_type(JsonOutTool().build_options({}, "/"), JsonOutOptions)
assert_type(pegboard_json.pegboard_tools(), list[pegboard.Tool])
