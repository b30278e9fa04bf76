"""``@etags.validator(...)``: declare a cheap current tag for one handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pegboard

from .tools import Validator

__all__ = ["validator"]

F = TypeVar("F")


def validator(func: Validator, *, autotags: bool = False) -> Callable[[F], F]:
    """Switch ``etags`` on for this handler with ``func(req)`` as its validator.

    ``func`` returns the current entity tag (``"v3"``, ``'"v3"'`` or
    ``'W/"v3"'``) or None when the resource has no current representation.
    It runs before the handler, so a matching If-None-Match gets its 304
    (and a failing If-Match its 412) without the handler doing any work::

        @app.route("/articles/{id:int}")
        @etags.validator(lambda req: f"v{store.version(req.path_params['id'])}")
        def article(req, resp, id): ...
    """
    return pegboard.tools.etags(validator=func, autotags=autotags)
