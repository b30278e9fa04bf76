"""The Redis store: GCRA shared by every process, one atomic round trip per request.

The whole decision (read the TATs, admit or refuse, write them back with an
expiry) is one Lua script run by ``EVALSHA``; Redis runs scripts one at a
time, so two processes never both spend the last request of a key. Time is
Redis's own clock (``TIME``), so the processes' clocks need not agree. After
a restart or ``SCRIPT FLUSH`` Redis answers ``NOSCRIPT`` and the script is
sent once with ``EVAL``, which caches it again.

A Redis that fails (refused, timed out, out of memory, read-only) is not
asked again for ``retry_interval`` seconds; meanwhile, and for the request
that failed, ``on_store_error`` decides: count in this process (``local``),
let requests through (``allow``) or refuse them (``deny``, a 503). The
outage is logged once when it starts and once when it ends.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import pegboard

from .gcra import Rates, Verdict
from .memory import MemoryStore

__all__ = ["SCRIPT", "SCRIPT_SHA", "RedisStore", "StoreUnavailable", "redacted"]

_log = logging.getLogger("pegboard_ratelimit")

#: GCRA over one or more keys, all-or-nothing, on Redis's clock. KEYS: one per
#: counted key. ARGV: for each key, the number of its limits, then the interval
#: and capacity (microseconds) of each. A key holds its limits' TATs (Redis
#: TIME, microseconds) separated by spaces and expires once all have passed.
#: Returns {admitted (1 or 0), remaining, wait, remaining, wait, ...}.
SCRIPT = """
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local admitted = 1
local debts, rates = {}, {}
local arg = 1
for k = 1, #KEYS do
  local count = tonumber(ARGV[arg])
  arg = arg + 1
  local stored = {}
  local raw = redis.call('GET', KEYS[k])
  if raw then
    for value in string.gmatch(raw, '%d+') do stored[#stored + 1] = tonumber(value) end
  end
  local usable = #stored == count
  local key_debts, key_rates = {}, {}
  for i = 1, count do
    local interval, capacity = tonumber(ARGV[arg]), tonumber(ARGV[arg + 1])
    arg = arg + 2
    local debt = 0
    if usable then debt = stored[i] - now end
    if debt < 0 then debt = 0 end
    if debt + interval > capacity then admitted = 0 end
    key_debts[i] = debt
    key_rates[i] = {interval, capacity}
  end
  debts[k], rates[k] = key_debts, key_rates
end
local out = {admitted}
for k = 1, #KEYS do
  local tats, horizon = {}, 0
  for i, rate in ipairs(rates[k]) do
    local interval, capacity = rate[1], rate[2]
    local debt = debts[k][i]
    if admitted == 1 then
      debt = debt + interval
      tats[i] = string.format('%d', now + debt)
      if debt > horizon then horizon = debt end
    end
    local remaining = math.floor((capacity - debt) / interval)
    if remaining < 0 then remaining = 0 end
    local wait = 0
    if debt > 0 then wait = debt - capacity + (remaining + 1) * interval end
    out[#out + 1] = remaining
    out[#out + 1] = wait
  end
  if admitted == 1 then
    redis.call('SET', KEYS[k], table.concat(tats, ' '), 'PX', math.ceil(horizon / 1000))
  end
end
return out
"""
SCRIPT_SHA = hashlib.sha1(SCRIPT.encode(), usedforsecurity=False).hexdigest()

OnStoreError = Literal["local", "allow", "deny"]
_CONSEQUENCE = {
    "local": "each process counts on its own (on_store_error = 'local')",
    "allow": "requests pass uncounted (on_store_error = 'allow')",
    "deny": "requests are refused with 503 (on_store_error = 'deny')",
}


class StoreUnavailable(Exception):
    """The store failed and ``on_store_error = "deny"``: the request gets a 503."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("the rate limit store is unavailable")
        self.retry_after = retry_after


def redacted(url: str) -> str:
    """``url`` without its password, for logs and health pages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def argv_of(rates: Sequence[Rates]) -> list[int]:
    """The script's ARGV for these keys' limits."""
    argv: list[int] = []
    for key_rates in rates:
        argv.append(len(key_rates))
        for interval, capacity in key_rates:
            argv.append(interval)
            argv.append(capacity)
    return argv


class RedisStore:
    """GCRA state in Redis, shared by every process that uses the same server and prefix."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        retry_interval: float,
        pool_size: int,
        on_store_error: OnStoreError,
        fallback: MemoryStore,
    ) -> None:
        self.url = url
        self.name = f"ratelimit {redacted(url)}"
        self.timeout = timeout
        self.retry_interval = retry_interval
        self.pool_size = pool_size
        self.on_store_error = on_store_error
        #: counts in this process while Redis is down (``on_store_error = "local"``)
        self.fallback = fallback
        self._client: Any = None
        self._errors: tuple[type[BaseException], ...] = (OSError,)
        self._noscript: type[BaseException] = OSError
        # PERF: 0.0 while Redis answers, so the usual request tests one float.
        self._retry_at = 0.0
        self._down_since: float | None = None  # time.time() when the outage began
        self._down_at = 0.0  # time.monotonic() of the same moment
        self._last_error = ""
        self._up_since: float | None = None  # time.time() of the first answer, then of recovery
        self._state_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------

    def open(self) -> None:
        """Build the client and its pool; no connection is made until the first request."""
        import redis
        from redis.backoff import NoBackoff
        from redis.exceptions import NoScriptError, RedisError
        from redis.exceptions import TimeoutError as RedisTimeout
        from redis.retry import Retry

        # One retry, on a fresh connection, for a connection error only: it hides a
        # connection broken by a Redis restart. Never after a timeout: the script
        # may have run, and running it twice would count the request twice.
        retry = Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))
        pool = redis.BlockingConnectionPool.from_url(
            self.url,
            max_connections=self.pool_size,
            timeout=self.timeout,  # the wait for a free connection
            socket_timeout=self.timeout,
            socket_connect_timeout=self.timeout,
            retry=retry,
            health_check_interval=0,
            client_name="pegboard-ratelimit",
        )
        self._client = redis.Redis(connection_pool=pool)
        self._errors = (RedisError, RedisTimeout, OSError)
        self._noscript = NoScriptError

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()
            client.connection_pool.disconnect()

    @property
    def client(self) -> Any:
        """The redis-py client (for tests and tools that inspect the store)."""
        return self._client

    # -- the request path ------------------------------------------------------------------

    def hit(
        self, buckets: Sequence[str], rates: Sequence[Rates], argv: Sequence[int]
    ) -> Verdict | None:
        """Count one request; None when it passes uncounted (``allow`` during an outage).

        Raises :class:`StoreUnavailable` during an outage under ``deny``.
        """
        retry_at = self._retry_at
        if retry_at:
            now = time.monotonic()
            if now < retry_at:
                return self._instead(buckets, rates)
            # This request asks Redis again; the others keep the fallback meanwhile.
            self._retry_at = now + self.retry_interval
        client = self._client
        if client is None:
            return self._instead(buckets, rates)
        try:
            try:
                reply = client.evalsha(SCRIPT_SHA, len(buckets), *buckets, *argv)
            except self._noscript:
                reply = client.eval(SCRIPT, len(buckets), *buckets, *argv)
        except self._errors as exc:
            self._failed(exc)
            return self._instead(buckets, rates)
        if self._up_since is None or self._down_since is not None:
            self._recovered()
        return _verdict(reply)

    def hit_one(self, bucket: str, rates: Rates, argv: Sequence[int]) -> Verdict | None:
        """:meth:`hit` for one key."""
        return self.hit((bucket,), (rates,), argv)

    def _instead(self, buckets: Sequence[str], rates: Sequence[Rates]) -> Verdict | None:
        policy = self.on_store_error
        if policy == "local":
            return self.fallback.hit(buckets, rates)
        if policy == "deny":
            raise StoreUnavailable(self.retry_interval)
        return None

    def _failed(self, exc: BaseException) -> None:
        with self._state_lock:
            now = time.monotonic()
            self._retry_at = now + self.retry_interval
            self._last_error = f"{type(exc).__name__}: {exc}"
            if self._down_since is not None:
                return  # the same outage: said already
            self._down_since = time.time()
            self._down_at = now
        _log.error(
            "the rate limit store %s failed (%s); until it answers again %s, "
            "asking it again every %g s",
            redacted(self.url),
            self._last_error,
            _CONSEQUENCE[self.on_store_error],
            self.retry_interval,
        )

    def _recovered(self) -> None:
        with self._state_lock:
            if self._down_since is None:
                if self._up_since is None:
                    self._up_since = time.time()  # the first answer: nothing to announce
                return
            lasted = time.monotonic() - self._down_at
            self._down_since = None
            self._retry_at = 0.0
            self._up_since = time.time()
        _log.warning(
            "the rate limit store %s answers again after %.1f s; limits are shared again",
            redacted(self.url),
            lasted,
        )

    # -- health ---------------------------------------------------------------------------

    def health(self) -> pegboard.Health:
        """What the last request saw (no network call)."""
        down_since = self._down_since
        if down_since is not None:
            return pegboard.Health(self.name, False, self._last_error, down_since)
        if self._up_since is None:
            return pegboard.Health(self.name, True, "not asked yet (no request so far)")
        detail = f"{redacted(self.url)}, {self.pool_size} connections at most"
        return pegboard.Health(self.name, True, detail, self._up_since)


def _verdict(reply: Sequence[int]) -> Verdict:
    values = [int(v) for v in reply]
    results = [(values[i], values[i + 1]) for i in range(1, len(values), 2)]
    return values[0] == 1, results, None
