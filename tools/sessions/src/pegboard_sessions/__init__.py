"""Server-side sessions for pegboard: RAM, file, Redis, Memcached, PostgreSQL.

Switch it on per path with ``tools.sessions.on = true``; handlers use
``req.session``, or :func:`session_of` (``session_of(req)``, typed) or the
:data:`session` proxy. ``tools.session_auth.on`` adds a form login kept in the
session (``req.login``). Third-party stores subclass :class:`Storage` and
register through the ``pegboard_sessions_storage_types`` hook (see
:mod:`pegboard_sessions.hookspecs`).
"""

from .csrf import csrf_token
from .errors import LockTimeout, StorageUnavailable
from .ids import is_valid_id, new_id
from .options import SessionsOptions
from .plugin import pegboard_add_hookspecs, pegboard_tools
from .proxy import SessionProxy, session
from .redirects import safe_redirect_target
from .serializers import UnsafeSerializerWarning
from .session import Session, session_of
from .session_auth import SessionAuthOptions, SessionAuthTool
from .settings import DEFAULT_MAX_SESSIONS, SessionSetup, StorageConfig
from .storage.base import LocalLocks, Storage
from .stores import StoreHandle, stores_of
from .tool import SessionsTool

__all__ = [
    "DEFAULT_MAX_SESSIONS",
    "LocalLocks",
    "LockTimeout",
    "Session",
    "SessionAuthOptions",
    "SessionAuthTool",
    "SessionProxy",
    "SessionSetup",
    "SessionsOptions",
    "SessionsTool",
    "Storage",
    "StorageConfig",
    "StorageUnavailable",
    "StoreHandle",
    "UnsafeSerializerWarning",
    "csrf_token",
    "is_valid_id",
    "new_id",
    "pegboard_add_hookspecs",
    "pegboard_tools",
    "safe_redirect_target",
    "session",
    "session_of",
    "stores_of",
]
