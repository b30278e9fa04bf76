"""Type-checked, not run: the ratelimit package's accessor, options and stores keep their types."""

from __future__ import annotations

from typing import Literal, assert_type

import pegboard
import pegboard_ratelimit
from pegboard import Request, Response
from pegboard_ratelimit import (
    LimitStatus,
    MemoryStore,
    RateLimitOptions,
    RateLimitState,
    RateLimitTool,
    ratelimit_of,
)

app = pegboard.App()


@app.route("/api/quota")
def quota(req: Request, resp: Response) -> dict[str, int]:
    state = ratelimit_of(req)
    assert_type(state, RateLimitState | None)
    if state is None:
        return {}
    status = state.statuses[0]
    assert_type(status, LimitStatus)
    assert_type(status.remaining, int)
    assert_type(status.reset, float)
    return {s.policy: s.remaining for s in state.statuses}


def by_token(req: Request) -> str | None:
    token: str | None = req.headers.get("X-Api-Token")
    return token


options = RateLimitOptions(limits="10/second; 1000/hour per user", key=by_token)
assert_type(options.limits, str)
assert_type(options.on_store_error, Literal["local", "allow", "deny"])
assert_type(options.storage, Literal["memory", "redis"])
assert_type(options.timeout, float)
limits = pegboard_ratelimit.parse_limits("5/minute per ip")
assert_type(limits, tuple[pegboard_ratelimit.Limit, ...])
assert_type(limits[0].interval, int)
store = MemoryStore(1000)
assert_type(len(store), int)
tool: pegboard.Tool[RateLimitOptions] = RateLimitTool()
assert_type(pegboard_ratelimit.pegboard_tools(), list[pegboard.Tool])
