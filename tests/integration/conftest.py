"""Fixtures for the example site's tests: the site's module, a fresh site per test."""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import pegboard

ROOT = Path(__file__).resolve().parents[2]
SITE_DIR = ROOT / "examples" / "site"


@pytest.fixture(scope="session")
def site_module() -> Iterator[ModuleType]:
    """examples/site/app.py, imported once (as ``pegboard serve`` would, folder on sys.path).

    Importing it sends the access log to stderr (as the site does when served);
    that logger and sys.path are put back as they were afterwards, for the
    tests that follow.
    """
    access = logging.getLogger("pegboard.access")
    handlers, level = list(access.handlers), access.level
    added = str(SITE_DIR) not in sys.path
    if added:
        sys.path.insert(0, str(SITE_DIR))
    spec = importlib.util.spec_from_file_location("example_site_app", SITE_DIR / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    access.handlers[:] = handlers
    access.setLevel(level)
    if added:
        sys.path.remove(str(SITE_DIR))


@pytest.fixture
def make_site(site_module: ModuleType) -> Iterator[Callable[..., pegboard.App]]:
    """Factory for fresh sites (own notes, sessions and cache), stopped after the test."""
    apps: list[pegboard.App] = []

    def factory(overlay: Any = None) -> pegboard.App:
        app: pegboard.App = site_module.create_app(overlay)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.stop()


@pytest.fixture
def site(make_site: Callable[..., pegboard.App]) -> pegboard.App:
    """A fresh example site on its embedded defaults (RAM sessions, memory cache)."""
    return make_site()
