"""The two failures a session store reports; the tool turns both into 503."""

from __future__ import annotations

__all__ = ["LockTimeout", "StorageUnavailable"]


class StorageUnavailable(Exception):
    """The session store cannot be reached or failed (server down, disk error, timeout).

    Backends wrap their client library's connection and I/O errors in this
    exception; a request meets it as a 503 answer, never a 500 or a hang.
    """


class LockTimeout(Exception):
    """The session's lock was not acquired within ``lock_timeout`` seconds."""

    def __init__(self, session_id: str, timeout: float) -> None:
        self.timeout = timeout
        # Only a prefix of the id: enough for a log line, useless to a thief.
        super().__init__(f"session {session_id[:6]}... still locked after {timeout:g} s")
