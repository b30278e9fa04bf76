"""The ``sessions`` tool: its options, start-up checks, and the hooks it attaches."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Literal

import pegboard

from .checks import check_options, storage_config
from .registry import BackendRegistry
from .serializers import get_serializer
from .session import Session, release_session
from .settings import SessionSettings, StorageConfig
from .stores import StoreHandle

__all__ = ["SessionsTool"]

_log = logging.getLogger("pegboard_sessions")


class SessionsTool(pegboard.Tool):
    """Server-side sessions: ``req.session``, a cookie, a store, and a per-session lock.

    One instance per app start (``pegboard_tools`` makes a new one each
    time), so the stores it opens belong to that app alone.
    """

    points = ("before_handler", "before_finalize", "on_end_resource")

    def __init__(self, plugin_manager: Any = None) -> None:
        super().__init__("sessions", point="before_handler", priority=10, doc=self.__doc__)
        #: the store names this app knows: built-ins and plugins' (through the hookspec)
        self.registry = BackendRegistry(plugin_manager)
        self._handles: dict[str, StoreHandle] = {}
        self._handles_lock = threading.Lock()

    # -- options (the signature is the schema) ------------------------------------

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: pegboard.PlanBuilder,
        *,
        storage_type: str = "ram",
        storage_path: str | None = None,
        url: str | None = None,
        servers: list[str] | str | None = None,
        dsn: str | None = None,
        pool_size: int = 10,
        table: str = "pegboard_sessions",
        key_prefix: str = "pegboard:session:",
        backend_timeout: float = 2.0,
        storage_options: dict[str, Any] | None = None,
        timeout: float = 60.0,
        max_age: float | None = None,
        name: str = "session_id",
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = True,
        samesite: Literal["Strict", "Lax", "None"] | None = "Lax",
        persistent: bool = True,
        locking: Literal["implicit", "early", "explicit"] = "implicit",
        lock_timeout: float = 10.0,
        lock_lease: float = 60.0,
        clean_freq: float = 5.0,
        serializer: Literal["json", "msgpack", "pickle"] = "json",
    ) -> None:
        # Every option by name: locals() holds nothing else yet.
        options = {k: v for k, v in locals().items() if k not in ("self", "plan")}
        base_dir = getattr(plan, "base_dir", None)
        if storage_path is not None and base_dir is not None:
            # A relative storage_path is relative to the config file that names it.
            options["storage_path"] = str(Path(base_dir) / storage_path)
        handle = self.handle_for(storage_config(options))
        settings = SessionSettings(
            name=name,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            persistent=persistent,
            timeout=timeout * 60.0,
            max_age=None if max_age is None else max_age * 60.0,
            locking=locking,
            lock_timeout=lock_timeout,
            lock_lease=lock_lease,
            serializer=get_serializer(serializer),
        )
        plan.add("before_handler", init_session, self.priority, handle=handle, settings=settings)
        plan.add("before_finalize", save_session, 10)
        plan.add("on_end_resource", release_session, 50, True)

    # -- start-up checks -------------------------------------------------------------

    def check(self, options: dict[str, Any], section: str) -> None:
        merged = {n: o.default for n, o in self.options.items()}
        merged.update({k: v for k, v in options.items() if k in merged})
        check_options(merged, section, self.registry)

    # -- stores of this app -----------------------------------------------------------

    def handle_for(self, config: StorageConfig) -> StoreHandle:
        """The one store handle for ``config`` (equal configurations share it)."""
        key = config.key()
        with self._handles_lock:
            handle = self._handles.get(key)
            if handle is None:
                handle = StoreHandle(self.registry.factory(config.storage_type), config)
                self._handles[key] = handle
            return handle

    @property
    def stores(self) -> list[StoreHandle]:
        """The store handles of this app, for inspection and tests."""
        with self._handles_lock:
            return list(self._handles.values())

    def open_stores(self) -> None:
        """Open every store the app's plans use; a store that cannot open is reported, not fatal."""
        for handle in self.stores:
            try:
                handle.start()
            except Exception as exc:
                _log.warning(
                    "the %s session store did not open: %s", handle.config.storage_type, exc
                )

    def close_stores(self) -> None:
        """Close every store and stop the cleanup threads."""
        for handle in self.stores:
            handle.stop()


def init_session(
    req: pegboard.Request, resp: pegboard.Response, handle: StoreHandle, settings: SessionSettings
) -> None:
    """before_handler, priority 10: give the request its (lazy) session."""
    session = Session(req, handle, settings)
    req.session = session  # type: ignore[attr-defined]
    if settings.locking == "early":
        session.load()


def save_session(req: pegboard.Request, resp: pegboard.Response) -> None:
    """before_finalize, priority 10: write the session back, set the cookie and ``Vary``."""
    session = getattr(req, "session", None)
    if isinstance(session, Session):
        session.save(resp)
