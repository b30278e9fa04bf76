"""Open stores of one app: created when its plans compile, opened at start, closed at stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .errors import StorageUnavailable
from .settings import StorageConfig
from .storage.base import Storage

__all__ = ["StoreHandle"]

_log = logging.getLogger("pegboard_sessions")

StorageFactory = Callable[[StorageConfig], Storage]


class StoreHandle:
    """One storage backend of one app, with its cleanup thread.

    Plans hold the handle, not the storage. ``start()`` (from
    ``pegboard_app_start``) opens it; ``stop()`` (from ``pegboard_app_stop``)
    closes it, and a restarted app opens it again. A route added after the
    app started gets a handle that opens on first use; a request that arrives
    after the app stopped gets a 503 instead of a store reopened behind the
    app's back.
    """

    def __init__(self, factory: StorageFactory, config: StorageConfig) -> None:
        self.factory = factory
        self.config = config
        self._storage: Storage | None = None
        self._stopped = False
        self._guard = threading.Lock()
        self._stop_cleaning: threading.Event | None = None
        self._cleaner: threading.Thread | None = None

    @property
    def storage(self) -> Storage:
        """The open storage (opened now if it was created after the app started)."""
        storage = self._storage
        if storage is None:
            storage = self._open(restart=False)
        return storage

    @property
    def cleaner(self) -> threading.Thread | None:
        """The cleanup thread, for backends whose records do not expire by themselves."""
        return self._cleaner

    def start(self) -> None:
        """Open the storage and start its cleanup thread (again, after a stop)."""
        self._open(restart=True)

    def _open(self, restart: bool) -> Storage:
        with self._guard:
            if self._stopped and not restart:
                raise StorageUnavailable("the session store was closed when the app stopped")
            self._stopped = False
            if self._storage is None:
                try:
                    storage = self.factory(self.config)
                    storage.open()
                except StorageUnavailable:
                    raise
                except Exception as exc:
                    _log.exception("opening the %s session store failed", self.config.storage_type)
                    raise StorageUnavailable(f"opening the store failed: {exc}") from exc
                if not storage.expires_itself and self.config.clean_freq > 0:
                    stop = self._stop_cleaning = threading.Event()
                    self._cleaner = threading.Thread(
                        target=_clean_loop,
                        args=(storage, self.config.clean_freq * 60.0, stop),
                        name=f"pegboard-sessions-cleanup-{self.config.storage_type}",
                        daemon=True,
                    )
                    self._cleaner.start()
                self._storage = storage
            return self._storage

    def stop(self) -> None:
        """Stop the cleanup thread and close the storage."""
        with self._guard:
            self._stopped = True
            if self._stop_cleaning is not None:
                self._stop_cleaning.set()
            cleaner, self._cleaner = self._cleaner, None
            storage, self._storage = self._storage, None
        if cleaner is not None:
            cleaner.join(timeout=max(self.config.backend_timeout * 2, 5.0))
        if storage is not None:
            try:
                storage.close()
            except Exception:
                _log.exception("closing the %s session store failed", self.config.storage_type)


def _clean_loop(storage: Storage, interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        try:
            storage.clean()
        except StorageUnavailable as exc:
            _log.warning("session cleanup skipped: %s", exc)
        except Exception:
            _log.exception("session cleanup failed")
