"""File storage: one file per session, written by atomic replace, locked with flock.

A record is the file ``session-<id>`` in ``storage_path``; its modification
time is the moment it expires (set with ``os.utime``), so touching a session
rewrites no data. Writes go to a temporary file in the same directory that
``os.replace`` moves over the record, so a process killed mid-write leaves
either the old record or the new one, never half of one.

The cross-process lock is ``flock`` on ``session-<id>.lock``, a file kept
while its session has a record (creating and unlinking one per request would
cost more than the rest of the request). A request that leaves no record
behind (an id the store does not know, a session it deleted or never wrote)
unlinks the lock file before it lets the lock go, and the cleanup thread
removes it with an expired record, in the same way; a waiter that then wins
the lock checks that the file it locked is still the one at the path, and
tries again if not.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import LockTimeout, StorageUnavailable
from ..ids import is_valid_id
from ..settings import StorageConfig
from .base import Storage

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["FileStorage"]

PREFIX = "session-"
LOCK_SUFFIX = ".lock"
TEMP_PREFIX = ".tmp-"
#: A temporary file older than this (seconds) was left by a killed writer.
STALE_TEMP_AGE = 3600.0
_POLL_FIRST = 0.0005
_POLL_MAX = 0.01


class _HeldLock:
    """The token of one session's flock: its descriptor, and whether the session has a record.

    The data methods note what they see through the token they are given, so
    that releasing the lock of a session known to have a record costs no
    extra system call.
    """

    __slots__ = ("fd", "has_record", "session_id")

    def __init__(self, fd: int, session_id: str) -> None:
        self.fd = fd
        self.session_id = session_id
        #: True or False once this request read, wrote or deleted the record; None: unknown
        self.has_record: bool | None = None


def _note(lock: Any, session_id: str, has_record: bool) -> None:
    if isinstance(lock, _HeldLock) and lock.session_id == session_id:
        lock.has_record = has_record


class FileStorage(Storage):
    """Sessions as files in ``storage_path`` (created with mode 0700 if missing)."""

    def __init__(self, config: StorageConfig) -> None:
        super().__init__(config)
        assert config.storage_path is not None
        self.directory = Path(config.storage_path)
        # PERF: paths are built by concatenation, not os.path.join, three times a request.
        self._prefix = os.path.join(self.directory, PREFIX)
        self._temp_prefix = os.path.join(self.directory, TEMP_PREFIX)

    @classmethod
    def check_config(cls, config: StorageConfig) -> None:
        if not config.storage_path:
            raise ValueError(
                "storage_path is required for storage_type 'file': the directory for the sessions"
            )
        if fcntl is None:  # pragma: no cover - Windows
            raise ValueError("storage_type 'file' needs POSIX flock(), which this platform lacks")

    def open(self) -> None:
        # A directory that cannot be made is a 503 for the first request that needs it.
        with contextlib.suppress(OSError):
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _path(self, session_id: str) -> str:
        # Defence in depth: the tool validates ids before they get here.
        if not is_valid_id(session_id):
            raise ValueError("invalid session id")
        return self._prefix + session_id

    def load(self, session_id: str, lock: Any = None) -> bytes | None:
        path = self._path(session_id)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            _note(lock, session_id, False)
            return None
        except OSError as exc:
            raise StorageUnavailable(f"cannot read session file: {exc}") from exc
        _note(lock, session_id, True)
        try:
            # PERF: plain descriptors, no file object: fstat gives the size to read at once.
            status = os.fstat(fd)
            if status.st_mtime <= time.time():
                return None  # expired; the cleanup thread removes it and its lock file
            chunks: list[bytes] = []
            left = status.st_size
            while True:
                chunk = os.read(fd, max(left, 1))
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
                left -= len(chunk)
        except OSError as exc:
            raise StorageUnavailable(f"cannot read session file: {exc}") from exc
        finally:
            os.close(fd)

    def save(self, session_id: str, payload: bytes, ttl: float, lock: Any = None) -> None:
        path = self._path(session_id)
        # PERF: a temporary name of our own, not tempfile.mkstemp()'s random one: the
        # session id, process and thread make it unique among live writers (only one of
        # them holds the session's lock); a writer that died leaves it to the cleanup.
        temp = f"{self._temp_prefix}{session_id}.{os.getpid()}.{threading.get_ident()}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        try:
            try:
                fd = os.open(temp, flags, 0o600)
            except FileExistsError:  # left by a writer that died, whose pid came back
                os.unlink(temp)
                fd = os.open(temp, flags, 0o600)
        except OSError as exc:
            raise StorageUnavailable(f"cannot write session file: {exc}") from exc
        try:
            try:
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view) :]
                now = time.time()
                os.utime(fd, (now, now + ttl))
            finally:
                os.close(fd)
            os.replace(temp, path)
            _note(lock, session_id, True)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise StorageUnavailable(f"cannot write session file: {exc}") from exc

    def touch(self, session_id: str, ttl: float, lock: Any = None) -> None:
        now = time.time()
        try:
            os.utime(self._path(session_id), (now, now + ttl))
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageUnavailable(f"cannot touch session file: {exc}") from exc

    def delete(self, session_id: str, lock: Any = None) -> None:
        try:
            os.unlink(self._path(session_id))
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageUnavailable(f"cannot delete session file: {exc}") from exc
        _note(lock, session_id, False)

    def clean(self) -> None:
        now = time.time()
        try:
            entries = list(os.scandir(self.directory))
        except OSError:
            return
        for entry in entries:
            name = entry.name
            try:
                if name.startswith(TEMP_PREFIX):
                    if entry.stat().st_mtime < now - STALE_TEMP_AGE:
                        os.unlink(entry.path)
                elif name.startswith(PREFIX):
                    session_id = name[len(PREFIX) :].removesuffix(LOCK_SUFFIX)
                    if entry.stat().st_mtime <= now or name.endswith(LOCK_SUFFIX):
                        self._remove_expired(session_id, now)
            except OSError:
                continue

    def _remove_expired(self, session_id: str, now: float) -> None:
        """Delete an expired record and its lock file, unless a request holds the lock."""
        if not is_valid_id(session_id):
            return
        try:
            token = self.acquire_lock(session_id, 0.0, 0.0)
        except LockTimeout:
            return  # in use: it will be saved or cleaned next time
        try:
            path = self._path(session_id)
            try:
                expired = os.stat(path).st_mtime <= now
            except FileNotFoundError:
                expired = True  # a lock file whose record is gone
            if expired:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                # Unlink while still locked, so that no one can lock this inode and
                # believe it current (acquirers compare inodes).
                os.unlink(path + LOCK_SUFFIX)
        finally:
            self.release_lock(session_id, token)

    # -- locking ------------------------------------------------------------

    def acquire_shared_lock(self, session_id: str, timeout: float, lease: float) -> Any:
        path = self._path(session_id) + LOCK_SUFFIX
        deadline = time.monotonic() + timeout
        delay = _POLL_FIRST
        fd = -1
        try:
            while True:
                if fd < 0:
                    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockTimeout(session_id, timeout) from None
                    time.sleep(delay)
                    delay = min(delay * 2, _POLL_MAX)
                    continue
                # We hold a lock on the file we opened; is it still the lock file?
                try:
                    current = os.stat(path).st_ino
                except FileNotFoundError:
                    current = -1
                if current == os.fstat(fd).st_ino:
                    locked, fd = fd, -1
                    return _HeldLock(locked, session_id)
                os.close(fd)  # the previous holder unlinked it: start over
                fd = -1
        except OSError as exc:
            raise StorageUnavailable(f"cannot lock session file: {exc}") from exc
        finally:
            if fd >= 0:
                os.close(fd)

    def release_shared_lock(self, session_id: str, token: Any) -> None:
        held: _HeldLock = token
        try:
            # PERF: a session known to have a record keeps its lock file, without a stat().
            if held.has_record is not True:
                self._unlink_lock_if_unused(session_id, held.fd)
        finally:
            os.close(held.fd)  # closing the descriptor releases the flock

    def _unlink_lock_if_unused(self, session_id: str, fd: int) -> None:
        """Remove the lock file of a session that has no record, while still holding it.

        An id with no record (made up by a client, deleted, never written)
        must leave nothing behind. Unlinking under the flock is what the
        cleanup does too: a waiter that then wins the lock sees that its inode
        is no longer the one at the path and starts over. Only our own inode
        is unlinked; no one else can remove or replace it while we hold it.
        """
        path = self._path(session_id)
        try:
            os.stat(path)
            return  # the session has a record: keep its lock file for the next request
        except FileNotFoundError:
            pass
        except OSError:
            return
        lock_path = path + LOCK_SUFFIX
        with contextlib.suppress(OSError):
            if os.stat(lock_path).st_ino == os.fstat(fd).st_ino:
                os.unlink(lock_path)
