"""What the tool found out about one request (``ratelimit_of(req)``), and its header fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import pegboard

from .policies import Group

__all__ = ["STATE_NAME", "LimitStatus", "RateLimitState", "ratelimit_of"]

#: The ``req.state`` name the tool keeps a request's :class:`RateLimitState` under.
STATE_NAME = "ratelimit"
_MICROS = 1_000_000
#: each group counted, with its limits' (remaining, wait in microseconds)
Counted = list[tuple[Group, Sequence[tuple[int, int]]]]


class LimitStatus(NamedTuple):
    """One limit as it stands after the request (as it stood, for a refused one)."""

    #: the policy name shown in the RateLimit fields (``10/1s per ip``)
    policy: str
    #: requests allowed per window
    limit: int
    #: the window, in seconds
    window: int
    #: requests that may still be sent right now
    remaining: int
    #: seconds until one more request may be sent (0.0: the whole limit is available)
    reset: float


class RateLimitState:
    """The limits counted for one request, in ``req.state.ratelimit``."""

    __slots__ = ("_counted", "limited", "uncounted")

    def __init__(self, counted: Counted | None = None) -> None:
        self._counted: Counted = counted or []
        #: whether a limit refused the request (it was answered 429)
        self.limited = False
        #: whether the store failed and the request passed without being counted
        self.uncounted = False

    def add(self, group: Group, results: Sequence[tuple[int, int]]) -> None:
        """Record ``group``'s (remaining, wait) results."""
        self._counted.append((group, results))

    @property
    def statuses(self) -> tuple[LimitStatus, ...]:
        """Each limit counted for this request."""
        return tuple(
            LimitStatus(name, limit.count, limit.seconds, remaining, wait / _MICROS)
            for group, results in self._counted
            for name, limit, (remaining, wait) in zip(
                group.names, group.limits, results, strict=True
            )
        )

    def retry_after(self) -> int:
        """Whole seconds until a refused request would pass (at least 1)."""
        longest = max(
            (wait for _, results in self._counted for remaining, wait in results if remaining == 0),
            default=0,
        )
        return max(1, -(-longest // _MICROS))

    def policy_field(self) -> str:
        """The ``RateLimit-Policy`` field value."""
        counted = self._counted
        if len(counted) == 1:
            return counted[0][0].policy_field  # PERF: made once per route
        return ", ".join(group.policy_field for group, _ in counted)

    def limit_field(self) -> str:
        """The ``RateLimit`` field value."""
        counted = self._counted
        if len(counted) == 1:
            group, results = counted[0]
            return group.service_field(results)
        return ", ".join(group.service_field(results) for group, results in counted)


def ratelimit_of(req: pegboard.Request) -> RateLimitState | None:
    """The limits counted for ``req``; None where the tool is off or counted nothing."""
    state: RateLimitState | None = req.state.get(STATE_NAME)
    return state
