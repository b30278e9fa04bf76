"""The xmlrpc tests build apps with only the xmlrpc package (and, where named, auth_basic)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import pegboard_xmlrpc


@pytest.fixture
def make_app(make_app: Callable[..., Any]) -> Callable[..., Any]:
    """pegboard's ``make_app`` with the xmlrpc package registered from code."""

    def factory(config: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("plugins", [pegboard_xmlrpc])
        kwargs.setdefault("discover", False)
        return make_app(config, **kwargs)

    return factory
