"""The stores of one app: created when its plans compile, opened at start, closed at stop.

They live in ``app.state.sessions`` (an :class:`AppStores`), so two apps in
one process never share a store, and the tool object itself holds nothing.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pegboard

from .errors import StorageUnavailable
from .options import SessionsOptions
from .registry import BackendRegistry, StorageFactory
from .settings import StorageConfig
from .storage.base import Storage

__all__ = ["AppStores", "StoreHandle", "app_stores", "storage_config", "stores_of"]

_log = logging.getLogger("pegboard_sessions")

#: The name of the sessions' entry in ``app.state``.
STATE_NAME = "sessions"


def storage_config(options: SessionsOptions, base_dir: Any = None) -> StorageConfig:
    """The StorageConfig for a plan's options; a relative ``storage_path`` joins ``base_dir``."""
    storage_path = options.storage_path
    if storage_path is not None and base_dir is not None:
        # A relative storage_path is relative to the config file that names it.
        storage_path = str(Path(base_dir) / storage_path)
    extra: dict[str, Any] = dict(options.storage_options or {})
    return StorageConfig(
        storage_type=options.storage_type,
        storage_path=storage_path,
        url=options.url,
        servers=options.server_list,
        dsn=options.dsn,
        pool_size=options.pool_size,
        table=options.table,
        key_prefix=options.key_prefix,
        backend_timeout=options.backend_timeout,
        clean_freq=options.clean_freq,
        options=MappingProxyType(extra),
        max_sessions=options.max_sessions,
    )


class AppStores:
    """``app.state.sessions``: the store types an app knows and the stores its plans use.

    Plans whose storage options are equal share one :class:`StoreHandle`.
    ``SessionsTool.start(app)`` opens them all and ``stop(app)`` closes them.
    """

    def __init__(self, plugin_manager: Any) -> None:
        #: the store names this app knows: built-ins and plugins' (through the hookspec)
        self.registry = BackendRegistry(plugin_manager)
        self._handles: dict[str, StoreHandle] = {}
        self._lock = threading.Lock()

    def handle_for(self, config: StorageConfig, section: str = "") -> StoreHandle:
        """The one store handle for ``config`` (equal configurations share it)."""
        key = config.key()
        with self._lock:
            handle = self._handles.get(key)
            if handle is None:
                factory = self.registry.factory(config.storage_type, section)
                handle = StoreHandle(factory, config)
                self._handles[key] = handle
            return handle

    @property
    def handles(self) -> list[StoreHandle]:
        """Every store handle of the app, in the order the plans first used them."""
        with self._lock:
            return list(self._handles.values())

    def open_all(self) -> None:
        """Open every store; one that cannot open is logged, not fatal (its requests get 503)."""
        for handle in self.handles:
            try:
                handle.start()
            except Exception as exc:
                _log.warning(
                    "the %s session store did not open: %s", handle.config.storage_type, exc
                )

    def close_all(self) -> None:
        """Close every store and stop the cleanup threads."""
        for handle in self.handles:
            handle.stop()


def app_stores(app: pegboard.App) -> AppStores:
    """The app's :class:`AppStores`, made on first use with the app's current plugins."""
    stores = app.state.get(STATE_NAME)
    if not isinstance(stores, AppStores):
        stores = app.state.setdefault(STATE_NAME, lambda: AppStores(app.plugin_manager))
    elif stores.registry.plugin_manager is not app.plugin_manager:
        # Compiled again with a new set of plugins: ask them for their store types.
        stores.registry = BackendRegistry(app.plugin_manager)
    return stores


def stores_of(app: pegboard.App) -> list[StoreHandle]:
    """The session stores of ``app`` (``StoreHandle``: ``.config``, ``.storage``, ``.cleaner``).

    Empty before the app compiled, or where sessions are on nowhere.
    """
    stores = app.state.get(STATE_NAME)
    return stores.handles if isinstance(stores, AppStores) else []


class StoreHandle:
    """One storage backend of one app, with its cleanup thread.

    Plans hold the handle, not the storage. ``start()`` (from
    ``SessionsTool.start(app)``) opens it; ``stop()`` (from
    ``SessionsTool.stop(app)``) closes it, and a restarted app opens it again.
    A route added after the app started gets a handle that opens on first
    use; a request that arrives after the app stopped gets a 503 instead of a
    store reopened behind the app's back.
    """

    def __init__(self, factory: StorageFactory, config: StorageConfig) -> None:
        self.factory = factory
        self.config = config
        #: when the store last failed (``time.time()``); None while it answers
        self.down_since: float | None = None
        self.last_error = ""
        self.up_since = time.time()
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

    # -- health, for status pages (app.health()) -------------------------------------

    def failed(self, exc: BaseException) -> None:
        """A request found the store unusable."""
        if self.down_since is None:
            self.down_since = time.time()
        self.last_error = f"{type(exc).__name__}: {exc}"

    def recovered(self) -> None:
        """A request used the store again after it failed."""
        self.down_since = None
        self.up_since = time.time()

    @property
    def name(self) -> str:
        """``sessions redis://host:6379/0``: the store type and where it is, no password."""
        config = self.config
        where = config.url or config.dsn or config.storage_path
        if where is None and config.servers:
            where = ",".join(config.servers)
        return f"sessions {config.storage_type}" + (f" {_without_password(where)}" if where else "")

    def health(self) -> pegboard.Health:
        """The state requests last saw: up, or down since when and why (no I/O)."""
        if self.down_since is not None:
            return pegboard.Health(self.name, False, self.last_error, self.down_since)
        return pegboard.Health(self.name, True, "answering", self.up_since)

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


def _without_password(where: str) -> str:
    """A URL or DSN with any password replaced by ``***``."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", where)
