"""Type-checked, not run: the example third-party package is typed the way authors copy it."""

from __future__ import annotations

from typing import Literal, assert_type

import pegboard
from pegboard import Request, Response
from pegboard_response_time import ResponseTimeOptions, ResponseTimeTool, elapsed


def handler(req: Request, resp: Response) -> str:
    seconds = elapsed(req)
    assert_type(seconds, float | None)
    return "fast" if seconds is not None and seconds < 0.1 else "slow"


options = ResponseTimeOptions(header="Server-Timing", precision=1)
assert_type(options.header, str)
assert_type(options.precision, Literal[0, 1, 2, 3])
tool: pegboard.Tool[ResponseTimeOptions] = ResponseTimeTool()
assert_type(ResponseTimeTool().build_options({}, "/"), ResponseTimeOptions)
