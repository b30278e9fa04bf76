"""Helpers for the gzip tests: decoding bodies as a client does, and httplint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import pegboard_etags
import pegboard_gzip
import pegboard_json
from pegboard.testing.httpcheck import decode_body, lint_response

# The tools these tests compose, registered from code: a broken or half-written
# package elsewhere in the environment cannot change what these tests see.
# test_discovery.py checks that the entry points find the same tools.
PLUGINS = (pegboard_gzip, pegboard_etags, pegboard_json)


@pytest.fixture
def make_app(make_app: Callable[..., Any]) -> Callable[..., Any]:
    """pegboard's ``make_app`` with only this folder's tool packages."""

    def factory(config: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("plugins", PLUGINS)
        kwargs.setdefault("discover", False)
        return make_app(config, **kwargs)

    return factory


@pytest.fixture
def decode() -> Callable[[str | None, bytes], bytes]:
    return decode_body


@pytest.fixture
def lint() -> Callable[..., list[str]]:
    """``lint(result, method=..., request_headers=...)``: httplint's BAD notes, as text."""
    return lint_response
