"""Hookspecs this package declares: the extension point for third-party session stores.

A package that provides a backend implements the hook in its pegboard
plugin (the module or object named by its ``pegboard`` entry point, or one
passed to ``pegboard.App(plugins=[...])``)::

    import pegboard
    from pegboard_sessions import Storage

    class DynamoStorage(Storage):
        ...

    @pegboard.hookimpl
    def pegboard_sessions_storage_types():
        return {"dynamodb": DynamoStorage}

and users switch it on with ``tools.sessions.storage_type = "dynamodb"``;
its own options go in ``tools.sessions.storage_options``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pegboard

if TYPE_CHECKING:
    from .storage.base import Storage

__all__ = ["pegboard_sessions_storage_types"]


@pegboard.hookspec
def pegboard_sessions_storage_types() -> Mapping[str, type[Storage]]:  # type: ignore[empty-body]
    """Session storage backends this plugin provides: ``storage_type`` name -> Storage subclass."""
