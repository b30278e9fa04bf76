"""Backend health: what each tool's stores and servers look like, for status pages.

A tool that depends on a backend (a session store, a cache server) registers
a probe with ``app.add_health_probe(name, probe)`` when it starts; a stats
page or a health endpoint reads ``app.health()``. Probes report the state the
tool last saw (no network call), so reading them is cheap and never hangs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Health", "HealthProbe"]


@dataclass(frozen=True, slots=True)
class Health:
    """The state of one backend: up or down, why, and since when."""

    name: str
    up: bool
    #: the last error while down; a description (URL, size) while up
    detail: str = ""
    #: ``time.time()`` when the backend entered this state, if known
    since: float | None = None
    checked: float = field(default_factory=time.time)


#: ``probe() -> Health``: the state the tool last saw, without a network call
HealthProbe = Callable[[], Health]
