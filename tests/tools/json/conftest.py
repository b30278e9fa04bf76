"""The json tests build apps with only the json package registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import pegboard_json


@pytest.fixture
def make_app(make_app: Callable[..., Any]) -> Callable[..., Any]:
    """pegboard's ``make_app`` with the json package registered from code."""

    def factory(config: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("plugins", [pegboard_json])
        kwargs.setdefault("discover", False)
        return make_app(config, **kwargs)

    return factory
