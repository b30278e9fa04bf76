"""Type-checked, not run: mypy (strict, in CI) fails if pegboard_caching's public API loses types.

The accessors a handler uses (tags, purging), the options classes and the
testing helpers keep their exact types; a backend written against the base
classes type-checks without an ignore.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import assert_type

import pegboard
import pegboard_caching
from pegboard import Request, Response
from pegboard_caching import (
    BackendSettings,
    BytesBackend,
    CacheBackend,
    CachingOptions,
    ExpiresOptions,
    cache_tags_of,
    purge_all,
    purge_prefix,
    purge_tag,
)
from pegboard_caching.testing import FakeClock, use_clock, wait_for_refreshes

app = pegboard.App()


@app.route("/articles/{id:int}")
def article(req: Request, resp: Response, id: int) -> str:
    tags = cache_tags_of(resp)
    assert_type(tags, list[str])
    tags.extend(["articles", f"article-{id}"])
    return f"article {id}"


def purges(app: pegboard.App) -> None:
    assert_type(purge_tag(app, "articles", "article-1"), int)
    assert_type(purge_prefix(app, "/articles/"), int)
    assert_type(purge_all(app), int)


def options() -> None:
    caching = CachingOptions(backend="redis", url="redis://127.0.0.1:6379/0", delay=30)
    assert_type(caching.delay, float)
    assert_type(caching.servers, tuple[str, ...] | None)
    assert_type(caching.invalid_methods, tuple[str, ...])
    assert_type(caching.store, BackendSettings)
    expires = ExpiresOptions(secs=timedelta(hours=1))
    assert_type(expires.secs, int | float | timedelta)
    assert_type(pegboard_caching.CachingTool(), pegboard_caching.CachingTool)
    tool: pegboard.Tool[CachingOptions] = pegboard_caching.CachingTool()
    assert_type(tool.build_options({}, "/"), CachingOptions)


def testing(app: pegboard.App) -> None:
    clock = use_clock(app)
    assert_type(clock, FakeClock)
    clock.advance(60)
    wait_for_refreshes(app, timeout=1.0)


class DictBackend(BytesBackend):
    """A third party's store, written against the base class."""

    def __init__(self, settings: BackendSettings) -> None:
        super().__init__(settings)
        self.data: dict[str, bytes] = {}

    def get_bytes(self, key: str) -> bytes | None:
        return self.data.get(key)

    def put_bytes(self, key: str, value: bytes, ttl: float) -> None:
        self.data[key] = value

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.data.pop(key, None)

    def scan(self, prefix: str) -> list[str]:
        return [key for key in self.data if key.startswith(prefix)]

    def index_add(self, index: str, member: str, ttl: float) -> None:
        members = set(self.data.get(index, b"").decode().split())
        self.data[index] = " ".join(members | {member}).encode()

    def index_pop(self, index: str) -> set[str]:
        return set(self.data.pop(index, b"").decode().split())


@pegboard.hookimpl
def pegboard_caching_backends() -> dict[str, pegboard_caching.BackendFactory]:
    return {"dict": DictBackend}


backend: CacheBackend = DictBackend(CachingOptions().store)
